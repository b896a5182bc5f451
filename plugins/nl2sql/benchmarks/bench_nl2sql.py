"""nl2sql benchmark: where a fresh `harness run --task nl2sql` spends its time, the previous and the
new default `bert` recipe trained side by side (before/after: CPU seconds and test scores in one
run), prediction throughput and execution time.

    python plugins/nl2sql/benchmarks/bench_nl2sql.py                  # everything (~8 min of CPU)
    python plugins/nl2sql/benchmarks/bench_nl2sql.py --only default   # profile + the default only
    python plugins/nl2sql/benchmarks/bench_nl2sql.py --only profile   # where the time goes, no training (~1 min)

Every figure comes from this run on this machine, at 1 torch thread (the model's `threads`
default); ratios compare against a peer measured in the same run: the previous default recipe
for training, rules for prediction, and for execution accuracy a fresh sandbox per question pair
(what scoring would cost without the per-table sandbox pool). Trainings are timed in wall and in
CPU seconds of this process (one thread: CPU seconds are what the training itself used, far less
disturbed by other load than wall time). Load average is printed with every training and at the
start and end.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness_nl2sql.metrics import CompetitionScore, ExecutionAccuracy, LogicFormAccuracy
from harness_nl2sql.models.bert import Batches, BertSqlModel, _table, build_vocab, epoch_batches, labels, schedule
from harness_nl2sql.models.rules import RulesModel
from harness_nl2sql.sql import Sandbox, same_result
from harness_nl2sql.synth import generate
from harness_nl2sql.task import Nl2sqlTask

from harness import RunContext
from harness.stats import summarise
from harness.testing import parse_model_args
from harness.training import torch_threads

#: The default recipe before the data-scaled schedule (commit 0e56892), as model arguments: 18
#: epochs without a step cap, validating every epoch on all the questions of 5% of the train tables,
#: held out (trained without the val split: `context(None)`), so it trains on 5,697 of 6,000 questions.
PREVIOUS = {"epochs": 18, "max_steps": 0, "dev_limit": 0}


def load() -> str:
    return "load average " + " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"


def predict_all(model, inputs, ctx, batch_size):
    out = []
    for start in range(0, len(inputs), batch_size):
        out += model.predict(inputs[start : start + batch_size], ctx)
    return out


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def fresh_run_profile(config: dict, task: Nl2sqlTask) -> None:
    """The parts of a fresh `harness run --task nl2sql` other than the training steps, timed one by one."""
    code = "import time; t = time.perf_counter(); import torch, transformers; print(time.perf_counter() - t)"
    imports = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    _, train_s = timed(lambda: generate("train"))
    _, test_s = timed(lambda: generate("test"))
    print(
        f"[fresh run] import torch + transformers {imports:.2f} s; data generation: train (6,000 questions, "
        f"360 tables) {train_s:.2f} s, test (1,000) {test_s:.2f} s (val/test tables avoid train's header lists)"
    )


def context(val: list[dict] | None) -> RunContext:
    """What the runner hands `fit`: with `val`, the task's validation split (the new default's
    source of validation rows), else none (validation rows carved from train)."""
    ctx = RunContext(task="nl2sql", seed=0)
    ctx.validation = val
    return ctx


def profile(name: str, config: dict, train: list[dict], val: list[dict] | None, steps: int = 40) -> None:
    """Per-step cost split (batch building, forward, backward, optimiser), data statistics, validation.

    Timed in CPU seconds of this process (one torch thread): what the work costs, not how long a
    loaded machine made it wait."""
    import torch

    model = BertSqlModel(**config)
    c = model.config
    with torch_threads(c["threads"]):
        torch.manual_seed(0)
        rows, dev, _ = context(val).split_validation(train, c["dev_fraction"], group=_table, limit=c["dev_limit"] or None)
        model._build(build_vocab(rows))
        started = time.process_time()
        encoded = [model.encoder.encode(r["question"], r["table"]["header"], r["table"]) for r in rows]
        targets = [labels(r, e) for r, e in zip(rows, encoded, strict=True)]
        encode_s = time.process_time() - started
        started = time.process_time()
        batches = epoch_batches(encoded, c["train_batch_size"], 0, 0)
        order_s = time.process_time() - started
        started = time.process_time()
        prepared = Batches(encoded, targets)
        tensors_s = time.process_time() - started
        lengths = [len(e["ids"]) for e in encoded]
        questions = [e["n_q"] + 2 for e in encoded]
        padded = sum(max(lengths[i] for i in b) * len(b) for b in batches)
        print(
            f"[{name}] {len(rows)} train questions, {len(batches)} steps per epoch; tokens per example mean "
            f"{statistics.mean(lengths):.1f}, median {statistics.median(lengths):.0f}, max {max(lengths)}; question part "
            f"{statistics.mean(questions):.1f}, headers {statistics.mean(lengths) - statistics.mean(questions):.1f} "
            f"({1 - sum(questions) / sum(lengths):.0%} of tokens); padding in length-bucketed batches "
            f"{padded / sum(lengths) - 1:.1%} extra tokens"
        )
        print(
            f"[{name}] tokenisation + labels once {encode_s:.2f} s, as tensors {tensors_s:.2f} s; per-epoch "
            f"order/buckets {order_s * 1000:.1f} ms"
        )
        optimizer = torch.optim.AdamW(model.net.parameters(), lr=2e-3, weight_decay=0.01, fused=True)
        ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
        parts = {"batch": 0.0, "forward": 0.0, "backward": 0.0, "optimiser": 0.0}
        model.net.train()
        seen = 0
        for k, chosen in enumerate(batches[: steps + 5]):
            t0 = time.process_time()
            batch = prepared.take(chosen)
            t1 = time.process_time()
            conn_t, agg_t, op_t, col_t = batch["targets"]
            conn, agg, op, col = model.net(
                batch["ids"],
                batch["types"],
                batch["mask"],
                batch["header_pos"],
                batch["header_mask"],
                batch["n_q_max"],
                batch["match"],
                batch["col_features"],
            )
            loss = ce(conn, conn_t) + ce(agg.reshape(-1, 7), agg_t.reshape(-1)) + ce(op.reshape(-1, 5), op_t.reshape(-1))
            loss = loss + ce(col.reshape(-1, col.size(-1)), col_t.reshape(-1))
            t2 = time.process_time()
            optimizer.zero_grad()
            loss.backward()
            t3 = time.process_time()
            torch.nn.utils.clip_grad_norm_(model.net.parameters(), 1.0)
            optimizer.step()
            t4 = time.process_time()
            if k < 5:
                continue  # warm-up steps (allocator, first kernels)
            for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[key] += dt
            seen += len(chosen)
        total = sum(parts.values())
        split = ", ".join(f"{k} {v / steps * 1000:.1f} ms ({v / total:.0%})" for k, v in parts.items())
        plan = schedule(len(rows), len(batches), c["epochs"], c["max_steps"], c["warmup"])
        per_step, n_steps = total / steps, plan["steps"]
        print(
            f"[{name}] per step (batch {c['train_batch_size']}), CPU: {per_step * 1000:.1f} ms = {split}; "
            f"{seen / total:.0f} examples/s; x {n_steps} steps = {per_step * n_steps:.0f} s"
        )
        if dev:
            started = time.process_time()
            model._dev_score(dev)
            dev_s = time.process_time() - started
            print(
                f"[{name}] running validation: {len(dev)} questions in {dev_s:.2f} s, x "
                f"{n_steps // plan['validate_every']} times = {dev_s * (n_steps // plan['validate_every']):.1f} s"
            )


def train_and_score(
    name: str, config: dict, train: list[dict], val: list[dict] | None, test: list[dict], task: Nl2sqlTask
) -> dict:
    """Train from scratch (seed 0) at the config's thread count, then time prediction and scoring on test."""
    model = BertSqlModel(**config)
    cpu_started = time.process_time()
    _, seconds = timed(lambda: model.fit(train, context(val)))
    cpu = time.process_time() - cpu_started
    steps = model.history[-1]["step"]
    inputs = [task.input(r) for r in test]
    preds, predict_s = timed(lambda: predict_all(model, inputs, None, BertSqlModel.batch_size))
    values, score_s = {}, 0.0
    for metric in (CompetitionScore(), LogicFormAccuracy(), ExecutionAccuracy()):
        scores, spent = timed(lambda m=metric: [m.score(p, r["sql"], i) for p, r, i in zip(preds, test, inputs, strict=True)])
        score_s += spent
        values[metric.name] = summarise(metric, scores, seed=0, primary=False)
    examples = steps * model.config["train_batch_size"]
    last = model.history[-1]
    dev = (
        f"; running validation {model.dev_seconds:.1f} s of it, last dev logic-form {last['dev_logic_form']:.3f}"
        if "dev_logic_form" in last
        else ""
    )
    score = values["nl2sql-score"]
    print(
        f"[{name}] {model.schedule['epochs']:g} epochs, {steps} steps, {examples} examples: training {seconds:.1f} s "
        f"wall, {cpu:.1f} CPU s, {examples / seconds:.0f} examples/s{dev}",
        flush=True,
    )
    print(
        f"[{name}] test nl2sql-score {score.value:.3f} [{score.ci_low:.3f}, {score.ci_high:.3f}] (logic form "
        f"{values['nl2sql-logic-form-acc'].value:.3f}, execution {values['nl2sql-execution-acc'].value:.3f}); "
        f"predicting 1,000 test questions {predict_s:.2f} s, scoring them (3 metrics) {score_s:.2f} s; {load()}",
        flush=True,
    )
    return {"seconds": seconds, "cpu": cpu, "steps": steps, "examples": examples, "model": model, "score": score}


