"""Every dashboard page, run headless with streamlit.testing.v1.AppTest over a real DuckDB file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from harness.plugins.registry import set_registry
from harness.runner.run import Runner, RunRequest
from harness.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PLUGINS = "toy_plugins.arith,toy_plugins.echo"


@pytest.fixture(scope="module")
def filled_db(tmp_path_factory):
    """Runs of the toy plugins, recorded in-process once per module (the page tests only read them),
    including a failed one and a text task."""
    from harness.plugins.registry import get_registry

    db = tmp_path_factory.mktemp("dashboard") / "results.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_HOME", str(db.parent / "harness-home"))
        patch.setenv("HARNESS_LOAD_PLUGINS", "")
        patch.setenv("HARNESS_PLUGINS", PLUGINS)
        set_registry(None)
        made = _fill(Runner(get_registry(), Store(db)))
        set_registry(None)
    return db, made


@pytest.fixture
def filled(monkeypatch, filled_db):
    """The shared database of `filled_db`, as this test's HARNESS_DB; the runs by name."""
    db, made = filled_db
    monkeypatch.setenv("HARNESS_PLUGINS", PLUGINS)
    monkeypatch.setenv("HARNESS_DB", str(db))
    set_registry(None)
    return made


def _fill(runner: Runner) -> dict:
    runs = {
        "exact": RunRequest(task="doubling", model="exact"),
        "noisy": RunRequest(task="doubling", model="noisy"),
        "noisy2": RunRequest(task="doubling", model="noisy", model_args={"every": "2"}),
        "crashed": RunRequest(task="doubling", model="slow", model_args={"delay": "0", "crash_at": "5"}),
        "squaring": RunRequest(task="squaring"),
        "echo": RunRequest(task="echo"),
        "shout": RunRequest(task="echo", model_args={"shout": "true"}),
    }
    made = {name: runner.run(request).run for name, request in runs.items()}
    assert made["crashed"].status == "failed"
    return made


def app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "header", "subheader", "code", "text")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def frame(at: AppTest, *columns: str):
    """The first table on the page with these columns."""
    return next(df.value for df in at.dataframe if set(columns) <= set(df.value.columns))


def test_missing_database_shows_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_PLUGINS", PLUGINS)
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "nothing-here.duckdb"))
    at = app()
    assert at.header[0].value == "No runs yet"
    assert "does not exist" in at.info[0].value
    assert "harness run --task doubling" in at.code[0].value
    assert set(at.dataframe[0].value["task"]) == {"doubling", "squaring", "echo"}
    assert not (tmp_path / "nothing-here.duckdb").exists()  # reading never creates the database


def test_leaderboard_page_ranks_with_ci_significance_and_chart(filled):
    at = app(board="arith")
    assert at.header[0].value == "Arithmetic"
    boards = [df.value for df in at.dataframe]
    doubling = boards[0]
    assert list(doubling["model"]) == ["exact", "noisy", "noisy"]
    assert list(doubling["exact_match"]) == ["1 [1, 1]", "0.75 [0.69, 0.815]", "0.5 [0.4299, 0.575]"]  # with the CI
    # what fits at 1280 px: the rank, its range and tie group, the run id and the keys that tell the rows apart
    assert list(doubling.columns) == ["rank", "rank range", "group", "model", "exact_match", "vs next", "config", "run"]
    assert list(doubling["config"]) == ["—", "every=4", "every=2"]
    assert "Config common to the rows that set it: offset=1" in texts(at)
    assert list(doubling["group"]) == [1, 2, 3] and list(doubling["rank range"]) == ["1", "2", "3"]
    assert "MDE" in texts(at) and "Holm-corrected" in texts(at)
    assert doubling["vs next"][0].startswith("p=") and doubling["vs next"][0].endswith("*")
    assert len(at.get("vega_lite_chart")) == 2  # one score chart per board (doubling, squaring)
    # every board, and the overview, can be downloaded as CSV and as JSON
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads == ["CSV", "JSON", "CSV", "JSON"]
    at.toggle(key="wide-doubling-doubling-synth-v1-test").set_value(True).run()
    wide = at.dataframe[0].value
    assert {"flags", "absolute_error", "samples", "runs"} <= set(wide.columns)
    assert list(wide["absolute_error"]) == ["0", "0.25", "0.5"]
    at.button(key="open-button-doubling-doubling-synth-v1-test").click().run()
    assert at.session_state["page"] == "Run detail" and at.session_state["run_id"] == filled["exact"].run_id


