"""A spelling task scored by two local evaluate modules served through harness.evaluate_metrics.

`toy-word-accuracy` names an evaluate.Metric subclass by import string; `toy-length-error` a
metric script by path. The task declares no prediction_schema, so a model returning the wrong
shape reaches the metric, whose error the runner reports in one line.
"""

from __future__ import annotations

from harness import Model, Task, hookimpl
from harness.evaluate_metrics import EvaluateMetric
from toy_plugins import evaluate_toy_info as info

WORDS = ["Apple", "banana", "Cherry", "date", "Elder", "fig", "Grape", "honeydew", "Kiwi", "lemon", "Mango", "nectarine"]


class Spelling(Task):
    name = "spelling"
    description = "Spell the word back (case does not matter)."
    metrics = ("toy-word-accuracy", "toy-length-error")
    primary_metric = "toy-word-accuracy"
    default_model = "typist"
    embedded_dataset = "spelling-synth-v1"

    def load(self, split, data_dir=None):
        rows = [{"id": f"w{i:02d}", "word": w, "reference": w} for i, w in enumerate(WORDS)]
        return [*rows, {"id": "unlabelled", "word": "quince", "reference": None}]


class Typist(Model):
    name = "typist"
    tasks = ("spelling",)
    description = "Spells every k-th word wrong (drops its last letter) and upper-cases the rest."
    defaults = {"every": 3, "shape": "text"}

    def predict(self, batch, ctx):
        out = []
        for item in batch:
            word = item["word"]
            wrong = sum(map(ord, word)) % self.config["every"] == 0
            text = word[:-1] if wrong else word.upper()
            out.append(len(text) if self.config["shape"] == "number" else text)
        return out


class WordAccuracyMetric(EvaluateMetric):
    name = "toy-word-accuracy"
    module = "toy_plugins.evaluate_toy_accuracy:WordAccuracy"
    key = "accuracy"
    compute_kwargs = {"per_item": False}
    description, citation, expects = info.ACCURACY_DESCRIPTION, info.ACCURACY_CITATION, info.ACCURACY_INPUTS


class LengthErrorMetric(EvaluateMetric):
    name = "toy-length-error"
    module = "evaluate_toy_length_script.py"  # next to this file
    key = "mae"
    higher_is_better = False
    description, citation, expects = info.LENGTH_DESCRIPTION, info.LENGTH_CITATION, info.LENGTH_INPUTS

    def inputs(self, prediction, reference, input):
        if reference is None:
            return None
        return {"predictions": len(prediction) if isinstance(prediction, str) else prediction, "references": len(reference)}


@hookimpl
def register_tasks(register):
    register(Spelling)


@hookimpl
def register_models(register):
    register(Typist)


@hookimpl
def register_metrics(register):
    register(WordAccuracyMetric)
    register(LengthErrorMetric)
