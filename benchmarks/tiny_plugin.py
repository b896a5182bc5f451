"""A trivial task for benchmarks/sweep.py: runs that cost almost nothing, so what is measured is
the sweep machinery (dispatch, transfer, the driver's writes), not the model."""

from __future__ import annotations

from harness import Model, Task, hookimpl


class Tiny(Task):
    name = "tiny"
    description = "Ten integers to copy (benchmark of the sweep machinery)."
    metrics = ("exact_match",)
    primary_metric = "exact_match"
    default_model = "copy"
    embedded_dataset = "tiny-synth-v1"

    def load(self, split, data_dir=None):
        return [{"id": str(i), "x": i, "reference": i} for i in range(10)]


class Copy(Model):
    name = "copy"
    tasks = ("tiny",)
    defaults = {"k": 0}

    def predict(self, batch, ctx):
        return [item["x"] for item in batch]


@hookimpl
def register_tasks(register):
    register(Tiny)


@hookimpl
def register_models(register):
    register(Copy)
