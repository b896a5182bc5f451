"""Dashboard pages while a sweep writes: each page's render time (p50, p95, max) beside the same page
on the same database with nothing writing, and how many renders failed.

    python benchmarks/dashboard_under_load.py [--runs 1000] [--renders 20]

A sweep's driver writes a transaction every half second or so, and DuckDB lets one process hold
the file at a time, so a page read waits for the write in progress (the store retries its open).
Builds a database with a first sweep of `--runs / 10` trivial runs, then renders the Leaderboards,
Runs and Sweeps pages (Streamlit's AppTest: the app's own script, headless, over the real DuckDB
file) round-robin while `harness sweep` of `--runs` trivial runs on `processes` (2 workers)
writes into the same file, and `--renders` times each once the sweep has finished (idle, with
the database at its final size, so the comparison does not flatter the loaded case). A render
that raises or shows an error (a read that gave up waiting) counts as failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = str(HERE.parent / "app.py")
PAGES = ("Leaderboards", "Runs", "Sweeps")


def sweep(env: dict[str, str], first_k: int, count: int) -> subprocess.Popen:
    """`harness sweep` of `count` trivial runs (tiny/copy; model argument k from `first_k`, 10 seeds)."""
    ks = ",".join(str(k) for k in range(first_k, first_k + count // 10))
    command = [sys.executable, "-m", "harness", "sweep", "-t", "tiny", "-m", "copy", "-a", f"k={ks}", "--seeds", "0-9"]
    return subprocess.Popen(
        [*command, "-e", "processes", "-w", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def render(page: str) -> tuple[float, bool]:
    """Seconds to render `page` in a fresh session, and whether it rendered without an error."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["page"] = page
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started, not at.exception and not at.error


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def report(label: str, times: dict[str, list[float]], failed: int) -> dict[str, float]:
    figures = {}
    for page in PAGES:
        values = times[page]
        figures[page] = p95(values)
        print(
            f"  {label:6} {page:12} n={len(values):3}  p50 {statistics.median(values) * 1000:7.0f} ms"
            f"  p95 {figures[page] * 1000:7.0f} ms  max {max(values) * 1000:7.0f} ms"
        )
    print(f"  {label:6} failed renders: {failed}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-load-"))
    os.environ.update(
        {
            "HARNESS_HOME": str(folder / "home"),
            "HARNESS_DB": str(folder / "results.duckdb"),
            "HARNESS_LOAD_PLUGINS": "",
            "HARNESS_PLUGINS": "tiny_plugin",
            "HARNESS_PROGRESS": "0",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        }
    )
    sys.path.insert(0, str(HERE))
    logging.disable(logging.WARNING)  # AppTest outside a server warns of a missing ScriptRunContext, per render
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    first = sweep(dict(os.environ), 0, max(10, args.runs // 10))
    assert first.wait() == 0, first.stderr.read() if first.stderr else ""
    render("Leaderboards")  # imports and caches: not part of either figure

    print(f"\nrendering while a sweep of {args.runs} runs writes (processes, 2 workers):")
    writer = sweep(dict(os.environ), 10_000, args.runs)
    started = time.perf_counter()
    busy: dict[str, list[float]] = {page: [] for page in PAGES}
    busy_failed = 0
    while writer.poll() is None:
        for page in PAGES:
            seconds, ok = render(page)
            if writer.poll() is None:  # only renders the sweep's writes overlapped whole
                busy[page].append(seconds)
                busy_failed += not ok
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    print(f"  (the sweep took {time.perf_counter() - started:.1f} s)")
    if not all(busy.values()):
        sys.exit("the sweep ended before every page was rendered during it: raise --runs")
    loaded = report("loaded", busy, busy_failed)

    print(f"\nrendering on the same database, idle ({args.renders} renders per page):")
    idle: dict[str, list[float]] = {page: [] for page in PAGES}
    idle_failed = 0
    for _ in range(args.renders):
        for page in PAGES:
            seconds, ok = render(page)
            idle[page].append(seconds)
            idle_failed += not ok
    quiet = report("idle", idle, idle_failed)

    print("\np95 while the sweep writes / p95 idle:")
    for page in PAGES:
        print(f"  {page:12} {loaded[page] / quiet[page]:.2f}x")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
