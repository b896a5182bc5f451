"""`harness sweep` and `sweeps`: the command-line face of the sweep driver (harness/sweep/driver.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from harness.api import ConfigError
from harness.cli.columns import chosen, requested, table_options
from harness.cli.options import (
    data_dir_option,
    db_option,
    json_option,
    listing_limit_option,
    model_arg_option,
    overwrite_option,
    sample_limit_option,
    split_option,
    train_budget_option,
    train_data_option,
)
from harness.cli.output import console, echo_json, print_table, table
from harness.cli.resolve import open_store
from harness.views import config, fmt


@click.command()
@click.option(
    "--task", "-t", "task_names", multiple=True, metavar="NAMES", help="Task or group names, comma-separated or repeated."
)
@click.option(
    "--model",
    "-m",
    "model_names",
    multiple=True,
    metavar="NAMES",
    help="Model names, comma-separated or repeated; `all` (the default) takes every model serving each task.",
)
@model_arg_option("KEY=V1[,V2...]", "Values of a model argument (each one a grid axis), for every model that has it; repeatable.")
@click.option("--seeds", default="0", show_default=True, help="Seeds: 0-2, 0,3,5, or 0-2,7.")
@split_option("Split to evaluate (default: each task's default split).")
@sample_limit_option("Evaluate only the first N samples of each run.")
@data_dir_option("Real dataset in the tasks' format.")
@train_data_option("What the models that train learn from: 'embedded' or a directory (default: the evaluation data).")
@train_budget_option(
    "Wall time each model that trains may spend in training (90s, 10m, 1.5h); the models that do not "
    "train evaluate as they are (default: $HARNESS_TRAIN_BUDGET, else none)."
)
@click.option(
    "--file",
    "sweep_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the grid from a sweep file (TOML, as the sweeps documentation describes) instead of the options above.",
)
@click.option("--name", help="A label for the sweep (shown by `harness sweeps`).")
@click.option(
    "--executor",
    "-e",
    "executor_name",
    metavar="NAME",
    help="Where runs are computed: local (default), processes, ray, or a plugin's executor.",
)
@click.option("--workers", "-w", type=int, help="Worker processes (processes) or CPUs of a local Ray (ray).")
@click.option("--address", help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray for the sweep).")
@click.option("--retries", type=int, help="Times a run whose worker died is retried (default 2).")
@overwrite_option("Recompute every run of the grid, replacing stored runs with the same key once each new one is stored.")
@db_option
@json_option
def sweep(
    task_names: tuple[str, ...],
    model_names: tuple[str, ...],
    model_args: tuple[str, ...],
    seeds: str,
    split: str | None,
    limit: int | None,
    data_dir: Path | None,
    train_data: str | None,
    train_budget: float | None,
    sweep_file: Path | None,
    name: str | None,
    executor_name: str | None,
    workers: int | None,
    address: str | None,
    retries: int | None,
    overwrite: bool,
    db: Path | None,
    as_json: bool,
) -> None:
    """Run a grid of tasks, models and seeds.

    The grid is tasks (or groups) x models serving them x model-argument values x seeds.
    Finished runs are not recomputed; re-running an interrupted sweep resumes it. Workers never
    open the database: this process stores every result. Exits 1 if any run failed.
    """
    with exit_on_interrupt("the same command"):  # loading the driver takes a second on a busy machine
        from harness.plugins.registry import get_registry
        from harness.sweep.driver import run_sweep
        from harness.sweep.spec import SweepSpec, parse_model_args, parse_seeds, read_sweep_file, split_names

    if sweep_file is not None:
        given = [
            flag
            for flag, value in (
                ("--task", task_names),
                ("--model", model_names),
                ("--model-arg", model_args),
                ("--split", split),
                ("--limit", limit),
                ("--data-dir", data_dir),
                ("--train-data", train_data),
                ("--train-budget", train_budget),
            )
            if value
        ] + (["--seeds"] if seeds != "0" else [])
        if given:
            raise ConfigError(f"--file holds the grid: drop {', '.join(given)} (or drop --file)")
        spec = read_sweep_file(sweep_file)
    else:
        if not task_names:
            raise ConfigError("give --task NAMES (or --file sweep.toml)")
        models = split_names(",".join(model_names), "--model") if model_names else ["all"]
        if "all" in models and len(models) > 1:
            raise ConfigError("--model all already takes every model; do not list others beside it")
        spec = SweepSpec(
            tasks=split_names(",".join(task_names), "--task"),
            models=None if models == ["all"] else models,
            model_args=parse_model_args(model_args),
            seeds=parse_seeds(seeds),
            split=split,
            limit=limit,
            data_dir=data_dir,
            train_data=train_data,
            train_budget=train_budget,
        )
    if name:
        spec.name = name
    if retries is not None and retries < 0:
        raise ConfigError(f"--retries must be at least 0, got {retries}")
    store = open_store(db)

    def announce(runs, executor) -> None:
        if not as_json:
            todo = sum(r.status != "finished" for r in runs)
            click.echo(f"sweep: {len(runs)} runs ({len(runs) - todo} already finished) on {executor.describe()}", err=True)

    with exit_on_interrupt("the same command"):
        report = run_sweep(
            get_registry(), store, spec, executor_name, workers, address, retries, on_plan=announce, overwrite=overwrite
        )
    if as_json:
        echo_json(report.as_json())
    else:
        _print_report(report)
    exit_on_failures(report, warn=not as_json)


@contextmanager
def exit_on_interrupt(command: str) -> Iterator[None]:
    """Ctrl-C during a sweep: one line saying what is stored and how to go on, then exit 130."""
    try:
        yield
    except KeyboardInterrupt as exc:
        if hasattr(exc, "summary"):  # a SweepInterrupted (not imported here: Ctrl-C may come while it loads)
            click.echo(f"Interrupted: {exc.summary()}; run {command} again to resume it.", err=True)
            sys.exit(130)
        # while planning: nothing was written
        click.echo(f"Interrupted before the sweep started: nothing was stored; run {command} again to start it.", err=True)
        sys.exit(130)


def exit_on_failures(report, warn: bool = True) -> None:
    """The sweep's warnings (on stderr), one line per failed run, and exit 1 when any failed."""
    for warning in report.warnings if warn else ():
        click.echo(f"warning: {warning}", err=True)
    for run in report.failures:
        click.echo(f"Error: run {run.run_id or '-'} ({run.label}) {run.status}: {(run.error or '').splitlines()[0]}", err=True)
    if report.failures:
        sys.exit(1)


