"""Helpers for testing plugins: isolation from the user's setup, and running a task in-process.

A plugin's `tests/conftest.py` enables the isolation for every test with one line:

    from harness.testing import harness_isolation  # noqa: F401  (an autouse fixture)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from harness.plugins import use_plugins
from harness.runner import Runner, RunOutcome, RunRequest
from harness.store import Store


@pytest.fixture(autouse=True)
def harness_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own harness home and database, offline, with no installed plugins loaded."""
    from harness.plugins import set_registry

    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "harness-home"))
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "results.duckdb"))
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", "")
    monkeypatch.delenv("HARNESS_PLUGINS", raising=False)
    monkeypatch.delenv("HARNESS_STRICT_PLUGINS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    set_registry(None)
    yield
    set_registry(None)


def run_plugin(
    plugin: ModuleType,
    task: str,
    db: Path,
    model: str | None = None,
    model_args: Mapping[str, str] | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    data_dir: Path | None = None,
    overwrite: bool = False,
) -> RunOutcome:
    """Run `task` with only `plugin` (and the built-ins) loaded, ignoring installed plugins."""
    with use_plugins(plugin) as registry:
        request = RunRequest(task=task, model=model, model_args=dict(model_args or {}), split=split,
                             limit=limit, seed=seed, data_dir=data_dir, overwrite=overwrite)
        return Runner(registry, Store(db)).run(request)


@contextmanager
def serve_dashboard(env: Mapping[str, str], harness_bin: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Start `harness dashboard` on a free loopback port with `env`; yield its URL; stop it.

    Used by the browser tests and by `docs/screenshot.py`: a real server, as users start it.
    """
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    harness_bin = harness_bin or Path(sys.executable).parent / "harness"
    server = subprocess.Popen(
        [str(harness_bin), "dashboard", "--headless", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
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
                    raise RuntimeError(f"dashboard did not start:\n{server.stdout.read()}") from None
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
