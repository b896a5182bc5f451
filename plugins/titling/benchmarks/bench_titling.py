"""titling benchmark: training steps/s, decoding titles/s (l2r, r2l, bidirectional at beam 1/3/5), metric time.

    python plugins/titling/benchmarks/bench_titling.py --checkpoint $HARNESS_HOME/checkpoints/titling-network/KEY
    python plugins/titling/benchmarks/bench_titling.py --train-steps 10     # without a checkpoint the network decodes untrained
    python plugins/titling/benchmarks/bench_titling.py --recipes            # the earlier recipe against the defaults, whole runs
    python plugins/titling/benchmarks/bench_titling.py --recipes --candidate train_batch_size=32 steps=500

`--recipes` runs `harness run --task titling` (the default `bidirectional`: trains the shared
network, decodes and scores the 1,000 test titles) twice, one after the other, each in a fresh
process, harness home and database: with the earlier training recipe as model arguments
(`OLD_RECIPE`: 500 steps of 64 articles, validation every 50 steps on 400 articles) and with the
current defaults (and `--candidate` model arguments as a third run); it prints each run's CPU and
wall seconds, training steps and scores, and the CPU ratios, so all are measured under the same load.

Every figure comes from this run on this machine; ratios compare against a peer measured in the
same run: for training, the same network with a packed `nn.LSTM(bidirectional=True)` encoder
(what the obvious torch port would use); for decoding, greedy left-to-right; for metrics, exact
match (a string comparison). CPU seconds are printed beside wall seconds because on a loaded
machine the wall clock mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from harness_titling import training
from harness_titling.metrics import METRICS, ExactMatch
from harness_titling.models import Bidirectional, LeftToRight, RightToLeft
from harness_titling.task import TitlingTask

#: The training recipe before the data-scaled defaults, as model arguments.
OLD_RECIPE = {"steps": "500", "train_batch_size": "64", "min_count": "2", "val_every": "50", "patience": "4", "val_rows": "400"}
HARNESS = Path(sys.executable).with_name("harness")
SHOWN = ("titling-rouge-l", "titling-bleu", "titling-first4-acc", "titling-last4-acc")


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_run(label: str, model_args: dict[str, str], scratch: Path) -> float:
    """One `harness run --task titling` in a fresh home; prints its costs and scores, returns CPU s."""
    home = scratch / label.replace(" ", "-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env |= {"HARNESS_HOME": str(home), "HARNESS_DB": str(home / "db.duckdb"), "HF_HUB_OFFLINE": "1"}
    args = [str(HARNESS), "run", "--task", "titling", "--json"]
    for key, value in model_args.items():
        args += ["--model-arg", f"{key}={value}"]
    wall, cpu = time.perf_counter(), child_cpu()
    run_id = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout)["run_id"]
    wall, cpu = time.perf_counter() - wall, child_cpu() - cpu
    shown = subprocess.run([str(HARNESS), "show", run_id, "--json"], capture_output=True, text=True, env=env, check=True)
    data = json.loads(shown.stdout)
    training = data.get("training") or {}
    scores = ", ".join(
        f"{name.removeprefix('titling-')} {data['metrics'][name]['value']:.3f}"
        + (
            f" [{data['metrics'][name]['ci_low']:.3f}, {data['metrics'][name]['ci_high']:.3f}]"
            if name.endswith("rouge-l")
            else ""
        )
        for name in SHOWN
    )
    print(
        f"{label:16s}: {cpu:6.1f} CPU s, {wall:6.1f} s wall; {training.get('steps')} steps "
        f"({training.get('stopped')}, best {training.get('best_step')}); {scores}; run {run_id[:12]}",
        flush=True,
    )
    return cpu


def recipes(candidate: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        before = whole_run("earlier recipe", OLD_RECIPE, Path(scratch))
        after = whole_run("defaults", {}, Path(scratch))
        tried = whole_run("candidate", candidate, Path(scratch)) if candidate else None
    print(f"defaults / earlier recipe: {after / before:.2f}x the CPU seconds")
    if tried is not None:
        print(f"candidate / earlier recipe: {tried / before:.2f}x the CPU seconds")


def timed(fn, repeat: int = 1) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - wall) / repeat, (time.process_time() - cpu) / repeat


def packed_encoder(net) -> None:
    """Swap the post's reverse-within-length BiLSTM for packed bidirectional nn.LSTMs (the peer)."""
    from torch import nn

    lstm1 = nn.LSTM(net.enc_lstm1[0].input_size, net.z_dim // 2, batch_first=True, bidirectional=True)
    lstm2 = nn.LSTM(net.z_dim, net.z_dim // 2, batch_first=True, bidirectional=True)

    def bilstm(pair, x, lengths):
        lstm = lstm1 if pair is net.enc_lstm1 else lstm2
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        return nn.utils.rnn.pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=x.size(1))[0]

    net._bilstm = bilstm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="a trained titling network directory (model.pt, vocab.txt)")
    parser.add_argument("--train-steps", type=int, default=30, help="timed training steps (default config)")
    parser.add_argument("--peer-steps", type=int, default=5, help="timed steps of the packed-LSTM peer")
    parser.add_argument("--articles", type=int, default=200, help="test articles decoded per configuration")
    parser.add_argument("--pairs", type=int, default=2000, help="title pairs scored per metric")
    parser.add_argument("--recipes", action="store_true", help="whole runs: the earlier recipe against the defaults")
    parser.add_argument(
        "--candidate", nargs="*", default=[], metavar="KEY=VALUE", help="with --recipes, a third run with these model arguments"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch threads 1, load average {os.getloadavg()[0]:.1f} (start)")
    if args.recipes:
        recipes(dict(item.split("=", 1) for item in args.candidate))
        print(f"load average {os.getloadavg()[0]:.1f} (end)")
        return

    task = TitlingTask()
    train, test = task.load("train"), task.load("test")[: args.articles]
    model = Bidirectional()
    c = model.config
    model.vocab = training.build_vocab(train, c["min_count"])
    model._build()
    articles = [training.ids(r["content"], model.vocab, c["max_article"]) for r in train]
    titles = [training.ids(r["title"], model.vocab, c["max_len"]) for r in train]
    batches = training.epoch_batches(len(train), [len(a) for a in articles], c["train_batch_size"], 0, 0)
    optimizer = torch.optim.Adam(model.net.parameters(), lr=3e-3)

    def step_fn(net, opt, counter=[0]):  # noqa: B006 - a step counter across calls
        chosen = batches[counter[0] % len(batches)]
        counter[0] += 1
        batch = training.batch_tensors([articles[i] for i in chosen], [titles[i] for i in chosen])
        loss = training.loss_of(net, batch, None)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step_fn(model.net, optimizer)
    wall, cpu = timed(lambda: step_fn(model.net, optimizer), args.train_steps)
    print(
        f"training (default config, batch {c['train_batch_size']}): {1 / wall:.2f} steps/s wall, "
        f"{1 / cpu:.2f} steps/s CPU; the default {c['steps']} steps take ~{c['steps'] * cpu:.0f} CPU s"
    )
    peer = Bidirectional()
    peer.vocab = model.vocab
    peer._build()
    packed_encoder(peer.net)
    peer_opt = torch.optim.Adam(peer.net.parameters(), lr=3e-3)
    step_fn(peer.net, peer_opt)
    _, peer_cpu = timed(lambda: step_fn(peer.net, peer_opt), args.peer_steps)
    print(
        f"peer, packed bidirectional nn.LSTM encoder: {1 / peer_cpu:.2f} steps/s CPU; "
        f"the post's reverse-within-length encoder is {peer_cpu / cpu:.1f}x faster per step"
    )

    if args.checkpoint:
        model.load(args.checkpoint)
        print(f"decoding with the trained network in {args.checkpoint}")
    else:
        print("decoding with the untrained network (pass --checkpoint for a trained one: stopping depends on it)")
    inputs = [task.input(r) for r in test]
    rates = {}
    for cls in (LeftToRight, RightToLeft, Bidirectional):
        for beam in (1, 3, 5):
            decoder = cls(beam=beam)
            decoder.net, decoder.vocab, decoder.inverse = model.net, model.vocab, model.inverse
            decoder.predict(inputs[:10], None)
            size = cls.batch_size
            wall, cpu = timed(
                lambda d=decoder, size=size: [d.predict(inputs[i : i + size], None) for i in range(0, len(inputs), size)]
            )
            rates[(cls.name, beam)] = len(inputs) / cpu
            print(
                f"decoding {cls.name:13s} beam {beam}: {len(inputs) / wall:7.1f} titles/s wall, "
                f"{len(inputs) / cpu:7.1f} titles/s CPU, {rates[(cls.name, beam)] / rates[('l2r', 1)]:.2f}x greedy l2r"
            )

    refs = [r["title"] for r in task.load("test")]
    pairs = [(refs[i % len(refs)], refs[(i * 7 + 1) % len(refs)]) for i in range(args.pairs)]
    _, base_cpu = timed(lambda: [ExactMatch().score(p, r, {}) for p, r in pairs])
    for metric in METRICS:
        m = metric()
        m.score("预热", "预热", {})
        wall, cpu = timed(lambda m=m: [m.score(p, r, {}) for p, r in pairs])
        print(
            f"metric {metric.name:22s}: {1e6 * cpu / len(pairs):7.1f} µs per title CPU "
            f"({cpu / max(base_cpu, 1e-9):.0f}x exact match)"
        )
    print(f"load average {os.getloadavg()[0]:.1f} (end)")


if __name__ == "__main__":
    main()
