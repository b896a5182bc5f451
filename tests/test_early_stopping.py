"""Early stopping, training budgets and learning curves (harness.training), through a toy loop and the CLI."""

from __future__ import annotations

import json

import pytest

from harness import ConfigError
from harness.training import EarlyStopping, carve_validation, parse_duration


def run_loop(scores, patience=2, every=1, max_steps=100, higher_is_better=True):
    stop = EarlyStopping("acc", higher_is_better, every=every, patience=patience, max_steps=max_steps)
    weights = {"w": 0}
    for step in range(stop.step, max_steps):
        weights["w"] = step + 1
        value = scores[min(len(stop.curve), len(scores) - 1)]
        if stop.update(step + 1, 1.0, lambda v=value: v, lambda: dict(weights)):
            break
    return stop


def test_stops_after_patience_evaluations_without_improvement_keeping_the_best_weights():
    stop = run_loop([0.1, 0.5, 0.4, 0.45, 0.3, 0.9], patience=3)
    assert stop.stopped == "patience" and stop.step == 5  # 0.5 at step 2, then three evaluations worse
    assert stop.best_step == 2 and stop.best_value == 0.5 and stop.best_state == {"w": 2}
    record = stop.record()
    assert [p["step"] for p in record["curve"]] == [1, 2, 3, 4, 5]
    assert [p["acc"] for p in record["curve"]] == [0.1, 0.5, 0.4, 0.45, 0.3]
    assert record["stopped"] == "patience" and record["best_step"] == 2


def test_a_lower_is_better_metric_and_max_steps():
    stop = run_loop([5.0, 4.0, 3.0, 2.0], patience=2, every=10, max_steps=35, higher_is_better=False)
    assert stop.stopped == "max_steps" and stop.step == 35
    assert [p["step"] for p in stop.curve] == [10, 20, 30, 35]  # the last step is always evaluated
    assert stop.best_step == 35 and stop.best_value == 2.0


def test_patience_zero_never_stops_early_and_training_loss_is_averaged_between_points():
    stop = EarlyStopping("loss", False, every=2, patience=0, max_steps=4)
    for step, loss in enumerate([4.0, 2.0, 1.0, 3.0], start=1):
        stop.update(step, loss, lambda: 9.0)
    assert stop.stopped == "max_steps"
    assert [p["train_loss"] for p in stop.curve] == [3.0, 2.0]


def test_a_resumed_loop_continues_where_it_stopped():
    first = EarlyStopping("acc", True, every=1, patience=2, max_steps=10)
    for step, value in enumerate([0.1, 0.5, 0.4], start=1):
        first.update(step, 1.0, lambda v=value: v, lambda s=step: {"step": s})
    second = EarlyStopping("acc", True, every=1, patience=2, max_steps=10)
    second.load_state_dict(first.state_dict())
    assert second.step == 3 and second.update(4, 1.0, lambda: 0.3, lambda: {})  # the second bad evaluation
    assert second.stopped == "patience" and second.best_state == {"step": 2} and len(second.curve) == 4


def test_the_validation_carve_is_deterministic_and_can_hold_out_whole_groups():
    rows = [{"id": i, "table": i // 4} for i in range(40)]
    train, validation, record = carve_validation(rows, 0.2, seed=3)
    assert len(validation) == 8 and len(train) == 32 and record["rows"] == 8 and record["seed"] == 3
    assert carve_validation(rows, 0.2, seed=3)[1] == validation
    assert carve_validation(rows, 0.2, seed=4)[1] != validation
    _, by_table, record = carve_validation(rows, 0.2, seed=3, group=lambda r: r["table"])
    assert record["groups"] == 2 and len({r["table"] for r in by_table}) == 2 and len(by_table) == 8
    assert carve_validation(rows, 0.0, seed=3)[1] == []


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("1.5h", 5400), ("45", 45), (" 2M ", 120)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "-5m", "0", "0s", "", "10 minutes"])
def test_bad_durations(text):
    with pytest.raises(ConfigError, match="positive duration"):
        parse_duration(text)


