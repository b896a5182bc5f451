"""Tasks declare the shape of their predictions; runs check it and name what is wrong."""

from __future__ import annotations

import json

import pytest

from harness.api import ConfigError, PredictionError
from harness.runner.predictions import check, validator


def test_a_wrong_prediction_shape_fails_the_run_naming_model_sample_and_field(harness_cli):
    result = harness_cli("run", "--task", "doubling", "--model", "wordy", check=False)
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert "model 'wordy' on task 'doubling', sample 'test-0004'" in error
    assert '{"answer": "8"}' in error and "is not of type 'number'" in error
    assert "Traceback" not in result.stderr
    failed = harness_cli.json("runs", "--status", "failed")
    assert [r["model"] for r in failed] == ["wordy"]


def test_harness_tasks_shows_one_task_with_its_prediction_shape(harness_cli):
    text = harness_cli("tasks", "doubling").stdout
    assert "primary metric    exact_match (higher is better)" in text
    assert '"type": "number"' in text
    data = harness_cli.json("tasks", "doubling")
    assert data["prediction_schema"]["type"] == "number" and data["name"] == "doubling"
    assert harness_cli.json("tasks", "squaring")["prediction_schema"] is None
    unknown = harness_cli("tasks", "dubling", check=False)
    assert unknown.returncode == 2 and "did you mean 'doubling'" in unknown.stderr


def test_nested_fields_are_named_and_invalid_schemas_are_refused():
    schema = {
        "type": "object",
        "required": ["sql"],
        "properties": {"sql": {"type": "object", "properties": {"sel": {"type": "array", "items": {"type": "integer"}}}}},
    }
    checker = validator("nl", schema)
    check(checker, "nl", "m", ["a"], [{"sql": {"sel": [1, 2]}}])
    with pytest.raises(PredictionError, match=r"sample 'b': prediction\['sql'\]\['sel'\]\[1\] = \"2\""):
        check(checker, "nl", "m", ["a", "b"], [{"sql": {"sel": [1]}}, {"sql": {"sel": [1, "2"]}}])
    with pytest.raises(PredictionError, match=r"prediction \(the whole prediction\) = \[\]"):
        check(checker, "nl", "m", ["c"], [[]])
    with pytest.raises(ConfigError, match="task 'nl': prediction_schema is not a valid JSON Schema"):
        validator("nl", {"type": "no-such-type"})
    assert validator("nl", None) is None
    assert json.dumps(schema)  # schemas are plain JSON, shown by `harness tasks NAME --json`


def test_predictions_that_match_a_plain_schema_need_no_jsonschema_and_others_get_its_words(monkeypatch):
    """Schemas written with the common keywords are checked without importing jsonschema (seconds of
    CPU over a sweep's workers); a prediction that fails gets exactly jsonschema's errors."""
    import jsonschema

    from harness.runner import predictions

    schema = {
        "type": "object",
        "required": ["label", "spans"],
        "description": "a label and its spans",
        "properties": {
            "label": {"enum": ["yes", "no"]},
            "score": {"type": ["number", "null"], "minimum": 0, "exclusiveMaximum": 1},
            "spans": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        },
    }
    good = [
        {"label": "yes", "spans": []},
        {"label": "no", "score": 0.5, "spans": [0, 3]},
        {"label": "no", "score": None, "spans": [1]},
    ]
    bad = [
        {"label": "maybe", "spans": []},
        {"label": "yes", "score": 1, "spans": []},
        {"label": "yes", "spans": [-1, 2.5]},
        {"label": "yes"},
        {"label": True, "spans": [True]},
        [],
    ]
    checker = validator("t", schema)
    reference = jsonschema.validators.validator_for(schema)(schema)

    def never(*args):
        raise AssertionError("jsonschema was asked about a prediction that matches")

    with monkeypatch.context() as patch:
        patch.setattr(predictions, "_jsonschema_validator", never)
        check(checker, "t", "m", [str(i) for i in range(len(good))], good)
    for prediction in good + bad:
        assert [e.message for e in checker.iter_errors(prediction)] == [e.message for e in reference.iter_errors(prediction)]
    with pytest.raises(PredictionError, match=r"prediction\['label'\] = \"maybe\""):
        check(checker, "t", "m", ["a"], bad[:1])
    # keywords the plain check does not know go to jsonschema whole
    assert not isinstance(validator("t", {"type": "array", "minItems": 1}), predictions._PlainChecker)
