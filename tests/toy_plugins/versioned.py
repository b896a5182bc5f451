"""A task whose metric a test changes and bumps: boards must mark the old values stale until
`harness rescore` recomputes them from the stored predictions."""

from __future__ import annotations

from harness import Metric, Model, Task, hookimpl


class Guessing(Task):
    name = "guessing"
    description = "Guess a number; close guesses count."
    metrics = ("close-guess", "exact_match")
    primary_metric = "close-guess"
    default_model = "near"
    embedded_dataset = "guessing-synth-v1"

    def load(self, split, data_dir=None):
        return [{"id": f"g{i:02d}", "x": i, "reference": i} for i in range(40)]


class Near(Model):
    """Off by one on every third number."""

    name = "near"
    tasks = ("guessing",)

    def predict(self, batch, ctx):
        return [item["x"] + (1 if item["x"] % 3 == 0 else 0) for item in batch]


class Far(Model):
    """Off by two on every other number."""

    name = "far"
    tasks = ("guessing",)

    def predict(self, batch, ctx):
        return [item["x"] + (2 if item["x"] % 2 == 0 else 0) for item in batch]


class CloseGuess(Metric):
    """Version 1 counts a guess within `tolerance` of the answer; a test widens it and bumps the version."""

    name = "close-guess"
    description = "Share of guesses within the tolerance of the answer."
    expects = "a number"
    version = "1"
    tolerance = 0

    def score(self, prediction, reference, input):
        return float(abs(float(prediction) - reference) <= self.tolerance)


@hookimpl
def register_tasks(register):
    register(Guessing)


@hookimpl
def register_models(register):
    register(Near)
    register(Far)


@hookimpl
def register_metrics(register):
    register(CloseGuess)
