"""Sweep executors against each other, and the ceiling of the single writer.

    python benchmarks/sweep.py [--runs 24] [--draws 2000] [--tiny 2000]

1. One sweep of `--runs` small real runs (random-angles, monte-carlo with `--draws` draws per
   dimension, over draws values x seeds) with `local`, `processes` (2 workers) and `ray` (a
   2-CPU local Ray started by the sweep): wall time, speed-up over local, executor start-up.
2. Overhead per run: the same three executors on 200 runs of a trivial model (ten samples,
   nothing to compute), (wall - plan - start-up) / runs.
3. The writer's ceiling: a sweep of `--tiny` trivial runs on `processes`; how many finished runs
   per second the driver's writes absorb (runs / time spent writing), beside the end-to-end rate.

Every sweep gets a fresh database and harness home; the results of the three executors in
part 1 are checked to be identical.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sweep(executor: str, spec, workers: int | None = None):
    import duckdb

    from harness.plugins.registry import load_registry
    from harness.store import Store
    from harness.sweep.driver import run_sweep

    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    os.environ["HARNESS_HOME"] = str(folder / "home")
    db = folder / "results.duckdb"
    report = run_sweep(load_registry(), Store(db), spec, executor, workers=workers)
    assert report.status == "finished", report.as_json()["failures"]
    with duckdb.connect(str(db), read_only=True) as con:
        metrics = con.execute(
            "SELECT r.run_key, m.metric, m.value, m.ci_low, m.ci_high FROM runs r JOIN metrics m USING (run_id) ORDER BY ALL"
        ).fetchall()
    return report, metrics


def writer_alone(n: int, batch: int) -> float:
    """Runs/s that `write_result` + `import_runs` (what the driver does per flush) absorb."""
    import shutil
    import time

    from harness.plugins.registry import load_registry
    from harness.runner.run import Runner, RunRequest
    from harness.store import Store
    from harness.store.transfer import import_runs
    from harness.sweep.worker import Job, execute, write_result

    folder = Path(tempfile.mkdtemp(prefix="bench-writer-"))
    os.environ["HARNESS_HOME"] = str(folder / "home")
    registry, store = load_registry(), Store(folder / "results.duckdb")
    store.init()
    results = []
    for k in range(n):
        request = RunRequest(task="tiny", model="copy", model_args={"k": str(k)})
        prepared = Runner(registry, store).prepare(request)
        results.append(execute(Job(request, prepared.run_key, "bench", str(k)), registry=registry))
    start = time.perf_counter()
    for first in range(0, n, batch):
        directories = [write_result(r, folder / "staging" / str(first + i)) for i, r in enumerate(results[first : first + batch])]
        import_runs(store, directories)
        for directory in directories:
            shutil.rmtree(directory)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--tiny", type=int, default=2000)
    args = parser.parse_args()
    os.environ.update(
        {
            "HARNESS_LOAD_PLUGINS": "geometry",
            "HARNESS_PLUGINS": "tiny_plugin",
            "HARNESS_PROGRESS": "0",
            "HF_HUB_OFFLINE": "1",
            "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled"),
        }
    )
    # spawned workers get sys.path from the driver; Ray's workers need PYTHONPATH for tiny_plugin
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(HERE))
    from harness.sweep.spec import SweepSpec

    print(
        f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} ({os.cpu_count()} CPUs)"
    )
    values = 3
    seeds = max(1, args.runs // values)
    real = SweepSpec(
        tasks=["random-angles"],
        models=["monte-carlo"],
        model_args={"draws": [str(args.draws * (i + 1)) for i in range(values)]},
        seeds=list(range(seeds)),
    )
    print(f"\n1. {values * seeds} random-angles runs (monte-carlo, draws {args.draws}..{args.draws * values}, {seeds} seeds)")
    results = {}
    for executor, workers in (("local", None), ("processes", 2), ("ray", 2)):
        report, metrics = sweep(executor, real, workers)
        results[executor] = (report, metrics)
        compute = sum(r.duration_s or 0 for r in report.runs)
        print(
            f"  {executor:10} wall {report.wall_s:6.2f} s  (plan {report.plan_s:.2f} s, executor start {report.start_s:.2f} s,"
            f" sum of run durations {compute:.1f} s, writes {report.write_s:.2f} s in {report.writes})"
        )
    base = results["local"][0].wall_s
    for executor in ("processes", "ray"):
        report, metrics = results[executor]
        same = "identical results" if metrics == results["local"][1] else "RESULTS DIFFER"
        print(
            f"  {executor} speed-up over local: {base / report.wall_s:.2f}x; excluding its start-up: "
            f"{base / (report.wall_s - report.start_s):.2f}x ({same})"
        )

    print("\n2. per-run overhead: 200 trivial runs (10 samples each)")
    trivial = SweepSpec(tasks=["tiny"], models=["copy"], model_args={"k": [str(k) for k in range(20)]}, seeds=list(range(10)))
    for executor, workers in (("local", None), ("processes", 2), ("ray", 2)):
        report, _ = sweep(executor, trivial, workers)
        per_run = (report.wall_s - report.plan_s - report.start_s) / len(report.runs)
        print(
            f"  {executor:10} {per_run * 1000:6.1f} ms per run (wall {report.wall_s:.2f} s, plan {report.plan_s:.2f} s,"
            f" start {report.start_s:.2f} s)"
        )

    n_k = max(1, args.tiny // 10)
    print(f"\n3. the single writer: {n_k * 10} trivial runs on processes (2 workers)")
    many = SweepSpec(tasks=["tiny"], models=["copy"], model_args={"k": [str(k) for k in range(n_k)]}, seeds=list(range(10)))
    report, _ = sweep("processes", many, 2)
    n = len(report.runs)
    run_phase = report.wall_s - report.plan_s - report.start_s
    print(
        f"  wall {report.wall_s:.1f} s: plan {report.plan_s:.1f} s, runs {run_phase:.1f} s "
        f"({n / run_phase:.0f} runs/s end to end); the driver wrote for {report.write_s:.2f} s in {report.writes} "
        f"transactions ({n / report.writes:.0f} runs each)"
    )
    print(f"  writer ceiling: {n / report.write_s:.0f} finished runs/s ({report.write_s / n * 1000:.2f} ms per run written)")
    print("\n4. the writer alone (no workers competing for the CPU): 1000 trivial runs computed first, then")
    for batch in (1, 50, 200):
        rate = writer_alone(1000 if batch > 1 else 200, batch)
        print(f"  written in transactions of {batch:3} runs: {rate:5.0f} finished runs/s")
    print(f"\nload average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
