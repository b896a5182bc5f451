"""What the store's own calls cost: creating a results database, opening one to read, a query, a
write transaction. Every command makes several of these, and a test suite thousands.

    python benchmarks/store_calls.py [--repeat 200]

Prints CPU time per call (median of 5 rounds of --repeat calls) against two peers measured in
the same run: DuckDB opening and closing the same file itself (`duckdb.connect(path)`), and a
`SELECT 1` on a connection already open.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from harness.store import Store


def per_call(fn: Callable[[int], object], repeat: int, rounds: int = 5) -> float:
    """Median CPU seconds per call over `rounds` rounds of `repeat` calls."""
    results = []
    for r in range(rounds):
        start = time.process_time()
        for i in range(repeat):
            fn(r * repeat + i)
        results.append((time.process_time() - start) / repeat)
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="store-calls-"))
    store = Store(folder / "results.duckdb")
    store.init()
    path = str(store.path)

    def bare_open(_: int) -> None:
        duckdb.connect(path, read_only=True).close()

    def create(i: int) -> None:
        Store(folder / f"new-{i}.duckdb").init()

    def read(_: int) -> None:
        with store.connect(read_only=True):
            pass

    def transaction(_: int) -> None:
        with store.transaction() as con:
            con.execute("SELECT 1")

    with duckdb.connect(path, read_only=True) as open_con:
        select_1 = per_call(lambda _: open_con.execute("SELECT 1").fetchall(), args.repeat)
    peer = per_call(bare_open, args.repeat)
    rows = [
        ("create a results database (Store(new).init())", per_call(create, max(1, args.repeat // 4))),
        ("open it to read (Store.connect(read_only=True))", per_call(read, args.repeat)),
        ("a query (Store.query, count of runs)", per_call(lambda _: store.query("SELECT count(*) FROM runs"), args.repeat)),
        ("an empty write transaction (Store.transaction)", per_call(transaction, args.repeat)),
    ]
    print(f"peers (CPU per call): DuckDB's own open + close {peer * 1e3:.2f} ms; SELECT 1 {select_1 * 1e3:.2f} ms")
    for label, seconds in rows:
        print(f"{label:50s} {seconds * 1e3:6.2f} ms  {seconds / peer:5.2f}x the bare open  {seconds / select_1:6.1f}x SELECT 1")


if __name__ == "__main__":
    main()
