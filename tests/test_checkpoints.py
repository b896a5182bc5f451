"""Trained checkpoints: damage is named and trained around, and `harness checkpoints` lists and prunes them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

TRAIN = ("run", "--task", "doubling", "--model", "sgd-doubler")


@pytest.fixture
def cli(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.trainer"
    return harness_cli


def model_dir(cli) -> Path:
    return Path(cli.env["HARNESS_HOME"]) / "checkpoints" / "sgd-doubler"


def folders(cli) -> list[str]:
    return sorted(p.name for p in model_dir(cli).iterdir())


def only_checkpoint(cli) -> Path:
    (complete,) = [p for p in model_dir(cli).iterdir() if (p / ".complete").exists() and "." not in p.name]
    return complete


def truncate(path: Path, size: int = 1024) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def legacy_truncated(path: Path) -> None:
    """A checkpoint as earlier releases left it (an empty manifest: no hashes), then cut short."""
    (path.parent / ".complete").write_text("")
    truncate(path)


@pytest.mark.parametrize("damage", [truncate, flip_a_byte, legacy_truncated], ids=["truncated", "flipped", "legacy"])
def test_a_damaged_checkpoint_is_named_set_aside_and_retrained(cli, damage):
    first = cli.json(*TRAIN, "--limit", "10")
    checkpoint = only_checkpoint(cli)
    manifest = json.loads((checkpoint / ".complete").read_text())
    assert manifest["model"] == "sgd-doubler" and manifest["train_dataset"] == "doubling-synth-v1"
    assert set(manifest["files"]) == {"model.pt"} and len(manifest["files"]["model.pt"]["sha256"]) == 64
    damage(checkpoint / "model.pt")
    damaged_bytes = (checkpoint / "model.pt").read_bytes()

    # Another evaluation of the same trained model (all samples, not the first 10) loads the checkpoint.
    run = cli.json(*TRAIN)
    assert run["status"] == "finished" and not run["cached"]
    (warning,) = run["warnings"]
    assert str(checkpoint / "model.pt") in warning and "moved aside" in warning and "training sgd-doubler again" in warning
    (aside,) = [p for p in model_dir(cli).iterdir() if ".damaged-" in p.name]
    assert aside.name.startswith(checkpoint.name) and (aside / "model.pt").read_bytes() == damaged_bytes  # kept, as found
    assert only_checkpoint(cli) == checkpoint

    # The retrained model loads without a warning and is the one the first training made: the same
    # predictions, the same metrics.
    again = cli.json(*TRAIN, "--limit", "10", "--overwrite")
    assert again["warnings"] == [] and again["metrics"] == first["metrics"]


def test_the_warning_is_one_line_in_the_terminal(cli):
    cli(*TRAIN, "--limit", "5")
    truncate(only_checkpoint(cli) / "model.pt")
    result = cli(*TRAIN)
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and "model.pt" in lines[0] and "Traceback" not in result.stdout + result.stderr


def test_a_damaged_training_snapshot_resumes_from_the_previous_good_one(cli, tmp_path):
    log = tmp_path / "steps.log"
    cli.env.update({"TOY_TRAINER_FAIL_AT": "33", "TOY_TRAINER_LOG": str(log)})
    assert cli(*TRAIN, check=False).returncode == 1  # cut short after step 33: snapshots of 20 and 30
    (partial,) = [p for p in model_dir(cli).iterdir() if p.name.endswith(".partial")]
    snapshots = sorted(p.name for p in partial.iterdir())
    assert [name.split("-")[1] for name in snapshots] == ["000000020", "000000030"]
    newest = partial / snapshots[-1]
    truncate(newest, newest.stat().st_size // 2)

    del cli.env["TOY_TRAINER_FAIL_AT"]
    resumed = cli.json(*TRAIN)
    (warning,) = resumed["warnings"]
    assert str(newest) in warning and "resuming from step 20" in warning
    assert [int(s) for s in log.read_text().split()] == [*range(33), *range(20, 40)]  # from 20, not 30 or 0

    cli.env.update({"HARNESS_HOME": str(tmp_path / "other-home"), "HARNESS_DB": str(tmp_path / "other.duckdb")})
    del cli.env["TOY_TRAINER_LOG"]
    assert resumed["metrics"] == cli.json(*TRAIN)["metrics"]  # as if never interrupted


def test_snapshots_keep_the_previous_one_and_pass_over_damage(tmp_path):
    from harness.training import TrainingCheckpoint

    ckpt = TrainingCheckpoint(tmp_path, every_steps=1, every_s=None)
    for step in (1, 2, 3):
        ckpt.save(step, {"value": step * 10})
    kept = ckpt.snapshots()
    assert len(kept) == 2 and ckpt.path == kept[0]
    flip_a_byte(kept[0])
    fresh = TrainingCheckpoint(tmp_path)
    assert fresh.restore()["value"] == 20 and fresh.resumed_from == 2
    (note,) = fresh.notes
    assert str(kept[0]) in note and "sha256" in note and (tmp_path / f"{kept[0].name}.damaged").exists()
    truncate(kept[1], 0)
    last = TrainingCheckpoint(tmp_path)
    assert last.restore() is None and "training from the start" in last.notes[0]


def test_checkpoints_and_snapshots_of_earlier_releases_still_load(cli, tmp_path):
    from harness.training import STATE_FILE, TrainingCheckpoint

    first = cli.json(*TRAIN, "--limit", "5")
    checkpoint = only_checkpoint(cli)
    (checkpoint / ".complete").write_text("")  # no hashes: trusted while it loads
    again = cli.json(*TRAIN)
    assert again["warnings"] == [] and first["status"] == again["status"] == "finished"

    older = tmp_path / "older"
    TrainingCheckpoint(older).save(7, {"value": 1})
    os.replace(TrainingCheckpoint(older).path, older / STATE_FILE)
    assert TrainingCheckpoint(older).restore()["step"] == 7


def age(path: Path, days: float) -> None:
    """Make a checkpoint folder look last used `days` ago."""
    then = time.time() - days * 86400
    for file in [path, *path.rglob("*")]:
        os.utime(file, (then, then))


def test_checkpoints_lists_what_made_each_one_and_the_runs_that_used_it(cli):
    five = cli.json(*TRAIN, "--limit", "5")
    all_ = cli.json(*TRAIN)
    short = cli.json(*TRAIN, "--model-arg", "steps=20")
    listed = cli.json("checkpoints")
    assert len(listed) == 2
    by_steps = {c["config"]["steps"]: c for c in listed}
    assert sorted(by_steps[40]["runs"]) == sorted([five["run_id"], all_["run_id"]]) and by_steps[20]["runs"] == [short["run_id"]]
    c = by_steps[40]
    assert c["model"] == "sgd-doubler" and c["state"] == "complete" and c["train_dataset"] == "doubling-synth-v1"
    assert c["task"] == "doubling" and c["seed"] == 0 and c["bytes"] > 2000 and 0 <= c["age_s"] < 600
    assert Path(c["path"]) == only_checkpoint_of(cli, 40)

    table = cli("checkpoints").stdout
    assert "sgd-doubler" in table and "steps=20" in table and "doubling-synth-v1" in table and "2 checkpoint folder(s)" in table
    cli.env["HARNESS_HOME"] = str(Path(cli.env["HARNESS_HOME"]).parent / "empty-home")
    assert cli("checkpoints").stdout.startswith("No checkpoints in") and cli.json("checkpoints") == []


def only_checkpoint_of(cli, steps: int) -> Path:
    for c in cli.json("checkpoints"):
        if c["config"]["steps"] == steps and c["state"] == "complete":
            return Path(c["path"])
    raise AssertionError(f"no checkpoint of steps={steps}")


def test_prune_by_use_age_and_size_with_a_dry_run_first(cli, tmp_path):
    cli.json(*TRAIN, "--limit", "5")
    kept_run = cli.json(*TRAIN, "--model-arg", "steps=20", "--limit", "5")
    old = only_checkpoint_of(cli, 40)
    truncate(old / "model.pt")
    cli.json(*TRAIN)  # sets the damaged one aside: unused, like a checkpoint whose runs were deleted
    (damaged,) = [p for p in model_dir(cli).iterdir() if ".damaged-" in p.name]

    looked = cli.json("checkpoints", "prune", "--unused", "--dry-run")
    assert [c["path"] for c in looked["removed"]] == [str(damaged)] and looked["dry_run"] and damaged.exists()
    done = cli.json("checkpoints", "prune", "--unused")
    assert done["freed_bytes"] == looked["freed_bytes"] > 0 and not damaged.exists()
    assert "removed 0 checkpoint folder(s)" in cli("checkpoints", "prune", "--unused").stdout

    # Seen from another database, no stored run used either: --older-than picks the one left idle.
    other = ["--db", str(tmp_path / "empty.duckdb")]
    age(only_checkpoint_of(cli, 20), days=40)
    aged = cli.json("checkpoints", "prune", "--older-than", "30d", "--unused", *other)
    assert [c["runs"] for c in aged["removed"]] == [[]] and aged["removed"][0]["config"]["steps"] == 20
    assert [c["config"]["steps"] for c in cli.json("checkpoints")] == [40]
    assert kept_run["status"] == "finished"

    # A budget: the least recently used go first until the rest fit.
    cli.json(*TRAIN, "--model-arg", "steps=10", "--limit", "5")
    age(only_checkpoint_of(cli, 40), days=2)
    sizes = {c["config"]["steps"]: c["bytes"] for c in cli.json("checkpoints")}
    fitted = cli.json("checkpoints", "prune", "--max-size", f"{sizes[10] + 100}")
    assert [c["config"]["steps"] for c in fitted["removed"]] == [40]
    assert [c["config"]["steps"] for c in cli.json("checkpoints")] == [10]


def test_prune_needs_a_criterion_and_reads_sizes_and_ages(cli):
    bare = cli("checkpoints", "prune", check=False)
    assert bare.returncode == 2 and "--older-than" in bare.stderr and "--max-size" in bare.stderr
    for option, value in (("--older-than", "3x"), ("--max-size", "lots")):
        wrong = cli("checkpoints", "prune", option, value, check=False)
        assert wrong.returncode == 2 and value in wrong.stderr and "checkpoints prune --help" in wrong.stderr

    from harness.cli.checkpoints import Age, Size

    assert Size().convert("2G", None, None) == 2 * 1024**3 and Size().convert("1.5MiB", None, None) == 1536 * 1024
    assert Age().convert("12h", None, None) == 43200 and Age().convert("2w", None, None) == 14 * 86400


@pytest.mark.slow
def test_prune_never_removes_a_checkpoint_a_run_in_progress_uses(cli, tmp_path):
    cli.json(*TRAIN, "--limit", "2")
    hold = tmp_path / "hold"
    cli.env["TOY_TRAINER_HOLD"] = str(hold)
    running = cli.popen(*TRAIN)  # loads the checkpoint, then waits inside predict
    try:
        started = Path(f"{hold}.started")
        for _ in range(1200):
            if started.exists() or running.poll() is not None:
                break
            time.sleep(0.05)
        assert started.exists(), running.communicate()
        del cli.env["TOY_TRAINER_HOLD"]
        other = ["--db", str(tmp_path / "empty.duckdb")]  # no stored run knows it: only the lock protects it
        blocked = cli.json("checkpoints", "prune", "--unused", *other)
        assert blocked["removed"] == [] and "in progress" in blocked["kept"][0]["why"]
        assert only_checkpoint(cli).exists()
    finally:
        hold.touch()
        _, err = running.communicate(timeout=120)
    assert running.returncode == 0, err
    assert len(cli.json("checkpoints", "prune", "--unused", *other)["removed"]) == 1
