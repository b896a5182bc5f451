"""Alias matching and whole-pipeline throughput, against a naive per-alias `str.find` scan in the same run.

    .venv/bin/python plugins/entity-linking/benchmarks/bench_entity_linking.py [--aliases 300000] [--texts 2000]

Prints: alias-index build time and resident memory for a KB of N aliases (random Chinese names of
2-6 characters, a tenth with Latin letters and digits, as in the real KB); texts per second for
candidate matching (every occurrence plus the max-match segmentation) with ahocorasick-rs and with
the naive scan (on fewer texts: it is that slow), checking both find the same matches; and texts per
second through `alias-prior` and through `pipeline` at its default network sizes (trained briefly:
inference cost depends on the sizes, not on how long it trained).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_aliases(n: int, rng: random.Random) -> list[str]:
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
    aliases: set[str] = set()
    while len(aliases) < n:
        name = "".join(rng.choice(chars) for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.1:
            name += rng.choice("abcdefxyz") + str(rng.randint(1, 99))
        aliases.add(name)
    return sorted(aliases)


def make_texts(n: int, aliases: list[str], rng: random.Random) -> list[str]:
    """Texts of ~50 characters holding 3 aliases each among common characters."""
    filler = list("的是在了和有这个人我他们中国一大为上来说时地到出就也要以会可对生能而子那得于着下自之年过发后作里")
    out = []
    for _ in range(n):
        parts = []
        for _ in range(3):
            parts.append("".join(rng.choice(filler) for _ in range(rng.randint(8, 16))))
            parts.append(rng.choice(aliases))
        out.append("".join(parts) + "。")
    return out


def naive_matches(text: str, aliases: list[str]) -> list[tuple[int, int, str]]:
    found = []
    for alias in aliases:
        start = text.find(alias)
        while start >= 0:
            found.append((start, start + len(alias), alias))
            start = text.find(alias, start + 1)
    return sorted(found)


@contextmanager
def quiet_progress(description, total):
    yield lambda n=1, **status: None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aliases", type=int, default=300_000)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--naive-texts", type=int, default=20)
    args = parser.parse_args()
    from harness_entity_linking.matching import AliasIndex, max_match

    rng = random.Random(0)
    aliases = make_aliases(args.aliases, rng)
    texts = make_texts(args.texts, aliases, rng)
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} ({os.cpu_count()} CPUs)")

    before = rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    index = AliasIndex(aliases)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"alias index: {len(index):,} aliases built in {build:.2f} s ({build_cpu:.2f} s CPU), "
        f"+{rss_mib() - before:.0f} MiB resident"
    )
    strings = (sum(sys.getsizeof(a) for a in aliases) + sys.getsizeof(aliases)) / 2**20
    print(f"naive peer: needs only the alias strings themselves, {strings:.0f} MiB as Python objects")

    started, cpu = time.perf_counter(), time.process_time()
    n_found = 0
    for text in texts:
        found = index.matches(text)
        max_match(len(text), found)
        n_found += len(found)
    fast = len(texts) / (time.perf_counter() - started)
    fast_cpu = len(texts) / (time.process_time() - cpu)
    print(
        f"ahocorasick-rs matching + max-match: {fast:,.0f} texts/s wall, {fast_cpu:,.0f} per CPU-second "
        f"({n_found / len(texts):.1f} matches per text)"
    )

    sample = texts[: args.naive_texts]
    started, cpu = time.perf_counter(), time.process_time()
    naive = [naive_matches(text, aliases) for text in sample]
    slow = len(sample) / (time.perf_counter() - started)
    slow_cpu = len(sample) / (time.process_time() - cpu)
    same = all(n == index.matches(t) for n, t in zip(naive, sample, strict=True))
    print(
        f"naive per-alias str.find scan: {slow:,.2f} texts/s wall, {slow_cpu:,.2f} per CPU-second on {len(sample)} "
        f"texts (same matches: {same}); ahocorasick-rs is {fast_cpu / slow_cpu:,.0f}x faster per CPU-second"
    )

    from harness_entity_linking.models.alias_prior import AliasPriorModel
    from harness_entity_linking.models.pipeline import PipelineModel
    from harness_entity_linking.task import EntityLinkingTask

    from harness import RunContext

    task = EntityLinkingTask()
    train, test = task.load("train"), task.load("test")
    items = [task.input(r) for r in test]
    ctx = RunContext(task="entity-linking", seed=0, progress=quiet_progress)
    for model in (AliasPriorModel(), PipelineModel(tagger_epochs=1, matcher_epochs=1, max_train=200)):
        model.fit(train, ctx)
        started, cpu = time.perf_counter(), time.process_time()
        for k in range(0, len(items), model.batch_size):
            model.predict(items[k : k + model.batch_size], ctx)
        rate = len(items) / (time.perf_counter() - started)
        rate_cpu = len(items) / (time.process_time() - cpu)
        print(
            f"{model.name} end to end (detection, candidates, linking, gold-span links): {rate:,.0f} texts/s wall, "
            f"{rate_cpu:,.0f} per CPU-second on {len(items)} el-synth-v1 test texts, {rss_mib():.0f} MiB resident"
        )


if __name__ == "__main__":
    main()
