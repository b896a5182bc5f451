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
    assert "| rank | group | model | exact_match | vs-next | config | runs | run |" in text
    assert f"| 1 | 1 | exact | 1 [1, 1] | p=0.002 * | — | 1 | {ranked['rows'][0]['run_id']} |" in text
    assert "group: rows not told apart (paired bootstrap, Holm, alpha=0.05) · MDE at 80% power: " in text
    wide = harness_cli("leaderboard", "arith", "--markdown", "--wide").stdout
    assert "| rank | group | model | exact_match | vs-next | absolute_error | config | samples | runs | run |" in wide
    missing = harness_cli("leaderboard", "nope", check=False)
    assert missing.returncode == 2 and "no leaderboard 'nope'" in missing.stderr
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "bad.toml").write_text("kind = 3\n")
    env = {**harness_cli.env, "HARNESS_LEADERBOARDS": str(tmp_path / "defs")}
    bad = type(harness_cli)(env)("leaderboard", "--list", check=False)
    assert bad.returncode == 2 and "bad.toml" in bad.stderr


# -- tables that fit the terminal ------------------------------------------------------------------


def _titling_like_board():
    """Four models as the titling board has them: three decodings of one network sharing a 17-key
    config, a baseline without one, six extra metric columns; rows carrying tie groups and rank
    intervals as a ranking that computes them returns them."""
    from datetime import datetime

    from harness.leaderboard.ranking import Board, Cell, Standing

    network = {
        "pretrained": "",
        "char_size": 64,
        "z_dim": 64,
        "heads": 4,
        "steps": 500,
        "train_batch_size": 64,
        "lr": 0.0,
        "lr_floor": 0.1,
        "solo_rate": 0.3,
        "leak_fix_steps": 0,
        "min_count": 2,
        "max_article": 400,
        "max_train": 0,
        "beam": 3,
        "length_penalty": 1.0,
        "max_len": 32,
        "threads": 1,
    }
    columns = tuple(f"titling-{m}" for m in ("rouge-1", "rouge-2", "bleu", "first4-acc", "last4-acc", "exact-match"))
    board = Board("titling", "titling-synth-v1", "test", "titling-rouge-l", True, columns=columns)
    board.correction, board.mde = "holm", 0.0312
    for position, (model, config, group, interval) in enumerate(
        [
            ("bidirectional", network, 1, [1, 2]),
            ("l2r", network, 1, [1, 3]),
            ("r2l", network, 2, [2, 3]),
            ("lead", {}, 3, [4, 4]),
        ],
        start=1,
    ):
        row = Standing(
            position, model, dict(config), f"{position:012x}", 0.5 - position / 20, 0.45 - position / 20, 0.55 - position / 20,
            300, datetime(2026, 12, 1), 1, train_dataset="titling-synth-v1",
        )  # fmt: skip
        row.group, row.rank_interval = group, (interval[0], interval[1])
        row.columns = {name: Cell(0.123456) for name in columns}
        row.p_next = 0.0123 if position < 4 else None
        board.standings.append(row)
    return board


@pytest.mark.parametrize("width", [80, 100])
def test_a_board_fits_the_terminal(monkeypatch, capsys, width):
    from harness.cli.leaderboards import _print_boards

    monkeypatch.setenv("COLUMNS", str(width))
    _print_boards([_titling_like_board()], markdown=False, wide=False, names=None)
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert len(lines) <= 30  # was 348 lines at 100 columns with every metric and the whole config
    text = "\n".join(lines)
    assert 'config common to the rows that set it: pretrained="" char_size=64' in " ".join(text.split())
    header = next(line for line in lines if line.lstrip().startswith("rank"))
    # no config column: no row sets a key the others that set it set differently
    assert header.split() == ["rank", "group", "model", "titling-rouge-l", "vs-next", "runs", "run"]
    row = next(line for line in lines if " l2r " in line)
    assert row.split()[:3] == ["2", "(1-3)", "1"]  # rank, the ranks it could take, its tie group
    lead = next(line for line in lines if " lead " in line)
    assert lead.split()[:2] == ["4", "3"]  # a rank interval of one rank is just the rank
    assert " ".join(text.split()).endswith(
        "group: rows not told apart (paired bootstrap, Holm, alpha=0.05) · MDE at 80% power: 0.0312"
    )


def test_wide_and_columns_choose_what_a_board_prints(monkeypatch, capsys):
    from harness.cli.leaderboards import _print_boards

    monkeypatch.setenv("COLUMNS", "400")
    _print_boards([_titling_like_board()], markdown=True, wide=True, names=None)
    wide = capsys.readouterr().out
    assert "| rank | group | model | titling-rouge-l | vs-next | titling-rouge-1 |" in wide
    assert "| trained-on | samples | runs | run |" in wide
    _print_boards([_titling_like_board()], markdown=True, wide=False, names=["run", "titling-bleu", "metric"])
    assert "| run | titling-bleu | titling-rouge-l |" in capsys.readouterr().out


def test_config_keys_common_to_rows_are_split_from_each_rows_own():
    from harness.leaderboard.tables import split_configs

    shared, own = split_configs([{}, {"every": 4, "offset": 1}, {"every": 2, "offset": 1}])
    assert shared == {"offset": 1} and own == [{}, {"every": 4}, {"every": 2}]
    assert split_configs([{"a": 1}]) == ({}, [{"a": 1}])  # one row keeps its whole config
    assert split_configs([{"a": 1, "b": [1]}, {"a": 2, "b": [1]}, {"c": 0}]) == ({"b": [1]}, [{"a": 1}, {"a": 2}, {"c": 0}])


def test_leaderboard_csv_has_every_row_and_column(harness_cli, db, runs):
    import csv
    import io

    (board,) = harness_cli.json("leaderboard", "--task", "doubling")
    rows = list(csv.DictReader(io.StringIO(harness_cli("leaderboard", "--task", "doubling", "--csv").stdout)))
    assert [r["run_id"] for r in rows] == [r["run_id"] for r in board["rows"]]
    assert [float(r["value"]) for r in rows] == [r["value"] for r in board["rows"]]
    assert rows[1]["model_config"] == '{"every": 4, "offset": 1}' and rows[1]["absolute_error"] == "0.25"
    assert {"group", "rank_best", "rank_worst", "p_next", "n_samples"} <= set(rows[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--columns", "rank,modle"), "unknown column 'modle'; did you mean 'model'?"),
        (("--csv", "--json"), "--json and --csv cannot be combined"),
        (("--csv", "--markdown"), "--csv and --markdown cannot be combined"),
    ],
)
def test_bad_table_options_are_one_line_usage_errors(harness_cli, db, runs, args, message):
    result = harness_cli("leaderboard", "--task", "doubling", *args, check=False)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_overview_names_the_metric_and_direction_of_tasks_without_runs(arith, tmp_path):
    spec = parse_definition({"kind": "overview", "tasks": [{"task": "doubling"}, {"task": "squaring"}]}, "all", "test")
    rows = build(Store(tmp_path / "empty.duckdb"), spec, arith).overview
    assert [(r.metric, r.higher_is_better, r.runs) for r in rows] == [("exact_match", True, 0), ("absolute_error", False, 0)]
