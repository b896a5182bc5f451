"""`harness run`: results, JSON shape, caching, overwrite, groups, bad input, failures, training."""

from __future__ import annotations

import json

import duckdb
import pytest

from harness.api import ConfigError, DataError
from harness.runner.run import Runner, RunRequest
from harness.store import Store

RUN_FIELDS = {"run_id", "task", "model", "dataset", "split", "status", "cached", "duration_s", "metrics"}


def run(registry, db, **kwargs):
    return Runner(registry, Store(db)).run(RunRequest(**kwargs))


def test_run_json_has_documented_shape(harness_cli):
    data = harness_cli.json("run", "--task", "doubling", "--model", "noisy")
    assert RUN_FIELDS <= set(data)
    assert data["status"] == "finished" and data["cached"] is False
    assert data["dataset"] == "doubling-synth-v1" and data["split"] == "test" and data["n_samples"] == 200
    accuracy = data["metrics"]["exact_match"]
    assert set(accuracy) == {"value", "ci_low", "ci_high", "higher_is_better", "primary", "version"}
    assert accuracy["value"] == pytest.approx(0.75)  # noisy is wrong on every 4th input
    assert accuracy["ci_low"] < 0.75 < accuracy["ci_high"] and accuracy["primary"] is True
    error = data["metrics"]["absolute_error"]
    assert error["value"] == pytest.approx(0.25) and error["higher_is_better"] is False and not error["primary"]


def test_second_run_is_cached_unless_overwrite(harness_cli, db):
    first = harness_cli.json("run", "--task", "doubling", "--model", "noisy")
    second = harness_cli.json("run", "--task", "doubling", "--model", "noisy")
    assert second["cached"] is True and second["run_id"] == first["run_id"]
    assert second["metrics"] == first["metrics"]
    third = harness_cli.json("run", "--task", "doubling", "--model", "noisy", "--overwrite")
    assert third["cached"] is False and third["run_id"] != first["run_id"]
    with duckdb.connect(str(db), read_only=True) as con:  # the overwritten run is replaced, not kept
        assert con.execute("SELECT list(run_id) FROM runs").fetchone()[0] == [third["run_id"]]
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 200


@pytest.mark.parametrize(
    "change",
    [
        {"model_args": {"every": "5"}},
        {"limit": 50},
        {"seed": 1},
        {"model": "exact"},
        {"split": "train"},
    ],
)
def test_cache_key_covers_what_determines_a_result(arith, db, change):
    base = run(arith, db, task="doubling", model="noisy")
    other = run(arith, db, **{"task": "doubling", "model": "noisy", **change})
    assert not other.cached and other.run.run_key != base.run.run_key


def test_bootstrap_ci_is_repeatable_and_seeded(arith, tmp_path):
    a = run(arith, tmp_path / "a.duckdb", task="doubling", model="noisy").run.primary()
    b = run(arith, tmp_path / "b.duckdb", task="doubling", model="noisy").run.primary()
    c = run(arith, tmp_path / "c.duckdb", task="doubling", model="noisy", seed=7).run.primary()
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.value == c.value


