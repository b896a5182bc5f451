"""The harness and its built-in plugins work as installed wheels, without this checkout.

Wheels are built from a copy of the sources and installed (non-editable, `--no-deps`) into a fresh
virtual environment that borrows only this environment's third-party packages, so the test stays
offline; it runs from a temporary folder, and checks that `harness` is imported from the new
environment's own site-packages.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import harness_in, sh

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".venv")  # what a fresh clone lacks

pytestmark = pytest.mark.slow

#: Builds each project's wheel into argv[1] through the PEP 517 backend its pyproject.toml names, as
#: `pip wheel --no-build-isolation` does, but in one interpreter: pip starts two backend processes
#: per project (metadata, then the wheel), most of this test's CPU time. The wheels hold the same
#: files with the same contents.
BUILD = """
import importlib, os, sys, tomllib
wheels, *projects = sys.argv[1:]  # read once: setuptools' backend rewrites sys.argv
for project in projects:
    os.chdir(project)
    with open("pyproject.toml", "rb") as f:
        module, _, attribute = tomllib.load(f)["build-system"]["build-backend"].partition(":")
    backend = importlib.import_module(module)
    for name in filter(None, attribute.split(".")):
        backend = getattr(backend, name)
    backend.build_wheel(wheels)
"""


def site_packages() -> list[str]:
    """This environment's site-packages folders, but none of the editable installs' paths or finders.

    Written as plain lines of a `.pth` file, they are put on `sys.path` without running the `.pth`
    files inside them, so the checkout that the editable installs point to stays out of reach.
    """
    return [p for p in sys.path if Path(p).name == "site-packages" and Path(p).is_dir()]


def test_wheels_installed_without_a_checkout_rank_and_run(tmp_path):
    sources = tmp_path / "src"
    shutil.copytree(ROOT / "harness", sources / "core" / "harness", ignore=SKIP)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, sources / "core" / name)
    projects = [sources / "core"]
    for plugin in sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml")):
        shutil.copytree(plugin, sources / plugin.name, ignore=SKIP)
        projects.append(sources / plugin.name)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    sh(sys.executable, "-c", BUILD, wheels, *projects)
    built = sorted(w.name.split("-")[0] for w in wheels.glob("*.whl"))
    assert len(built) == len(projects) and "kexue_harness" in built

    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    own = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (own / "zz_third_party.pth").write_text("".join(f"{p}\n" for p in site_packages()))
    sh(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", *wheels.glob("*.whl"))

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_") and k != "PYTHONPATH"}
    env.update(HARNESS_HOME=str(home), HARNESS_DB=str(home / "results.duckdb"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    work = tmp_path / "elsewhere"
    work.mkdir()

    imported = "import harness, harness_geometry; print(harness.__file__, harness_geometry.__file__)"
    where = sh(python, "-c", imported, env=env, cwd=work).stdout
    assert all(Path(f).is_relative_to(own) for f in where.split()), where

    # the console script once; the other commands in one interpreter of the new environment
    plugins = {p["name"]: p for p in json.loads(sh(venv / "bin" / "harness", "plugins", "--json", env=env, cwd=work).stdout)}
    assert {"geometry", "independence", "nl2sql"} <= set(plugins)
    assert all(p["error"] is None for p in plugins.values()), plugins

    # all of them load; from here on only geometry is, so the run is not also logged by the MLflow
    # plugin (seconds of creating its store, tested with that plugin)
    geometry = {**env, "HARNESS_LOAD_PLUGINS": "geometry"}
    board = ("leaderboard", "kexue-2019")
    overview, run, after, text = harness_in(
        python,
        work,
        (geometry, *board, "--json"),
        (geometry, "run", "--task", "random-angles", "--model", "closed-form", "--json"),
        (geometry, *board, "--json"),
        (geometry, *board),
    )
    overview = json.loads(overview)
    assert overview["kind"] == "overview" and overview["source"].endswith("kexue-2019.toml")
    assert Path(overview["source"]).is_relative_to(own)
    assert "random-angles" in [row["task"] for row in overview["overview"]]

    run = json.loads(run)
    assert run["status"] == "finished" and run["n_samples"] > 0
    assert run["git_commit"] is None  # the code ran from site-packages, not from a repository
    assert run["packages"]["kexue-harness"] == run["harness_version"]

    (row,) = [row for row in json.loads(after)["overview"] if row["task"] == "random-angles"]
    assert row["best_model"] == "closed-form" and row["runs"] == 1 and row["run_id"] == run["run_id"]
    assert "Kexue 2019" in text and "closed-form" in text

    # `harness demo` without the repository: its sweep file ships in the wheel
    demo = "from harness.sweep.demo import DEMO_FILE, demo_spec; print(DEMO_FILE); print(len(demo_spec().runs))"
    path, runs = sh(python, "-c", demo, env=env, cwd=work).stdout.split()
    assert Path(path).is_relative_to(own) and Path(path).is_file() and int(runs) > 10
