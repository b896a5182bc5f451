"""Training that survives a kill, and training on one dataset while evaluating on another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")


@pytest.fixture
def cli(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.trainer"
    return harness_cli


def checkpoints(cli):
    root = Path(cli.env["HARNESS_HOME"]) / "checkpoints" / "sgd-doubler"
    return sorted(p.name.split(".")[-1] if "." in p.name else "final" for p in root.iterdir()) if root.exists() else []


@pytest.mark.slow
def test_a_killed_training_resumes_from_its_snapshot_and_ends_as_if_uninterrupted(cli, tmp_path):
    log = tmp_path / "steps.log"
    cli.env.update({"TOY_TRAINER_DIE_AT": "23", "TOY_TRAINER_LOG": str(log)})
    killed = cli.process("run", "--task", "doubling", "--model", "sgd-doubler", check=False)  # it SIGKILLs itself
    assert killed.returncode == -9  # SIGKILL: nothing ran after step 23
    assert checkpoints(cli) == ["partial"]  # the snapshot of step 20 is waiting

    del cli.env["TOY_TRAINER_DIE_AT"]
    resumed = cli.json("run", "--task", "doubling", "--model", "sgd-doubler")
    steps = [int(s) for s in log.read_text().split()]
    assert steps == [*range(23), *range(20, 40)]  # steps 20-22 redone from the snapshot, not from 0
    assert checkpoints(cli) == ["final"]  # the snapshot is deleted once the model is cached

    # A separate home and database: the same training from scratch, never interrupted.
    cli.env.update({"HARNESS_HOME": str(tmp_path / "other-home"), "HARNESS_DB": str(tmp_path / "other.duckdb")})
    log.unlink()
    straight = cli.json("run", "--task", "doubling", "--model", "sgd-doubler")
    assert [int(s) for s in log.read_text().split()] == list(range(40))
    assert resumed["metrics"] == straight["metrics"]
    assert resumed["metrics"]["absolute_error"]["value"] > 0  # the noise leaves a real, comparable error


def test_snapshot_interval_can_be_set_from_the_environment(cli, tmp_path):
    cli.env.update({"HARNESS_CHECKPOINT_EVERY": "0", "TOY_TRAINER_FAIL_AT": "23"})
    cut = cli("run", "--task", "doubling", "--model", "sgd-doubler", check=False)  # fails after step 23
    assert cut.returncode == 1 and "training cut short after step 23" in cut.stderr
    assert checkpoints(cli) == []  # snapshots were turned off
    cli.env["HARNESS_CHECKPOINT_EVERY"] = "ten"
    bad = cli("run", "--task", "doubling", "--model", "sgd-doubler", check=False)
    assert bad.returncode == 2 and "HARNESS_CHECKPOINT_EVERY='ten'" in bad.stderr
    del cli.env["HARNESS_CHECKPOINT_EVERY"]  # the default keeps the snapshot of step 20 of the same cut training
    assert cli("run", "--task", "doubling", "--model", "sgd-doubler", check=False).returncode == 1
    assert checkpoints(cli) == ["partial"]


def write_split(directory, split, xs):
    directory.mkdir(exist_ok=True)
    lines = [json.dumps({"id": f"{split}-{x}", "x": x, "reference": 2 * x}) for x in xs]
    (directory / f"{split}.jsonl").write_text("\n".join(lines) + "\n")


def test_train_on_the_embedded_default_and_evaluate_on_a_folder_with_only_a_test_split(cli, tmp_path):
    real = tmp_path / "real"
    write_split(real, "test", range(5, 25))
    run = cli.json("run", "--task", "doubling", "--model", "memorise", "--data-dir", str(real), "--train-data", "embedded")
    assert run["status"] == "finished" and run["dataset"] == "doubling-jsonl"
    assert run["train_dataset"] == "doubling-synth-v1" and run["train_fingerprint"]
    assert run["n_samples"] == 20 and run["metrics"]["exact_match"]["value"] == 1.0

    other = tmp_path / "other-train"
    write_split(other, "train", range(1, 30))
    elsewhere = cli.json("run", "--task", "doubling", "--model", "memorise", "--data-dir", str(real), "--train-data", str(other))
    assert not elsewhere["cached"] and elsewhere["train_dataset"] == "doubling-jsonl"
    assert elsewhere["train_fingerprint"] != run["train_fingerprint"]
    again = cli.json("run", "--task", "doubling", "--model", "memorise", "--data-dir", str(real), "--train-data", "embedded")
    assert again["cached"] and again["run_id"] == run["run_id"]

    board = cli.json("leaderboard", "--task", "doubling")[0]
    assert sorted(r["train_dataset"] for r in board["rows"]) == ["doubling-jsonl", "doubling-synth-v1"]
    table = cli("leaderboard", "--task", "doubling").stdout
    assert "trained-on" in table and "doubling-synth-v1" in table  # shown by default: it tells the rows apart


def test_train_data_is_refused_for_models_that_do_not_train(cli, tmp_path):
    result = cli("run", "--task", "doubling", "--model", "exact", "--train-data", "embedded", check=False)
    assert result.returncode == 2 and "does not train" in result.stderr
    missing = cli("run", "--task", "doubling", "--model", "memorise", "--train-data", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 1 and "is not a directory" in missing.stderr


def test_progress_bars_carry_a_training_status(monkeypatch, capsys):
    from harness.progress import format_status, progress_bar

    assert format_status({"epoch": 3, "loss": 0.41234, "val": 0.6}) == "epoch=3 loss=0.412 val=0.6"
    monkeypatch.setenv("HARNESS_PROGRESS", "1")
    with progress_bar("training", total=2) as advance:
        advance(1, epoch=1, loss=0.5)
        advance()
    monkeypatch.setenv("HARNESS_PROGRESS", "0")
    with progress_bar("training", total=2) as advance:
        advance(1, epoch=1, loss=0.5)  # silent, and the same call shape
    assert capsys.readouterr().out == ""


def test_the_dashboard_leaderboard_says_what_each_model_was_trained_on(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from harness.plugins.registry import get_registry, set_registry
    from harness.runner.run import EMBEDDED, Runner, RunRequest
    from harness.store import Store

    real = tmp_path / "real"
    write_split(real, "test", range(5, 25))
    write_split(real, "train", range(1, 30))
    monkeypatch.setenv("HARNESS_PLUGINS", "toy_plugins.arith")
    set_registry(None)
    runner = Runner(get_registry(), Store(tmp_path / "results.duckdb"))
    for train_data in (EMBEDDED, None):
        request = RunRequest(task="doubling", model="memorise", data_dir=real, train_data=train_data)
        assert runner.run(request).run.status == "finished"
    set_registry(None)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.session_state["board"] = "arith"
    at.run()
    assert not at.exception, at.exception
    board = next(df.value for df in at.dataframe if "trained on" in df.value.columns)
    assert sorted(board["trained on"]) == ["doubling-jsonl", "doubling-synth-v1"]
