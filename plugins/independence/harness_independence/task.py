"""The `independence` task: one row per test instance; the reference is whether x and y are dependent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness import Artifact, Task
from harness_independence.names import DEPENDENT


class IndependenceTask(Task):
    name = "independence"
    version = "1"
    description = (
        "Independence testing (kexue.fm/archives/6910): HSIC and peers on simulated dependent and "
        "independent (x, y) pairs; power, type-I error and runtime at alpha = 0.05."
    )
    source = "https://kexue.fm/archives/6910"
    splits = ("test",)
    default_split = "test"
    metrics = ("power", "type1-error", "type1-inflated", "median-runtime-s", *(f"power-{family}" for family in DEPENDENT))
    primary_metric = "power"
    default_model = "hsic"
    embedded_dataset = "independence-synth-v1"
    prediction_schema = {
        "type": "object",
        "required": ["reject", "runtime_s"],
        "description": "one test's decision on one instance; metrics read reject, runtime_s and alpha",
        "properties": {
            "reject": {"type": "boolean"},
            "p_value": {"type": ["number", "null"]},
            "statistic": {"type": ["number", "null"]},
            "alpha": {"type": "number", "exclusiveMinimum": 0},
            "runtime_s": {"type": "number", "minimum": 0},
        },
    }
    real_dataset = "independence-user"
    reference_field = "dependent"

    def load(self, split: str, data_dir: Path | None = None) -> list[dict[str, Any]]:
        from harness_independence.data import embedded, read_instances

        return embedded() if data_dir is None else read_instances(data_dir)

    def artifacts(self, samples: Sequence[Any]) -> Iterable[Artifact]:
        from harness_independence.curves import ARTIFACT, summarise

        yield Artifact(ARTIFACT, "application/json", json.dumps(summarise(samples)).encode())
