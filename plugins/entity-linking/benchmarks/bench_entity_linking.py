"""Alias matching and whole-pipeline throughput, against a naive per-alias `str.find` scan in the same run.

    .venv/bin/python plugins/entity-linking/benchmarks/bench_entity_linking.py [--aliases 300000] [--texts 2000]
    .venv/bin/python plugins/entity-linking/benchmarks/bench_entity_linking.py --recipes [--seeds 0]

Prints: alias-index build time and resident memory for a KB of N aliases (random Chinese names of
2-6 characters, a tenth with Latin letters and digits, as in the real KB); texts per second for
candidate matching (every occurrence plus the max-match segmentation) with ahocorasick-rs and with
the naive scan (on fewer texts: it is that slow), checking both find the same matches; and texts per
second through `alias-prior` and through `pipeline` at its default network sizes (trained briefly:
inference cost depends on the sizes, not on how long it trained).

`--recipes` instead runs `harness run --task entity-linking` (in process, a fresh harness home) with
the earlier training recipe given as model arguments (`OLD_RECIPE`) and with the current defaults,
one after the other in the same process, and prints each run's CPU seconds (user + system: on a
shared machine they move far less than wall time), wall seconds, training steps and test scores,
then the ratio.
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


#: The pipeline's training recipe before it was made cheaper, as model arguments: dropout 0.1 on the
#: hidden states and on the attention weights (torch's fused attention takes about 3x longer with it),
#: batches drawn without regard to length, 6 negatives per mention, 250 validation texts.
OLD_RECIPE = {"dropout": "0.1", "attention_dropout": "0.1", "length_buckets": "0", "negatives": "6", "val_texts": "250"}


def cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def recipes(seeds: list[int]) -> None:
    """The old recipe against the current defaults, each a whole `harness run` (training + test)."""
    import json
    import tempfile
    from pathlib import Path

    import harness_entity_linking
    from harness_entity_linking.task import EntityLinkingTask

    from harness.testing import run_plugin

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    import torch  # noqa: F401  (imports and the embedded data are paid before either run is timed)
    import transformers  # noqa: F401

    EntityLinkingTask().load("train")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["HARNESS_HOME"] = str(Path(scratch) / "home")
        os.environ["HF_HUB_OFFLINE"] = "1"
        for name, args in (("old recipe", OLD_RECIPE), ("defaults", {})):
            for seed in seeds:
                started, cpu = time.perf_counter(), cpu_seconds()
                result = run_plugin(
                    harness_entity_linking,
                    "entity-linking",
                    db=Path(scratch) / "r.duckdb",
                    model="pipeline",
                    model_args=args,
                    seed=seed,
                )
                wall, used = time.perf_counter() - started, cpu_seconds() - cpu
                run = result.run
                assert run.status == "finished", run.error
                values = {m.name: m for m in run.metrics}
                stages = json.loads(result.artifacts["learning-curve.json"].data)["stages"]
                steps = " + ".join(f"{s['steps']} {s['stage']}" for s in stages)
                print(f"{name:>10} seed {seed}: {used:6.1f} CPU s, {wall:6.1f} s wall; {steps} steps; run {run.run_id[:12]}")
                for m in run.metrics:
                    if m.value is not None:
                        ci = f" [{m.ci_low:.4f}, {m.ci_high:.4f}]" if m.ci_low is not None else ""
                        print(f"{'':>12}{m.name:<28} {m.value:.4f}{ci}")
                results.setdefault(name, []).append((used, values["el-f1"].value))
    old, new = results["old recipe"], results["defaults"]
    cpu_old, cpu_new = sum(c for c, _ in old) / len(old), sum(c for c, _ in new) / len(new)
    f1_old, f1_new = sum(f for _, f in old) / len(old), sum(f for _, f in new) / len(new)
    print(
        f"defaults vs old recipe: {cpu_new:.1f} vs {cpu_old:.1f} CPU s per run ({cpu_old / cpu_new:.2f}x cheaper), "
        f"el-f1 {f1_new:.4f} vs {f1_old:.4f} (mean over seeds {', '.join(map(str, seeds))})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aliases", type=int, default=300_000)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--naive-texts", type=int, default=20)
    parser.add_argument("--recipes", action="store_true", help="the old training recipe against the defaults, whole runs")
    parser.add_argument("--seeds", default="0", help="with --recipes: comma-separated seeds")
    args = parser.parse_args()
    if args.recipes:
        recipes([int(s) for s in args.seeds.split(",")])
        return
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
