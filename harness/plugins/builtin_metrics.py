"""Metrics every task may use, registered through the same hook as any plugin's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.api import Metric
from harness.hookspecs import hookimpl
from harness.records import to_json


class ExactMatch(Metric):
    name = "exact_match"
    version = "1"
    description = "1 when the prediction equals the reference (compared as canonical JSON), else 0."
    bounds = (0.0, 1.0)

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> float:
        return float(to_json(prediction) == to_json(reference))


class AbsoluteError(Metric):
    name = "absolute_error"
    version = "1"
    description = "|prediction - reference| for numeric predictions, averaged over samples."
    higher_is_better = False
    expects = "a number (or a string holding one)"
    bounds = (0.0, None)

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> float:
        return abs(float(prediction) - float(reference))


@hookimpl
def register_metrics(register):
    register(ExactMatch)
    register(AbsoluteError)