def test_pairwise_page_draws_the_holm_matrix_as_a_heat_map(filled):
    at = app(board="arith", page="Pairwise")
    assert at.header[0].value == "Pairwise: Arithmetic"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # doubling (3 rows) and squaring (1 row: an empty matrix)
    assert "Holm-corrected over every pair" in texts(at)
    from harness.dashboard.draw import pairwise_chart

    labels, matrix = ["a", "b", "c"], [[None, 0.001, 0.5], [0.001, None, 0.04], [0.5, 0.04, None]]
    cells = pairwise_chart(labels, [1, 2, 2], matrix, 0.05)["data"]["values"]
    assert len(cells) == 6 and sum(c["below"] for c in cells) == 4  # every ordered pair; a-b and b-c below 0.05


def test_a_board_lists_runs_of_an_older_metric_version_apart_as_stale(filled, monkeypatch):
    from harness.plugins.builtin_metrics import ExactMatch

    monkeypatch.setattr(ExactMatch, "version", "2")  # every stored exact_match came from version 1
    st.cache_data.clear()  # an upgraded plugin means a new dashboard process: no ranking cached before it
    try:
        shown = texts(app(board="arith"))
    finally:
        st.cache_data.clear()  # nor after it
    for name in ("exact", "noisy", "noisy2"):
        assert f"stale: `harness rescore --run {filled[name].run_id}`" in shown
    assert "by version 1, now 2" in shown


def test_overview_board_lists_every_task_family(filled):
    at = app(board="kexue-2019")
    overview = at.dataframe[0].value
    assert list(overview["task"])[:2] == ["celeba-recon", "nl2sql"]
    assert set(overview["dataset/split"]) == {"no runs yet"}  # the toy tasks are not in the 2019 series
    # with no runs (and the plugins not installed here) a task still names what would rank it, if it can
    assert "metric" in overview.columns and "run" in overview.columns


def test_runs_page_filters_and_shows_errors(filled):
    at = app(page="Runs")
    assert len(at.dataframe[0].value) == 7
    assert {"seed", "sweep"} <= set(at.dataframe[0].value.columns) and set(at.dataframe[0].value["seed"]) == {0}
    assert at.multiselect(key="filter-sweep").options == []  # no sweep computed these runs
    at.multiselect(key="filter-status").set_value(["failed"]).run()
    runs = at.dataframe[0].value
    assert list(runs["run"]) == [filled["crashed"].run_id] and "boom at x=5" in runs["error"][0]
    assert "boom at x=5" in at.expander[0].label
    assert "RuntimeError: boom at x=5" in at.code[0].value  # the whole traceback is there to read
    at.multiselect(key="filter-status").set_value([]).run()
    at.multiselect(key="filter-task").set_value(["echo"]).run()
    assert set(at.dataframe[0].value["task"]) == {"echo"}
    at.multiselect(key="runs-compare").set_value([filled["echo"].run_id, filled["shout"].run_id]).run()
    at.button(key="runs-compare-button").click().run()
    assert at.session_state["page"] == "Compare" and at.header[0].value == "Compare two runs"


def test_run_detail_shows_metrics_metadata_artifacts_samples_and_renderers(filled):
    run = filled["noisy"]
    at = app(page="Run detail", run_id=run.run_id[:7])
    metrics = at.dataframe[0].value
    assert list(metrics["metric"]) == ["exact_match (primary)", "absolute_error"]
    assert metrics["value"][0] == "0.75" and metrics["description"][0]
    page_text = texts(at)
    assert "arith summary" in page_text and "200 samples drawn" in page_text  # the plugin's run renderer
    # a renderer naming `peers` gets the other finished runs of the task, dataset and split
    peers = sorted(
        r.model
        for r in Store(Path(os.environ["HARNESS_DB"])).runs(task="doubling", status="finished")
        if r.run_id != run.run_id and r.dataset == run.dataset and r.sample_limit is None
    )
    assert f"{len(peers)} peer runs: {', '.join(sorted(set(peers)))}" in page_text and peers
    assert "**wrong.json** · `application/json`" in page_text  # the run's artifact
    assert "200 sample(s)." in page_text
    samples = frame(at, "sample", "prediction")
    assert len(samples) == 25 and samples["sample"][0] == "test-0000"
    at.number_input(key="sample-page").set_value(8).run()
    assert list(frame(at, "sample", "prediction")["sample"]) == [f"test-{i:04d}" for i in range(175, 200)]
    at.text_input(key="sample-search").set_value("TEST-0013").run()
    assert list(frame(at, "sample", "prediction")["sample"]) == ["test-0013"]
    at.selectbox(key="sample-inspect").set_value("test-0013").run()
    # the toy renderer raises on x = 13: the page reports it and keeps working
    assert any("Renderer ArithRenderer failed: RuntimeError: unlucky sample" in w.value for w in at.warning)
    at.text_input(key="sample-search").set_value("test-0012").run()
    assert "2 × 12 → 25 (expected 24)" in texts(at)
    assert "artifacts here: wrong.json" in texts(at)  # a renderer naming `artifacts` gets the run's


