"""`harness leaderboard`, `show`, `compare` and `info` over a database filled by real runs."""

from __future__ import annotations

import json

import pytest
from conftest import copy_into, fill_once

from harness.runner.run import Runner, RunRequest


def _fill(runner: Runner) -> dict:
    requests = {
        "exact": RunRequest(task="doubling", model="exact"),
        "noisy4": RunRequest(task="doubling", model="noisy"),
        "noisy2": RunRequest(task="doubling", model="noisy", model_args={"every": "2"}),
        "noisy4-seed1": RunRequest(task="doubling", model="noisy", seed=1),
    }
    return {name: runner.run(request).as_json() for name, request in requests.items()}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Four runs recorded in-process once (faster than four CLI start-ups per test)."""
    return fill_once(tmp_path_factory, "results-cli", _fill)


@pytest.fixture
def filled(arith, db, template):
    """This test's own copy of the template database; the CLI then reads (or adds to) it."""
    copy_into(template[0], db)
    return template[1]


def test_leaderboard_ranks_best_run_per_model_and_config(harness_cli, filled):
    boards = harness_cli.json("leaderboard", "--task", "doubling")
    assert len(boards) == 1
    board = boards[0]
    assert (board["dataset"], board["split"], board["metric"], board["higher_is_better"]) == (
        "doubling-synth-v1",
        "test",
        "exact_match",
        True,
    )
    rows = board["rows"]
    assert [(r["rank"], r["model"], r["value"]) for r in rows] == [(1, "exact", 1.0), (2, "noisy", 0.75), (3, "noisy", 0.5)]
    assert rows[1]["runs"] == 2 and rows[1]["model_config"] == {"every": 4, "offset": 1}
    assert rows[1]["ci_low"] < 0.75 < rows[1]["ci_high"]


def test_lower_is_better_tasks_rank_ascending(harness_cli):
    harness_cli("run", "--task", "squaring")
    (board,) = harness_cli.json("leaderboard", "--task", "squaring")
    assert board["higher_is_better"] is False and board["rows"][0]["value"] == 0


def test_real_and_synthetic_data_are_never_ranked_together(harness_cli, filled, tmp_path):
    (tmp_path / "test.jsonl").write_text('{"id": "a", "x": 1, "reference": 2}\n{"id": "b", "x": 3, "reference": 6}\n')
    harness_cli("run", "--task", "doubling", "--model", "noisy", "--data-dir", str(tmp_path))
    boards = harness_cli.json("leaderboard", "--task", "doubling")
    assert [b["dataset"] for b in boards] == ["doubling-jsonl", "doubling-synth-v1"]
    assert [len(b["rows"]) for b in boards] == [1, 3]


def test_two_folders_of_the_same_format_with_other_data_are_two_boards(harness_cli, filled, tmp_path):
    for name, xs in (("a", (1, 3)), ("b", (5, 7, 9))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "test.jsonl").write_text("".join(f'{{"id": "{x}", "x": {x}, "reference": {2 * x}}}\n' for x in xs))
        harness_cli("run", "--task", "doubling", "--model", "noisy", "--data-dir", str(folder))
        harness_cli("run", "--task", "doubling", "--model", "exact", "--data-dir", str(folder))
    boards = [b for b in harness_cli.json("leaderboard", "--task", "doubling") if b["dataset"] == "doubling-jsonl"]
    assert len(boards) == 2 and len({b["data_fingerprint"] for b in boards}) == 2
    assert sorted([r["n_samples"] for r in b["rows"]] for b in boards) == [[2, 2], [3, 3]]
    assert all(r["runs"] == 1 for b in boards for r in b["rows"])  # never the best of two folders' runs
    table = harness_cli("leaderboard", "--task", "doubling").stdout
    assert table.count("doubling-jsonl/test (data ") == 2
    # one folder alone keeps the plain title
    single = [b for b in harness_cli.json("leaderboard", "--task", "doubling") if b["dataset"] == "doubling-synth-v1"]
    assert [b["data_fingerprint"] for b in single] == [None]


def test_leaderboard_markdown_and_table(harness_cli, filled):
    markdown = harness_cli("leaderboard", "--task", "doubling", "--markdown").stdout
    assert "### doubling · doubling-synth-v1/test · exact_match ↑" in markdown
    assert "| 1 | exact |" in markdown
    table = harness_cli("leaderboard").stdout
    assert "exact" in table and "noisy" in table


