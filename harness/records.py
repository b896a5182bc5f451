"""Typed records of what the store holds. One dataclass per table row kind."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

RUN_STATUSES = ("running", "finished", "failed", "interrupted")
#: What made a run, in the order a run page shows it (the dashboard's and the published site's).
PROVENANCE = (
    "run_key",
    "status",
    "started_at",
    "finished_at",
    "duration_s",
    "harness_version",
    "plugin",
    "plugin_version",
    "model_plugin",
    "model_plugin_version",
    "git_commit",
    "git_dirty",
    "python",
    "platform",
    "sweep_id",
)


def to_json(value: Any) -> str:
    """Serialise predictions and inputs; numpy scalars and arrays become plain JSON."""
    return _ENCODER.encode(value)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class MetricValue:
    """One metric of a run: its value over all samples and the 95% bootstrap interval."""

    name: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    higher_is_better: bool
    primary: bool
    #: The `Metric.version` that computed the value; None for values stored before versions were.
    version: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The metric as the documented `--json` output shows it."""
        return {
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "higher_is_better": self.higher_is_better,
            "primary": self.primary,
            "version": self.version,
        }


@dataclass
class SampleRecord:
    """One evaluated sample: what the model saw, what it predicted, the reference and each metric's score."""

    sample_id: str
    idx: int
    input: Any
    prediction: Any
    reference: Any
    scores: dict[str, Any]
    #: Each score's `Metric.version` by metric name (empty for samples stored before versions were).
    versions: dict[str, str] = field(default_factory=dict)
    #: How the model made the prediction, where it says (`RunContext.trace`): a served model's
    #: request and completion, tokens, latency, or why the request failed; None otherwise.
    trace: dict[str, Any] | None = None


@dataclass
class Artifact:
    """A run-level output: `kind` is a MIME type (image/png, application/json, text/plain)."""

    name: str
    kind: str
    data: bytes


@dataclass
class RunRecord:
    """One run as stored in the `runs` table, with its metrics once it has finished."""

    run_id: str
    task: str
    task_version: str
    model: str
    model_config: dict[str, Any]
    dataset: str
    split: str
    data_fingerprint: str
    seed: int
    sample_limit: int | None
    run_key: str
    status: str
    started_at: datetime
    plugin: str
    plugin_version: str | None
    model_plugin: str
    model_plugin_version: str | None
    harness_version: str
    git_commit: str | None = None
    git_dirty: bool | None = None
    python: str = ""
    platform: str = ""
    packages: dict[str, str] = field(default_factory=dict)
    #: What a trained model learnt from (null for models that do not train).
    train_dataset: str | None = None
    train_fingerprint: str | None = None
    error: str | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    n_samples: int | None = None
    sweep_id: str | None = None  # the `harness sweep` that computed the run, if any
    metrics: list[MetricValue] = field(default_factory=list)

    def primary(self) -> MetricValue | None:
        """The task's primary metric (the one leaderboards rank by), or None before the run finished."""
        return next((m for m in self.metrics if m.primary), None)

    def as_json(self, cached: bool = False) -> dict[str, Any]:
        """The documented `--json` shape of a run (docs/site/json.md)."""
        data = asdict(self)
        data["metrics"] = {m.name: m.as_json() for m in self.metrics}
        data["cached"] = cached
        for key in ("started_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


#: One encoder for every call (what `json.dumps` with these options builds anew each time; fingerprints
#: encode every row of a split).
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default)
