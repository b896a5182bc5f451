"""What the command line says about what it did not do: grid entries dropped or refused, sweep-file
errors with their file and key, filters that match nothing, runs an import skipped."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest


@pytest.fixture
def cli(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.echo"
    return harness_cli


def test_a_grid_names_the_tasks_no_model_given_serves(cli):
    refused = cli("sweep", "--task", "arith,echo", "--model", "parrot", check=False)
    assert refused.returncode == 2
    assert "group 'arith' (doubling, squaring) is served by none of parrot" in refused.stderr and "exact" in refused.stderr
    assert cli.json("runs") == []  # refused before anything ran

    report = cli("sweep", "--task", "arith", "--model", "noisy", "--limit", "3")
    assert "left out of the grid: squaring of group 'arith' (served by none of noisy)" in report.stderr
    assert [r["task"] for r in cli.json("runs")] == ["doubling"]


def test_a_reversed_seed_range_is_named(cli):
    result = cli("sweep", "--task", "doubling", "--seeds", "5-2", check=False)
    assert result.returncode == 2 and "'5-2' is a reversed range: write 2-5" in result.stderr


@pytest.mark.parametrize(
    ("body", "key", "what"),
    [
        ('tasks = ["doubling"]\nmodels = ["noisy"]\n[model_args]\nevery = ["often"]\n', "model_args.every", "every='often'"),
        ('tasks = ["doubling"]\nmodels = ["noisy"]\n[model_args.noisy]\nevery = [1, "x"]\n', "model_args.noisy.every", "'x'"),
        ('tasks = ["doubling"]\nmodels = ["noisy"]\n[model_args.noisy]\nevry = [1]\n', "model_args.noisy.evry", "'every'"),
        ('tasks = ["doubling"]\nexecutor = "procesess"\n', "executor", "did you mean 'processes'"),
        ('tasks = ["doubling"]\nsplit = "dev"\n', "split", "no split 'dev'"),
        ('tasks = ["dubling"]\n', "tasks", "doubling"),
        ('tasks = ["doubling"]\nmodels = ["exactt"]\n', "models", "exact"),
        ('tasks = ["doubling"]\nseeds = "3-1"\n', "seeds", "reversed range"),
    ],
)
def test_sweep_file_errors_name_the_file_and_the_key(cli, tmp_path, body, key, what):
    path = tmp_path / "sweep.toml"
    path.write_text(body)
    result = cli("sweep", "--file", str(path), check=False)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {path}: key `{key}`") and what in line


def test_an_empty_listing_says_whether_the_filter_or_the_database_is_empty(cli):
    empty = cli("runs", "--status", "interrupted")
    assert empty.stdout.startswith("No runs in ")
    cli("run", "--task", "doubling", "--model", "exact")
    filtered = cli("runs", "--status", "interrupted").stdout
    assert filtered.startswith("No runs match --status interrupted (1 run(s) in ")
    both = cli("runs", "--task", "squaring", "--status", "failed").stdout
    assert both.startswith("No runs match --task squaring and --status failed")


def test_a_second_import_says_how_many_runs_it_skipped(cli, tmp_path):
    cli("run", "--task", "doubling", "--model", "exact")
    cli("run", "--task", "squaring", "--model", "exact")
    cli("export", str(tmp_path / "out"))
    target = ["--db", str(tmp_path / "target.duckdb")]
    first = cli("import", str(tmp_path / "out"), *target).stdout
    assert "imported 2 new run(s)" in first and "skipped" not in first
    again = cli("import", str(tmp_path / "out"), *target).stdout
    assert "imported 0 new run(s)" in again and "skipped 2 already present" in again


def test_the_dashboard_watches_no_files(cli, monkeypatch):
    """A file watcher over a checkout (its virtual environment included) flooded the log with
    inotify overflow lines: neither `harness dashboard` nor `streamlit run app.py` watches files."""
    import harness.cli.dashboard as dashboard

    commands = []
    monkeypatch.setattr(dashboard, "_serve", lambda command: commands.append(command) or 0)
    cli("dashboard", "--headless")
    (command,) = commands
    assert command[command.index("--server.fileWatcherType") + 1] == "none"
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"


def test_a_ray_sweep_with_nothing_to_compute_does_not_report_an_empty_cluster():
    """Every run of the grid already stored: Ray is never reached, and the sweep says so rather than
    reporting a cluster of 0 CPUs."""
    from harness.sweep.executors.ray_cluster import RayExecutor

    line = RayExecutor(address="10.0.0.5:6379").describe()
    assert line == "ray (10.0.0.5:6379; not started: nothing to compute)"
