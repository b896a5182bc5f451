"""`harness rescore` and metric versions: values recomputed from stored predictions, boards that
never rank an older metric version's values beside current ones."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import duckdb
import pytest
from conftest import Harness, cli_env, copy_into
from toy_plugins import arith, versioned


@pytest.fixture
def cli(tmp_path) -> Harness:
    env = cli_env(tmp_path)
    env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.versioned"
    return Harness(env)


@pytest.fixture(scope="module")
def near_and_far(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A database holding a `near` and a `far` run of the guessing task, recorded once per module."""
    folder = tmp_path_factory.mktemp("rescore")
    env = cli_env(folder)
    env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.versioned"
    made = Harness(env)
    ids = {model: made.json("run", "--task", "guessing", "--model", model)["run_id"] for model in ("near", "far")}
    return Path(env["HARNESS_DB"]), ids


@pytest.fixture
def near_far(cli, near_and_far) -> tuple[str, str]:
    """The run ids of `near_and_far`, in this test's own copy of its database."""
    template, ids = near_and_far
    copy_into(template, Path(cli.env["HARNESS_DB"]))
    return ids["near"], ids["far"]


def board(cli: Harness, *args: str) -> dict:
    (only,) = cli.json("leaderboard", "--task", "guessing", *args)
    return only


def test_a_bumped_metric_version_marks_old_rows_stale_until_they_are_rescored(cli, near_far, monkeypatch):
    near, far = near_far
    before = board(cli)
    assert [r["model"] for r in before["rows"]] == ["near", "far"] and before["stale"] == []
    assert cli.json("runs", "--stale") == []

    # the metric changes (a wider tolerance) and says so with a new version
    monkeypatch.setattr(versioned.CloseGuess, "tolerance", 1)
    monkeypatch.setattr(versioned.CloseGuess, "version", "2")
    stale = board(cli)
    assert stale["rows"] == []  # nothing ranked: every value came from version 1
    assert {(r["run_id"], r["version"], r["current_version"], r["rescore"]) for r in stale["stale"]} == {
        (near, "1", "2", f"harness rescore --run {near}"),
        (far, "1", "2", f"harness rescore --run {far}"),
    }
    assert f"stale: `harness rescore --run {near}`" in cli("leaderboard", "--task", "guessing").stdout
    listed = {r["run_id"]: r["stale"] for r in cli.json("runs", "--stale")}
    assert listed[near] == [{"metric": "close-guess", "version": "1", "current_version": "2", "missing": False}]

    cli("rescore", "--run", near)
    mixed = board(cli)
    assert [(r["model"], r["value"]) for r in mixed["rows"]] == [("near", 1.0)]  # within 1 of every answer now
    assert [r["run_id"] for r in mixed["stale"]] == [far]

    done = cli.json("rescore", "--all-stale")
    assert [r["run_id"] for r in done["runs"]] == [far]
    assert done["runs"][0]["metrics"]["close-guess"]["change"] == "version 1 -> 2"
    assert list(done["runs"][0]["metrics"]) == ["close-guess"]  # only the stale metric was recomputed
    after = board(cli)
    assert [(r["model"], r["value"]) for r in after["rows"]] == [("near", 1.0), ("far", 0.5)] and after["stale"] == []
    assert cli.json("runs", "--stale") == []
    shown = cli.json("show", far, "--samples", "--limit", "2")
    assert shown["metrics"]["close-guess"]["version"] == "2" and shown["metrics"]["exact_match"]["version"] == "1"
    assert shown["samples"][0]["versions"] == {"close-guess": "2", "exact_match": "1"}
    # the replaced values are kept, with when and why
    from harness.store import Store

    history = Store(cli.env["HARNESS_DB"]).metric_history()
    assert {(h["run_id"], h["metric"], h["version"], h["new_version"], h["reason"]) for h in history} == {
        (near, "close-guess", "1", "2", "version 1 -> 2"),
        (far, "close-guess", "1", "2", "version 1 -> 2"),
    }
    assert {h["run_id"]: h["value"] for h in history} == {r["run_id"]: r["value"] for r in before["rows"]}


def test_rescore_gives_the_runs_values_and_versions_calls_no_model_and_creates_no_run(cli, monkeypatch):
    run = cli.json("run", "--task", "doubling", "--model", "noisy")
    shown = cli.json("show", run["run_id"], "--samples", "--limit", "0")

    def no_model(self, batch, ctx):
        raise AssertionError("a re-score called the model")

    monkeypatch.setattr(arith.Noisy, "predict", no_model)
    out = cli("rescore", "--run", run["run_id"][:6]).stdout
    assert "Re-scored 1 run(s)" in out and "unchanged" in out
    assert cli.json("show", run["run_id"], "--samples", "--limit", "0") == shown
    assert len(cli.json("runs")) == 1
    assert {m["version"] for m in shown["metrics"].values()} == {"1"}