#: Run in a subprocess with an older revision's plugin first on sys.path: that code's own
#: defaults, data, training loop, decoding and metrics, scored the way `train_and_score` does.
OLD_CODE = """
import os, sys, time
try:
    from harness_nl2sql.models.bert import BertSqlModel
except ImportError:  # revisions before the models/ package kept it in harness_nl2sql/bert.py
    from harness_nl2sql.bert import BertSqlModel
from harness_nl2sql.metrics import CompetitionScore, ExecutionAccuracy, LogicFormAccuracy
from harness_nl2sql.task import Nl2sqlTask
from harness import RunContext
from harness.testing import parse_model_args
from harness.stats import summarise
task = Nl2sqlTask()
train, test = task.load("train"), task.load("test")
model = BertSqlModel(**parse_model_args(sys.argv[1:]))
started = time.perf_counter()
model.fit(train, RunContext(task="nl2sql", seed=0))
seconds = time.perf_counter() - started
inputs = [task.input(r) for r in test]
preds = [p for s in range(0, len(inputs), 64) for p in model.predict(inputs[s : s + 64], None)]
values = {m.name: summarise(m, [m.score(p, r["sql"], i) for p, r, i in zip(preds, test, inputs)], seed=0, primary=False)
          for m in (CompetitionScore(), LogicFormAccuracy(), ExecutionAccuracy())}
c = model.config
steps = -(-len(train[: c["max_train"] or None]) // c["train_batch_size"]) * c["epochs"]
score = values["nl2sql-score"]
print(f"{c['epochs']} epochs, {steps} steps, {steps * c['train_batch_size']} examples: training {seconds:.1f} s, "
      f"{steps * c['train_batch_size'] / seconds:.0f} examples/s; test nl2sql-score {score.value:.3f} "
      f"[{score.ci_low:.3f}, {score.ci_high:.3f}] (logic form {values['nl2sql-logic-form-acc'].value:.3f}, "
      f"execution {values['nl2sql-execution-acc'].value:.3f}); load average {os.getloadavg()[0]:.1f}", flush=True)
"""


