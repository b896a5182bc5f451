"""What a leaderboard may rank: whole-split runs only, by the definition stored with the runs,
validated definitions, metrics that may not apply, and vectorised paired tests."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from conftest import copy_into, fill_once
from toy_plugins import arith, bad_board, judged

from harness.api import ConfigError, Metric
from harness.leaderboard.ranking import load_definitions, paired_p, paired_tests, rank
from harness.plugins.registry import use_plugins
from harness.runner.run import Runner, RunRequest
from harness.stats import bootstrap_interval, paired_bootstrap_p, stats_arrays
from harness.store import Store
from harness.store.transfer import export_runs, import_runs


@pytest.fixture(scope="module")
def partial_template(tmp_path_factory):
    """Complete and partial runs, recorded once per module (seconds); see `partial_runs`."""

    def fill(runner):
        return {
            "exact": runner.run(RunRequest(task="doubling", model="exact")).run,
            "noisy": runner.run(RunRequest(task="doubling", model="noisy")).run,
            "noisy-smoke": runner.run(RunRequest(task="doubling", model="noisy", limit=3)).run,  # latest, 3 samples
            "peeking-smoke": runner.run(RunRequest(task="doubling", model="peeking", limit=5)).run,
            "noisy2-big-limit": runner.run(
                RunRequest(task="doubling", model="noisy", model_args={"every": "2"}, limit=500)
            ).run,  # a limit past the split covers it all
        }

    return fill_once(tmp_path_factory, "partial-runs", fill)


@pytest.fixture
def partial_runs(partial_template, db):
    """The runs of `partial_template` in this test's own copy of its database."""
    template, made = partial_template
    copy_into(template, db)
    return made


def test_limit_runs_are_not_ranked_unless_asked(arith, db, partial_runs):
    for pick in ("best", "latest"):
        (board,) = rank(Store(db), "doubling", pick=pick, registry=arith)
        rows = {s.model + str(s.model_config.get("every", "")): s for s in board.standings}
        assert set(rows) == {"exact", "noisy4", "noisy2"}, pick
        assert rows["noisy4"].run_id == partial_runs["noisy"].run_id and rows["noisy4"].n_samples == 200
        assert rows["noisy2"].n_samples == 200 and not any(s.partial for s in board.standings)
    (board,) = rank(Store(db), "doubling", pick="latest", include_partial=True, registry=arith)
    partial = [s for s in board.standings if s.partial]
    assert {(s.model, s.n_samples) for s in partial} == {("noisy", 3), ("peeking", 5)}
    assert [s.partial for s in board.standings] == [False] * 3 + [True] * 2  # below every complete row
    assert board.standings[3].p_next is None or board.standings[3].shared_next <= 5


def test_cli_and_json_mark_partial_runs_only_with_include_partial(harness_cli):
    harness_cli("run", "--task", "doubling", "--model", "exact")
    harness_cli("run", "--task", "doubling", "--model", "exact", "--limit", "4")
    rows = harness_cli.json("leaderboard", "--task", "doubling")[0]["rows"]
    assert all(row["partial"] is False and row["n_samples"] == 200 for row in rows)
    rows = harness_cli.json("leaderboard", "--task", "doubling", "--include-partial")[0]["rows"]
    assert [(row["model"], row["n_samples"], row["partial"]) for row in rows] == [("exact", 200, False), ("exact", 4, True)]
    assert rows[0]["p_next"] is None  # a complete row is not tested against a smoke test
    shown = harness_cli("leaderboard", "--task", "doubling", "--include-partial").stdout
    assert "exact (partial: 4 samples)" in shown


def test_dashboard_shows_partial_runs_only_when_asked(monkeypatch, db, partial_runs):
    from streamlit.testing.v1 import AppTest

    from harness.plugins.registry import set_registry

    monkeypatch.setenv("HARNESS_PLUGINS", "toy_plugins.arith")
    set_registry(None)
    app = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py")
    for include, expected in ((False, set()), (True, {"noisy (partial: 3 samples)", "peeking (partial: 5 samples)"})):
        at = AppTest.from_file(app, default_timeout=60)
        at.session_state["board"] = "arith"
        at.session_state["include-partial"] = include
        at.run()
        assert not at.exception, at.exception
        table = next(df.value for df in at.dataframe if "vs next" in df.value.columns)
        assert {m for m in table["model"] if "partial" in m} == expected


def test_a_merged_database_ranks_by_its_stored_definition_where_the_plugin_is_missing(db, tmp_path):
    with use_plugins(judged) as registry:
        runner = Runner(registry, Store(db))
        for model in ("cheater", "honest"):
            runner.run(RunRequest(task="judged", model=model))
        (here,) = rank(Store(db), "judged", flags=("judged-lookups",), columns=("judged-confidence",), registry=registry)
    assert [(s.model, s.flags) for s in here.standings] == [("honest", []), ("cheater", ["judged-lookups"])]
    export_runs(Store(db), tmp_path / "out")
    elsewhere = Store(tmp_path / "elsewhere.duckdb")
    import_runs(elsewhere, tmp_path / "out")
    with use_plugins() as bare:  # the judged plugin is not installed here
        specs = load_definitions(bare, elsewhere, tmp_path / "no-files")
        entry = specs["judged"].tasks[0]
        assert (entry.flags, entry.columns) == (("judged-lookups",), ("judged-confidence",))
        (board,) = rank(
            elsewhere,
            "judged",
            entry.dataset,
            entry.split,
            metric=entry.metric,
            columns=entry.columns,
            flags=entry.flags,
            registry=bare,
        )
    assert [(s.model, s.flags) for s in board.standings] == [("honest", []), ("cheater", ["judged-lookups"])]
    run_id = board.standings[0].run_id
    assert elsewhere.metric_descriptions(run_id)["judged-lookups"].startswith("Share of answers looked up")


