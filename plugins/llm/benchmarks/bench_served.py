"""What `openai-chat` costs around the requests themselves, and what its caches save.

Starts the tests' OpenAI-compatible server (tests/fake_openai.py, a real process on 127.0.0.1)
answering each request after LATENCY seconds, as a served model would, and runs the titling task's
first N test samples through the harness in this process:

- fresh, concurrency 1 and 8 (`--no-cache`: every request is sent), against the peer: the same N
  requests sent one after another by a bare `openai` client loop, no harness;
- recomputed (`--overwrite`): every answer from the request cache, no request sent;
- repeated: the stored run returned (no request, no scoring).

    .venv/bin/python plugins/llm/benchmarks/bench_served.py [N] [LATENCY]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    latency = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    scratch = Path(tempfile.mkdtemp())
    os.environ.update(HARNESS_HOME=str(scratch / "home"), HARNESS_DB=str(scratch / "db.duckdb"), HARNESS_PROGRESS="0")
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HARNESS_LOAD_PLUGINS="llm,titling")
    server = subprocess.Popen([sys.executable, str(TESTS / "fake_openai.py")], stdout=subprocess.PIPE, text=True)
    root = "http://127.0.0.1:" + server.stdout.readline().split()[1]
    config = {"models": ["tiny-chat"], "key": None, "faults": [], "latency": latency}
    urllib.request.urlopen(urllib.request.Request(root + "/_config", json.dumps(config).encode()), timeout=10).read()

    def chats() -> int:
        return int(json.loads(urllib.request.urlopen(root + "/_stats", timeout=10).read())["chat"])

    from harness.testing import invoke

    base = ["run", "--task", "titling", "--model", "openai-chat", "--model-arg", f"base_url={root}/v1"]
    base += ["--model-arg", "model=tiny-chat", "--limit", str(n), "--json"]

    def timed(label: str, *extra: str) -> float:
        before, start = chats(), time.perf_counter()
        result = invoke(*base, *extra)  # the CLI in this process: no interpreter start-up in the figure
        took = time.perf_counter() - start
        run = json.loads(result.stdout)
        rouge = run["metrics"]["titling-rouge-l"]["value"]
        print(f"{label:<44} {took:7.2f} s  {chats() - before:4d} requests  ROUGE-L {rouge:.4f}")
        return took

    invoke(*base[:-3], "--limit", "2")  # imports and the embedded data, outside the figures
    one = timed("fresh, concurrency 1 (--no-cache)", "--model-arg", "concurrency=1", "--no-cache")
    eight = timed("fresh, concurrency 8 (--no-cache)", "--model-arg", "concurrency=8", "--no-cache")
    cached = timed("recomputed, answers from the request cache", "--model-arg", "concurrency=8", "--overwrite")
    stored = timed("repeated: the stored run", "--model-arg", "concurrency=8")

    import openai
    from harness_titling.task import TitlingTask
    from harness_titling.text import TitlingText

    client = openai.OpenAI(base_url=root + "/v1", api_key="no-key", max_retries=0)
    task, text = TitlingTask(), TitlingText()
    rows = task.load("test")[:n]
    start = time.perf_counter()
    for row in rows:
        messages = text.messages(task.input(row))
        client.chat.completions.create(model="tiny-chat", messages=messages, temperature=0.0, max_tokens=256)
    peer = time.perf_counter() - start
    print(f"{'peer: bare openai client loop, sequential':<44} {peer:7.2f} s  {n:4d} requests")
    print(
        f"ratios to the peer: concurrency 1 {one / peer:.2f}x, concurrency 8 {eight / peer:.2f}x, "
        f"request cache {cached / peer:.2f}x, stored run {stored / peer:.3f}x"
    )
    server.terminate()
    server.wait(timeout=10)


if __name__ == "__main__":
    main()