def _print_report(report) -> None:
    listed = table(
        f"sweep {report.sweep_id}" + (f" · {report.name}" if report.name else ""),
        ["run", "task", "model", "config", "seed", "status", "duration s"],
    )
    for r in report.runs:
        status = "cached" if r.cached else r.status + (f" (attempt {r.attempts})" if r.attempts > 1 else "")
        listed.add_row(r.run_id or "-", r.task, r.model, config(r.config), str(r.seed), status, fmt(r.duration_s, 3))
    out = console()
    out.print(listed)
    data = report.as_json()
    out.print(
        f"{data['finished']} finished ({data['cached']} cached), {data['failed']} failed "
        f"in {report.wall_s:.1f} s on {report.executor}. `harness leaderboard` ranks them; "
        f"`harness sweeps` lists sweeps."
    )


#: `harness sweeps ID` columns, and the list's, in the order `--wide` prints them.
SWEEP_RUN_COLUMNS = ("run", "task", "model", "config", "seed", "status", "metric", "duration", "error")
SWEEP_RUN_DEFAULT = ("run", "task", "model", "config", "seed", "status", "metric")
SWEEP_COLUMNS = ("sweep", "name", "status", "executor", "finished", "failed", "cached", "total", "started")
SWEEP_DEFAULT = ("sweep", "name", "status", "finished", "failed", "total", "started")


@click.command()
@click.argument("sweep_id", required=False)
@listing_limit_option(20, "Most recent N sweeps (0: all).")
@db_option
@json_option
@table_options
def sweeps(sweep_id: str | None, limit: int, db: Path | None, as_json: bool, wide: bool, column_names: str | None) -> None:
    """List recorded sweeps, or show one.

    Most recent first; with SWEEP_ID (an id or a unique prefix of one), that sweep's grid and runs.
    """
    from harness.leaderboard.tables import split_configs
    from harness.sweep.driver import get_sweep, list_sweeps, sweep_runs

    names = requested(column_names, SWEEP_RUN_COLUMNS if sweep_id else SWEEP_COLUMNS)
    store = open_store(db)
    if sweep_id:
        sweep_row = get_sweep(store, sweep_id)
        runs = sweep_runs(store, sweep_row)
        if as_json:
            return echo_json({**sweep_row, "runs": runs})
        shared, own = split_configs([r["model_config"] for r in runs])
        above = [
            f"sweep {sweep_row['sweep_id']}" + (f" · {sweep_row['name']}" if sweep_row.get("name") else ""),
            f"{sweep_row['status']} · {sweep_row['done']}/{sweep_row['total']} finished, {sweep_row['failed']} failed, "
            f"{sweep_row['cached']} cached · executor {sweep_row['executor']}",
            f"grid: {grid_text(sweep_row['grid'])}",
        ] + ([f"config common to the runs that set it: {config(shared)}"] if shared else [])
        keys = chosen(SWEEP_RUN_COLUMNS, SWEEP_RUN_DEFAULT, wide, names)
        listed = table(None, list(keys))
        for r, mine in zip(runs, own, strict=True):
            cells = {
                "run": r["run_id"] or "-",
                "task": r["task"],
                "model": r["model"],
                "config": config(r["model_config"] if wide else mine),
                "seed": str(r["seed"]),
                "status": r["status"],
                "metric": f"{r['metric']} {fmt(r['value'])}" if r["metric"] else (r["error"] or "")[:60],
                "duration": fmt(r["duration_s"], 3),
                "error": r["error"] or "",
            }
            listed.add_row(*(cells[k] for k in keys))
        return print_table(listed, above)
    rows = list_sweeps(store, limit or None)
    if as_json:
        return echo_json(rows)
    keys = chosen(SWEEP_COLUMNS, SWEEP_DEFAULT, wide, names)
    listed = table(None, list(keys))
    for r in rows:
        cells = {
            "sweep": r["sweep_id"],
            "name": r["name"] or "",
            "status": r["status"],
            "executor": r["executor"],
            "finished": str(r["done"]),
            "failed": str(r["failed"]),
            "cached": str(r["cached"]),
            "total": str(r["total"]),
            "started": r["started_at"].strftime("%Y-%m-%d %H:%M"),
        }
        listed.add_row(*(cells[k] for k in keys))
    console().print(listed if rows else f"No sweeps in {store.path}. Start one with `harness sweep --task T`.")


def grid_text(grid: dict) -> str:
    """A sweep's grid in one line: tasks × models × seeds × each model argument's values."""
    args = "".join(f" × {k} ∈ {{{', '.join(map(str, v))}}}" for k, v in (grid.get("model_args") or {}).items())
    return (
        f"tasks {', '.join(grid.get('tasks') or [])} × models {', '.join(grid.get('models') or ['all'])} "
        f"× seeds {', '.join(map(str, grid.get('seeds') or []))}{args}"
    )
