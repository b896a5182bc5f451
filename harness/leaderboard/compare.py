"""Two runs side by side: metric deltas and the samples on which they differ."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.api import ConfigError, Metric
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


def sample_value(score: Any, metric: Metric | None = None) -> float | None:
    """One sample's score as a number, so that two runs' samples can be ordered by how they differ.

    A number is itself. Named statistics (geometry's {"value", "applies"}, independence's
    {"dependent", "rejected"}) are the metric's own aggregate over that one sample when the
    metric is installed (NaN, a sample the metric does not apply to, gives None), else their
    "value" entry when they have one.
    """
    if isinstance(score, bool) or score is None:
        return None if score is None else float(score)
    if isinstance(score, (int, float)):
        return float(score)
    if not isinstance(score, Mapping):
        return None
    if metric is not None:
        import math

        import numpy as np

        try:
            own = float(metric.aggregate({k: np.asarray([v], dtype=float) for k, v in score.items()}))
        except Exception:  # a metric that cannot aggregate one sample: fall back to its "value"
            own = math.nan
        if not math.isnan(own):
            return own
        if "value" not in score:
            return None
    found = score.get("value")
    return float(found) if isinstance(found, (int, float)) and not isinstance(found, bool) else None


def compare(
    store: Store,
    run_a: str,
    run_b: str,
    limit: int | None = 50,
    metric_of: Callable[[str], Metric | None] | None = None,
) -> Comparison:
    """Metric deltas, and the samples whose prediction or scores differ, largest change of the
    primary metric's per-sample value first (`metric_of`: the installed metric of a name, so that
    a score of named statistics is valued as its metric aggregates it)."""
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
    metric = metric_of(primary) if metric_of is not None and primary else None
    rows = store.paired_samples(a.run_id, b.run_id)
    differing = []
    for row in rows:
        if row["prediction_a"] == row["prediction_b"] and row["scores_a"] == row["scores_b"]:
            continue
        scores_a, scores_b = json.loads(row["scores_a"]), json.loads(row["scores_b"])
        score_a = sample_value(scores_a.get(primary), metric) if primary else None
        score_b = sample_value(scores_b.get(primary), metric) if primary else None
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
