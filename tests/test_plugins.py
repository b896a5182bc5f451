"""Discovery, isolation of broken plugins, strict mode, selection, and every hook."""

from __future__ import annotations

import pytest
from toy_plugins import arith, broken_hook, duplicate, recorder

from harness.plugins.registry import PluginError, load_registry, use_plugins
from harness.runner.run import Runner, RunRequest
from harness.store import Store

TASK_FIELDS = {
    "name",
    "plugin",
    "version",
    "description",
    "source",
    "group",
    "splits",
    "primary_metric",
    "higher_is_better",
    "default_model",
}


def test_listings_have_documented_fields(harness_cli):
    tasks = {t["name"]: t for t in harness_cli.json("tasks")}
    assert TASK_FIELDS <= set(tasks["doubling"])
    assert tasks["doubling"]["plugin"] == "toy_plugins.arith" and tasks["doubling"]["group"] == "arith"
    assert tasks["squaring"]["higher_is_better"] is False and tasks["squaring"]["primary_metric"] == "absolute_error"
    models = {m["name"]: m for m in harness_cli.json("models")}
    assert {"name", "plugin", "tasks", "description"} <= set(models["noisy"])
    assert models["noisy"]["tasks"] == ["doubling"] and models["noisy"]["defaults"] == {"every": 4, "offset": 1}
    plugins = {p["name"]: p for p in harness_cli.json("plugins")}
    assert {"name", "version", "hooks", "error"} <= set(plugins["toy_plugins.arith"])
    assert plugins["toy_plugins.arith"]["hooks"] == [
        "register_leaderboards",
        "register_metrics",
        "register_models",
        "register_renderers",
        "register_tasks",
    ]
    assert plugins["builtin"]["hooks"] == ["register_metrics"] and plugins["builtin"]["error"] is None
    assert plugins["executors"]["hooks"] == ["register_executors"] and plugins["executors"]["error"] is None


def test_broken_plugins_are_reported_and_the_rest_keep_working(harness_cli, db):
    harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.broken_import,toy_plugins.broken_hook"
    plugins = {p["name"]: p for p in harness_cli.json("plugins")}
    assert "ModuleNotFoundError" in plugins["toy_plugins.broken_import"]["error"]
    assert plugins["toy_plugins.broken_hook"]["error"] == "RuntimeError: cannot build my task list"
    assert plugins["toy_plugins.arith"]["error"] is None
    assert "doubling" in {t["name"] for t in harness_cli.json("tasks")}
    assert harness_cli.json("run", "--task", "doubling")["status"] == "finished"


def test_strict_mode_turns_a_broken_plugin_into_a_failure(harness_cli, monkeypatch):
    harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.broken_import"
    harness_cli.env["HARNESS_STRICT_PLUGINS"] = "1"
    result = harness_cli("tasks", check=False)
    assert result.returncode == 1
    assert "plugin 'toy_plugins.broken_import' failed: ModuleNotFoundError" in result.stderr
    monkeypatch.setenv("HARNESS_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="cannot build my task list"):
        load_registry({"broken_hook": broken_hook}, entry_points=False)


def test_a_plugin_may_add_models_and_commands_to_another_plugins_task(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.extra_model"
    tasks = {t["name"]: t for t in harness_cli.json("tasks")}
    assert "halving" in tasks["doubling"]["models"]
    data = harness_cli.json("run", "--task", "doubling", "--model", "halving")
    assert data["model_plugin"] == "toy_plugins.extra_model" and data["plugin"] == "toy_plugins.arith"
    assert data["metrics"]["exact_match"]["value"] == pytest.approx(1 / 200)  # only x = 0
    assert harness_cli("hello").stdout.strip() == "hello from extra_model"
    assert "hello" in harness_cli("--help").stdout


def test_duplicate_names_are_reported_against_the_second_plugin():
    registry = load_registry({"arith": arith, "duplicate": duplicate}, entry_points=False)
    assert registry.tasks["doubling"].obj is arith.Doubling
    assert registry.plugins["duplicate"].error == "ValueError: task 'doubling' is already registered by plugin 'arith'"


def test_lifecycle_hooks_see_the_run_and_cannot_break_it(db):
    recorder.EVENTS.clear()
    with use_plugins(arith, recorder) as registry:
        outcome = Runner(registry, Store(db)).run(RunRequest(task="doubling", model="noisy"))
    run_id = outcome.run.run_id
    assert recorder.EVENTS == [("start", run_id, "running"), ("end", run_id, "finished", 0.75)]
    assert outcome.run.status == "finished" and Store(db).get_run(run_id).status == "finished"
    assert outcome.warnings == ["plugin 'toy_plugins.recorder' failed in on_run_end: ConnectionError: tracker unreachable"]


def test_load_only_selected_plugins(monkeypatch):
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", "nothing-installed-by-this-name")
    registry = load_registry()
    assert set(registry.plugins) == {"builtin", "executors"}
    assert set(registry.executors) == {"local", "processes", "ray"}
    assert set(registry.metrics) == {"exact_match", "absolute_error"}


def test_a_plugin_named_twice_is_one_plugin_without_a_warning(harness_cli):
    """An installed plugin also listed in HARNESS_PLUGINS (or a module listed twice) loads once:
    no second entry, no "already registered" error on the listing."""
    harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.arith, toy_plugins.arith"
    listed = [p for p in harness_cli.json("plugins") if p["name"] == "toy_plugins.arith"]
    assert len(listed) == 1 and listed[0]["error"] is None
    result = harness_cli("tasks")
    assert "already registered" not in result.stderr and "doubling" in result.stdout