def test_run_detail_for_an_unknown_run_says_so(filled):
    at = app(page="Run detail", run_id="doesnotexist")
    assert "no run 'doesnotexist'" in at.error[0].value


def test_compare_page_shows_deltas_and_disagreements(filled):
    at = app(page="Compare", run_a=filled["noisy"].run_id, run_b=filled["noisy2"].run_id)
    deltas = frame(at, "metric", "B − A")
    assert list(deltas["metric"]) == ["exact_match (primary)", "absolute_error"]
    assert deltas["B − A"][0] == "-0.25" and deltas["better"][0] == "A"
    differing = frame(at, "sample", "score B − A")
    assert len(differing) == 50  # even numbers that are not multiples of 4
    assert set(differing["score B − A"]) == {"-1"}
    assert "paired-bootstrap p" in texts(at)
    at = app(page="Compare", run_a=filled["exact"].run_id, run_b=filled["echo"].run_id)
    assert any("are of different tasks" in e.value for e in at.error)


def test_links_carry_page_and_run_in_the_url(filled):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = "Run detail"
    at.query_params["run_id"] = filled["squaring"].run_id
    at.run()
    assert not at.exception
    assert at.session_state["page"] == "Run detail"
    assert at.subheader[0].value.startswith("squaring · exact")
    assert f"run {filled['squaring'].run_id} · seed 0 ·" in texts(at)  # the header says which seed


def test_sample_text_is_shown_as_text_never_markup(filled):
    at = app(page="Run detail", run_id=filled["shout"].run_id)
    samples = frame(at, "sample", "prediction")
    assert "<script>document.title='pwned'</script>" in list(samples["reference"])
    assert "北京的人口是多少？" in list(samples["reference"])
    for element in (*at.markdown, *at.caption):  # nothing from a sample is interpreted as Markdown/HTML
        assert "pwned" not in element.value and "javascript:" not in element.value


def test_dashboard_never_allows_html_from_data():
    source = Path(__file__).resolve().parent.parent / "harness" / "dashboard"
    for path in source.glob("*.py"):
        assert "unsafe_allow_html" not in path.read_text(encoding="utf-8"), path


def test_pages_wait_for_a_writer_then_render(filled, filled_db):
    """A `harness run` holding the write lock delays the page; it does not break it."""
    import subprocess
    import sys
    import time

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(2)"),
            str(filled_db[0]),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        at = app(page="Runs")
        assert time.monotonic() - start > 1  # it waited for the lock ...
        assert len(at.dataframe[0].value) == 7  # ... and then showed every run
    finally:
        holder.wait(timeout=30)


def test_plugin_rows_with_mixed_types_are_made_arrow_safe():
    from harness.dashboard.draw import _uniform_columns, _uniform_spec

    rows = [{"dim": 3, "power": 0.5}, {"dim": "all", "power": 1}, {"dim": None, "power": 0.25}]
    assert _uniform_columns(rows) == [{"dim": "3", "power": 0.5}, {"dim": "all", "power": 1}, {"dim": None, "power": 0.25}]
    spec = {"layer": [{"data": {"values": rows}, "mark": "line"}]}
    assert _uniform_spec(spec)["layer"][0]["data"]["values"][0]["dim"] == "3"
    assert _uniform_columns(rows[:1]) is not None and _uniform_columns([{"a": 1}, {"a": 2.5}]) == [{"a": 1}, {"a": 2.5}]


def test_text_and_scalar_values_are_shown_as_json_text_not_parsed(filled):
    """Streamlit's JSON viewer parses a string as JSON: a prediction "plain" would be an error there."""
    at = app(page="Run detail", run_id=filled["echo"].run_id)
    at.selectbox(key="sample-inspect").set_value("t5").run()
    assert not at.exception
    shown = [c.value for c in at.code]
    assert shown.count('"plain"') == 2  # the prediction and the reference, as JSON strings
    assert all(e.value.lstrip()[:1] in "{[" for e in at.json)  # only objects and lists go to the JSON viewer


def test_publish_button_writes_the_static_site(filled, monkeypatch, tmp_path):
    """The sidebar's Publish runs `harness publish` on the database the dashboard shows."""
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])))
    at = app()
    at.text_input(key="publish-out").set_value(str(tmp_path / "site")).run()
    at.button(key="publish-button").click().run()
    assert not at.exception, at.exception
    assert at.success and at.success[0].value.startswith("Published 3 board(s)"), [e.value for e in at.error]
    assert (tmp_path / "site" / "index.html").is_file()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    at.text_input(key="publish-out").set_value(str(tmp_path / "mine")).run()
    at.button(key="publish-button").click().run()
    assert "is not a site `harness publish` wrote" in at.error[0].value
