"""A task whose best-scoring model cheats: a flag metric marks it, a definition ranks it last.

Used to check that a database ranks the same where this plugin is not installed (the definition
and the metrics' descriptions are stored with the runs), that a metric may not apply to some
samples (None scores), and that a prediction a metric cannot read is reported by name.
"""

from __future__ import annotations

from harness import Metric, Model, Task, hookimpl


class Judged(Task):
    name = "judged"
    description = "Say whether a number is even; the judge checks that no answer was looked up."
    metrics = ("judged-correct", "judged-lookups", "judged-confidence")
    primary_metric = "judged-correct"
    default_model = "honest"
    embedded_dataset = "judged-synth-v1"

    def load(self, split, data_dir=None):
        return [{"id": f"q{i:03d}", "x": i, "reference": i % 2 == 0} for i in range(120)]


class Honest(Model):
    name = "honest"
    tasks = ("judged",)

    def predict(self, batch, ctx):  # wrong on every fifth number
        return [{"even": (item["x"] % 2 == 0) != (item["x"] % 5 == 0), "looked_up": False} for item in batch]


class Cheater(Model):
    name = "cheater"
    tasks = ("judged",)

    def predict(self, batch, ctx):
        return [{"even": item["x"] % 2 == 0, "looked_up": True} for item in batch]


class Listy(Model):
    """Returns a list where a number is expected: the metric must say so, naming the sample."""

    name = "listy"
    tasks = ("judged",)

    def predict(self, batch, ctx):
        return [[item["x"], item["x"]] for item in batch]


class Lookups(Metric):
    name = "judged-lookups"
    description = "Share of answers looked up instead of computed: above zero flags the run."
    higher_is_better = False

    def score(self, prediction, reference, input):
        return float(prediction["looked_up"])


class Confidence(Metric):
    name = "judged-confidence"
    description = "Exactness on multiples of three only; not applicable to other numbers."

    def score(self, prediction, reference, input):
        if input["x"] % 3:
            return None
        return float(prediction["even"] == reference)


class Correct(Metric):
    name = "judged-correct"
    description = "Share of numbers whose parity is answered correctly."
    expects = 'an object {"even": true/false, "looked_up": true/false}'

    def score(self, prediction, reference, input):
        return float(prediction["even"] == reference)


@hookimpl
def register_tasks(register):
    register(Judged)


@hookimpl
def register_models(register):
    for model in (Honest, Cheater, Listy):
        register(model)


@hookimpl
def register_metrics(register):
    register(Correct)
    register(Lookups)
    register(Confidence)


@hookimpl
def register_leaderboards(register):
    register(
        {
            "name": "judged",
            "title": "Judged",
            "tasks": [{"task": "judged", "columns": ["judged-confidence"], "flags": ["judged-lookups"]}],
        }
    )
