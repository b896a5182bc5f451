"""What each dashboard page asks of DuckDB, at 1,000 runs and 1,000,000 sample rows.

    python benchmarks/dashboard_queries.py [--runs 1000] [--samples-per-run 1000] [--repeat 5]

Builds a synthetic results database of that size (bulk SQL, about a minute), then times the
store calls behind each page (median of --repeat) and prints each against a peer measured in
the same run: reading a whole run's samples, which is what a page that "loads everything"
would do instead of one page of them.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.leaderboard.compare import compare
from harness.leaderboard.ranking import paired_p, rank, scores_by_sample
from harness.plugins.registry import Registry, use_plugins
from harness.store import Store

TASKS = ["nl2sql", "independence", "rope-curve", "random-angles", "titling"]


def build(path: Path, runs: int, per_run: int) -> Store:
    store = Store(path)
    store.init()
    with store.transaction() as con:
        con.execute(
            f"""
            INSERT INTO runs BY NAME SELECT
                printf('%012x', i) AS run_id, list_extract(?, 1 + i % 5) AS task, '1' AS task_version,
                'model-' || (i // 5 % 20) AS model, '{{"size": ' || (i // 100) || '}}' AS model_config,
                'synth-v1' AS dataset, 'test' AS split, 'f' AS data_fingerprint, i // 100 AS seed,
                printf('key%012x', i) AS run_key,
                CASE WHEN i % 50 = 7 THEN 'failed' ELSE 'finished' END AS status,
                CASE WHEN i % 50 = 7 THEN 'RuntimeError: out of memory' END AS error,
                TIMESTAMP '2026-01-01' + to_minutes(i) AS started_at,
                TIMESTAMP '2026-01-01' + to_minutes(i) + to_seconds(30) AS finished_at, 30.0 AS duration_s,
                {per_run} AS n_samples, '0.1.0' AS harness_version, 'bench' AS plugin, '0' AS plugin_version,
                'bench' AS model_plugin, '0' AS model_plugin_version, '{{}}' AS packages
            FROM range({runs}) t(i)""",
            [TASKS],
        )
        con.execute("""
            INSERT INTO metrics (run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary, version)
            SELECT run_id, 'accuracy', 0.5 + (hash(run_id) % 400) / 1000.0, NULL, NULL, true, true, '1'
            FROM runs WHERE status = 'finished'""")
        con.execute(f"""
            INSERT INTO samples BY NAME SELECT
                printf('%012x', r) AS run_id, printf('s%06d', s) AS sample_id, s AS idx,
                '{{"question": "第' || s || '个问题：北京的人口是多少？", "table": "t' || (s % 97) || '"}}' AS input,
                '"' || (hash(r, s) % 3) || '"' AS prediction, '"' || (s % 3) || '"' AS reference,
                '{{"accuracy": ' || CASE WHEN hash(r, s) % 3 = s % 3 THEN 1 ELSE 0 END || '}}' AS scores,
                '{{"accuracy": "1"}}' AS versions
            FROM range({runs}) a(r), range({per_run}) b(s)""")
    return store


def pair_by_pair(store: Store, task: str, registry: Registry) -> list[float | None]:
    """The ranking's p-values the way they were computed before vectorising: a per-sample JSON read
    and one bootstrap per adjacent pair. The peer of the vectorised ranking, checked equal below."""
    (board,) = rank(store, task, registry=registry, significance=False)
    ids = [s.run_id for s in board.standings]
    scores = scores_by_sample(store, ids, board.metric)
    return [paired_p(None, board.metric, scores.get(a, {}), scores.get(b, {}))[0] for a, b in itertools.pairwise(ids)]


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--samples-per-run", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, use_plugins() as registry:
        start = time.perf_counter()
        store = build(Path(tmp) / "bench.duckdb", args.runs, args.samples_per_run)
        built = time.perf_counter() - start
        counts = store.counts()
        size_mb = store.path.stat().st_size / 2**20
        print(
            f"database: {counts['runs']:,} runs, {counts['samples']:,} sample rows, {size_mb:.0f} MiB (built in {built:.1f} s)\n"
        )
        run_a, run_b = f"{10:012x}", f"{15:012x}"  # same task, different models
        peer = timed(lambda: store.samples(run_a), args.repeat)
        ranked_rows = len(rank(store, "nl2sql", registry=registry)[0].standings)
        checks: dict[str, Callable[[], object]] = {
            "Runs: count + first page of 50": lambda: (store.count_runs(), store.runs(limit=50)),
            "Runs: filtered (task, status, dates)": lambda: (
                store.count_runs(task=["nl2sql"], status=["failed"]),
                store.runs(task=["nl2sql"], status=["failed"], limit=50),
            ),
            f"Leaderboard: rank 1 task ({ranked_rows} rows, p-values, groups)": lambda: rank(store, "nl2sql", registry=registry),
            "Run detail: run + metrics": lambda: store.get_run(run_a),
            "Run detail: count + page of 25 samples": lambda: (
                store.count_samples(run_a),
                store.samples(run_a, limit=25, offset=500),
            ),
            "Run detail: search samples + page": lambda: (
                store.count_samples(run_a, "第42个"),
                store.samples(run_a, limit=25, search="第42个"),
            ),
            "Compare: two runs, all differing samples": lambda: compare(store, run_a, run_b, limit=None),
        }
        (ranked,) = rank(store, "nl2sql", registry=registry)
        same = [s.p_next for s in ranked.standings[:-1]] == pair_by_pair(store, "nl2sql", registry)
        checks["Leaderboard: the same p-values pair by pair (before)"] = lambda: pair_by_pair(store, "nl2sql", registry)
        width = max(map(len, checks)) + 2
        print(f"{'page query':<{width}}{'median s':>10}{'vs whole run':>14}")
        print(f"{'peer: read one whole run (' + str(args.samples_per_run) + ' samples)':<{width}}{peer:>10.4f}{1:>13.2f}x")
        for name, fn in checks.items():
            seconds = timed(fn, args.repeat)
            print(f"{name:<{width}}{seconds:>10.4f}{seconds / peer:>13.2f}x")
        print(f"\nvectorised ranking gives the pair-by-pair p-values exactly: {same}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
