"""Re-scoring stored runs against computing them: `harness rescore` time as a fraction of `harness run`.

    python benchmarks/rescore.py [--demo | --untrained]

Fills a temporary home with runs, timing each `harness run` process: by default entity linking
as `make demo` runs it (the alias prior, and the pipeline, which trains from scratch); with
`--demo`, every run `make demo` makes, trainings included (about 14 minutes on a quiet 2-core
machine); with `--untrained`, the runs of `make demo` whose models do not train. Then
re-scores each task's runs with one `harness rescore --task T` process, times it, and checks that
every re-scored value, CI and version equals what the run stored. Prints, per task, the run time,
the re-score time and their ratio (both whole processes, start-up included), and each run's
stored compute time (`duration_s`) against its in-process re-score time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HARNESS = str(Path(sys.executable).parent / "harness")

ENTITY_LINKING = [["entity-linking", "alias-prior"], ["entity-linking", None]]
DEMO = [
    ["geometry", None],
    ["random-angles", "monte-carlo"],
    ["random-angles", "laplace"],
    ["independence", None],
    ["independence", "pearson"],
    ["nl2sql", "rules"],
    ["nl2sql", None],
    ["celeba-recon", "jpeg"],
    ["celeba-recon", None],
    *ENTITY_LINKING,
    ["titling", "lead"],
    ["titling", "l2r"],
    ["titling", "r2l"],
    ["titling", None],
]
TRAINED = {
    ("nl2sql", None),
    ("celeba-recon", None),
    ("entity-linking", None),
    ("titling", "l2r"),
    ("titling", "r2l"),
    ("titling", None),
}


def family(task: str) -> str:
    """The geometry tasks are timed together: `harness run --task geometry` runs all three."""
    return "geometry" if task in ("random-angles", "rope-curve", "ellipse-gluing") else task


def harness(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([HARNESS, *args], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"harness {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, result.stdout


def metrics_by_run(env: dict[str, str]) -> dict[str, dict]:
    _, out = harness(env, "runs", "--limit", "0", "--json")
    return {r["run_id"]: r["metrics"] for r in json.loads(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--demo", action="store_true", help="Every run `make demo` makes (trainings included).")
    chosen.add_argument("--untrained", action="store_true", help="The runs of `make demo` whose models do not train.")
    args = parser.parse_args()
    plan = DEMO if args.demo else [p for p in DEMO if tuple(p) not in TRAINED] if args.untrained else ENTITY_LINKING
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HARNESS_HOME": home, "HARNESS_DB": str(Path(home) / "bench.duckdb"), "HARNESS_PROGRESS": "0"}
        run_s: dict[str, float] = {}
        for task, model in plan:
            elapsed, _ = harness(env, "run", "--task", task, *(["--model", model] if model else []))
            run_s[family(task)] = run_s.get(family(task), 0.0) + elapsed
        stored = metrics_by_run(env)
        _, out = harness(env, "runs", "--limit", "0", "--json")
        runs = json.loads(out)
        tasks = sorted({r["task"] for r in runs})
        rescore_s: dict[str, float] = {}
        per_run: dict[str, float] = {}
        for task in tasks:
            elapsed, out = harness(env, "rescore", "--task", task, "--json")
            rescore_s[family(task)] = rescore_s.get(family(task), 0.0) + elapsed
            per_run.update({r["run_id"]: r["duration_s"] for r in json.loads(out)["runs"]})
        same = metrics_by_run(env) == stored
    print(f"{'task family':16} {'run s':>8} {'rescore s':>10} {'ratio':>7}   (whole processes, start-up included)")
    for name, seconds in run_s.items():
        again = rescore_s.get(name, 0.0)
        print(f"{name:16} {seconds:8.1f} {again:10.2f} {again / seconds:7.3f}")
    total_run, total_rescore = sum(run_s.values()), sum(rescore_s.values())
    print(f"{'all':16} {total_run:8.1f} {total_rescore:10.2f} {total_rescore / total_run:7.3f}")
    print(f"\n{'run':14} {'task · model':40} {'duration_s':>10} {'rescore s':>10} {'ratio':>7}   (in-process)")
    for r in runs:
        again, took = per_run.get(r["run_id"], float("nan")), r["duration_s"]
        print(f"{r['run_id']:14} {r['task'] + ' · ' + r['model']:40} {took:10.2f} {again:10.3f} {again / took:7.3f}")
    print(f"\nre-scored values, CIs and versions identical to the runs': {'yes' if same else 'NO'}; runs: {len(runs)}")


if __name__ == "__main__":
    main()
