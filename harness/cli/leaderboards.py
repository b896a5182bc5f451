"""`harness leaderboard`: models ranked per task, and the named leaderboards that group tasks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import click

from harness.api import ConfigError
from harness.cli.columns import chosen, exclusive, requested, table_options
from harness.cli.options import db_option, json_option, split_option
from harness.cli.output import console, echo_json, print_table, table
from harness.cli.resolve import check_name, known_tasks, open_registry, open_store
from harness.leaderboard.tables import board_records, records_csv
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
@click.option("--csv", "as_csv", is_flag=True, help="Print every row of every board as CSV, one line per row (all columns).")
@table_options
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
    as_csv: bool,
    wide: bool,
    column_names: str | None,
) -> None:
    """Rank models on a leaderboard or a task.

    Ranks the leaderboard NAME (see --list), one --task, or every task in the database.

    Each row is a model+config's best (or --latest) finished run over the whole split, with its
    95% CI; "vs next" is the paired-bootstrap p-value against the row below, over the samples both
    runs share (* when < 0.05). The configuration common to a board's rows prints once above it;
    the table shows each row's other keys. --wide adds every column, --columns picks some. Rows of one
    "group" cannot be told apart after a Holm correction; the line under each board gives the smallest
    difference it could detect (MDE).
    """
    from harness.leaderboard.ranking import build, load_definitions, rank, spec_for_task

    exclusive(json=as_json, csv=as_csv, markdown=markdown)

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
            if as_csv:
                return click.echo(records_csv([r.as_json() for r in built.overview]), nl=False)
            return _print_overview(built, markdown, wide, column_names)
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
    if as_csv:
        return click.echo(records_csv(board_records(boards)), nl=False)
    names = requested(column_names, _board_names(boards), aliases=BOARD_COLUMNS)
    if not boards:
        click.echo(f"No finished runs{f' for task {task_name!r}' if task_name else ''} in {store.path}.")
        return
    _print_boards(boards, markdown, wide, names)


#: A board's columns a user may name in `--columns`, in the order `--wide` prints them; `metric`
#: is the primary metric with its CI (its header is the metric's name, which names it too), and a
#: board's extra metric columns follow `vs-next`.
BOARD_COLUMNS = (
    "rank",
    "group",
    "model",
    "metric",
    "seeds",
    "seed-sd",
    "vs-next",
    "config",
    "trained-on",
    "samples",
    "runs",
    "run",
)
BOARD_DEFAULT = ("rank", "group", "model", "metric", "seeds", "vs-next", "config", "runs", "run")


def _board_names(boards) -> list[str]:
    """Every column name `--columns` may take for these boards: the fixed ones and their metrics'."""
    metrics = [name for board in boards for name in (board.metric, *board.columns)]
    return list(dict.fromkeys([*BOARD_COLUMNS, *metrics]))


def _print_boards(boards, markdown: bool, wide: bool, names: list[str] | None) -> None:
    from harness.leaderboard.tables import rank_text, split_configs

    for board in boards:
        arrow = "↑" if board.higher_is_better else "↓"
        title = f"{board.task} · {board.data} · {board.metric} {arrow}"
        seeded = any(s.seeds > 1 for s in board.standings)  # rows over several seeds: mean, seed-aware CI
        title += " · several seeds: mean over seeds, CI with seed and sample error" if seeded else ""
        shared, own = split_configs([s.model_config for s in board.standings])
        rows_json = [s.as_json() for s in board.standings]
        cells: dict[str, list[str]] = {
            "rank": [rank_text(s.rank, r.get("rank_interval")) for s, r in zip(board.standings, rows_json, strict=True)],
            "model": [
                s.model
                + (f" ⚑ {', '.join(s.flags)}" if s.flags else "")
                + (f" (partial: {s.n_samples} samples)" if s.partial else "")
                for s in board.standings
            ],
            "metric": [f"{fmt(s.value)} {ci(s.ci_low, s.ci_high)}" for s in board.standings],
            "vs-next": [_p_value(s.p_next, s.note) for s in board.standings],
            "samples": [str(s.n_samples) for s in board.standings],
            "runs": [str(s.runs) for s in board.standings],
            "run": [s.run_id for s in board.standings],
        }
        if any(r.get("group") is not None for r in rows_json):
            cells["group"] = ["" if r.get("group") is None else str(r["group"]) for r in rows_json]
        if seeded:
            cells["seeds"] = [str(s.seeds) for s in board.standings]
            cells["seed-sd"] = [fmt(s.seed_sd) for s in board.standings]
        if any(own):
            cells["config"] = [config(c) for c in own]
        if board.shows_training:
            cells["trained-on"] = [s.train_dataset or "—" for s in board.standings]
        for name in board.columns:
            cells[name] = [fmt(s.columns[name].value) for s in board.standings]
        split_at = BOARD_COLUMNS.index("vs-next") + 1
        order = [*BOARD_COLUMNS[:split_at], *board.columns, *BOARD_COLUMNS[split_at:]]
        picked = None if names is None else ["metric" if n == board.metric else n for n in names]
        # rows trained on different data are told apart by it, as by the config keys that differ
        differ = len({s.train_dataset for s in board.standings}) > 1
        default = (*BOARD_DEFAULT, "trained-on") if differ else BOARD_DEFAULT
        keys = chosen([k for k in order if k in cells], default, wide, picked)
        header = [board.metric if k == "metric" else k for k in keys]
        rows = [[cells[k][i] for k in keys] for i in range(len(board.standings))]
        above = [f"config common to the rows that set it: {config(shared)}"] if shared else []
        # a line under the last row of each group, so a tie reads as one block
        breaks = [a.group != b.group for a, b in zip(board.standings, board.standings[1:], strict=False)] + [False] * bool(rows)
        _print_rows(title, header, rows, markdown, above, [_groups_note(board)], breaks)
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


