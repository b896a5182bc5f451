"""The group end to end: CLI run of `geometry`, stored metrics and CIs, leaderboard order, the
`--data-dir` JSON-lines format and its errors, model arguments, and the dashboard panels."""

import json
import os
import shutil

import harness_geometry
import pytest
from harness_geometry.render import GeometryRenderer, full_edge

from harness import ConfigError, DataError, to_json
from harness.store import Store
from harness.testing import invoke, leaderboard, run_plugin

NOT_APPLICABLE = {
    "random-angles": {"angle-within-3se"},  # no standard errors from the closed form
    "rope-curve": {"rope-chain-convergence-order"},  # only the chain has levels
    "ellipse-gluing": set(),
}


def _cli(*args, env_extra=None, db):
    """`harness ARGS` in this process (`invoke`): the JSON and the messages a user sees."""
    env = {**os.environ, "HARNESS_PLUGINS": "harness_geometry", "HARNESS_DB": str(db), **(env_extra or {})}
    return invoke(*args, env=env)


@pytest.fixture(scope="module")
def group_db(tmp_path_factory):
    """One CLI run of the whole group, shared by the checks below (a run takes seconds)."""
    db = tmp_path_factory.mktemp("group") / "r.duckdb"
    home = tmp_path_factory.mktemp("home")
    result = _cli("run", "--task", "geometry", "--json", db=db, env_extra={"HARNESS_HOME": str(home), "HARNESS_LOAD_PLUGINS": ""})
    assert result.returncode == 0, result.stderr
    return db, json.loads(result.stdout)


@pytest.fixture(scope="module")
def exact_and_laplace_db(tmp_path_factory):
    """The closed form and the Laplace approximation on random-angles (seed 0), which both boards
    below rank (the Laplace run takes a second or two); each test adds its runs to a copy."""
    db = tmp_path_factory.mktemp("angles") / "r.duckdb"
    for model in ("closed-form", "laplace"):
        outcome = run_plugin(harness_geometry, "random-angles", db=db, model=model)
        assert outcome.run.status == "finished", outcome.run.error
    return db


def copy_of(db, tmp_path):
    """A copy of a results database (with its write-ahead log, if one is left) in `tmp_path`."""
    for suffix in ("", ".wal"):
        if db.with_name(db.name + suffix).exists():
            shutil.copyfile(db.with_name(db.name + suffix), tmp_path / (db.name + suffix))
    return tmp_path / db.name


@pytest.mark.slow
def test_group_runs_every_task_with_its_most_exact_model_and_stores_every_metric(group_db):
    db, output = group_db
    runs = {r["task"]: r for r in output["runs"]}
    assert {t: r["model"] for t, r in runs.items()} == {
        "random-angles": "closed-form",
        "rope-curve": "analytic",
        "ellipse-gluing": "elliptic",
    }
    assert {r["dataset"] for r in runs.values()} == {"geometry-angles-v1", "geometry-rope-v1", "geometry-ellipse-v1"}
    for task, run in runs.items():
        assert run["status"] == "finished"
        for name, metric in run["metrics"].items():
            if name in NOT_APPLICABLE[task]:
                assert metric["value"] is None and metric["ci_low"] is None  # n/a, not a fake 0
            else:
                assert metric["value"] is not None and metric["ci_low"] is not None and metric["ci_high"] is not None, name
                assert metric["ci_low"] <= metric["value"] <= metric["ci_high"] or metric["ci_low"] == metric["ci_high"]
    assert runs["random-angles"]["n_samples"] == 11 and runs["rope-curve"]["n_samples"] == 10
    assert runs["random-angles"]["metrics"]["angle-var-rel-error"]["value"] < 1e-14
    assert runs["rope-curve"]["metrics"]["rope-unsolved"]["value"] == 0.2  # no closed form for the 2 gravity rows
    assert runs["ellipse-gluing"]["metrics"]["ellipse-gluing-holds"]["value"] == 1.0
    store = Store(db)
    sizes = [len(to_json(s.prediction)) for r in runs.values() for s in store.samples(r["run_id"])]
    assert max(sizes) < 40_000  # curves of a few hundred points, not raw draws


@pytest.mark.slow
def test_renderer_draws_every_task_from_the_stored_run(group_db):
    db, output = group_db
    store = Store(db)
    renderer = GeometryRenderer()
    assert GeometryRenderer.serves("rope-curve", "geometry")
    for run_json in output["runs"]:
        run = store.get_run(run_json["run_id"])
        samples = store.samples(run.run_id)
        panels = renderer.run_panels(run, samples, {})
        assert panels and all(json.dumps(p.data) for p in panels)
        for sample in samples:
            sample_panels = renderer.sample_panels(sample, run)
            assert sample_panels
            charts = [p for p in sample_panels if p.kind == "chart"]
            if run.task == "random-angles":
                series = {row["series"] for row in charts[0].data["data"]["values"]}
                assert series == {"exact", "closed-form"}
            elif run.task == "rope-curve":
                series = {row["series"] for row in charts[0].data["data"]["values"]}
                assert "reference" in series and ("analytic" in series) == sample.prediction["solved"]
            else:
                assert len(charts) == 5  # three projections, the oblique view, the margin
                values = charts[0].data["data"]["values"]
                assert (values[0]["y"], values[0]["z"]) == pytest.approx((values[-1]["y"], values[-1]["z"]))


