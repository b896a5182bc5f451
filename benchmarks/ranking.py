"""Ranking a 200-row board with tie groups, rank intervals and the MDE, against ranking it without.

    python benchmarks/ranking.py [--runs 1000] [--samples-per-run 1000] [--repeat 5]

Uses the synthetic database of `benchmarks/dashboard_queries.py` (its nl2sql task has one run per
model+config: 200 rows of 1,000 samples) and times, median of --repeat, in the same process:
`rank(..., groups=False)` (the ranking with "vs next" p-values only: the peer) and `rank(...)`
(the same plus groups, rank intervals and the MDE, from one joint bootstrap), then the Holm matrix
of every pair that the dashboard's pairwise page and `--json` add on demand. Twice: on the
database as built (every run's scores are the same coin, so the board is one tie group: the
walk's cheapest case), then with each run's accuracy its own, 0.3 to 0.7 (many groups).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dashboard_queries import build, timed

from harness.leaderboard.ranking import rank
from harness.plugins.registry import Registry, use_plugins
from harness.store import Store


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
        measure(store, registry, args.repeat, "scores that do not depend on the model (one tie group)")
        spread(store)
        measure(store, registry, args.repeat, "accuracy 0.3-0.7 by model+config (many groups)")


def spread(store: Store) -> None:
    """Make each run's accuracy its own (0.3 to 0.7 by a hash of the run id), stored values to match."""
    with store.transaction() as con:
        con.execute("""
            UPDATE samples SET scores = '{"accuracy": '
                || CASE WHEN hash(run_id, sample_id) % 1000 < 300 + hash(run_id) % 400 THEN 1 ELSE 0 END || '}'""")
        con.execute("""
            UPDATE metrics SET value = s.mean FROM (
                SELECT run_id, avg(CAST(json_extract(scores, '$.accuracy') AS DOUBLE)) AS mean FROM samples GROUP BY run_id
            ) s WHERE metrics.run_id = s.run_id""")


def measure(store: Store, registry: Registry, repeat: int, what: str) -> None:
    (board,) = rank(store, "nl2sql", registry=registry)  # warm: imports, DuckDB's caches
    rank(store, "nl2sql", registry=registry, groups=False)
    before = timed(lambda: rank(store, "nl2sql", registry=registry, groups=False), repeat)
    after = timed(lambda: rank(store, "nl2sql", registry=registry), repeat)
    groups = len({s.group for s in board.standings})
    widest = max(hi - lo for lo, hi in (s.rank_interval or (0, 0) for s in board.standings))
    rows = len(board.standings)
    print(f"\n{what}: {rows} rows, {groups} groups, widest rank interval {widest + 1} ranks, MDE {board.mde:.4f}")
    print(f"{'ranking':<52}{'median s':>10}{'ratio':>8}")
    print(f"{'peer: p-values vs next only (groups=False)':<52}{before:>10.4f}{1:>7.2f}x")
    print(f"{'with groups, rank intervals, MDE (the default)':<52}{after:>10.4f}{after / before:>7.2f}x")
    matrix = timed(board.pairwise_p, repeat)
    print(f"{'+ the Holm pairwise matrix (dashboard, --json)':<52}{matrix:>10.4f}{matrix / before:>7.2f}x")


if __name__ == "__main__":
    main()
