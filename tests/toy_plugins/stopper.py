"""A model whose `fit` is an early-stopping loop over a hand-made validation sequence, and a task
with its own validation split (`halving`, the doubling task's data with a `val` split).

`scores` is the validation metric at each evaluation (comma-separated, higher is better); the
"weights" are the step count, so a model that kept its best weights predicts with the best step.
`pause` sleeps that many seconds per step (for training budgets); `steps` is the loop's maximum.
"""

from __future__ import annotations

import time

from harness import Model, hookimpl
from toy_plugins.arith import Doubling, make_rows


class Held(Doubling):
    """`doubling` with a validation split: 30 embedded rows, or `val.jsonl` in a folder."""

    name = "held"
    group = None
    splits = ("train", "val", "test")
    validation_split = "val"
    embedded_dataset = "held-synth-v1"

    def load(self, split, data_dir=None):
        if data_dir is None and split == "val":
            return make_rows("val", 30)
        return super().load(split, data_dir)


class Stopper(Model):
    name = "stopper"
    tasks = ("doubling", "held")
    description = "Stops early on a scripted validation sequence."
    defaults = {"scores": "0.1,0.2,0.3,0.25,0.2,0.2,0.2,0.2", "every": 5, "patience": 3, "steps": 40, "pause": 0.0, "limit": 0}

    def fit(self, train, ctx):
        c = self.config
        scores = [float(s) for s in c["scores"].split(",")]
        _, _, record = ctx.split_validation(list(train), 0.2, limit=c["limit"] or None)
        stop = ctx.early_stopping("score", True, c["every"], c["patience"], c["steps"], validation=record)
        self.weights = 0
        for step in range(stop.step, c["steps"]):
            self.weights = step + 1
            time.sleep(c["pause"])
            score = scores[min(len(stop.curve), len(scores) - 1)]
            if stop.update(step + 1, 1.0 / (step + 1), lambda s=score: s, lambda: self.weights):
                break
        self.weights = stop.best_state

    def save(self, directory):
        (directory / "weights.txt").write_text(str(self.weights))

    def load(self, directory):
        self.weights = int((directory / "weights.txt").read_text())

    def predict(self, batch, ctx):
        return [float(self.weights) for _ in batch]


@hookimpl
def register_tasks(register):
    register(Held)


@hookimpl
def register_models(register):
    register(Stopper)