def test_full_edge_closes_and_has_the_symmetries():
    edge = {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.7, 1.0], "z": [1.0, 0.7, 0.0]}
    x, y, z = full_edge(edge)
    assert (x[0], y[0], z[0]) == (x[-1], y[-1], -z[-1] * -1)
    assert len(x) == 4 * 2 + 1 and max(x) == 1.0 and min(x) == -1.0


@pytest.mark.slow
def test_leaderboard_ranks_exact_methods_above_sampling_above_laplace(tmp_path, exact_and_laplace_db):
    db = copy_of(exact_and_laplace_db, tmp_path)
    for model, args in (("monte-carlo", {"draws": "2000"}), ("quadrature", {})):
        outcome = run_plugin(harness_geometry, "random-angles", db=db, model=model, model_args=args)
        assert outcome.run.status == "finished", outcome.run.error
    (board,) = [b for b in leaderboard(harness_geometry, "geometry", db) if b.task == "random-angles"]
    store = Store(db)
    assert [s.model for s in board.standings] == ["closed-form", "quadrature", "monte-carlo", "laplace"]
    laplace = board.standings[-1]
    assert laplace.columns["angle-unanswered"].value == pytest.approx(1 / 11) and laplace.flags == ["angle-unanswered"]
    assert board.standings[2].columns["angle-within-3se"].value == 1.0
    assert board.standings[2].p_next is not None and board.standings[2].p_next < 0.05  # monte-carlo vs laplace
    # the dashboard draws Monte Carlo as a histogram over the exact density, and says why Laplace has none at n = 2
    renderer = GeometryRenderer()
    by_model = {s.model: s.run_id for s in board.standings}
    mc_run, laplace_run = store.get_run(by_model["monte-carlo"]), store.get_run(by_model["laplace"])
    mc_sample = store.samples(mc_run.run_id, limit=2)[1]
    (panel,) = renderer.sample_panels(mc_sample, mc_run)
    assert {r["series"] for r in panel.data["data"]["values"]} == {"exact", "monte-carlo (histogram)"}
    (note,) = renderer.sample_panels(store.samples(laplace_run.run_id, limit=1)[0], laplace_run)
    assert note.kind == "text" and "undefined for n = 2" in note.data


@pytest.mark.slow
def test_rope_models_chain_convergence_and_leaderboard(tmp_path):
    db = tmp_path / "r.duckdb"
    chain = run_plugin(harness_geometry, "rope-curve", db=db, model="chain", model_args={"N": "64"}).run
    shooting = run_plugin(harness_geometry, "rope-curve", db=db, model="shooting").run
    values = {r.model: {m.name: m.value for m in r.metrics} for r in (chain, shooting)}
    assert 1.9 < values["chain"]["rope-chain-convergence-order"] < 2.1
    assert values["chain"]["rope-unsolved"] == 0.0 and values["shooting"]["rope-unsolved"] == 0.0
    assert values["shooting"]["rope-max-deviation"] < 1e-10 < values["chain"]["rope-max-deviation"] < 1e-3
    assert values["shooting"]["rope-length-rel-error"] < 1e-12
    analytic = run_plugin(harness_geometry, "rope-curve", db=db).run
    assert {m.name: m.value for m in analytic.metrics}["rope-max-deviation"] < 1e-14  # on the 8 troposkeins
    (board,) = [b for b in leaderboard(harness_geometry, "geometry", db) if b.task == "rope-curve"]
    # exact where it applies, but it leaves the gravity instances unsolved: flagged, ranked last
    assert [(s.model, s.flags) for s in board.standings] == [("shooting", []), ("chain", []), ("analytic", ["rope-unsolved"])]


def test_data_dir_instances_run_and_get_independent_references(tmp_path):
    (tmp_path / "random-angles.jsonl").write_text('{"n": 3}\n\n{"id": "seven", "n": 7}\n')
    (tmp_path / "rope-curve.jsonl").write_text(
        json.dumps({"id": "wide", "kind": "troposkein", "omega": 3.0, "D": 2.0, "R": 1.0})
        + "\n"
        + json.dumps({"kind": "fixed-length", "omega": 1.5, "g": 1.0, "start": [0.0, 0.0], "end": [0.0, 1.0], "length": 1.6})
        + "\n"
    )
    (tmp_path / "ellipse-gluing.jsonl").write_text('{"a": 4, "b": 3}\n')
    db = tmp_path / "r.duckdb"
    angles = run_plugin(harness_geometry, "random-angles", db=db, data_dir=tmp_path).run
    assert angles.dataset == "geometry-angles-jsonl" and angles.n_samples == 2
    samples = Store(db).samples(angles.run_id)
    assert [s.sample_id for s in samples] == ["line-1", "seven"]
    assert samples[0].reference["variance"] == pytest.approx(3.14159265358979**2 / 4 - 2)
    rope = run_plugin(harness_geometry, "rope-curve", db=db, model="shooting", data_dir=tmp_path).run
    assert rope.status == "finished", rope.error
    assert {m.name: m.value for m in rope.metrics}["rope-max-deviation"] < 1e-9
    ellipse = run_plugin(harness_geometry, "ellipse-gluing", db=db, model="arc-length", data_dir=tmp_path).run
    assert {m.name: m.value for m in ellipse.metrics}["ellipse-perimeter-rel-error"] < 1e-12


