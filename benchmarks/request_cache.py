"""Storing a batch of served-model answers in the request cache: the store's one-statement insert
against DuckDB's row-by-row `executemany` of the same rows, measured in the same run.

    python benchmarks/request_cache.py [--answers N]

Prints the CPU seconds of each way for N new answers and for the same N asked again (replaced),
and their ratio, on a fresh temporary database each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from harness.records import to_json
from harness.store import Store
from harness.store.schema import utcnow


def answers(n: int, text: str) -> list[dict]:
    return [
        {
            "key": f"key-{i}",
            "endpoint": "http://127.0.0.1:8000/v1",
            "model": "served",
            "request": {"messages": [{"role": "user", "content": f"question {i} " * 8}], "temperature": 0},
            "answer": {"text": f"{text} {i}"},
        }
        for i in range(n)
    ]


def row_by_row(store: Store, entries: list[dict]) -> None:
    now = utcnow()
    values = [[e["key"], e["endpoint"], e["model"], to_json(e["request"]), to_json(e["answer"]), now] for e in entries]
    with store.transaction() as con:
        con.executemany("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?)", values)


def cpu(store_them, entries: list[dict]) -> float:
    start = time.process_time()
    store_them(entries)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    n = parser.parse_args().answers
    with tempfile.TemporaryDirectory() as tmp:
        stores = {way: Store(Path(tmp) / f"{way}.duckdb") for way in ("store", "executemany")}
        for store in stores.values():
            store.init()
        stores["store"].cache_answers(answers(1, "warm-up"))  # pyarrow's import, paid once per process
        ways = {"store": stores["store"].cache_answers, "executemany": lambda e: row_by_row(stores["executemany"], e)}
        print(f"{'':>12} {'new':>9} {'replaced':>9}   ({n} answers, CPU seconds)")
        figures = {}
        for way, store_them in ways.items():
            figures[way] = (cpu(store_them, answers(n, "first")), cpu(store_them, answers(n, "again")))
            print(f"{way:>12} {figures[way][0]:9.3f} {figures[way][1]:9.3f}")
        for i, label in enumerate(("new", "replaced")):
            print(f"executemany / store, {label}: {figures['executemany'][i] / figures['store'][i]:.0f}x")


if __name__ == "__main__":
    main()
