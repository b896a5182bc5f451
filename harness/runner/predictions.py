"""Checking predictions against the shape a task declares (`Task.prediction_schema`).

Metrics read predictions; a model from another plugin that returns the wrong shape would
otherwise fail deep inside a metric with a bare TypeError, or, worse, score silently. The runner
checks the first predictions of every run against the task's JSON Schema and names the model,
the sample and the field at fault.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.api import ConfigError, PredictionError

#: How many predictions of a run are checked: enough to catch a wrong shape, cheap on big runs.
CHECKED = 64


def validator(task_name: str, schema: Mapping[str, Any] | None) -> Any:
    """A jsonschema validator for the task's schema; None when the task declares none."""
    if schema is None:
        return None
    # Checking a schema against its metaschema costs milliseconds, and one process runs a task's
    # schema many times (a sweep's worker, the dashboard): each distinct schema is checked once.
    try:
        text = json.dumps(schema, sort_keys=True)
    except TypeError:  # not plain JSON: checked as it is, every time
        return _build(task_name, schema)
    return _cached(task_name, text)


@functools.lru_cache(maxsize=64)
def _cached(task_name: str, schema_json: str) -> Any:
    return _build(task_name, json.loads(schema_json))


def _build(task_name: str, schema: Mapping[str, Any]) -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"task {task_name!r}: prediction_schema is not a valid JSON Schema: {exc.message}") from None
    return cls(schema)


def check(checker: Any, task: str, model: str, ids: Sequence[str], predictions: Sequence[Any]) -> None:
    """Raise PredictionError for the first prediction that does not match the schema."""
    if checker is None:
        return
    from harness.records import to_json

    for sample_id, prediction in zip(ids, predictions, strict=True):
        error = next(iter(sorted(checker.iter_errors(prediction), key=lambda e: list(e.path))), None)
        if error is None:
            continue
        field = "".join(f"[{p!r}]" for p in error.path) or " (the whole prediction)"
        shown = to_json(error.instance)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise PredictionError(
            f"model {model!r} on task {task!r}, sample {sample_id!r}: prediction{field} = {shown} does not match "
            f"the task's prediction_schema: {error.message.split(chr(10))[0][:200]} (`harness tasks {task}` shows the schema)"
        )
