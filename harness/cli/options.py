"""Options that several commands take, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from pathlib import Path

import click

db_option = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Results database (default: $HARNESS_DB, else the path `harness info` prints).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a documented, stable JSON shape).")
#: `--task` of the commands that filter stored runs (runs, export).
task_filter_option = click.option("--task", "-t", "task_name", help="Only this task's runs.")


def listing_limit_option(default: int, help: str):
    """`--limit N` of the listing commands (runs, show, compare, sweeps): 0 lists everything."""
    return click.option("--limit", type=click.IntRange(min=0), default=default, show_default=True, help=help)


def sample_limit_option(help: str):
    """`--limit N` of the commands that evaluate (run, sweep): only the first N samples."""
    return click.option("--limit", type=int, help=help)


def model_arg_option(metavar: str, help: str):
    return click.option("--model-arg", "-a", "model_args", multiple=True, metavar=metavar, help=help)


def split_option(help: str):
    return click.option("--split", help=help)


def data_dir_option(help: str):
    return click.option("--data-dir", type=click.Path(path_type=Path), help=help)


def train_data_option(help: str):
    return click.option("--train-data", metavar="embedded|DIR", help=help)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from harness.training import parse_duration

    return None if value is None else parse_duration(value)


def train_budget_option(help: str):
    return click.option("--train-budget", metavar="DURATION", callback=_duration, help=help)


def overwrite_option(help: str):
    return click.option("--overwrite", is_flag=True, help=help)
