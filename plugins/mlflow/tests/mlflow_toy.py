"""A small task for the tests: parity of integers, with artifacts and a model that fails on request.

`HARNESS_PLUGINS=mlflow_toy` loads it in a subprocess (with this folder on PYTHONPATH); the
`toy` fixture in conftest.py loads it in-process.
"""

from __future__ import annotations

import json
import os

from harness import Artifact, Model, Task, hookimpl


class Parity(Task):
    name = "parity"
    description = "Is an integer odd (1) or even (0)?"
    metrics = ("exact_match", "absolute_error")
    primary_metric = "exact_match"
    default_model = "lazy-parity"
    embedded_dataset = "parity-synth-v1"

    def load(self, split, data_dir=None):
        return [{"id": f"n{i:03d}", "n": i, "reference": i % 2} for i in range(60)]

    def artifacts(self, samples):
        wrong = [s.sample_id for s in samples if s.scores["exact_match"] == 0]
        yield Artifact("details/wrong.json", "application/json", json.dumps(wrong).encode())
        yield Artifact("summary.txt", "text/plain", f"{len(wrong)} of {len(samples)} wrong\n".encode())


class LazyParity(Model):
    """Right except on multiples of `every`; raises while $MLFLOW_TOY_FAIL is set (a crash that a re-run fixes)."""

    name = "lazy-parity"
    tasks = ("parity",)
    defaults = {"every": 5, "label": "plain"}
    batch_size = 16

    def predict(self, batch, ctx):
        if os.environ.get("MLFLOW_TOY_FAIL"):
            raise RuntimeError("toy model crashed on purpose")
        return [1 - item["n"] % 2 if item["n"] % self.config["every"] == 0 else item["n"] % 2 for item in batch]


@hookimpl
def register_tasks(register):
    register(Parity)


@hookimpl
def register_models(register):
    register(LazyParity)
