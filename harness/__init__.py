"""Kexue Harness: a plugin-based evaluation harness and leaderboard.

The public API for plugin authors is everything in `__all__` here, plus the public modules
`harness.views`, `harness.training`, `harness.jsonl`, `harness.stats`, `harness.evaluate_metrics`,
`harness.executors`, `harness.text`, `harness.curves`, `harness.store` (`Store`, to read results)
and `harness.testing`. Everything else under `harness` is internal and may change without notice.
Importing this package stays cheap (no numpy, torch or datasets).
"""

from __future__ import annotations

from importlib import metadata

from harness.api import ConfigError, DataError, HarnessError, Metric, Model, PredictionError, Renderer, Task
from harness.context import RunContext
from harness.hookspecs import hookimpl
from harness.paths import default_home as home
from harness.records import Artifact, MetricValue, RunRecord, SampleRecord, to_json


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata on first use: reading it costs a tenth of a
    second, which every `harness` command would otherwise spend before it can take Ctrl-C."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        version = metadata.version("kexue-harness")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0+unknown"
    globals()["__version__"] = version
    return version


__all__ = [
    "Artifact",
    "ConfigError",
    "DataError",
    "HarnessError",
    "Metric",
    "MetricValue",
    "Model",
    "PredictionError",
    "Renderer",
    "RunContext",
    "RunRecord",
    "SampleRecord",
    "Task",
    "__version__",
    "home",
    "hookimpl",
    "to_json",
]
