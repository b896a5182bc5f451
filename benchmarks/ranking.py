"""Ranking a 200-row board with tie groups, rank intervals and the MDE, against ranking it without.

    python benchmarks/ranking.py [--runs 1000] [--samples-per-run 1000] [--repeat 5]

Uses the synthetic database of `benchmarks/dashboard_queries.py` (its nl2sql task has one run per
model+config: 200 rows of 1,000 samples) and times, median of --repeat, in the same process:
`rank(..., groups=False)` (the ranking with "vs next" p-values only: the peer) and `rank(...)`
(the same plus groups, rank intervals and the MDE, from one joint bootstrap), then the Holm matrix
of every pair that the dashboard's pairwise page and `--json` add on demand.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dashboard_queries import build, timed

from harness.leaderboard.ranking import rank
from harness.plugins.registry import use_plugins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--samples-per-run", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, use_plugins() as registry:
        start = time.perf_counter()
        store = build(Path(tmp) / "bench.duckdb", args.runs, args.samples_per_run)
        print(f"database built in {time.perf_counter() - start:.1f} s")
        (board,) = rank(store, "nl2sql", registry=registry)  # warm: imports, DuckDB's caches
        rank(store, "nl2sql", registry=registry, groups=False)
        before = timed(lambda: rank(store, "nl2sql", registry=registry, groups=False), args.repeat)
        after = timed(lambda: rank(store, "nl2sql", registry=registry), args.repeat)
        groups = len({s.group for s in board.standings})
        widest = max(hi - lo for lo, hi in (s.rank_interval or (0, 0) for s in board.standings))
        rows = len(board.standings)
        print(f"board: {rows} rows, {groups} groups, widest rank interval {widest + 1} ranks, MDE {board.mde:.4f}")
        print(f"{'ranking':<52}{'median s':>10}{'ratio':>8}")
        print(f"{'peer: p-values vs next only (groups=False)':<52}{before:>10.4f}{1:>7.2f}x")
        print(f"{'with groups, rank intervals, MDE (the default)':<52}{after:>10.4f}{after / before:>7.2f}x")
        matrix = timed(board.pairwise_p, args.repeat)
        print(f"{'+ the Holm pairwise matrix (dashboard, --json)':<52}{matrix:>10.4f}{matrix / before:>7.2f}x")
        print("  (every pair: also the cost of the walk's worst case, where each row is its own group)")


if __name__ == "__main__":
    main()