@pytest.mark.parametrize(
    ("task", "line", "message"),
    [
        ("random-angles", '{"n": 1}', "n >= 2"),
        ("random-angles", '{"n": 2.5}', "integer"),
        ("random-angles", '{"n": 3', "not valid JSON"),
        ("random-angles", '{"n": 3, "reference": {"variance": 0}}', "computed by the plugin"),
        ("rope-curve", '{"kind": "troposkein", "omega": 0, "D": 1, "R": 0.5}', "omega"),
        ("rope-curve", '{"kind": "troposkein", "omega": -1, "D": 1, "R": 0.5}', "omega"),
        ("rope-curve", '{"kind": "troposkein", "omega": 1, "D": 1, "R": 0.5, "g": 2}', "g = 0"),
        ("rope-curve", '{"kind": "fixed-length", "omega": 1, "start": [0, 0], "end": [0, 1], "length": 0.5}', "exceed"),
        ("rope-curve", '{"kind": "fixed-length", "omega": 1, "start": [-1, 0], "end": [0, 1], "length": 2}', "negative"),
        ("rope-curve", '{"kind": "spiral", "omega": 1}', "kind"),
        ("ellipse-gluing", '{"a": 1, "b": 2}', "a = 1 < b = 2"),
        ("ellipse-gluing", '{"a": 0, "b": 0}', "> 0"),
        ("ellipse-gluing", '{"a": 2, "b": -1}', "> 0"),
        ("ellipse-gluing", '{"a": "2", "b": 1}', "finite number"),
    ],
)
def test_bad_instances_name_file_and_line(tmp_path, task, line, message):
    good = {
        "random-angles": '{"n": 3}',
        "rope-curve": '{"kind": "troposkein", "omega": 1, "D": 1, "R": 0.5}',
        "ellipse-gluing": '{"a": 2, "b": 1}',
    }[task]
    (tmp_path / f"{task}.jsonl").write_text(f"{good}\n{line}\n")
    with pytest.raises(DataError, match=rf"{task}\.jsonl:2: .*{message}"):
        run_plugin(harness_geometry, task, db=tmp_path / "r.duckdb", data_dir=tmp_path)


def test_missing_file_and_bad_model_arguments_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match=r"ellipse-gluing\.jsonl does not exist"):
        run_plugin(harness_geometry, "ellipse-gluing", db=tmp_path / "r.duckdb", data_dir=tmp_path)
    for model, args, message in (
        ("chain", {"N": "12"}, "multiple of 8"),
        ("monte-carlo", {"draws": "0"}, "at least 10"),
        ("chain", {"N": "many"}, "not a valid int"),
        ("quadrature", {"points": "3"}, "no argument"),
    ):
        task = "rope-curve" if model == "chain" else "random-angles"
        with pytest.raises(ConfigError, match=message):
            run_plugin(harness_geometry, task, db=tmp_path / "r.duckdb", model=model, model_args=args)


def test_cli_reports_bad_data_on_one_line_without_a_traceback(tmp_path):
    (tmp_path / "random-angles.jsonl").write_text('{"n": 0}\n')
    result = _cli(
        "run",
        "--task",
        "random-angles",
        "--data-dir",
        str(tmp_path),
        db=tmp_path / "r.duckdb",
        env_extra={"HARNESS_HOME": str(tmp_path / "home"), "HARNESS_LOAD_PLUGINS": ""},
    )
    assert result.returncode != 0
    assert "random-angles.jsonl:1: n = 0" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_tie_groups_join_monte_carlo_noise_and_separate_exact_from_laplace(tmp_path, exact_and_laplace_db):
    """Two Monte Carlo configurations that differ only in their noise cannot be told apart; the
    closed form and the Laplace approximation can (Holm-corrected paired bootstrap)."""
    db = copy_of(exact_and_laplace_db, tmp_path)
    for model, args, seed in (
        ("monte-carlo", {"draws": "200"}, 1),
        ("monte-carlo", {"draws": "201"}, 2),
    ):
        run_plugin(harness_geometry, "random-angles", db=db, model=model, model_args=args, seed=seed)
    (board,) = [b for b in leaderboard(harness_geometry, "geometry", db) if b.task == "random-angles"]
    group = {(s.model, s.model_config.get("draws")): s.group for s in board.standings}
    assert group[("monte-carlo", 200)] == group[("monte-carlo", 201)]
    assert group[("closed-form", None)] == 1 and group[("laplace", None)] != 1
    assert all(s.rank_interval is not None for s in board.standings)
    assert board.correction == "holm" and board.mde is not None and board.mde > 0
