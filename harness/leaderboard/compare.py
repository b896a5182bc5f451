"""Two runs side by side: metric deltas and the samples on which they differ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.api import ConfigError
from harness.records import RunRecord
from harness.store import Store


@dataclass
class Comparison:
    a: RunRecord
    b: RunRecord
    deltas: list[dict[str, Any]]
    differing: list[dict[str, Any]]
    shared: int

    def as_json(self) -> dict[str, Any]:
        return {
            "run_a": self.a.run_id,
            "run_b": self.b.run_id,
            "shared_samples": self.shared,
            "metrics": self.deltas,
            "differing_samples": self.differing,
        }


def _primary_value(score: Any) -> float | None:
    if isinstance(score, (int, float)):
        return float(score)
    return None


def compare(store: Store, run_a: str, run_b: str, limit: int | None = 50) -> Comparison:
    a, b = store.get_run(run_a), store.get_run(run_b)
    if a.task != b.task:
        raise ConfigError(
            f"runs {a.run_id} ({a.task}) and {b.run_id} ({b.task}) are of different tasks: their metrics "
            "and samples cannot be compared; compare two runs of one task"
        )
    metrics_b = {m.name: m for m in b.metrics}
    deltas = []
    for m in a.metrics:
        other = metrics_b.get(m.name)
        value_b = other.value if other else None
        delta = None if m.value is None or value_b is None else value_b - m.value
        deltas.append(
            {
                "metric": m.name,
                "a": m.value,
                "b": value_b,
                "delta": delta,
                "higher_is_better": m.higher_is_better,
                "primary": m.primary,
            }
        )
    primary = next((m.name for m in a.metrics if m.primary), None)
    rows = store.paired_samples(a.run_id, b.run_id)
    differing = []
    for row in rows:
        if row["prediction_a"] == row["prediction_b"] and row["scores_a"] == row["scores_b"]:
            continue
        scores_a, scores_b = json.loads(row["scores_a"]), json.loads(row["scores_b"])
        score_a = _primary_value(scores_a.get(primary)) if primary else None
        score_b = _primary_value(scores_b.get(primary)) if primary else None
        differing.append(
            {
                "sample_id": row["sample_id"],
                "input": json.loads(row["input"]),
                "reference": json.loads(row["reference"]),
                "prediction_a": json.loads(row["prediction_a"]),
                "prediction_b": json.loads(row["prediction_b"]),
                "scores_a": scores_a,
                "scores_b": scores_b,
                "score_delta": None if score_a is None or score_b is None else score_b - score_a,
            }
        )
    differing.sort(key=lambda d: -abs(d["score_delta"] or 0.0))
    return Comparison(a, b, deltas, differing[:limit] if limit else differing, shared=len(rows))