def test_show_prints_metadata_metrics_and_samples(harness_cli, filled):
    run_id = filled["noisy4"]["run_id"]
    data = harness_cli.json("show", run_id[:6], "--samples", "--limit", "5")
    assert data["run_id"] == run_id and data["metrics"]["exact_match"]["value"] == 0.75
    assert [s["sample_id"] for s in data["samples"]] == [f"test-{i:04d}" for i in range(5)]
    first = data["samples"][0]
    assert set(first) == {"sample_id", "idx", "input", "prediction", "reference", "scores", "versions", "trace"}
    assert first["prediction"] == 1 and first["reference"] == 0  # x = 0 is a multiple of 4
    assert first["scores"] == {"exact_match": 0.0, "absolute_error": 1.0}
    text = harness_cli("show", run_id, "--samples").stdout
    assert "test-0000" in text and "exact_match (primary)" in text


def test_compare_shows_deltas_and_differing_samples(harness_cli, filled):
    a, b = filled["noisy4"]["run_id"], filled["noisy2"]["run_id"]
    data = harness_cli.json("compare", a, b, "--limit", "0")
    assert data["shared_samples"] == 200
    delta = {d["metric"]: d for d in data["metrics"]}
    assert delta["exact_match"]["delta"] == pytest.approx(-0.25)
    # they differ exactly on even numbers that are not multiples of 4
    assert len(data["differing_samples"]) == 50
    assert all(s["input"]["x"] % 4 == 2 and s["score_delta"] == -1 for s in data["differing_samples"])
    text = harness_cli("compare", a, b).stdout
    assert "-0.25" in text


def test_show_unknown_run_is_one_line(harness_cli, filled):
    result = harness_cli("show", "nope", check=False)
    assert result.returncode == 2 and result.stderr.strip().startswith("Error: no run 'nope' in")  # a usage error


def test_info_reports_the_database(harness_cli, filled, db):
    data = harness_cli.json("info")
    assert data["db"] == str(db) and data["db_exists"] is True
    assert data["counts"]["runs"] == 4 and data["counts"]["samples"] == 800
    other = json.loads(harness_cli("info", "--db", "elsewhere.duckdb", "--json").stdout)
    assert other["db"].endswith("elsewhere.duckdb") and other["db_exists"] is False


def test_sample_text_is_printed_as_data_not_markup(harness_cli, tmp_path):
    harness_cli.env["COLUMNS"] = "400"  # no wrapping, so the text can be found whole
    hostile = "[/bold][red]not markup[/red][link=file:///etc/passwd]x[/link]"
    (tmp_path / "test.jsonl").write_text(json.dumps({"id": hostile, "x": 1, "reference": 2}) + "\n")
    data = harness_cli.json("run", "--task", "doubling", "--model", "exact", "--data-dir", str(tmp_path))
    shown = harness_cli("show", data["run_id"], "--samples", "--wide").stdout
    assert hostile in shown

    (tmp_path / "test.jsonl").write_text(json.dumps({"id": "a", "x": 1, "reference": hostile}) + "\n")
    result = harness_cli("run", "--task", "doubling", "--model", "exact", "--data-dir", str(tmp_path), "--json", check=False)
    failed = json.loads(result.stdout)
    assert result.returncode == 1 and failed["status"] == "failed"  # a string cannot be scored by absolute_error
    shown = harness_cli("show", failed["run_id"]).stdout
    assert "error: ScoreError: metric 'absolute_error' cannot score sample 'a': it expects a number" in shown
    assert f"(ValueError: could not convert string to float: '{hostile}')" in shown


def test_runs_lists_recent_runs_with_filters(harness_cli, filled):
    runs = harness_cli.json("runs")
    assert len(runs) == 4 and {r["status"] for r in runs} == {"finished"}
    assert [r["started_at"] for r in runs] == sorted((r["started_at"] for r in runs), reverse=True)
    assert harness_cli.json("runs", "--status", "failed") == []
    assert len(harness_cli.json("runs", "--task", "doubling", "--limit", "2")) == 2
    assert filled["exact"]["run_id"] in harness_cli("runs").stdout


def test_tasks_and_show_say_what_each_metric_measures(harness_cli):
    from harness.plugins.builtin_metrics import ExactMatch

    run = harness_cli.json("run", "--task", "doubling", "--model", "noisy")
    info = harness_cli.json("tasks", "doubling")["metric_info"]
    assert info["exact_match"] == {
        "description": ExactMatch.description,
        "citation": "",
        "expects": "",
        "higher_is_better": True,
        "bounds": [0.0, 1.0],
        "version": ExactMatch.version,
    }
    assert f"exact_match (↑, version {ExactMatch.version}): {ExactMatch.description}" in harness_cli("tasks", "doubling").stdout
    shown = harness_cli.json("show", run["run_id"])
    assert shown["metrics"]["exact_match"]["description"] == ExactMatch.description
    assert ExactMatch.description[:40] in " ".join(harness_cli("show", run["run_id"]).stdout.split())


