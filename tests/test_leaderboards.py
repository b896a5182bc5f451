"""Leaderboard definitions (files, plugin hook, defaults), flags, columns and paired significance."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import copy_into, fill_once

from harness.api import ConfigError
from harness.leaderboard.ranking import build, load_definitions, paired_significance, parse_definition, rank
from harness.runner.run import Runner, RunRequest
from harness.stats import paired_bootstrap_p
from harness.store import Store

ADD_METRIC = "INSERT INTO metrics (run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary) VALUES "


def _fill(runner: Runner) -> dict:
    return {
        "exact": runner.run(RunRequest(task="doubling", model="exact")).run,
        "noisy4": runner.run(RunRequest(task="doubling", model="noisy")).run,
        "noisy2": runner.run(RunRequest(task="doubling", model="noisy", model_args={"every": "2"})).run,
        "squaring": runner.run(RunRequest(task="squaring", model="exact")).run,
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return fill_once(tmp_path_factory, "leaderboards", _fill)


@pytest.fixture
def runs(arith, db, template):
    """The template's runs, in this test's own copy of the database (some tests add metrics)."""
    copy_into(template[0], db)
    return template[1]


def test_definitions_come_from_files_then_plugins_then_defaults(arith, db, runs, tmp_path):
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "mine.toml").write_text(
        'title = "Mine"\n[[tasks]]\ntask = "doubling"\ncolumns = ["absolute_error"]\n', encoding="utf-8"
    )
    (tmp_path / "boards" / "arith.toml").write_text('title = "The file wins"\n[[tasks]]\ntask = "squaring"\n', encoding="utf-8")
    specs = load_definitions(arith, Store(db), tmp_path / "boards")
    assert specs["mine"].tasks[0].columns == ("absolute_error",)
    assert specs["arith"].title == "The file wins"  # a repository file beats a plugin on a name clash
    # doubling and squaring are covered by ranking definitions, so they get no default board
    assert set(specs) == {"mine", "arith"}
    specs = load_definitions(arith, Store(db), tmp_path / "nowhere")
    assert specs["arith"].source == "plugin toy_plugins.arith"
    assert specs["arith"].tasks[0].columns == ("absolute_error",)
    assert "doubling" not in specs and "squaring" not in specs


def test_a_task_without_definition_gets_a_default_board(runs, db, tmp_path):
    from harness import Task
    from harness.plugins.registry import Entry, use_plugins

    class Tripling(Task):
        name = "tripling"
        description = "Triple an integer."
        metrics = ("exact_match",)
        primary_metric = "exact_match"
        default_model = "exact"

    with use_plugins() as registry:  # no arith plugin: nothing contributes a definition
        registry.tasks["tripling"] = Entry(Tripling, "somewhere")
        specs = load_definitions(registry, Store(db), tmp_path)
    # an installed task gets a default; tasks known only from the database (runs imported from
    # elsewhere) are ranked by the definition stored with their runs (here the arith plugin's)
    assert {n: s.source for n, s in specs.items()} == {
        "doubling": "stored with the runs (from plugin toy_plugins.arith)",
        "squaring": "stored with the runs (from plugin toy_plugins.arith)",
        "tripling": "default",
    }
    assert specs["doubling"].tasks[0].columns == ("absolute_error",)
    assert specs["tripling"].description == "Triple an integer." and specs["tripling"].tasks[0].metric is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "x"\n', "needs at least one [[tasks]]"),
        ('colour = "red"\n[[tasks]]\ntask = "a"\n', "unknown key(s) colour"),
        ('kind = "pie"\n[[tasks]]\ntask = "a"\n', "kind must be 'ranking' or 'overview'"),
        ('[[tasks]]\ntask = "a"\ncolumns = "b"\n', "`columns` must be a list"),
        ('[[tasks]]\ntask = "a"\nmetrc = "b"\n', "unknown key(s) metrc"),
        ("[[tasks]\n", "cannot read leaderboard definition"),
    ],
)
def test_bad_definitions_name_the_file_and_key(arith, tmp_path, text, message):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="broken") as info:
        load_definitions(arith, directory=tmp_path)
    assert message in str(info.value)


def test_columns_and_flags(arith, db, runs):
    (board,) = rank(Store(db), "doubling", columns=("absolute_error",), registry=arith)
    assert [s.model for s in board.standings] == ["exact", "noisy", "noisy"]
    assert board.standings[1].columns["absolute_error"].value == pytest.approx(0.25)
    # a flag metric (recorded here by hand) pushes the best run below every unflagged one
    with Store(db).transaction() as con:
        con.execute(ADD_METRIC + "(?, 'suspicious', 1.0, NULL, NULL, false, false)", [runs["exact"].run_id])
        con.execute(ADD_METRIC + "(?, 'suspicious', 0.0, NULL, NULL, false, false)", [runs["noisy2"].run_id])
    (board,) = rank(Store(db), "doubling", flags=("suspicious",), registry=arith)
    assert [(s.model, s.value, s.flags) for s in board.standings] == [
        ("noisy", 0.75, []),
        ("noisy", 0.5, []),
        ("exact", 1.0, ["suspicious"]),
    ]
    (board,) = rank(Store(db), "doubling", metric="absolute_error", registry=arith)
    assert board.metric == "absolute_error" and board.higher_is_better is False
    assert [s.value for s in board.standings] == [0.0, 0.25, 0.5]


def test_adjacent_rows_carry_a_paired_bootstrap_p_value(arith, db, runs):
    (board,) = rank(Store(db), "doubling", registry=arith)
    first, second, third = board.standings
    assert first.shared_next == 200 and first.p_next < 0.01 and first.significant
    assert second.p_next < 0.01  # 0.75 vs 0.5 on 200 paired samples
    assert third.p_next is None and third.shared_next is None
    p, shared, note = paired_significance(Store(db), runs["noisy4"].run_id, runs["noisy4"].run_id, "exact_match", arith)
    assert (p, shared, note) == (1.0, 200, "")
    p, shared, note = paired_significance(Store(db), runs["exact"].run_id, runs["squaring"].run_id, "absolute_error", arith)
    assert p is None and shared == 0 and "no shared samples" in note


def test_paired_bootstrap_is_calibrated_enough():
    rng = np.random.default_rng(1)
    same = [
        paired_bootstrap_p(None, rng.integers(0, 2, 300).tolist(), rng.integers(0, 2, 300).tolist(), seed=i) for i in range(40)
    ]
    assert float(np.mean(np.array(same) < 0.05)) <= 0.15  # two equally good runs are rarely called different
    assert 0.3 < float(np.mean(same)) < 0.7
    assert paired_bootstrap_p(None, [1.0] * 50, [0.0] * 50, seed=0) < 0.01
    assert paired_bootstrap_p(None, [{"tp": 1}], [{"tp": 0}], seed=0) is None  # corpus stats need the metric class


def test_overview_has_one_row_per_task_with_counts(arith, db, runs):
    spec = parse_definition(
        {"title": "All", "kind": "overview", "tasks": [{"task": "doubling"}, {"task": "squaring"}, {"task": "celeba-recon"}]},
        "all",
        "test",
    )
    rows = build(Store(db), spec, arith).overview
    assert [(r.task, r.best_model, r.runs, r.models) for r in rows] == [
        ("doubling", "exact", 3, 2),
        ("squaring", "exact", 1, 1),
        ("celeba-recon", None, 0, 0),
    ]
    assert rows[0].value == 1.0 and rows[0].dataset == "doubling-synth-v1"
    # the overview picks a task's best the way the task's own leaderboard ranks it: flags included
    with Store(db).transaction() as con:
        con.execute(ADD_METRIC + "(?, 'suspicious', 1.0, NULL, NULL, false, false)", [runs["exact"].run_id])
    own = parse_definition({"tasks": [{"task": "doubling", "flags": ["suspicious"]}]}, "doubling", "test")
    rows = build(Store(db), spec, arith, definitions={"all": spec, "doubling": own}).overview
    assert (rows[0].best_model, rows[0].value) == ("noisy", 0.75)


def test_cli_lists_and_shows_named_leaderboards(harness_cli, tmp_path):
    harness_cli("run", "--task", "doubling", "--model", "noisy")
    harness_cli("run", "--task", "doubling")
    listed = {d["name"]: d for d in harness_cli.json("leaderboard", "--list")}
    assert listed["arith"]["source"] == "plugin toy_plugins.arith"
    assert listed["kexue-2019"]["kind"] == "overview"
    board = harness_cli.json("leaderboard", "arith")
    ranked = board["boards"][0]
    assert ranked["metric"] == "exact_match" and ranked["columns"] == ["absolute_error"]
    assert [r["model"] for r in ranked["rows"]] == ["exact", "noisy"]
    assert ranked["rows"][1]["columns"]["absolute_error"]["value"] == 0.25
    assert ranked["rows"][0]["significant"] is True
    # --task ranks as the definition that covers the task says
    (by_task,) = harness_cli.json("leaderboard", "--task", "doubling")
    assert by_task["columns"] == ["absolute_error"]
    text = harness_cli("leaderboard", "arith", "--markdown").stdout
    assert "| rank | group | model | exact_match | 95% CI | vs next | absolute_error | config |" in text
    assert "| 1 | 1 | exact | 1 | [1, 1] | p=0.002 * | 0 | — |" in text
    assert "group: rows not told apart (paired bootstrap, Holm, alpha=0.05) · MDE at 80% power: " in text
    missing = harness_cli("leaderboard", "nope", check=False)
    assert missing.returncode == 2 and "no leaderboard 'nope'" in missing.stderr
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "bad.toml").write_text("kind = 3\n")
    env = {**harness_cli.env, "HARNESS_LEADERBOARDS": str(tmp_path / "defs")}
    bad = type(harness_cli)(env)("leaderboard", "--list", check=False)
    assert bad.returncode == 2 and "bad.toml" in bad.stderr
