"""Helpers for testing plugins: isolation from the user's setup, running a task or a sweep
in-process, and reading back what a user would see (samples, artifacts, renderer panels,
leaderboards).

This module is a pytest plugin (the `pytest11` entry point `harness`), so once the harness is
installed every test session gets `harness_isolation`, an autouse fixture: each test runs with its
own harness home and results database, offline, and with no installed plugin loaded. A plugin's
tests need no `conftest.py` for it. To run a session without it, disable the plugin:
`pytest -p no:harness`.

Helpers that take `plugin` accept one plugin module or a sequence of them (a plugin and a
test-only module of extra hooks, say); the built-ins are always loaded.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugins.registry import use_plugins
from harness.records import Artifact, SampleRecord
from harness.runner.run import RunOutcome, parse_model_args
from harness.store import Store

if TYPE_CHECKING:
    from harness.leaderboard.definitions import LeaderboardSpec
    from harness.leaderboard.ranking import Board
    from harness.sweep.driver import SweepReport
    from harness.views import Panel

__all__ = [
    "CHROMIUM_FLAGS",
    "PluginRun",
    "harness_isolation",
    "invoke",
    "leaderboard",
    "leaderboard_definitions",
    "parse_model_args",
    "render_run",
    "render_sample",
    "render_static_sample",
    "run_plugin",
    "run_sweep",
    "serve_dashboard",
    "use_plugins",
]

Plugins = ModuleType | Sequence[ModuleType]


def _modules(plugin: Plugins) -> tuple[ModuleType, ...]:
    return (plugin,) if isinstance(plugin, ModuleType) else tuple(plugin)


MARKERS = {
    "slow": "seconds or more each (real processes killed or racing, servers, trainings, builds, a virtual environment)",
    "browser": "drives a real dashboard server with headless Chromium",
    "ray": "starts a local Ray cluster",
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers every harness plugin's tests may use: `pytest -m "not slow"` is the quick
    loop; a full run (`make test`) runs everything."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


@pytest.fixture(autouse=True)
def harness_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own harness home and database, offline, with no installed plugins loaded.

    Autouse through the harness's pytest plugin; `pytest -p no:harness` turns it off for a session.
    A fixture that must run after it (to put files into the test's harness home) names it as an
    argument.
    """
    from harness.plugins.registry import set_registry

    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "harness-home"))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "results.duckdb"))
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", "")
    monkeypatch.delenv("HARNESS_PLUGINS", raising=False)
    monkeypatch.delenv("HARNESS_STRICT_PLUGINS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    # A terminal size set by the test runner (pytest-xdist workers set COLUMNS=80) would make the
    # CLI's tables wrap differently from a user's log; tests see the CLI as a log file does.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    set_registry(None)
    yield
    set_registry(None)


@dataclass
class PluginRun(RunOutcome):
    """A run made by `run_plugin`, with everything a renderer or metric test needs beside it."""

    samples: list[SampleRecord] = field(default_factory=list)
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    db: Path | None = None  # the database it is stored in (renderers' `peers` are read from it)


def run_plugin(
    plugin: Plugins,
    task: str,
    db: Path | None = None,
    model: str | None = None,
    model_args: Mapping[str, str] | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    data_dir: Path | None = None,
    train_data: Path | str | None = None,
    overwrite: bool = False,
    train_budget: float | None = None,
) -> PluginRun:
    """Run `task` with only `plugin` (and the built-ins) loaded, ignoring installed plugins, as
    `harness run` would (`model_args` as `--model-arg key=value` pairs, `train_data` a folder or
    "embedded" as `--train-data`, `train_budget` in seconds as `--train-budget`); `db` defaults to
    `$HARNESS_DB`.

    The result carries the stored run, every sample in order and the artifacts by name, read back
    from the database as the dashboard would read them.
    """
    from harness.runner.run import Runner, RunRequest

    with use_plugins(*_modules(plugin)) as registry:
        request = RunRequest(
            task=task,
            model=model,
            model_args=dict(model_args or {}),
            split=split,
            limit=limit,
            seed=seed,
            data_dir=data_dir,
            train_data=train_data,
            overwrite=overwrite,
            train_budget=train_budget,
        )
        store = Store(db)
        outcome = Runner(registry, store).run(request)
    run_id = outcome.run.run_id
    return PluginRun(
        outcome.run,
        outcome.cached,
        outcome.warnings,
        samples=store.samples(run_id),
        artifacts={a.name: a for a in store.artifacts(run_id)},
        db=store.path,
    )


def run_sweep(
    plugin: Plugins,
    tasks: Sequence[str],
    db: Path | None = None,
    executor: str = "local",
    **grid: Any,
) -> SweepReport:
    """Run a sweep over `tasks` with only `plugin` (and the built-ins) loaded, as `harness sweep`
    would; `grid` holds the rest of a sweep file's keys (`models`, `model_args`, `seeds`, `split`,
    `limit`, `data_dir`, `train_data`, ...). Returns when every run is finished or failed."""
    from harness.sweep.driver import run_sweep as drive
    from harness.sweep.spec import SweepSpec

    with use_plugins(*_modules(plugin)) as registry:
        return drive(registry, Store(db), SweepSpec(tasks=list(tasks), **grid), executor)


def render_run(plugin: Plugins, result: PluginRun) -> list[Panel]:
    """The run-level panels every renderer of `plugin` draws for this run, as the dashboard asks."""
    from harness.dashboard import rendering

    with use_plugins(*_modules(plugin)) as registry:
        return [
            panel
            for renderer in registry.renderers_for(result.run.task)
            for panel in rendering.run_panels(
                renderer(),
                result.run,
                result.samples,
                result.artifacts,
                lambda: rendering.peer_runs(Store(result.db), result.run) if result.db else [],
            )
        ]


def render_sample(plugin: Plugins, result: PluginRun, sample: SampleRecord) -> list[Panel]:
    """The panels of one sample's view."""
    from harness.dashboard import rendering

    with use_plugins(*_modules(plugin)) as registry:
        return [
            panel
            for renderer in registry.renderers_for(result.run.task)
            for panel in rendering.sample_panels(renderer(), sample, result.run, lambda: result.artifacts)
        ]


def render_static_sample(plugin: Plugins, result: PluginRun, sample: SampleRecord) -> list[Panel]:
    """The panels of one sample in a published site (`harness publish`): the renderers'
    `static_sample`, or the generic view."""
    from harness.dashboard import rendering

    with use_plugins(*_modules(plugin)) as registry:
        renderers = [renderer() for renderer in registry.renderers_for(result.run.task)]
        return rendering.static_sample(renderers, sample, result.run, lambda: result.artifacts)


def leaderboard_definitions(plugin: Plugins, db: Path | None = None, directory: Path | None = None) -> dict[str, LeaderboardSpec]:
    """Every leaderboard definition by name, as `harness leaderboard --list` finds them with only
    `plugin` loaded: definition files (the harness's own, or those in `directory`), then plugin
    contributions, then one per remaining task (and per task with runs in `db`)."""
    from harness.leaderboard.ranking import load_definitions

    with use_plugins(*_modules(plugin)) as registry:
        return load_definitions(registry, Store(db) if db is not None else None, directory)


def leaderboard(plugin: Plugins, name: str, db: Path) -> list[Board]:
    """The boards of leaderboard `name` (a plugin's own definition, or a task's default) over `db`,
    as `harness leaderboard NAME` ranks them: one per task and dataset with finished runs."""
    from harness.leaderboard.ranking import build, load_definitions

    with use_plugins(*_modules(plugin)) as registry:
        store = Store(db)
        specs = load_definitions(registry, store)
        if name not in specs:
            raise KeyError(f"no leaderboard {name!r}; defined: {', '.join(sorted(specs))}")
        return build(store, specs[name], registry).boards


#: How a headless Chromium is started to look at the dashboard, as root on a machine without a
#: network: without the background-networking flags it keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serve_dashboard(env: Mapping[str, str], harness_bin: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Start `harness dashboard` on a free loopback port with `env`; yield its URL; stop it.

    Used by the browser tests and by `docs/screenshot.py`: a real server, as users start it.
    """
    import os
    import signal
    import socket
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    harness_bin = harness_bin or Path(sys.executable).parent / "harness"
    server = subprocess.Popen(
        [str(harness_bin), "dashboard", "--headless", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    output = server.stdout.read() if server.stdout else ""
                    raise RuntimeError(f"dashboard did not start:\n{output}") from None
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def invoke(*args: str, env: Mapping[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """`harness ARGS` run in this process, answered as `subprocess.run(..., text=True)` would.

    `env` is the whole environment of the call (default: this process's). No interpreter start-up
    and no re-import per call, so a CLI test costs milliseconds; each call starts from what a new
    process sees (plugin registry, plugin commands, warnings) and has no terminal: help wraps as on
    a pipe. An uncaught exception prints its traceback and exits 1, as a process would.
    """
    import os
    import sys
    import traceback

    from click import formatting
    from click.testing import CliRunner

    from harness.cli.app import fresh_state, main

    env = dict(os.environ if env is None else env)
    overrides: dict[str, str | None] = {key: None for key in os.environ if key not in env}
    overrides.update(env)
    width = formatting.FORCED_WIDTH
    with fresh_state(), CliRunner().isolation(input=input, env=overrides) as (stdout, stderr, _):
        # what click's help formatter measures on a pipe: 80 columns or $COLUMNS, less 2
        formatting.FORCED_WIDTH = max(min(int(env.get("COLUMNS") or 80), 80) - 2, 50)
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:  # what the interpreter makes of sys.exit's argument
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            formatting.FORCED_WIDTH = width
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return subprocess.CompletedProcess(["harness", *args], code, out, err)
