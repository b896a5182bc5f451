"""The task end to end: embedded data, a real run with stored artifacts and dashboard panels, the
`--data-dir` format and its errors, model arguments, and the leaderboard definition with its flag."""

import json
import types
from pathlib import Path

import harness_independence
import numpy as np
import pytest
from harness_independence import hsic
from harness_independence.data import embedded, instance_arrays
from harness_independence.models import IndependenceModel
from harness_independence.names import DEPENDENT, INDEPENDENT, POST_FAMILIES
from harness_independence.render import IndependenceRenderer

from harness import ConfigError, DataError, hookimpl
from harness.store import Store
from harness.testing import invoke, leaderboard, leaderboard_definitions, run_plugin


def test_embedded_grid_is_deterministic_small_and_covers_every_family():
    rows = embedded()
    assert rows == embedded()
    assert len({r["id"] for r in rows}) == len(rows)
    families = {r["family"] for r in rows}
    assert families == {*DEPENDENT, *INDEPENDENT, *POST_FAMILIES}
    assert sum(not r["dependent"] for r in rows) >= 500  # type-I error is estimated, not guessed
    assert {r["n"] for r in rows} == {50, 100, 200, 500, 1000} and {r["dim"] for r in rows} == {1, 3}
    assert max(len(json.dumps(r)) for r in rows) < 300  # specs, never arrays
    x1, y1 = instance_arrays(rows[300])
    x2, y2 = instance_arrays(dict(rows[300]))
    assert x1.shape == (rows[300]["n"], rows[300]["dim"]) and np.array_equal(x1, x2) and np.array_equal(y1, y2)
    # the post's example: n = 1000, y = x + 0.1 N(0, 1)
    post = next(r for r in rows if r["family"] == "post-example-dependent")
    x, y = instance_arrays(post)
    assert x.shape == (1000, 1) and np.std(y - x) == pytest.approx(0.1, rel=0.1)


def _run(tmp_path, limit=130, **kwargs):
    outcome = run_plugin(harness_independence, "independence", db=tmp_path / "r.duckdb", limit=limit, **kwargs)
    assert outcome.run.status == "finished", outcome.run.error
    return outcome.run


@pytest.mark.slow
def test_run_stores_metrics_curves_and_the_renderer_draws_them(tmp_path):
    run = _run(tmp_path)
    metrics = {m.name: m for m in run.metrics}
    assert run.dataset == "independence-synth-v1" and run.n_samples == 130
    assert 0.0 < metrics["power"].value < 1.0 and metrics["power"].primary
    assert metrics["type1-error"].value is not None and metrics["type1-inflated"].value in (0.0, 1.0)
    assert metrics["median-runtime-s"].value > 0

    store = Store(tmp_path / "r.duckdb")
    stored = store.get_run(run.run_id)
    samples = store.samples(stored.run_id)
    artifacts = {a.name: a for a in store.artifacts(stored.run_id)}
    curves = json.loads(artifacts["curves.json"].data)
    post = curves["post_example"]
    assert {r["family"] for r in post} == set(POST_FAMILIES)
    dep = [r for r in post if r["dependent"]]
    ind = [r for r in post if not r["dependent"]]
    # y = x + 0.1 N(0,1) is found at once; its statistic dwarfs the independent pair's
    assert all(r["reject"] for r in dep) and min(r["statistic"] for r in dep) > 10 * max(r["statistic"] for r in ind)

    panels = IndependenceRenderer().run_panels(stored, samples, artifacts)
    kinds = [(p.kind, p.title) for p in panels]
    assert ("chart", "Power vs n per family") in kinds and ("table", "The post's example (n = 1000)") in kinds
    chart = next(p for p in panels if p.title == "Power vs n per family").data
    values = chart["data"]["values"]
    assert values and all(0 <= v["rate"] <= 1 for v in values) and {v["family"] for v in values} <= set(DEPENDENT)
    table = next(p for p in panels if p.title == "Power per family").data
    assert {r["family"] for r in table} == {v["family"] for v in values}

    sample = next(s for s in samples if s.input["dim"] == 3)
    scatter, prediction = IndependenceRenderer().sample_panels(sample, stored)
    assert scatter.kind == "chart" and len(scatter.data["data"]["values"]) == sample.input["n"]
    assert prediction.data == sample.prediction

    try:  # altair (installed with the dashboard) carries the Vega-Lite schema: the specs must validate
        import altair
    except ImportError:
        return
    for panel in [*panels, scatter]:
        if panel.kind == "chart":
            altair.Chart.from_dict(panel.data, validate=True)


def test_post_setting_sigma_one_reproduces_the_posts_statistic(tmp_path):
    run = _run(tmp_path, limit=10, model_args={"sigma": "1"})
    sample = Store(tmp_path / "r.duckdb").samples(run.run_id)[0]
    x, y = instance_arrays(sample.input)
    k, _ = hsic.kernel_matrix(x, 1.0)
    ly, _ = hsic.kernel_matrix(y, 1.0)
    assert sample.prediction["statistic"] == pytest.approx(hsic.hsic_post(k, ly), rel=1e-10)
    assert sample.prediction["sigma_x"] == 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        ({"estimator": "biasd"}, "estimator must be one of post, unbiased"),
        ({"sigma": "wide"}, "sigma must be 'median' or a positive number"),
        ({"sigma": "-1"}, "sigma must be 'median' or a positive number"),
        ({"null": "bootstrap"}, "null must be one of gamma, permutation"),
        ({"permutations": "5"}, "permutations must be at least 19"),
        ({"alpha": "1.5"}, "alpha must lie in"),
        ({"kernel": "rbf"}, "has no argument 'kernel'"),
    ],
)
def test_bad_model_arguments_fail_before_any_work(tmp_path, args, message):
    with pytest.raises(ConfigError, match=message):
        run_plugin(harness_independence, "independence", db=tmp_path / "r.duckdb", model_args=args)
    assert not (tmp_path / "r.duckdb").exists()


