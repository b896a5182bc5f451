"""What logging to MLflow adds to one `harness run`, against the same run without the plugin.

Runs the real CLI on the tests' parity task (60 samples, so the run itself is near-instant and
the difference is the plugin's cost): MLflow's import, opening the store, and logging. The first
logging run also creates the SQLite store (MLflow's schema migrations). Prints medians of
REPEATS runs each and the ratio.

    .venv/bin/python plugins/mlflow/benchmarks/bench_overhead.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5
TESTS = Path(__file__).resolve().parents[1] / "tests"
HARNESS = Path(sys.executable).parent / "harness"


def timed_run(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(HARNESS), "run", "--task", "parity", "--overwrite"], env=env, check=True, capture_output=True, timeout=300
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "MLFLOW_"))}
        base.update(
            HARNESS_HOME=f"{tmp}/home", HARNESS_DB=f"{tmp}/results.duckdb", HARNESS_PLUGINS="mlflow_toy", PYTHONPATH=str(TESTS)
        )
        without = {**base, "HARNESS_LOAD_PLUGINS": ""}
        with_mlflow = {**base, "HARNESS_LOAD_PLUGINS": "mlflow"}
        timed_run(without)  # warm the results database and the OS file cache
        first = timed_run(with_mlflow)
        plain = statistics.median(timed_run(without) for _ in range(REPEATS))
        logged = statistics.median(timed_run(with_mlflow) for _ in range(REPEATS))
    print(f"harness run without the plugin: {plain:.2f} s (median of {REPEATS})")
    print(f"harness run logging to MLflow:  {logged:.2f} s (median of {REPEATS}); +{logged - plain:.2f} s, {logged / plain:.2f}x")
    print(f"first logging run (creates the SQLite store): {first:.2f} s")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
