"""Every hook a plugin may implement. Plugins import `harness.hookimpl` and mark functions with it.

Registration hooks receive a `register` callable rather than returning lists, so that one
plugin can register many things and the core can attribute each to the plugin that made it
(and report a failure against that plugin alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from harness.api import Metric, Model, Renderer, Task
    from harness.executors import Executor
    from harness.records import Artifact, RunRecord

hookspec = pluggy.HookspecMarker("harness")
hookimpl = pluggy.HookimplMarker("harness")
"""Marks a plugin module's function as the implementation of the hook of the same name."""


@hookspec
def register_tasks(register: Callable[[type[Task]], None]) -> None:
    """Register Task subclasses: `register(MyTask)`. Keep heavy imports out of module scope."""


@hookspec
def register_models(register: Callable[[type[Model]], None]) -> None:
    """Register Model subclasses. A model may serve another plugin's tasks (see `Model.tasks`)."""


@hookspec
def register_metrics(register: Callable[[type[Metric]], None]) -> None:
    """Register Metric subclasses, referred to by name from `Task.metrics`."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the `harness` CLI, e.g. `@cli.command() def mycmd(): ...`."""


@hookspec
def register_renderers(register: Callable[[type[Renderer]], None]) -> None:
    """Register Renderer subclasses: how the dashboard draws a task's runs and samples."""


@hookspec
def register_leaderboards(register: Callable[[Path | dict[str, Any]], None]) -> None:
    """Contribute leaderboard definitions: a path to a TOML definition file, or a dict of the same
    shape. The harness's own definitions (or `HARNESS_LEADERBOARDS`) win on a name clash."""


@hookspec
def register_executors(register: Callable[[type[Executor]], None]) -> None:
    """Register `harness.executors.Executor` subclasses: where `harness sweep --executor NAME` computes runs.

    The core registers `local`, `processes` and `ray` this way. An executor moves jobs to workers
    and results back; it never opens the results database (see `harness.executors`)."""


@hookspec
def on_run_start(run: RunRecord) -> None:
    """Called once a run is recorded as `running` (also when it resumes), before any sample."""


@hookspec
def on_run_end(run: RunRecord, artifacts: Mapping[str, Artifact]) -> None:
    """Called once a run is stored as `finished` or `failed`; `run.metrics` holds the results.

    `artifacts` are the run's stored artifacts by name (empty for a failed run), so a logger
    needs no access to the database the run went to (`--db`, a sweep's driver). Declare only
    the arguments you use: `def on_run_end(run)` is called without `artifacts`. A sweep calls
    this in its driver, after the worker's result is stored, never in the worker. Loggers (e.g.
    to an experiment tracker) implement this; an exception here is reported as a warning and
    never changes the stored run.
    """
