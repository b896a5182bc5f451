"""Scoring samples and summarising a run: the one path both `harness run` and `harness rescore` take.

A run scores each batch of predictions as the model returns them and summarises the stored scores
at the end; a re-score reads the stored inputs, predictions and references back and does the same,
so a re-score of an unchanged metric gives exactly the run's values. Every score and value carries
the `Metric.version` that computed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from harness.api import Metric, ScoreError, Task
from harness.plugins.registry import Registry
from harness.records import MetricValue, to_json


class Scorer:
    """The metrics `names` of `task` (default: all the task's), ready to score samples."""

    def __init__(self, registry: Registry, task: Task, names: Sequence[str] | None = None) -> None:
        self.task = task
        self.names = list(task.metrics if names is None else names)
        self.metrics = [registry.metrics[name].obj() for name in self.names]
        #: Each metric's version, recorded with every score and value it computes.
        self.versions = {m.name: str(type(m).version) for m in self.metrics}
        self.descriptions = {m.name: type(m).description for m in self.metrics}

    def score(self, prediction: Any, reference: Any, inp: Any, sample_id: str) -> dict[str, float | dict[str, float] | None]:
        """One sample's score by each metric; a prediction a metric cannot read is a ScoreError naming the sample."""
        return {m.name: score_one(m, prediction, reference, inp, sample_id) for m in self.metrics}

    def summarise(self, scores: Sequence[Mapping[str, Any]], seed: int) -> tuple[list[MetricValue], list[str]]:
        """Each metric's value and bootstrap CI over the samples' `scores` (dataset order), with
        the notes a user should see; the bootstrap draws from `seed`, so the CI is reproducible."""
        from harness.stats import summarise_with_notes  # numpy: not needed by a cached re-run

        values, notes = [], []
        for metric in self.metrics:
            value, metric_notes = summarise_with_notes(
                type(metric)(), [s.get(metric.name) for s in scores], seed, primary=metric.name == self.task.primary_metric
            )
            values.append(dataclasses.replace(value, version=self.versions[metric.name]))
            notes += metric_notes
        return values, notes


def score_one(metric: Metric, prediction: Any, reference: Any, inp: Any, sample_id: str) -> float | dict[str, float] | None:
    """One metric's score of one sample; a prediction it cannot read is a ScoreError saying so."""
    try:
        return _plain(metric.score(prediction, reference, inp))
    except (TypeError, ValueError, LookupError, AttributeError) as exc:
        expected = f"it expects {metric.expects}" if metric.expects else "it cannot read this prediction"
        raise ScoreError(
            f"metric {metric.name!r} cannot score sample {sample_id!r}: {expected}; prediction "
            f"{_short(prediction)}, reference {_short(reference)} ({type(exc).__name__}: {exc})"
        ) from exc


def _short(value: Any) -> str:
    text = to_json(value)
    return f"{text if len(text) <= 80 else text[:77] + '...'} ({type(value).__name__})"


def _plain(score: float | Mapping[str, float] | None) -> float | dict[str, float] | None:
    if score is None:
        return None  # the metric does not apply to this sample
    if isinstance(score, Mapping):
        return {k: float(v) for k, v in score.items()}
    return float(score)
