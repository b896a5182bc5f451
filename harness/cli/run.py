"""`harness run`: evaluate one model on a task, or on every task of a group."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.options import (
    data_dir_option,
    db_option,
    json_option,
    model_arg_option,
    overwrite_option,
    sample_limit_option,
    split_option,
    train_budget_option,
    train_data_option,
)
from harness.cli.output import console, echo_json, metrics_table
from harness.cli.resolve import open_registry, open_store
from harness.views import fmt


@click.command()
@click.option("--task", "-t", "task_name", required=True, help="Task or group name (see `harness tasks`).")
@click.option("--model", "-m", help="Model name (default: the task's default model).")
@model_arg_option("KEY=VALUE", "Model argument; repeatable.")
@split_option("Split to evaluate (default: the task's default split).")
@sample_limit_option("Evaluate only the first N samples.")
@click.option("--seed", type=int, default=0, show_default=True)
@data_dir_option("Real dataset in the task's format.")
@train_data_option(
    "What a model that trains learns from: 'embedded' (the task's default data) or a directory in "
    "the task's format (default: the data it is evaluated on)."
)
@train_budget_option(
    "Wall time a model that trains may spend in training (90s, 10m, 1.5h): it stops then, keeping its "
    "best weights so far, and the run records that the budget ended it (default: $HARNESS_TRAIN_BUDGET, else none)."
)
@db_option
@overwrite_option("Recompute even if an identical finished run is stored.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Models that send requests (openai-chat) send each again instead of reading the stored answer; "
    "the new answers replace the stored ones.",
)
@json_option
def run(
    task_name: str,
    model: str | None,
    model_args: tuple[str, ...],
    split: str | None,
    limit: int | None,
    seed: int,
    data_dir: Path | None,
    train_data: str | None,
    train_budget: float | None,
    db: Path | None,
    overwrite: bool,
    no_cache: bool,
    as_json: bool,
) -> None:
    """Evaluate a model on a task; record the run.

    With a group name for --task, every task of the group is evaluated, each as its own run.
    An identical finished run already stored is returned as is (--overwrite recomputes it).
    """
    from harness.runner.run import Runner, RunRequest, parse_model_args, resolve_tasks

    registry = open_registry()
    names = resolve_tasks(registry, task_name)
    runner = Runner(registry, open_store(db))
    requests = [
        RunRequest(
            task=name,
            model=model,
            model_args=parse_model_args(model_args),
            split=split,
            limit=limit,
            seed=seed,
            data_dir=data_dir,
            train_data=train_data,
            train_budget=train_budget,
            overwrite=overwrite,
            request_cache=not no_cache,
        )
        for name in names
    ]
    for request in requests:  # validate every task of a group before running any
        runner.plan(request)
    outcomes = []
    for request in requests:
        outcome = runner.run(request)
        outcomes.append(outcome)
        if not as_json:
            _print_outcome(outcome)
    if as_json:
        if len(names) == 1 and names[0] == task_name:
            echo_json(outcomes[0].as_json())
        else:
            echo_json({"group": task_name, "runs": [o.as_json() for o in outcomes]})
    failed = [o.run for o in outcomes if o.run.status != "finished"]
    if failed:
        for run_ in failed:
            click.echo(f"Error: run {run_.run_id} ({run_.task}) failed: {(run_.error or '').splitlines()[0]}", err=True)
        sys.exit(1)


def _print_outcome(outcome) -> None:
    run_ = outcome.run
    out = console()
    from rich.text import Text

    state = ("finished", "green") if run_.status == "finished" else (run_.status, "red")
    line = Text.assemble(
        (run_.task, "bold"),
        f" · {run_.model} · {run_.dataset}/{run_.split} · run ",
        (run_.run_id, "cyan"),
        " · ",
        state,
        f" in {fmt(run_.duration_s, 3)} s · {run_.n_samples or 0} samples",
    )
    if outcome.cached:
        line.append(" (cached: identical run already stored; --overwrite recomputes)", "dim")
    out.print(line)
    if run_.metrics:
        out.print(metrics_table(run_.metrics))
    for warning in outcome.warnings:
        out.print(Text.assemble(("warning: ", "yellow"), warning), soft_wrap=True)  # one line, for grep and logs