def test_bad_input_exits_2_before_any_work(cli):
    run = cli.json("run", "--task", "guessing", "--model", "near")["run_id"]
    db = cli.env["HARNESS_DB"]
    unknown = cli("rescore", "--run", run[:-1] + "x", check=False)
    assert unknown.returncode == 2 and f"no run '{run[:-1]}x'" in unknown.stderr and f"did you mean '{run}'" in unknown.stderr
    metric = cli("rescore", "--run", run, "--metric", "close-gues", check=False)
    assert metric.returncode == 2 and "did you mean 'close-guess'" in metric.stderr
    other = cli("rescore", "--run", run, "--metric", "absolute_error", check=False)
    assert other.returncode == 2 and "is not computed by the task of any run chosen" in other.stderr
    task = cli("rescore", "--task", "guesing", check=False)
    assert task.returncode == 2 and "did you mean 'guessing'" in task.stderr
    nothing = cli("rescore", check=False)
    assert nothing.returncode == 2 and "--run ID, --task TASK or --all-stale" in nothing.stderr
    with duckdb.connect(db) as con:  # a run in progress: its process is this one, alive
        con.execute(
            "UPDATE runs SET status = 'running', pid = ?, host = ?",
            [os.getpid(), socket.gethostname()],
        )
    running = cli("rescore", "--run", run, check=False)
    assert running.returncode == 2 and f"run {run} is still running" in running.stderr
    assert cli.json("rescore", "--task", "guessing")["runs"] == []  # --task takes finished runs only


def test_a_prediction_the_metric_no_longer_reads_names_the_sample_and_changes_nothing(cli, near_far, monkeypatch):
    near, far = near_far
    before = {r: cli.json("show", r, "--samples", "--limit", "0") for r in (near, far)}

    def wants_a_mapping(self, prediction, reference, input):
        return float(prediction["guess"] == reference)

    monkeypatch.setattr(versioned.CloseGuess, "score", wants_a_mapping)
    monkeypatch.setattr(versioned.CloseGuess, "version", "3")
    failed = cli("rescore", "--task", "guessing", check=False)
    assert failed.returncode == 1
    (line,) = failed.stderr.strip().splitlines()
    assert "metric 'close-guess' cannot score sample 'g00'" in line and "is unchanged" in line
    assert {r: cli.json("show", r, "--samples", "--limit", "0") for r in (near, far)} == before


def test_an_older_database_migrates_with_versions_unknown_and_rescores(cli, tmp_path):
    run = cli.json("run", "--task", "guessing", "--model", "near")["run_id"]
    db = cli.env["HARNESS_DB"]
    with duckdb.connect(db) as con:  # the file as schema 4 left it: no versions, no history
        con.execute("ALTER TABLE metrics DROP COLUMN version")
        con.execute("ALTER TABLE samples DROP COLUMN versions")
        con.execute("ALTER TABLE samples DROP COLUMN trace")
        con.execute("DROP TABLE metric_history")
        con.execute("DROP TABLE requests")
        con.execute("DELETE FROM schema_version WHERE version > 4")
    assert {m["version"] for m in cli.json("show", run)["metrics"].values()} == {None}
    assert [r["version"] for r in board(cli)["stale"]] == [None]
    assert "by version unknown" in cli("leaderboard", "--task", "guessing").stdout
    # an export of it, imported elsewhere, is just as stale, and re-scores the same way
    cli("export", str(tmp_path / "out"))
    imported = Harness({**cli.env, "HARNESS_DB": str(tmp_path / "imported.duckdb")})
    imported("import", str(tmp_path / "out"))
    for where in (cli, imported):
        done = where.json("rescore", "--all-stale")
        assert [r["metrics"]["close-guess"]["change"] for r in done["runs"]] == ["version unknown -> 1"]
        assert [r["run_id"] for r in board(where)["rows"]] == [run] and board(where)["stale"] == []


def test_runs_stored_by_a_sweep_rescore(cli, monkeypatch):
    cli("sweep", "--task", "guessing", "--model", "near,far", "--executor", "processes", "--workers", "1")
    monkeypatch.setattr(versioned.CloseGuess, "version", "2")
    done = cli.json("rescore", "--all-stale")
    assert len(done["runs"]) == 2 and {r["metrics"]["close-guess"]["change"] for r in done["runs"]} == {"version 1 -> 2"}
    assert len(board(cli)["rows"]) == 2


def test_a_metric_that_needs_more_than_the_stored_predictions_is_skipped_with_a_note(cli, monkeypatch):
    run = cli.json("run", "--task", "guessing", "--model", "near")["run_id"]
    monkeypatch.setattr(versioned.CloseGuess, "rescorable", False)
    out = cli("rescore", "--run", run, "--json")
    done = json.loads(out.stdout)
    assert done["skipped"] == ["close-guess"] and list(done["runs"][0]["metrics"]) == ["exact_match"]
    assert "metric 'close-guess' needs more than the stored predictions" in out.stderr
    assert "--overwrite` recomputes it" in out.stderr
