"""Helpers for testing plugins: run a task against chosen plugin modules and a given database."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from harness.plugins import use_plugins
from harness.runner import Runner, RunOutcome, RunRequest
from harness.store import Store


def run_plugin(
    plugin: ModuleType,
    task: str,
    db: Path,
    model: str | None = None,
    model_args: Mapping[str, str] | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    data_dir: Path | None = None,
    overwrite: bool = False,
) -> RunOutcome:
    """Run `task` with only `plugin` (and the built-ins) loaded, ignoring installed plugins."""
    with use_plugins(plugin) as registry:
        request = RunRequest(task=task, model=model, model_args=dict(model_args or {}), split=split,
                             limit=limit, seed=seed, data_dir=data_dir, overwrite=overwrite)
        return Runner(registry, Store(db)).run(request)
