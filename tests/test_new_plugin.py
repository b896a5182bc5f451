"""`harness new-plugin`, end to end: scaffold, `pip install -e`, discovery by entry point, run, its tests.

The plugin is installed into a throwaway virtual environment layered over this one, so it never
leaks into the environment the other tests run in.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import harness_in, sh

from harness.api import ConfigError
from harness.plugins.scaffold import write_plugin
from harness.testing import invoke


@pytest.fixture
def layered_venv(tmp_path) -> Path:
    """A venv with no packages of its own that sees this environment's packages."""
    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site_packages = sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    parent = sysconfig.get_paths()["purelib"]
    Path(site_packages, "zz_parent_env.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    return venv


@pytest.mark.slow  # a throwaway virtual environment
def test_scaffolded_plugin_installs_registers_runs_and_passes_its_tests(tmp_path, layered_venv):
    out = invoke("new-plugin", "harness-movie-reviews", "--task", "reviews", "--dir", str(tmp_path)).stdout
    plugin = tmp_path / "harness-movie-reviews"  # the harness- prefix is not doubled
    assert f"Created {plugin}" in out and "task reviews" in out
    assert (plugin / "harness_movie_reviews" / "__init__.py").exists()
    assert "[project.entry-points.harness]" in (plugin / "pyproject.toml").read_text()
    sh(Path(sys.executable).parent / "ruff", "check", ".", cwd=plugin)  # the repository's own rules

    # A plain, non-editable install: the leaderboard definition must travel as package data.
    python = layered_venv / "bin" / "python"
    sh(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-build-isolation", plugin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_") and k != "PYTHONPATH"}
    env.update(HARNESS_HOME=str(tmp_path / "home"), HARNESS_DB=str(tmp_path / "r.duckdb"), HF_HUB_OFFLINE="1")

    # discovered among every installed plugin first; then only it is loaded, so the run is not also
    # logged by the MLflow plugin (seconds of creating its store, tested with that plugin)
    only = {**env, "HARNESS_LOAD_PLUGINS": "movie-reviews"}
    listed, tasks, run, definitions, board, others = map(
        json.loads,
        harness_in(
            python,
            tmp_path,
            (env, "plugins", "--json"),
            (env, "tasks", "--json"),
            (only, "run", "--task", "reviews", "--json"),
            (only, "leaderboard", "--list", "--json"),
            (only, "leaderboard", "movie-reviews", "--json"),
            ({**env, "HARNESS_LOAD_PLUGINS": "something-else"}, "plugins", "--json"),
        ),
    )
    plugins = {p["name"]: p for p in listed}
    assert plugins["movie-reviews"]["error"] is None
    assert plugins["movie-reviews"]["version"] == "0.1.0"
    assert plugins["movie-reviews"]["hooks"] == [
        "register_leaderboards",
        "register_metrics",
        "register_models",
        "register_renderers",
        "register_tasks",
    ]
    tasks = {t["name"]: t for t in tasks}
    assert tasks["reviews"]["plugin"] == "movie-reviews"
    assert tasks["reviews"]["default_model"] == "reviews-keywords"
    assert tasks["reviews"]["prediction_schema"]["enum"] == ["positive", "negative"]

    assert run["status"] == "finished" and run["n_samples"] == 1000
    assert run["plugin_version"] == "0.1.0" and run["packages"]["harness-movie-reviews"] == "0.1.0"
    assert 0.55 < run["metrics"]["exact_match"]["value"] < 0.9
    assert "reviews-macro-f1" in run["metrics"]
    definitions = {d["name"]: d for d in definitions}
    assert definitions["movie-reviews"]["tasks"][0]["columns"] == ["reviews-macro-f1"]
    assert board["boards"][0]["rows"][0]["run_id"] == run["run_id"]
    assert "movie-reviews" not in {p["name"] for p in others}

    result = sh(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", plugin / "tests", env=env, cwd=plugin)
    assert "6 passed" in result.stdout


def test_new_plugin_refuses_bad_names_installed_names_and_existing_directories(tmp_path):
    with pytest.raises(ConfigError, match="must be kebab-case"):
        write_plugin("Bad_Name", tmp_path)
    with pytest.raises(ConfigError, match="task name 'Bad' must be kebab-case"):
        write_plugin("fine", tmp_path, task="Bad")
    with pytest.raises(ConfigError, match="harness-geometry is already installed"):
        write_plugin("harness-geometry", tmp_path)
    with pytest.raises(ConfigError, match="harness_pytest_like is already importable"):
        (tmp_path / "harness_pytest_like").mkdir()
        (tmp_path / "harness_pytest_like" / "__init__.py").write_text("")
        sys.path.insert(0, str(tmp_path))
        try:
            write_plugin("pytest-like", tmp_path / "out")
        finally:
            sys.path.remove(str(tmp_path))
    assert write_plugin("harness-ok", tmp_path) == tmp_path / "harness-ok"
    with pytest.raises(ConfigError, match="already exists"):
        write_plugin("ok", tmp_path)
    write_plugin("ok", tmp_path, force=True)
