"""nl2sql benchmark: bert training time, prediction throughput (bert vs rules), execution-accuracy time.

    python plugins/nl2sql/benchmarks/bench_nl2sql.py                      # the default bert config
    python plugins/nl2sql/benchmarks/bench_nl2sql.py --model-arg epochs=1  # quicker, fewer epochs

Every figure comes from this run on this machine; ratios compare against a peer measured in the
same run: rules for prediction, and for execution accuracy a fresh sandbox per question pair
(what scoring would cost without the per-table sandbox pool).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from harness_nl2sql.bert import BertSqlModel
from harness_nl2sql.metrics import ExecutionAccuracy
from harness_nl2sql.rules import RulesModel
from harness_nl2sql.sql import Sandbox, same_result
from harness_nl2sql.task import Nl2sqlTask

from harness.runner import RunContext, parse_model_args


def predict_all(model, inputs, ctx, batch_size):
    out = []
    for start in range(0, len(inputs), batch_size):
        out += model.predict(inputs[start : start + batch_size], ctx)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-arg", action="append", default=[], help="bert model argument k=v (repeatable)")
    parser.add_argument("--pairs", type=int, default=5000, help="question pairs for the execution-accuracy timing")
    parser.add_argument("--fresh-pairs", type=int, default=500, help="pairs timed with a fresh sandbox each (the peer)")
    args = parser.parse_args()

    import torch

    task = Nl2sqlTask()
    train, test = task.load("train"), task.load("test")
    ctx = RunContext(task="nl2sql", seed=0)
    bert = BertSqlModel(**parse_model_args(args.model_arg))
    threads = bert.config["threads"] or torch.get_num_threads()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, bert torch threads {threads}, "
          f"load average {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    bert.fit(train, ctx)
    train_s = time.perf_counter() - started
    config = " ".join(f"{k}={v}" for k, v in bert.config.items() if v != BertSqlModel.defaults[k]) or "defaults"
    print(f"bert training ({config}): {train_s:.1f} s for {len(train)} questions x {bert.config['epochs']} epochs")

    inputs = [task.input(r) for r in test]
    rules = RulesModel()
    timings = {}
    for name, model in (("bert", bert), ("rules", rules)):
        predict_all(model, inputs[:64], ctx, type(model).batch_size)  # warm-up
        started = time.perf_counter()
        predict_all(model, inputs, ctx, type(model).batch_size)
        timings[name] = time.perf_counter() - started
        print(f"{name:5s} prediction: {len(inputs) / timings[name]:8.1f} questions/s ({len(inputs)} test questions)")
    print(f"bert / rules throughput ratio: {timings['rules'] / timings['bert']:.3f}")

    # Execution accuracy of rules' predictions against gold, on train questions (many tables).
    rows = (train * (args.pairs // len(train) + 1))[: args.pairs]
    pair_inputs = [task.input(r) for r in rows]
    preds = predict_all(rules, pair_inputs, ctx, 256)
    metric = ExecutionAccuracy()
    started = time.perf_counter()
    hits = [metric.score(p, r["sql"], i)["hit"] for p, r, i in zip(preds, rows, pair_inputs, strict=True)]
    pooled_s = time.perf_counter() - started
    print(f"execution accuracy on {len(rows)} question pairs: {pooled_s:.2f} s "
          f"({1000 * pooled_s / len(rows):.2f} ms per pair, {len(rows) / pooled_s:.0f} pairs/s; "
          f"rules EX there {np.mean(hits):.3f})")

    fresh = rows[: args.fresh_pairs]
    started = time.perf_counter()
    for p, r in zip(preds, fresh, strict=False):
        box = Sandbox(r["table"])
        same_result(box.run(p), box.run(r["sql"]))
        box.close()
    fresh_s = time.perf_counter() - started
    print(f"peer, fresh sandbox per pair: {1000 * fresh_s / len(fresh):.2f} ms per pair ({len(fresh)} pairs); "
          f"pooled is {fresh_s / len(fresh) / (pooled_s / len(rows)):.1f}x faster")


if __name__ == "__main__":
    main()