@pytest.fixture
def cli(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.stopper"
    return harness_cli


def curve_of(cli, run_id):
    shown = cli.json("show", run_id)
    assert any(a["name"] == "learning-curve.json" for a in shown["artifacts"])
    return shown["training"]


def test_a_run_records_how_training_stopped_and_a_cached_checkpoint_keeps_it(cli):
    run = cli.json("run", "--task", "doubling", "--model", "stopper")
    training = curve_of(cli, run["run_id"])
    assert training["stopped"] == "patience" and training["best_step"] == 15 and training["steps"] == 30
    assert training["validation"] == {"source": "carved from train", "fraction": 0.2, "seed": 0, "rows": 40}
    shown = cli("show", run["run_id"]).stdout
    assert "training: stopped by patience at step 30, best step 15 (score 0.3)" in shown

    # Another run of the same training (another split) loads the checkpoint and stores the same record.
    other = cli.json("run", "--task", "doubling", "--model", "stopper", "--limit", "5")
    assert not other["cached"] and curve_of(cli, other["run_id"])["best_step"] == 15


def test_a_task_with_a_validation_split_validates_on_it_and_a_folder_without_one_carves(cli, tmp_path):
    embedded = curve_of(cli, cli.json("run", "--task", "held", "--model", "stopper")["run_id"])
    assert embedded["validation"] == {"source": "validation split", "rows": 30}
    capped = curve_of(cli, cli.json("run", "--task", "held", "--model", "stopper", "-a", "limit=8")["run_id"])
    assert capped["validation"] == {"source": "validation split", "rows": 8, "of": 30}

    folder = tmp_path / "data"
    folder.mkdir()
    for split, n in (("train", 50), ("test", 5), ("val", 7)):
        lines = [json.dumps({"id": f"{split}{i}", "x": i, "reference": 2 * i}) for i in range(n)]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    args = ["run", "--task", "held", "--model", "stopper", "--data-dir", str(folder)]
    with_val = cli.json(*args)
    assert curve_of(cli, with_val["run_id"])["validation"] == {"source": "validation split", "rows": 7}

    # The validation rows decide which weights are kept: other rows are another trained model.
    (folder / "val.jsonl").write_text(json.dumps({"id": "v", "x": 1, "reference": 2}) + "\n")
    other = cli.json(*args)
    assert not other["cached"] and curve_of(cli, other["run_id"])["validation"]["rows"] == 1

    (folder / "val.jsonl").unlink()
    carved = curve_of(cli, cli.json(*args)["run_id"])["validation"]
    assert carved == {"source": "carved from train", "fraction": 0.2, "seed": 0, "rows": 10}


def test_a_validation_fraction_of_zero_turns_validation_off_even_with_a_split():
    from harness import RunContext

    ctx = RunContext(task="held", seed=0, validation=[{"x": 1}])
    assert ctx.split_validation([{"x": 2}], 0) == ([{"x": 2}], [], {"source": "none", "rows": 0})
    assert ctx.split_validation([{"x": 2}], 0.5) == ([{"x": 2}], [{"x": 1}], {"source": "validation split", "rows": 1})


def test_the_budget_ends_training_keeps_the_best_weights_and_is_part_of_the_key(cli):
    args = ["run", "--task", "doubling", "--model", "stopper", "-a", "steps=100000", "-a", "pause=0.01", "-a", "patience=0"]
    run = cli.json(*args, "--train-budget", "0.3s")
    training = curve_of(cli, run["run_id"])
    assert training["stopped"] == "budget" and training["budget_s"] == 0.3
    assert training["steps"] < 100000 and training["best_step"] is not None
    # Without the budget it is another run (and checkpoint): a truncated model is never reused as a full one.
    again = cli.json(*args, "--train-budget", "0.3s")
    assert again["cached"] and again["run_id"] == run["run_id"]
    cli.env["HARNESS_TRAIN_BUDGET"] = "0.2s"
    from_env = cli.json(*args)
    assert not from_env["cached"] and curve_of(cli, from_env["run_id"])["budget_s"] == 0.2


@pytest.mark.parametrize("budget", ["abc", "-5m", "0"])
def test_a_bad_budget_is_a_usage_error_before_any_work(cli, budget):
    bad = cli("run", "--task", "doubling", "--model", "stopper", "--train-budget", budget, check=False)
    assert bad.returncode == 2 and "--train-budget" in bad.stderr and "positive duration" in bad.stderr
    assert cli.json("runs") == []


def test_a_budget_for_a_model_that_does_not_train_is_a_usage_error(cli, tmp_path):
    bad = cli("run", "--task", "doubling", "--model", "exact", "--train-budget", "10m", check=False)
    assert bad.returncode == 2 and "does not train" in bad.stderr
    sweep = cli("sweep", "--task", "doubling", "--model", "exact", "--train-budget", "10m", check=False)
    assert sweep.returncode == 2 and "no model in the sweep trains" in sweep.stderr
    spec = tmp_path / "sweep.toml"
    spec.write_text('tasks = ["doubling"]\nmodels = ["exact"]\ntrain_budget = "-5m"\n')
    from_file = cli("sweep", "--file", str(spec), check=False)
    assert from_file.returncode == 2 and "train_budget" in from_file.stderr
    cli.env["HARNESS_TRAIN_BUDGET"] = "soon"
    env = cli("run", "--task", "doubling", "--model", "stopper", check=False)
    assert env.returncode == 2 and "HARNESS_TRAIN_BUDGET" in env.stderr
    assert cli.json("runs") == []


def test_a_sweep_passes_its_budget_to_the_models_that_train(cli, tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text('tasks = ["doubling"]\nmodels = ["exact", "stopper"]\ntrain_budget = "10m"\n')
    cli("sweep", "--file", str(spec))
    runs = {r["model"]: r for r in cli.json("runs")}
    assert curve_of(cli, runs["stopper"]["run_id"])["budget_s"] == 600.0
    assert not any(a["name"] == "learning-curve.json" for a in cli.json("show", runs["exact"]["run_id"])["artifacts"])


def test_the_learning_curve_panel():
    from harness import views

    record = run_loop([0.1, 0.5, 0.4, 0.45, 0.3], patience=3).record()
    panel = views.learning_curve(json.loads(json.dumps(record)))
    assert panel is not None and panel.kind == "chart"
    series = {v["series"] for v in panel.data["data"]["values"]}
    assert series == {"training loss", "validation acc"}
    assert "stopped by patience at step 5, best step 2" in panel.caption
    assert views.learning_curve({"curve": []}) is None


def test_the_run_page_draws_the_learning_curve_for_any_trained_model(cli, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from harness.plugins.registry import set_registry

    run = cli.json("run", "--task", "doubling", "--model", "stopper")
    for key in ("HARNESS_HOME", "HARNESS_DB", "HARNESS_PLUGINS"):
        monkeypatch.setenv(key, cli.env[key])
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", "")
    set_registry(None)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.session_state["page"], at.session_state["run_id"] = "Run detail", run["run_id"]
    at.run()
    set_registry(None)
    assert not at.exception, at.exception
    assert any("**Learning curve**" in m.value for m in at.markdown)  # no renderer of its own draws it
    assert any("stopped by patience at step 30, best step 15" in c.value for c in at.caption)


def test_the_published_run_page_draws_the_learning_curve(cli, tmp_path):
    from harness.publish.content import run_page

    run = cli.json("run", "--task", "doubling", "--model", "stopper")
    cli("publish", str(tmp_path / "site"))
    page = (tmp_path / "site" / run_page(run["run_id"])).read_text(encoding="utf-8")
    assert "Learning curve" in page and "stopped by patience at step 30, best step 15" in page
