"""Checking predictions against the shape a task declares (`Task.prediction_schema`).

Metrics read predictions; a model from another plugin that returns the wrong shape would
otherwise fail deep inside a metric with a bare TypeError, or, worse, score silently. The runner
checks the first predictions of every run against the task's JSON Schema and names the model,
the sample and the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from harness.api import ConfigError, PredictionError

#: How many predictions of a run are checked: enough to catch a wrong shape, cheap on big runs.
CHECKED = 64


def validator(task_name: str, schema: Mapping[str, Any] | None) -> Any:
    """A checker for the task's schema (its `iter_errors(prediction)` is jsonschema's); None when the
    task declares none.

    jsonschema takes a few tenths of a second of CPU to import, in every process that runs a task
    (each sweep worker, each `harness run`), to confirm predictions that nearly always match. A
    schema written with the keywords tasks use (`type`, `properties`, `required`, `items`, `enum`,
    the numeric bounds) is checked here in plain Python first; jsonschema is loaded only for a
    prediction that this check does not pass, to say what is wrong in its words, and for any other
    schema."""
    if schema is None:
        return None
    if _plain(schema):
        return _PlainChecker(task_name, schema)
    return _jsonschema_validator(task_name, schema)


def _jsonschema_validator(task_name: str, schema: Mapping[str, Any]) -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"task {task_name!r}: prediction_schema is not a valid JSON Schema: {exc.message}") from None
    return cls(schema)


class _PlainChecker:
    """jsonschema's verdict on a schema that `_plain` accepts: a prediction `_matches` passes has no
    errors (every test made there is one jsonschema makes too, or a stricter one); any other is
    handed to jsonschema, loaded then, which finds its errors or none."""

    def __init__(self, task_name: str, schema: Mapping[str, Any]) -> None:
        self.task_name = task_name
        self.schema = schema
        self._full: Any = None

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        if _matches(self.schema, instance):
            return iter(())
        if self._full is None:
            self._full = _jsonschema_validator(self.task_name, self.schema)
        return iter(self._full.iter_errors(instance))


#: JSON Schema types and the Python values taken to be of each without asking jsonschema: never one
#: it would refuse (booleans are not numbers there, as here), sometimes fewer (a float 2.0 is an
#: integer there; here it is left to jsonschema).
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, bound: v >= bound,
    "maximum": lambda v, bound: v <= bound,
    "exclusiveMinimum": lambda v, bound: v > bound,
    "exclusiveMaximum": lambda v, bound: v < bound,
}
_SCALARS = (str, int, float, bool, type(None))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(schema: Any) -> bool:
    """Whether `schema` uses only keywords `_matches` knows, each in a form the JSON Schema
    meta-schema allows (so jsonschema's own schema check would pass it) and no `$schema` naming
    another draft."""
    if not isinstance(schema, Mapping):
        return False
    for key, value in schema.items():
        if key == "type":
            names = [value] if isinstance(value, str) else value
            if not (isinstance(names, list) and names and len(set(map(str, names))) == len(names)):
                return False
            if not all(isinstance(name, str) and name in _TYPES for name in names):
                return False
        elif key in ("description", "title"):
            if not isinstance(value, str):
                return False
        elif key in _BOUNDS:
            if not _is_number(value):
                return False
        elif key == "required":
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value) and len(set(value)) == len(value)):
                return False
        elif key == "properties":
            if not (isinstance(value, Mapping) and all(isinstance(k, str) and _plain(v) for k, v in value.items())):
                return False
        elif key == "items":
            if not _plain(value):
                return False
        elif key == "enum":
            if not (isinstance(value, list) and value and all(isinstance(v, _SCALARS) for v in value)):
                return False
        else:
            return False
    return True


def _matches(schema: Mapping[str, Any], value: Any) -> bool:
    """True only where jsonschema finds `value` valid against `schema` (a `_plain` one); False where
    it would not, or where this check does not tell."""
    if not isinstance(value, (*_SCALARS, list, dict)):
        return False
    kind = schema.get("type")
    if kind is not None and not any(_TYPES[name](value) for name in ([kind] if isinstance(kind, str) else kind)):
        return False
    if "enum" in schema and not any(type(v) is type(value) and v == value for v in schema["enum"]):
        return False
    if _is_number(value):
        if not all(check(value, schema[key]) for key, check in _BOUNDS.items() if key in schema):
            return False
    elif isinstance(value, dict):
        if not all(key in value for key in schema.get("required", ())):
            return False
        properties = schema.get("properties", {})
        if not all(_matches(properties[key], item) for key, item in value.items() if key in properties):
            return False
    elif isinstance(value, list):
        if "items" in schema and not all(_matches(schema["items"], item) for item in value):
            return False
    return True


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
