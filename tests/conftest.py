"""Isolation for every test: its own harness home and database, offline, no installed plugins."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.testing import invoke

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
VENV_BIN = Path(sys.executable).parent


#: What a test costs, roughly, for ordering files across pytest-xdist workers: `slow` ones take
#: seconds (a process, a server, a training), the others a fraction of one.
SLOW_S, QUICK_S = 5.0, 0.3

#: Seconds each slower file took inside one worker on the 2-core machine (a checkout that had run
#: the suite once): the markers alone miss by far, and a costly file started near the end runs alone
#: on one worker while the other waits. Two are given what they cost in a fresh environment, as in
#: CI: the type check without its cache, and the independence reference checks, where numba
#: compiles what hyppo and dcor use (about 100 CPU s; later runs load its cache).
MEASURED_S = {
    "plugins/independence/tests/test_independence_peers.py": 100.0,
    "tests/test_sweep.py": 28.0,
    "tests/test_kills.py": 26.0,
    "plugins/mlflow/tests/test_mlflow.py": 20.0,
    "tests/test_interrupts.py": 19.0,
    "tests/test_sweep_ray.py": 17.0,
    "tests/test_publish.py": 17.0,
    "tests/test_dashboard_browser.py": 16.0,
    "plugins/celeba-recon/tests/test_celeba_render.py": 16.0,
    "plugins/geometry/tests/test_geometry_task.py": 15.0,
    "plugins/entity-linking/tests/test_models.py": 15.0,
    "tests/test_errors.py": 15.0,
    "plugins/titling/tests/test_titling_models.py": 15.0,
    "plugins/nl2sql/tests/test_nl2sql_models.py": 15.0,
    "tests/test_typing.py": 15.0,
    "tests/test_new_plugin.py": 14.0,
    "tests/test_docs.py": 12.0,
    "tests/test_resume_and_concurrency.py": 11.0,
    "tests/test_dashboard.py": 10.0,
    "plugins/celeba-recon/tests/test_celeba_models.py": 9.0,
    "tests/test_run.py": 9.0,
    "plugins/independence/tests/test_independence_calibration.py": 8.0,
    "tests/test_install.py": 8.0,
    "tests/test_checkpoints.py": 8.0,
    "tests/test_results_cli.py": 7.0,
    "tests/test_disk_full.py": 7.0,
    "plugins/llm/tests/test_openai_chat.py": 6.0,
    "tests/test_rescore.py": 5.0,
    "plugins/independence/tests/test_independence_task.py": 5.0,
    "tests/test_exposure.py": 5.0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Under `--dist loadfile` keep the file order set below: xdist's own sends files with the
    fewest tests last, and those are mostly slow ones (an install, a browser, killed processes),
    which can leave one worker running them while the other has nothing left to do."""
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The most expensive files first, so the workers end on short ones and finish together
    (tests keep their order within a file)."""
    if not hasattr(config, "workerinput"):  # only where xdist's workers collect for its scheduler
        return
    cost: dict[str, float] = {}
    for item in items:
        file = item.nodeid.split("::")[0]
        cost[file] = cost.get(file, 0.0) + (SLOW_S if item.get_closest_marker("slow") else QUICK_S)
    cost.update({file: seconds for file, seconds in MEASURED_S.items() if file in cost})
    items.sort(key=lambda item: -cost[item.nodeid.split("::")[0]])


@pytest.fixture(autouse=True)
def _streamlit_components_scanned_once() -> None:
    """Streamlit's `AppTest` looks for custom components in the metadata of every installed
    distribution on each run (some 12,000 metadata files parsed per dashboard test file here, half
    its time); nothing is installed during a session, so the worker's first scan answers the rest.
    A test module that imported `AppTest` gets the cache before its first run, not after it."""
    scanner = sys.modules.get("streamlit.components.v2.manifest_scanner")
    if scanner is None and "streamlit.testing.v1" in sys.modules:
        from streamlit.components.v2 import manifest_scanner as scanner
    if scanner is not None and not hasattr(scanner.scan_component_manifests, "cache_info"):
        scanner.scan_component_manifests = functools.cache(scanner.scan_component_manifests)


@pytest.fixture(autouse=True, scope="session")
def _entry_points_read_once() -> Iterator[None]:
    """Every in-process CLI call builds a fresh registry, which lists the `harness` entry points by
    reading the metadata of every installed distribution (a quarter of a quick call's time); nothing
    is installed into this environment during a session (installing tests use a virtual environment
    of their own), so the first listing answers the rest."""
    from importlib import metadata

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(metadata, "entry_points", functools.cache(metadata.entry_points))
        yield


CHROMIUM = Path("/usr/bin/chromium")  # the system build Playwright drives: nothing to download


def require_chromium() -> Path:
    """The browser tests' Chromium: without it they skip, except under CI=true, where it must be there."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install chromium so the browser tests run in CI")
        pytest.skip(f"no {CHROMIUM}: `apt-get install -y chromium fonts-wqy-zenhei` to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


def sh(*args, env=None, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    """Run a command (any argument may be a Path); a non-zero exit fails the test with its output."""
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


#: `harness` called several times in one interpreter of another environment (a throwaway one with
#: wheels or a new plugin installed): each call starts from what a new process sees (plugins found
#: by entry point again), without an interpreter's start-up and plugin imports each. Reads
#: `[[env, *args], ...]` as JSON; prints each call's exit code, stdout and stderr.
CALLS = """
import json, sys
from harness.testing import invoke
print(json.dumps([vars(invoke(*args, env=env)) for env, *args in json.load(sys.stdin)]))
"""


def harness_in(python: Path, cwd: Path, *calls: tuple) -> list[str]:
    """The stdout of each call `(env, *args)`, made in order by `python`'s harness, run from `cwd`;
    a call that fails fails the test with its stderr."""
    given = json.dumps([[env, *args] for env, *args in calls])
    done = subprocess.run([str(python), "-c", CALLS], input=given, capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for (_, *args), result in zip(calls, results, strict=True):
        assert result["returncode"] == 0, f"harness {' '.join(args)} exited {result['returncode']}:\n{result['stderr']}"
    return [result["stdout"] for result in results]


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "results.duckdb"


def fill_once(tmp_path_factory, name: str, fill) -> tuple[Path, object]:
    """Record runs once (per module) into a template database with the toy arithmetic plugin.

    Filling is most of the cost of a results test; each test then works on its own copy
    (`copy_into`), so tests that write stay as isolated as before.
    """
    from toy_plugins import arith as module

    from harness.plugins.registry import use_plugins
    from harness.runner.run import Runner
    from harness.store import Store

    template = tmp_path_factory.mktemp(name) / "results.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_HOME", str(template.parent / "harness-home"))
        patch.setenv("HARNESS_LOAD_PLUGINS", "")
        with use_plugins(module) as registry:
            made = fill(Runner(registry, Store(template)))
    return template, made


def stored(db: Path) -> dict[str, tuple]:
    """Each run key: its status, its metrics and its samples' predictions, to compare a database
    against an uninterrupted run's (asserting that no run is stored twice)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) - count(DISTINCT run_key) FROM runs").fetchone() == (0,), "a run stored twice"
        runs = con.execute("SELECT run_key, run_id, status FROM runs").fetchall()
        return {
            key: (
                status,
                sorted(con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [run_id]).fetchall()),
                sorted(con.execute("SELECT sample_id, prediction FROM samples WHERE run_id = ?", [run_id]).fetchall()),
            )
            for key, run_id, status in runs
        }


def copy_into(template: Path, db: Path) -> None:
    import shutil

    for suffix in ("", ".wal"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, db.with_name(db.name + suffix))


@pytest.fixture
def arith():
    """The toy arithmetic plugin, registered for this test only."""
    from toy_plugins import arith as module

    from harness.plugins.registry import use_plugins

    with use_plugins(module) as registry:
        yield registry


class Harness:
    """The `harness` command line with its own environment, as a user calls it.

    Calling it runs the CLI in this process through click's `CliRunner` (no interpreter start-up,
    no re-import per call), with `env` as the whole environment, no terminal and its own stdout and
    stderr; it answers as `subprocess.run` does (`returncode`, `stdout`, `stderr`). `process` and
    `popen` start the real console script instead, for tests where a process is the point: signals,
    a process killed mid-run, locks between processes, start-up imports.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        return self._checked(args, check, invoke(*args, env=self.env, input=input))

    def process(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(VENV_BIN / "harness"), *args], capture_output=True, text=True, env=self.env, timeout=300, **kwargs
        )
        return self._checked(args, check, result)

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json").stdout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(VENV_BIN / "harness"), *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    @staticmethod
    def _checked(args, check: bool, result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
        if check and result.returncode != 0:
            raise AssertionError(f"harness {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result


def cli_env(folder: Path) -> dict[str, str]:
    """The environment of a CLI with its home and database in `folder`, only the built-ins and the toy
    arithmetic plugin loaded, offline, and no terminal size (a log file's view)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_") and k not in ("COLUMNS", "LINES")}
    env.update(
        {
            "HARNESS_HOME": str(folder / "harness-home"),
            "HARNESS_DB": str(folder / "results.duckdb"),
            "HARNESS_LOAD_PLUGINS": "",
            "HARNESS_PLUGINS": "toy_plugins.arith",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")])),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
        }
    )
    return env


@pytest.fixture
def harness_cli(tmp_path) -> Harness:
    """The CLI with only the built-ins and the toy arithmetic plugin loaded (in-process; see `Harness`)."""
    return Harness(cli_env(tmp_path))