def test_runs_show_seed_and_sweep_and_filter_by_sweep(harness_cli, filled, tmp_path):
    sweep = harness_cli.json("sweep", "-t", "doubling", "-m", "noisy", "-a", "every=3,5")["sweep_id"]
    runs = harness_cli.json("runs", "--sweep", sweep[:6])  # a unique prefix, as for run ids
    assert len(runs) == 2 and {r["sweep_id"] for r in runs} == {sweep} and {r["seed"] for r in runs} == {0}
    listed = harness_cli("runs", "--columns", "run,seed,sweep").stdout.splitlines()
    assert listed[1].split() == ["run", "seed", "sweep"]  # under the config line common to the runs
    assert any(line.split()[1:] == ["0", sweep] for line in listed) and any(line.split()[1:] == ["0", "—"] for line in listed)
    harness_cli("export", str(tmp_path / "out"), "--sweep", sweep)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["runs"] == 2
    grid = harness_cli("sweeps", sweep).stdout
    assert "grid: tasks doubling × models noisy × seeds 0 × every ∈ {3, 5}" in grid
    missing = harness_cli("runs", "--sweep", "nope", check=False)
    assert missing.returncode == 2 and "no sweep 'nope'" in missing.stderr


def test_show_and_compare_cut_long_values_unless_wide(harness_cli, filled, db):
    from harness.store import Store

    a, b = filled["noisy4"]["run_id"], filled["noisy2"]["run_id"]
    with Store(db).transaction() as con:  # predictions of thousands of numbers, as geometry's curves are
        con.execute("UPDATE samples SET prediction = to_json(range(2000)) WHERE run_id = ?", [b])
    harness_cli.env["COLUMNS"] = "100"
    cut = harness_cli("compare", a, b, "--limit", "3").stdout.splitlines()
    assert len(cut) < 30 and max(len(line) for line in cut) <= 100
    assert len(harness_cli("compare", a, b, "--limit", "3", "--wide").stdout.splitlines()) > 100
    shown = harness_cli("show", b, "--samples", "--limit", "2").stdout
    assert "[0, 1, 2, 3" in shown and "1999" not in shown
    bad = harness_cli("compare", a, b, "--columns", "sample_id,delat", check=False)
    assert bad.returncode == 2 and "did you mean 'delta'?" in bad.stderr


def test_compare_orders_samples_scored_as_named_statistics(harness_cli, filled, db):
    """Geometry and independence score a sample as a dict; the change is taken on its value."""
    from harness.store import Store

    a, b = filled["noisy4"]["run_id"], filled["noisy2"]["run_id"]
    with Store(db).transaction() as con:
        con.execute(
            "UPDATE samples SET scores = json_object('exact_match', json_object('value', "
            "CAST(scores->>'exact_match' AS DOUBLE), 'applies', 1.0)) WHERE list_contains(?, run_id)",
            [[a, b]],
        )
    data = harness_cli.json("compare", a, b, "--limit", "0")
    assert len(data["differing_samples"]) == 50 and {s["score_delta"] for s in data["differing_samples"]} == {-1.0}


def test_a_sample_value_is_its_metrics_aggregate_over_that_sample():
    import numpy as np

    from harness import Metric
    from harness.leaderboard.compare import sample_value

    class Power(Metric):  # independence: rejected among the dependent instances
        name = "power"

        def aggregate(self, stats):
            total = float(np.sum(stats["dependent"]))
            return float(np.sum(stats["rejected"])) / total if total else float("nan")

    assert sample_value(0.25) == 0.25 and sample_value(None) is None and sample_value("x") is None
    assert sample_value({"dependent": 1.0, "rejected": 1.0}, Power()) == 1.0
    assert sample_value({"dependent": 0.0, "rejected": 0.0}, Power()) is None  # the metric does not apply
    assert sample_value({"value": 0.5, "applies": 1.0}) == 0.5  # the metric not installed here: its "value"
    assert sample_value({"dependent": 1.0, "rejected": 0.0}) is None


@pytest.mark.parametrize("width", [80, 100])
def test_every_table_fits_the_terminal(harness_cli, filled, width):
    harness_cli.env["COLUMNS"] = str(width)
    a, b = filled["noisy4"]["run_id"], filled["noisy2"]["run_id"]
    sweep = harness_cli.json("sweep", "-t", "doubling", "-m", "noisy", "--seeds", "0-1")["sweep_id"]
    for args in (
        ["leaderboard"],
        ["leaderboard", "kexue-2019"],
        ["runs"],
        ["show", a, "--samples"],
        ["compare", a, b],
        ["sweeps"],
        ["sweeps", sweep],
    ):
        lines = harness_cli(*args).stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= width, (args, lines)
