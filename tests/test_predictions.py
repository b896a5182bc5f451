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
