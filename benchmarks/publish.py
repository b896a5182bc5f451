"""`harness publish` on a results database: time, files and size of the site.

    python benchmarks/publish.py --db PATH [--repeat 3]

Publishes the database (e.g. the one `make demo` fills) into a temporary folder --repeat times and
prints the median time, the site's size and file count, and the same against two peers measured
in the same run: ranking every board (what `harness leaderboard --json` computes; the site adds
no ranking of its own) and reading every sample of the published runs from the store (the floor
of any export of them).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from harness.leaderboard.ranking import build, load_definitions
from harness.plugins.registry import get_registry
from harness.publish.content import collect
from harness.publish.site import publish
from harness.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store, registry = Store(args.db), get_registry()

    def ranking() -> None:
        specs = load_definitions(registry, store)
        for spec in specs.values():
            build(store, spec, registry, definitions=specs)

    run_ids = collect(store, registry).run_ids()
    samples = sum(store.count_samples(r) for r in run_ids)

    def reading() -> None:
        for run_id in run_ids:
            for _ in store.sample_pages(run_id):
                pass

    with tempfile.TemporaryDirectory() as folder:
        times, summary = [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            summary = publish(store, registry, Path(folder) / "site")
            times.append(time.perf_counter() - started)
        peers = {"rank every board": _median(ranking, args.repeat), "read every sample": _median(reading, args.repeat)}
    assert summary is not None
    took = statistics.median(times)
    print(f"database: {args.db} ({args.db.stat().st_size / 2**20:.1f} MiB), {len(run_ids)} ranked runs, {samples:,} samples")
    print(
        f"publish: {took:.1f} s (median of {args.repeat}), {summary.boards} boards, {summary.sample_pages} sample pages, "
        f"{summary.files} files, {summary.bytes / 2**20:.1f} MiB"
    )
    for name, seconds in peers.items():
        print(f"  peer {name}: {seconds:.2f} s; publish is {took / seconds:.1f}x")


def _median(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    main()
