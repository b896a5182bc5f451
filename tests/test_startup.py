"""Listing and help must not import the heavy libraries: that is what keeps them fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import Harness, cli_env

HEAVY = ("torch", "transformers", "datasets", "evaluate", "streamlit", "scipy", "pandas")

PROBE = """
import json, sys
from harness.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["tasks", "--json"], ["models", "--json"], ["plugins", "--json"], ["info", "--json"]]
)
def test_listing_imports_no_heavy_library(harness_cli, args):
    assert heavy_imports(args, harness_cli.env) == []


def heavy_imports(args: list[str], env: dict[str, str]) -> list[str]:
    """The heavy libraries a fresh interpreter has imported once `harness ARGS` is done."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stderr.strip().splitlines()[-1])


def test_a_run_that_stores_samples_imports_no_heavy_library(harness_cli):
    """Writing samples goes through Arrow, whose `pyarrow.array` would import pandas (0.6 s of CPU,
    more than the rest of a toy run): every `harness run` and every sweep worker pays for what this imports."""
    assert heavy_imports(["run", "--task", "doubling", "--model", "exact"], harness_cli.env) == []
    assert harness_cli.json("runs")[0]["n_samples"] == 200


BUILT_IN = ("celeba-recon", "entity-linking", "geometry", "independence", "mlflow", "nl2sql", "titling")


@pytest.fixture(scope="module")
def built_in_env(tmp_path_factory) -> dict[str, str]:
    """Every built-in plugin loaded through its entry point, and a stored run for a cached re-run to find."""
    from importlib import metadata

    installed = {ep.name for ep in metadata.entry_points(group="harness")}
    if not set(BUILT_IN) <= installed:
        pytest.skip(f"built-in plugins not installed: {', '.join(sorted(set(BUILT_IN) - installed))}")
    env = {**cli_env(tmp_path_factory.mktemp("built-in")), "HARNESS_LOAD_PLUGINS": ",".join(BUILT_IN)}
    # in this process, and without the MLflow plugin, whose logging of a new run takes seconds: the
    # re-run below finds the stored run by its key, whichever plugins were loaded when it was made
    without_mlflow = ",".join(name for name in BUILT_IN if name != "mlflow")
    Harness({**env, "HARNESS_LOAD_PLUGINS": without_mlflow})("run", "--task", "doubling", "--model", "noisy")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("args", [["tasks", "--json"], ["run", "--task", "doubling", "--model", "noisy"]])
def test_the_built_in_plugins_keep_listing_and_cached_reruns_light(built_in_env, args):
    """With every built-in plugin loaded through its entry point, listing and a cached re-run import no
    heavy library, nor numpy or jsonschema (100 and 50 ms of a ~0.5 s command here)."""
    probe = PROBE.format(args=args, heavy=(*HEAVY, "numpy", "jsonschema"))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=built_in_env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
