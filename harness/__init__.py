"""Kexue Harness: a plugin-based evaluation harness and leaderboard.

The public API for plugin authors is everything in `__all__`; the tutorial
(docs/site/tutorial.md) writes a plugin with it. Importing this package stays cheap (no numpy, torch or datasets).
"""

from __future__ import annotations

from importlib import metadata

from harness.api import ConfigError, DataError, HarnessError, Metric, Model, PredictionError, Renderer, Task
from harness.hookspecs import hookimpl
from harness.records import Artifact, MetricValue, RunRecord, SampleRecord

try:
    __version__ = metadata.version("kexue-harness")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

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
    "RunRecord",
    "SampleRecord",
    "Task",
    "__version__",
    "hookimpl",
]