def test_a_misspelt_metric_in_a_file_is_an_error_naming_file_and_key(arith, db, tmp_path):
    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "mine.toml").write_text('[[tasks]]\ntask = "doubling"\nmetric = "exact_matc"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_definitions(arith, Store(db), boards)
    message = str(error.value)
    assert str(boards / "mine.toml") in message and "`metric`" in message and "did you mean 'exact_match'" in message
    (boards / "mine.toml").write_text('[[tasks]]\ntask = "dubling"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown task 'dubling'; did you mean 'doubling'"):
        load_definitions(arith, Store(db), boards)
    # a task that is simply not installed here is fine (kexue-2019 lists plugins still to come)
    (boards / "mine.toml").write_text('[[tasks]]\ntask = "entity-linking"\nmetric = "f1"\n', encoding="utf-8")
    assert load_definitions(arith, Store(db), boards)["mine"].tasks[0].task == "entity-linking"


def test_a_plugins_invalid_definition_is_its_error_in_harness_plugins(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.bad_board"
    rows = {row["name"]: row for row in harness_cli.json("plugins")}
    assert "absolute_eror" in rows["toy_plugins.bad_board"]["error"]
    assert "did you mean 'absolute_error'" in rows["toy_plugins.bad_board"]["error"]
    with use_plugins(arith, bad_board) as registry:
        assert "doubling-typo" not in load_definitions(registry, None, None)


def test_scores_that_do_not_apply_are_skipped_with_a_note(db):
    with use_plugins(judged) as registry:
        outcome = Runner(registry, Store(db)).run(RunRequest(task="judged", model="honest"))
    confidence = next(m for m in outcome.run.metrics if m.name == "judged-confidence")
    multiples = [x for x in range(120) if x % 3 == 0]
    right = [x for x in multiples if (x % 2 == 0) == ((x % 2 == 0) != (x % 5 == 0))]
    assert confidence.value == pytest.approx(len(right) / len(multiples))
    assert confidence.ci_low <= confidence.value <= confidence.ci_high
    assert any("does not apply to 80 of 120 samples" in w for w in outcome.warnings)
    assert paired_bootstrap_p(None, [1.0, None, 0.0, 1.0], [0.0, 1.0, None, 0.0], seed=0) is not None


class Precision(Metric):
    name = "precision"

    def aggregate(self, stats):
        return stats["tp"].sum() / (stats["tp"].sum() + stats["fp"].sum())  # NaN with no positive prediction


def test_bootstrap_drops_undefined_resamples_and_counts_them():
    scores = [{"tp": 1.0, "fp": 0.0}, {"tp": 0.0, "fp": 1.0}] + [{"tp": 0.0, "fp": 0.0}] * 18
    with np.errstate(all="ignore"):
        interval = bootstrap_interval(Precision(), stats_arrays(scores), seed=0)
    assert 0 < interval.dropped < 1000
    assert interval.low == 0.0 and interval.high == 1.0


def test_vectorised_paired_tests_equal_pair_by_pair_tests(arith, db):
    rng = np.random.default_rng(7)
    ids = [f"s{i:04d}" for i in range(300)]
    runs = {f"r{j}": dict(zip(ids, (rng.random(300) < 0.4 + 0.05 * j).astype(float).tolist(), strict=True)) for j in range(6)}
    runs["r6"] = dict(zip(ids, rng.normal(size=300).tolist(), strict=True))
    runs["r7"] = {k: v + 0.05 for k, v in list(runs["r6"].items())[:250]}  # a subset: fewer shared samples
    runs["r3"].update({k: None for k in ids[::7]})  # not applicable there: left out, as JSON null
    store = Store(db)
    store.init()
    rows = [(run_id, k, i, json.dumps({"m": v})) for run_id, scores in runs.items() for i, (k, v) in enumerate(scores.items())]
    columns = dict(zip(("run_id", "sample_id", "idx", "scores"), map(list, zip(*rows, strict=True)), strict=True))
    with store.transaction() as con:  # one statement: DuckDB's executemany inserts row by row, seconds for these
        con.register("new_samples", pa.table(columns))
        con.execute("INSERT INTO samples (run_id, sample_id, idx, scores) SELECT * FROM new_samples")
    pairs = [(f"r{j}", f"r{j + 1}") for j in range(7)]
    fast = paired_tests(store, pairs, "m", arith)
    applicable = {run: {k: v for k, v in scores.items() if v is not None} for run, scores in runs.items()}
    slow = [paired_p(None, "m", applicable[a], applicable[b]) for a, b in pairs]
    assert fast == slow
    assert fast[-1][1] == 250 and "250 shared" in fast[-1][2]
