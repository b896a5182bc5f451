"""Start-up time of the CLI's listing commands against peers measured in the same run.

    python benchmarks/startup.py [--repeat N]

Prints the median wall time of each command over N runs and its ratio to a bare
`python -c pass` (the floor) and to `python -c "import torch"` (what a careless import costs).
The last row is a cached re-run: `harness run` of a run already stored (primed once first, in a
temporary home), which must answer from the store without regenerating the embedded data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "python -c 'import torch' (peer)": [sys.executable, "-c", "import torch"],
    "python -c 'import evaluate' (peer)": [sys.executable, "-c", "import evaluate"],
    "harness --help": [str(BIN / "harness"), "--help"],
    "harness tasks --json": [str(BIN / "harness"), "tasks", "--json"],
    "harness models --json": [str(BIN / "harness"), "models", "--json"],
    "harness plugins --json": [str(BIN / "harness"), "plugins", "--json"],
}


CACHED = [str(BIN / "harness"), "run", "--task", "random-angles", "--model", "laplace"]


def measure(command: list[str], repeat: int, env: dict[str, str] | None = None) -> float | None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            return None
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = {name: measure(command, args.repeat) for name, command in COMMANDS.items()}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HARNESS_HOME": home, "HARNESS_DB": str(Path(home) / "bench.duckdb")}
        primed = subprocess.run(CACHED, capture_output=True, env=env).returncode == 0
        results["harness run (cached re-run)"] = measure(CACHED, args.repeat, env) if primed else None
    floor = results["python -c pass (floor)"]
    torch = results["python -c 'import torch' (peer)"]
    print(f"{'command':38} {'median s':>9} {'x floor':>8} {'x torch':>8}   (median of {args.repeat})")
    for name, seconds in results.items():
        if seconds is None:
            print(f"{name:38} {'n/a (not installed or failed)':>27}")
            continue
        print(f"{name:38} {seconds:9.3f} {seconds / floor:8.1f} {seconds / torch if torch else float('nan'):8.2f}")


if __name__ == "__main__":
    main()