def test_unknown_names_fail_with_suggestions_and_write_nothing(harness_cli, db):
    result = harness_cli("run", "--task", "dubling", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: unknown task 'dubling'; did you mean 'doubling'?"
    result = harness_cli("run", "--task", "doubling", "--model", "nosy", check=False)
    assert result.returncode == 2 and "did you mean 'noisy'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = harness_cli("run", "--task", "doubling", "--model", "noisy", "-a", "evry=3", check=False)
    assert result.returncode == 2 and "has no argument 'evry' (accepted: every, offset)" in result.stderr
    result = harness_cli("run", "--task", "doubling", "--model", "noisy", "-a", "every=often", check=False)
    assert result.returncode == 2 and "every='often' is not a valid int" in result.stderr
    assert not db.exists()


def test_model_that_does_not_serve_the_task_is_refused(arith, db):
    with pytest.raises(ConfigError, match="does not serve task 'squaring'"):
        run(arith, db, task="squaring", model="noisy")


def test_bad_data_dir_names_file_and_line_and_loses_nothing(arith, db, tmp_path):
    run(arith, db, task="doubling", model="noisy")
    (tmp_path / "test.jsonl").write_text('{"id": "a", "x": 1, "reference": 2}\n{oops\n')
    with pytest.raises(DataError, match=r"test\.jsonl:2: not valid JSON"):
        run(arith, db, task="doubling", model="noisy", data_dir=tmp_path)
    assert [r.status for r in Store(db).runs()] == ["finished"]


def test_real_data_is_a_separate_dataset(arith, db, tmp_path):
    (tmp_path / "test.jsonl").write_text('{"id": "a", "x": 1, "reference": 2}\n{"id": "b", "x": 4, "reference": 8}\n')
    outcome = run(arith, db, task="doubling", model="noisy", data_dir=tmp_path)
    assert outcome.run.dataset == "doubling-jsonl" and outcome.run.n_samples == 2
    assert outcome.run.primary().value == 0.5


def test_failed_run_is_stored_with_its_error_and_exits_nonzero(harness_cli, db):
    result = harness_cli(
        "run", "--task", "doubling", "--model", "slow", "-a", "delay=0", "-a", "crash_at=50", "--json", check=False
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and "RuntimeError: boom at x=50" in data["error"]
    assert "boom at x=50" in result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        status, error = con.execute("SELECT status, error FROM runs").fetchone()
        assert status == "failed" and "Traceback" in error
        # batches before the crash are kept, so a fixed model resumes from them
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 48


def test_models_never_see_the_reference(arith, db):
    outcome = run(arith, db, task="doubling", model="peeking", limit=3)
    samples = Store(db).samples(outcome.run.run_id)
    assert outcome.run.primary().value == 1.0
    assert samples[0].reference == 0 and samples[0].input == {"id": "test-0000", "x": 0}


def test_group_runs_every_task(harness_cli):
    data = harness_cli.json("run", "--task", "arith")
    assert data["group"] == "arith"
    assert [(r["task"], r["status"]) for r in data["runs"]] == [("doubling", "finished"), ("squaring", "finished")]
    assert data["runs"][1]["metrics"]["absolute_error"]["value"] == 0


def test_training_checkpoint_is_cached(arith, db, tmp_path):
    fits = tmp_path / "fits.log"
    first = run(arith, db, task="doubling", model="memorise", model_args={"fits": str(fits)})
    assert first.run.primary().value == 1.0
    again = run(arith, db, task="doubling", model="memorise", model_args={"fits": str(fits)}, overwrite=True)
    assert again.run.primary().value == 1.0 and not again.cached
    assert fits.read_text().count("fit") == 1


def test_limit_and_split(arith, db):
    outcome = run(arith, db, task="doubling", model="exact", split="train", limit=10)
    assert outcome.run.n_samples == 10 and outcome.run.split == "train" and outcome.run.sample_limit == 10
    with pytest.raises(ConfigError, match="has no split 'dev'"):
        run(arith, db, task="doubling", split="dev")


def test_run_records_provenance(arith, db):
    record = run(arith, db, task="doubling", model="noisy").run
    stored = Store(db).get_run(record.run_id)
    assert stored.harness_version and stored.python and stored.platform
    assert stored.plugin == "toy_plugins.arith" and stored.model_plugin == "toy_plugins.arith"
    assert {"duckdb", "numpy", "pluggy"} <= set(stored.packages)
    assert stored.model_config == {"every": 4, "offset": 1} and stored.seed == 0
    assert len(stored.data_fingerprint) == 16
    assert stored.started_at <= stored.finished_at and stored.duration_s >= 0
    # the toy plugin's source lives in this repository's checkout
    assert stored.git_commit is None or len(stored.git_commit) == 40
    assert stored.git_dirty in (True, False, None)


def test_human_output_is_a_summary_table(harness_cli):
    out = harness_cli("run", "--task", "doubling", "--model", "noisy").stdout
    assert "doubling · noisy · doubling-synth-v1/test" in out
    assert "exact_match (primary)" in out and "95% CI" in out


def test_tasks_may_return_a_datasets_dataset(arith, tmp_path, monkeypatch):
    import datasets
    from toy_plugins.arith import Doubling, make_rows

    as_list = run(arith, tmp_path / "a.duckdb", task="doubling", model="noisy").run
    monkeypatch.setattr(Doubling, "load", lambda self, split, data_dir=None: datasets.Dataset.from_list(make_rows(split, 200)))
    as_dataset = run(arith, tmp_path / "b.duckdb", task="doubling", model="noisy").run
    assert as_dataset.data_fingerprint == as_list.data_fingerprint
    assert as_dataset.metrics == as_list.metrics


def test_task_artifacts_are_stored_with_the_run(harness_cli, db):
    data = harness_cli.json("run", "--task", "doubling", "--model", "noisy", "--limit", "12")
    shown = harness_cli.json("show", data["run_id"])
    assert shown["artifacts"] == [{"name": "wrong.json", "kind": "application/json", "bytes": 39}]
    (artifact,) = Store(db).artifacts(data["run_id"])
    assert json.loads(artifact.data) == ["test-0000", "test-0004", "test-0008"]


def test_a_metric_undefined_for_the_whole_run_has_no_ci_and_no_resampling_note():
    """E.g. codebook usage for a codec: every resample would be NaN too, which is no news."""
    import math

    from harness.api import Metric
    from harness.stats import summarise_with_notes

    class Undefined(Metric):
        name = "undefined"

        def aggregate(self, stats):
            return math.nan

    value, notes = summarise_with_notes(Undefined(), [1.0, 2.0, 3.0], seed=0, primary=False)
    assert (value.value, value.ci_low, value.ci_high, notes) == (None, None, None, [])