def _write_fixture(directory: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    np.save(directory / "dep_x.npy", x)
    (directory / "dep_y.csv").write_text("y\n" + "\n".join(f"{v:.17g}" for v in x[:, 0] ** 2 + 0.05 * rng.normal(size=60)))
    np.save(directory / "ind_x.npy", rng.normal(size=60))
    np.save(directory / "ind_y.npy", rng.normal(size=(60, 1)))
    lines = [
        {"id": "sim-linear", "family": "linear", "n": 120, "dim": 2, "noise": 0.3, "seed": 3},
        {"id": "mine-dep", "x": "dep_x.npy", "y": "dep_y.csv", "dependent": True, "family": "parabola"},
        {"id": "mine-ind", "x": "ind_x.npy", "y": "ind_y.npy", "dependent": False},
        {"id": "mine-unknown", "x": "ind_x.npy", "y": "dep_y.csv"},
    ]
    (directory / "instances.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def test_data_dir_instances_and_files_are_tested_and_scored(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _write_fixture(data)
    run = _run(tmp_path, limit=None, data_dir=data, model="dcor")
    assert run.dataset == "independence-user" and run.n_samples == 4
    samples = {s.sample_id: s for s in Store(tmp_path / "r.duckdb").samples(run.run_id)}
    assert samples["mine-dep"].prediction["reject"] and samples["sim-linear"].prediction["reject"]
    assert samples["mine-unknown"].reference is None
    metrics = {m.name: m.value for m in run.metrics}
    assert metrics["power"] == 1.0  # two dependent instances, both found; the unknown one is not scored
    assert metrics["type1-error"] in (0.0, 1.0)


def _jsonl(text):
    return lambda d: (d / "instances.jsonl").write_text(text)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_jsonl('{"family": "circle", "n": 50}\n{broken\n'), r"instances\.jsonl:2: not valid JSON"),
        (_jsonl('{"family": "circel", "n": 50}\n'), r"instances\.jsonl:1: unknown family 'circel'; did you mean circle"),
        (_jsonl('{"family": "circle", "n": 3}\n'), r"'n' must be an integer >= 6"),
        (_jsonl('{"family": "circle", "n": 50, "dependent": false}\n'), "is dependent"),
        (_jsonl('{"family": "circle", "n": 50, "colour": 1}\n'), "unknown key"),
        (_jsonl('{"id": "a", "family": "circle", "n": 50}\n{"id": "a", "family": "step", "n": 50}\n'), "already used on line 1"),
        (lambda d: (d / "dep_y.csv").write_text("y\n1.0\n2.0\nabc\n"), r"dep_y\.csv:4: not a number"),
        (lambda d: np.save(d / "ind_y.npy", np.zeros(59)), "ind_x.npy has 60 observations but ind_y.npy has 59"),
        (lambda d: (d / "dep_x.npy").unlink(), r"instances\.jsonl:2: .*dep_x\.npy does not exist"),
        (lambda d: (d / "instances.jsonl").unlink(), r"instances\.jsonl does not exist"),
    ],
)
def test_data_dir_errors_name_the_file_and_line(tmp_path, mutate, message):
    data = tmp_path / "data"
    data.mkdir()
    _write_fixture(data)
    mutate(data)
    with pytest.raises(DataError, match=message):
        run_plugin(harness_independence, "independence", db=tmp_path / "r.duckdb", data_dir=data)


class RejectAlways(IndependenceModel):
    """A broken 'test' that rejects everything: maximal power, inflated type-I error."""

    name = "reject-always"
    defaults = {"alpha": 0.05}
    max_n = None

    def test(self, x, y, seed):
        return hsic.TestResult(1.0, 0.0, {})


def test_leaderboard_flags_inflated_type_one_error_and_ranks_it_last(tmp_path):
    extra = types.ModuleType("independence_test_extra")
    extra.register_models = hookimpl(lambda register: register(RejectAlways))
    db = tmp_path / "r.duckdb"
    lines = [{"family": family, "n": 60, "seed": seed} for seed in range(12) for family in (*INDEPENDENT, "linear", "circle")]
    (tmp_path / "instances.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    plugins = (harness_independence, extra)
    for model in ("hsic", "reject-always"):
        outcome = run_plugin(plugins, "independence", db=db, model=model, data_dir=tmp_path)
        assert outcome.run.status == "finished", outcome.run.error
    specs = leaderboard_definitions(plugins, db, directory=tmp_path / "no-definitions")
    spec = specs["independence"]
    assert spec.source.endswith("independence.toml)")  # contributed by the plugin's hook
    board = leaderboard(plugins, "independence", db)[0]
    top, last = board.standings
    assert (top.model, last.model) == ("hsic", "reject-always")
    assert last.value == 1.0 > top.value  # more power, yet ranked after the test that holds its level
    assert last.flags == ["type1-inflated"] and not top.flags
    assert set(top.columns) == {"type1-error", "median-runtime-s"}


def test_cli_lists_the_task_and_models(tmp_path):
    env = {
        "HARNESS_PLUGINS": "harness_independence",
        "HARNESS_LOAD_PLUGINS": "independence",
        "HARNESS_HOME": str(tmp_path),
        "HARNESS_DB": str(tmp_path / "r.duckdb"),
        "PATH": "/usr/bin:/bin",
    }
    out = invoke("models", env=env)
    assert out.returncode == 0, out.stderr
    for name in ("hsic", "hsic-rff", "pearson", "spearman", "kendall", "dcor"):
        assert name in out.stdout
