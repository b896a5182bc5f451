"""`harness leaderboard`: models ranked per task, and the named leaderboards that group tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from harness.api import ConfigError
from harness.cli.options import db_option, json_option, split_option
from harness.cli.output import console, echo_json, table
from harness.cli.resolve import check_name, known_tasks, open_registry, open_store
from harness.views import ci, config, fmt


@click.command()
@click.argument("name", required=False)
@click.option("--task", "-t", "task_name", help="Rank one task (as its leaderboard definition says, else by its primary metric).")
@click.option("--dataset", help="Only runs on this dataset.")
@split_option("Only runs on this split.")
@click.option("--latest", is_flag=True, help="Rank each model's latest finished run instead of its best.")
@click.option("--list", "list_definitions", is_flag=True, help="List the leaderboard definitions and exit.")
@click.option(
    "--include-partial",
    is_flag=True,
    help="Also show --limit runs that stopped short of the split (marked, with their sample count).",
)
@db_option
@json_option
@click.option("--markdown", is_flag=True, help="Print Markdown tables.")
def leaderboard(
    name: str | None,
    task_name: str | None,
    dataset: str | None,
    split: str | None,
    latest: bool,
    list_definitions: bool,
    include_partial: bool,
    db: Path | None,
    as_json: bool,
    markdown: bool,
) -> None:
    """Rank models on a leaderboard or a task.

    Ranks the leaderboard NAME (see --list), one --task, or every task in the database.

    Each row is a model+config's best (or --latest) finished run over the whole split, with its
    95% CI; "vs next" is the paired-bootstrap p-value against the row below, over the samples both
    runs share (* when < 0.05).
    """
    from harness.leaderboard.ranking import build, load_definitions, rank, spec_for_task

    store = open_store(db)
    registry = open_registry()
    specs = load_definitions(registry, store)
    pick: Literal["best", "latest"] | None = "latest" if latest else None
    if list_definitions:
        if as_json:
            return echo_json([spec.as_json() for spec in specs.values()])
        listed = table(None, ["name", "title", "kind", "tasks", "source"])
        for spec in specs.values():
            listed.add_row(spec.name, spec.title, spec.kind, ", ".join(b.task for b in spec.tasks), spec.source)
        return console().print(listed)
    if name:
        if name not in specs:
            raise ConfigError(f"no leaderboard {name!r}; `harness leaderboard --list` shows {', '.join(sorted(specs))}")
        built = build(store, specs[name], registry, pick=pick, definitions=specs, include_partial=include_partial)
        if as_json:
            return echo_json(built.as_json())
        if built.spec.kind == "overview":
            return _print_overview(built, markdown)
        boards = built.boards
    else:
        if task_name is not None:
            check_name("task", task_name, known_tasks(store, registry), registry.broken_hint())
            _check_filters(store, task_name, dataset, split)
        task_names = [task_name] if task_name else (store.distinct_values("task", status="finished") if store.exists() else [])
        boards = []
        for task in task_names:
            entry = spec_for_task(specs, task)
            boards += rank(
                store,
                task,
                dataset or entry.dataset,
                split or entry.split,
                pick or "best",
                entry.metric,
                entry.columns,
                entry.flags,
                registry=registry,
                include_partial=include_partial,
            )
        if as_json:
            return echo_json([b.as_json() for b in boards])
    if not boards:
        click.echo(f"No finished runs{f' for task {task_name!r}' if task_name else ''} in {store.path}.")
        return
    for board in boards:
        arrow = "↑" if board.higher_is_better else "↓"
        title = f"{board.task} · {board.data} · {board.metric} {arrow}"
        trained = ["trained on"] if board.shows_training else []
        seeded = any(s.seeds > 1 for s in board.standings)  # rows over several seeds: mean, seed-aware CI
        title += " · several seeds: mean over seeds, CI with seed and sample error" if seeded else ""
        header = [
            "rank",
            "model",
            board.metric,
            "95% CI",
            *(["seeds", "seed sd"] if seeded else []),
            "vs next",
            *board.columns,
            "config",
            *trained,
            "samples",
            "runs",
            "run",
        ]
        rows = [
            [
                str(s.rank),
                s.model
                + (f" ⚑ {', '.join(s.flags)}" if s.flags else "")
                + (f" (partial: {s.n_samples} samples)" if s.partial else ""),
                fmt(s.value),
                ci(s.ci_low, s.ci_high),
                *([str(s.seeds), fmt(s.seed_sd)] if seeded else []),
                _p_value(s.p_next, s.note),
                *(fmt(s.columns[c].value) for c in board.columns),
                config(s.model_config),
                *([s.train_dataset or "—"] if trained else []),
                str(s.n_samples),
                str(s.runs),
                s.run_id,
            ]
            for s in board.standings
        ]
        _print_rows(title, header, rows, markdown)
        _print_stale(board, markdown)


def _print_stale(board, markdown: bool) -> None:
    """Runs whose value an older version of the metric computed: listed under the board, never ranked."""
    for row in board.stale:
        was = f"{board.metric} {fmt(row['value'])} by version {row['version'] or 'unknown'}, now {row['current_version']}"
        click.echo(f"{'- ' if markdown else ''}stale: `{row['rescore']}` ({row['model']} {config(row['model_config'])}; {was})")
    if board.stale and markdown:
        click.echo()


def _check_filters(store, task: str, dataset: str | None, split: str | None) -> None:
    """`--dataset`/`--split` that no run of the task has are errors with suggestions, not empty tables."""
    if not store.exists() or (dataset is None and split is None):
        return
    rows = store.datasets_and_splits(task)
    if not rows:
        return
    check_name("dataset", dataset, sorted({r["dataset"] for r in rows}), f" for task {task!r}")
    check_name(
        "split", split, sorted({r["split"] for r in rows if dataset is None or r["dataset"] == dataset}), f" for task {task!r}"
    )


def _p_value(p: float | None, note: str) -> str:
    from harness.leaderboard.ranking import ALPHA

    if p is None:
        return "n/a" if note else "—"
    return f"p={p:.3g}{' *' if p < ALPHA else ''}"


def _print_overview(board, markdown: bool) -> None:
    header = ["task", "dataset/split", "best model", "metric", "value", "95% CI", "runs", "models"]
    rows = [
        [
            r.task,
            f"{r.dataset}/{r.split}" if r.dataset else "no runs yet",
            r.best_model or "—",
            r.metric or "—",
            fmt(r.value),
            ci(r.ci_low, r.ci_high),
            str(r.runs),
            str(r.models),
        ]
        for r in board.overview
    ]
    _print_rows(board.spec.title, header, rows, markdown)


def _print_rows(title: str, header: list[str], rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        click.echo(f"### {title}\n")
        click.echo("| " + " | ".join(header) + " |")
        click.echo("|" + "---|" * len(header))
        for row in rows:
            click.echo("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        click.echo()
        return
    printed = table(title, header)
    for row in rows:
        printed.add_row(*row)
    console().print(printed)
