"""A real OpenAI-compatible server process for the tests (fake_openai.py), one per test session,
reconfigured by each test that uses it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # llm_toy, loaded by name through HARNESS_PLUGINS; appended, so that the
    sys.path.append(str(HERE))  # suite's own `conftest` (tests/, on pythonpath) stays the one imported by name


class FakeServer:
    def __init__(self, port: int) -> None:
        self.root = f"http://127.0.0.1:{port}"
        self.url = f"{self.root}/v1"

    def _call(self, path: str, body: object | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.root + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def configure(self, models=("tiny-chat",), key=None, faults=(), delay=2.0, answers=()) -> None:
        """Set what the server lists, the key it wants (None: any), the faults it injects and the answers it
        scripts ({"match": text in the last user message, "text": completion}); zero its counts."""
        config = {"models": list(models), "key": key, "faults": [dict(f) for f in faults], "delay": delay}
        self._call("/_config", {**config, "answers": [dict(a) for a in answers]})

    def stats(self) -> dict:
        return self._call("/_stats")


@pytest.fixture(scope="session")
def _server_process():
    process = subprocess.Popen(
        [sys.executable, str(HERE / "fake_openai.py")], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    line = process.stdout.readline()
    assert line.startswith("PORT "), line
    yield FakeServer(int(line.split()[1]))
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def server(_server_process) -> FakeServer:
    _server_process.configure()
    return _server_process


@pytest.fixture
def cli(tmp_path):
    """`harness ARGS` in this process with the llm plugin and the toy tasks loaded, no key set."""
    import os

    from harness.testing import invoke

    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(HARNESS_LOAD_PLUGINS="llm", HARNESS_PLUGINS="llm_toy", HARNESS_DB=str(tmp_path / "results.duckdb"))

    def call(*args: str, env_extra: dict | None = None):
        return invoke(*args, env={**env, **(env_extra or {})})

    call.env = env
    return call