#: The overview's columns; `best` names the task's best model, or its best group when the row says.
OVERVIEW_COLUMNS = ("task", "data", "metric", "best", "value", "ci", "run", "runs", "models")
OVERVIEW_DEFAULT = ("task", "data", "metric", "best", "value", "runs", "models")


def _print_overview(board, markdown: bool, wide: bool, column_names: str | None) -> None:
    names = requested(column_names, OVERVIEW_COLUMNS)
    cells = {
        "task": [r.task for r in board.overview],
        "data": [f"{r.dataset}/{r.split}" if r.dataset else "no runs yet" for r in board.overview],
        "metric": [_metric_direction(r.metric, r.higher_is_better) for r in board.overview],
        "best": [_best_group(r) for r in board.overview],
        "value": [fmt(r.value) for r in board.overview],
        "ci": [ci(r.ci_low, r.ci_high) for r in board.overview],
        "run": [r.run_id or "—" for r in board.overview],
        "runs": [str(r.runs) for r in board.overview],
        "models": [str(r.models) for r in board.overview],
    }
    keys = chosen(OVERVIEW_COLUMNS, OVERVIEW_DEFAULT, wide, names)
    rows = [[cells[k][i] for k in keys] for i in range(len(board.overview))]
    _print_rows(board.spec.title, keys, rows, markdown)


def _metric_direction(metric: str | None, higher_is_better: bool | None) -> str:
    if not metric:
        return "—"
    return metric if higher_is_better is None else f"{metric} {'↑' if higher_is_better else '↓'}"


def _groups_note(board) -> str:
    """The line under a board: what a group means, and the smallest difference the board could see."""
    from harness.leaderboard.ranking import ALPHA
    from harness.leaderboard.ties import POWER

    if board.correction is None:
        if all(s.partial or s.value is None for s in board.standings):
            return "group: n/a (no complete run with a value)"
        return "group: n/a (the metric is not installed here and its scores are not plain numbers)"
    mde = f"{board.mde:.3g}" if board.mde is not None else "n/a (one row)"
    how = f"paired bootstrap, {board.correction.capitalize()}, alpha={ALPHA:g}"
    return f"group: rows not told apart ({how}) · MDE at {POWER:.0%} power: {mde}"


def _best_group(row) -> str:
    """The overview's best: every model of the best row's tie group, not one winner when the top is a tie."""
    if len(row.best_group) <= 1:
        return row.best_model or "—"
    names = [m["model"] + (f" ({config(m['model_config'])})" if m["model_config"] else "") for m in row.best_group]
    return " = ".join(names) + " (tie)"


def _print_rows(
    title: str,
    header: list[str],
    rows: list[list[str]],
    markdown: bool,
    above: Sequence[str] = (),
    below: Sequence[str] = (),
    breaks: Sequence[bool] = (),
) -> None:
    if markdown:
        click.echo(f"### {title}\n")
        for line in above:
            click.echo(f"{line}\n")
        click.echo("| " + " | ".join(header) + " |")
        click.echo("|" + "---|" * len(header))
        for row in rows:
            click.echo("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        click.echo()
        for line in below:
            click.echo(f"{line}\n")
        return
    printed = table(None, header)
    for row, end in zip(rows, list(breaks) or [False] * len(rows), strict=True):
        printed.add_row(*row, end_section=end)
    print_table(printed, [title, *above], below)
