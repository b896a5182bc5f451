"""A small arithmetic plugin whose models misbehave on request: slow, crashing, training."""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness import Artifact, DataError, Metric, Model, Renderer, Task, hookimpl, views


def make_rows(split: str, n: int) -> list[dict]:
    offset = 1000 if split == "train" else 0
    return [{"id": f"{split}-{i:04d}", "x": offset + i, "reference": 2 * (offset + i)} for i in range(n)]


class Doubling(Task):
    name = "doubling"
    description = "Double an integer."
    source = "https://example.org/doubling"
    group = "arith"
    splits = ("train", "test")
    train_split = "train"
    metrics = ("exact_match", "absolute_error")
    primary_metric = "exact_match"
    default_model = "exact"
    embedded_dataset = "doubling-synth-v1"
    real_dataset = "doubling-jsonl"
    prediction_schema = {"type": "number", "description": "twice the input x"}

    def load(self, split, data_dir=None):
        if data_dir is None:
            return make_rows(split, 200)
        path = Path(data_dir) / f"{split}.jsonl"
        rows = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise DataError(f"{path}:{number}: not valid JSON") from None
        return rows

    def artifacts(self, samples):
        wrong = [s.sample_id for s in samples if s.scores["exact_match"] == 0]
        yield Artifact("wrong.json", "application/json", json.dumps(wrong).encode())


class Squaring(Task):
    name = "squaring"
    description = "Square an integer (lower error is better)."
    group = "arith"
    metrics = ("absolute_error",)
    primary_metric = "absolute_error"
    default_model = "exact"

    def load(self, split, data_dir=None):
        return [{"id": str(i), "x": i, "reference": i * i} for i in range(50)]


class Exact(Model):
    name = "exact"
    tasks = ("arith",)
    description = "Computes the answer for either task of the group."
    batch_size = 16

    def predict(self, batch, ctx):
        power = 2 if ctx.task == "squaring" else 1
        return [item["x"] ** 2 if power == 2 else 2 * item["x"] for item in batch]


class Noisy(Model):
    name = "noisy"
    tasks = ("doubling",)
    description = "Wrong on every k-th input."
    defaults = {"every": 4, "offset": 1}

    def predict(self, batch, ctx):
        return [2 * item["x"] + (self.config["offset"] if item["x"] % self.config["every"] == 0 else 0) for item in batch]


class Slow(Model):
    """Sleeps per batch and logs every input it predicts, so tests can see recomputation."""

    name = "slow"
    tasks = ("doubling",)
    defaults = {"delay": 0.05, "log": "", "crash_at": -1}
    batch_size = 8

    def predict(self, batch, ctx):
        time.sleep(self.config["delay"])
        if self.config["log"]:
            with open(self.config["log"], "a") as handle:
                handle.writelines(f"{item['id']}\n" for item in batch)
        for item in batch:
            if item["x"] == self.config["crash_at"]:
                raise RuntimeError(f"boom at x={item['x']}")
        return [2 * item["x"] for item in batch]


class Memorise(Model):
    """Trains a lookup of the train split's ratio; counts fits in a file to prove caching."""

    name = "memorise"
    tasks = ("doubling",)
    defaults = {"fits": ""}

    def fit(self, train, ctx):
        self.ratio = sum(r["reference"] for r in train) / sum(r["x"] for r in train)
        if self.config["fits"]:
            with open(self.config["fits"], "a") as handle:
                handle.write("fit\n")

    def save(self, directory):
        (directory / "ratio.json").write_text(json.dumps(self.ratio))

    def load(self, directory):
        self.ratio = json.loads((directory / "ratio.json").read_text())

    def predict(self, batch, ctx):
        return [round(self.ratio * item["x"]) for item in batch]


class Peeking(Model):
    """Answers correctly only when it cannot see the reference: proves models never do."""

    name = "peeking"
    tasks = ("doubling",)

    def predict(self, batch, ctx):
        return [-1 if "reference" in item else 2 * item["x"] for item in batch]


class Wordy(Model):
    """Answers in words from the fifth input on: a model written against the wrong contract."""

    name = "wordy"
    tasks = ("doubling",)

    def predict(self, batch, ctx):
        return [2 * item["x"] if item["x"] < 4 else {"answer": str(2 * item["x"])} for item in batch]


class WithinOne(Metric):
    name = "within_one"
    description = "Share of predictions within 1 of the reference."

    def score(self, prediction, reference, input):
        return float(abs(prediction - reference) <= 1)


@hookimpl
def register_tasks(register):
    register(Doubling)
    register(Squaring)


@hookimpl
def register_models(register):
    for model in (Exact, Noisy, Slow, Memorise, Peeking, Wordy):
        register(model)


@hookimpl
def register_metrics(register):
    register(WithinOne)


class ArithRenderer(Renderer):
    """Draws doubling runs: predictions against x, and one sample as a sentence."""

    tasks = ("arith",)

    def run_panels(self, run, samples, artifacts):
        points = [{"x": s.input["x"], "prediction": s.prediction} for s in samples]
        wrong = json.loads(artifacts["wrong.json"].data) if "wrong.json" in artifacts else []
        return [
            views.chart(
                {
                    "data": {"values": points},
                    "mark": "point",
                    "encoding": {
                        "x": {"field": "x", "type": "quantitative"},
                        "y": {"field": "prediction", "type": "quantitative"},
                    },
                },
                title="Predictions against x",
                caption=f"{len(wrong)} wrong",
            ),
            views.text(f"{len(samples)} samples drawn", title="arith summary"),
        ]

    def sample_panels(self, sample, run):
        if sample.input.get("x") == 13:
            raise RuntimeError("unlucky sample")
        return [views.text(f"2 × {sample.input['x']} → {sample.prediction} (expected {sample.reference})", title="arith sample")]


class ArithContextRenderer(Renderer):
    """Names the context arguments renderers may take: other runs to compare with, and the run's
    artifacts in the sample view. (ArithRenderer, which names neither, must keep working.)"""

    tasks = ("arith",)

    def run_panels(self, run, samples, artifacts, peers):
        models = sorted({p.model for p in peers})
        return [views.text(f"{len(peers)} peer runs: {', '.join(models)}", title="arith peers")]

    def sample_panels(self, sample, run, artifacts):
        return [views.text(f"artifacts here: {', '.join(sorted(artifacts))}", title="arith sample context")]


@hookimpl
def register_renderers(register):
    register(ArithRenderer)
    register(ArithContextRenderer)


@hookimpl
def register_leaderboards(register):
    register(
        {
            "name": "arith",
            "title": "Arithmetic",
            "tasks": [{"task": "doubling", "columns": ["absolute_error"]}, {"task": "squaring"}],
        }
    )