def train_old_code(revision: str, model_args: list[str]) -> None:
    """The previous default as it was: `git archive REV plugins/nl2sql`, trained by that code."""
    root = Path(__file__).resolve().parents[3]
    with tempfile.TemporaryDirectory(prefix="nl2sql-old-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", revision, "plugins/nl2sql"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = dict(os.environ, PYTHONPATH=str(Path(tmp) / "plugins" / "nl2sql"))
        out = subprocess.run([sys.executable, "-c", OLD_CODE, *model_args], env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"training with the code of {revision} failed:\n{out.stderr[-2000:]}")
        print(f"[previous, code of {revision}] {out.stdout.strip()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-arg", action="append", default=[], help="override of the new default, k=v (repeatable)")
    parser.add_argument(
        "--only",
        choices=("previous", "default", "previous-code", "profile"),
        help="train only this configuration (previous-code: only --previous-code's, no profile; profile: "
        "only where the time goes, no training); throughput and execution need the default",
    )
    parser.add_argument(
        "--previous-code",
        metavar="REV",
        help="also train the previous default with the plugin code "
        "of git revision REV (e.g. 0e56892, the last one before the data-scaled schedule), its own defaults",
    )
    parser.add_argument("--old-arg", action="append", default=[], help="model argument for --previous-code (tests)")
    parser.add_argument("--pairs", type=int, default=5000, help="question pairs for the execution-accuracy timing")
    parser.add_argument("--fresh-pairs", type=int, default=500, help="pairs timed with a fresh sandbox each (the peer)")
    args = parser.parse_args()

    import torch

    task = Nl2sqlTask()
    train, val, test = task.load("train"), task.load("val"), task.load("test")
    default = parse_model_args(args.model_arg)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"bert torch threads {BertSqlModel(**default).config['threads']}; {load()}",
        flush=True,
    )
    print(f"new default: {BertSqlModel(**default).config}")
    print(f"previous default: {BertSqlModel(**PREVIOUS).config}")

    if args.only == "previous-code":
        train_old_code(args.previous_code or "0e56892", args.old_arg)
        return
    print("\n== where the time goes (profiled: 40 training steps each after 5 warm-up steps) ==")
    fresh_run_profile(default, task)
    if args.only != "default":
        profile("previous", PREVIOUS, train, None)
    profile("default", default, train, val)
    if args.only == "profile":
        return

    print(
        "\n== training side by side (from scratch, seed 0, scored on the 1,000 test questions, 95% bootstrap CI) ==", flush=True
    )
    new = old = None
    if args.only != "previous":
        new = train_and_score("default", default, train, val, test, task)
    if args.only != "default":
        old = train_and_score("previous", PREVIOUS, train, None, test, task)
    if args.previous_code:
        train_old_code(args.previous_code, args.old_arg)
    if new and old:
        print(
            f"default / previous training compute: CPU seconds {new['cpu'] / old['cpu']:.2f}, wall time "
            f"{new['seconds'] / old['seconds']:.2f}, steps "
            f"{new['steps'] / old['steps']:.2f}, examples {new['examples'] / old['examples']:.2f}; nl2sql-score "
            f"{new['score'].value:.3f} vs {old['score'].value:.3f}"
        )
    if new is None:
        return

    print("\n== prediction throughput (1,000 test questions) ==")
    inputs = [task.input(r) for r in test]
    timings = {}
    for name, model in (("bert", new["model"]), ("rules", RulesModel())):
        predict_all(model, inputs[:64], None, type(model).batch_size)  # warm-up
        _, timings[name] = timed(lambda m=model: predict_all(m, inputs, None, type(m).batch_size))
        print(f"{name:5s} prediction: {len(inputs) / timings[name]:8.1f} questions/s")
    print(f"bert / rules throughput ratio: {timings['rules'] / timings['bert']:.3f}")

    print("\n== execution accuracy ==")
    rows = (train * (args.pairs // len(train) + 1))[: args.pairs]
    pair_inputs = [task.input(r) for r in rows]
    preds = predict_all(RulesModel(), pair_inputs, None, 256)
    metric = ExecutionAccuracy()
    hits, pooled_s = timed(
        lambda: [metric.score(p, r["sql"], i)["hit"] for p, r, i in zip(preds, rows, pair_inputs, strict=True)]
    )
    print(
        f"execution accuracy on {len(rows)} question pairs (rules vs gold, train questions): {pooled_s:.2f} s "
        f"({1000 * pooled_s / len(rows):.2f} ms per pair, {len(rows) / pooled_s:.0f} pairs/s; "
        f"EX there {sum(hits) / len(hits):.3f})"
    )
    fresh = rows[: args.fresh_pairs]
    started = time.perf_counter()
    for p, r in zip(preds, fresh, strict=False):
        box = Sandbox(r["table"])
        same_result(box.run(p), box.run(r["sql"]))
        box.close()
    fresh_s = time.perf_counter() - started
    print(
        f"peer, fresh sandbox per pair: {1000 * fresh_s / len(fresh):.2f} ms per pair ({len(fresh)} pairs); "
        f"pooled is {fresh_s / len(fresh) / (pooled_s / len(rows)):.1f}x faster"
    )
    print(f"\nend: {load()}")


if __name__ == "__main__":
    main()
