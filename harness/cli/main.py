"""The `harness` command line. Heavy libraries are imported inside commands, never at start-up."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from harness.api import ConfigError, HarnessError
from harness.views import ci as _ci
from harness.views import config as _config
from harness.views import fmt as _fmt

DB_OPTION = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Results database (default: $HARNESS_DB, else the path `harness info` prints).",
)
#: `--limit N` of the listing commands (runs, show, compare, sweeps): 0 lists everything.
LIMIT = click.IntRange(min=0)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Machine-readable output (docs/site/json.md).")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _console():
    """Markup is off: sample text such as "[/bold]" is data and must print as written.

    Piped output gets 160 columns rather than rich's 80, so wide tables (leaderboards) stay
    readable in logs; $COLUMNS still wins.
    """
    import os

    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
    return Console(highlight=False, markup=False, soft_wrap=False, width=width)


def _table(title: str | None, columns: list[str]):
    """Run ids never wrap (people copy them); other columns fold to fit the terminal."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in {"run", "run_id", "sample_id"})
    return table


def _store(db: Path | None):
    from harness.store import Store

    return Store(db)


_warned = False


def _registry():
    """The plugin registry; the first call prints one warning line per plugin that failed to load."""
    global _warned
    from harness.plugins.registry import get_registry, warn_broken

    registry = get_registry()
    if not _warned:
        _warned = True
        warn_broken(registry, lambda line: click.echo(line, err=True))
    return registry


def _check_name(kind: str, name: str | None, known: list[str], extra: str = "") -> None:
    """Read-side commands treat an unknown name as `run` does: an error with suggestions (exit 2)."""
    from harness.runner.run import suggest

    if name is None or name in known:
        return
    hint = suggest(name, known) or f" (known: {', '.join(known[:20]) or 'none'})"
    raise ConfigError(f"unknown {kind} {name!r}{hint}{extra}")


def _known_tasks(store, registry=None) -> list[str]:
    """Tasks that are installed or have runs in the database."""
    stored = store.distinct_values("task") if store.exists() else []
    return sorted(set(stored) | set(registry.tasks if registry is not None else {}))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kexue-harness", prog_name="harness")
def cli() -> None:
    """Kexue Harness: evaluate task plugins, record every run in DuckDB, rank models."""


# -- listing ----------------------------------------------------------------------------------


def task_listing(registry) -> list[dict[str, Any]]:
    rows = []
    for name, entry in sorted(registry.tasks.items()):
        task = entry.obj
        primary = registry.metrics[task.primary_metric].obj
        rows.append(
            {
                "name": name,
                "plugin": entry.plugin,
                "version": task.version,
                "description": task.description,
                "source": task.source,
                "group": task.group,
                "splits": list(task.splits),
                "default_split": task.default_split,
                "metrics": list(task.metrics),
                "primary_metric": task.primary_metric,
                "higher_is_better": primary.higher_is_better,
                "default_model": task.default_model,
                "models": registry.models_for(task),
                "dataset": task.embedded_dataset or f"{name}-embedded",
                "prediction_schema": task.prediction_schema,
                "metric_info": {
                    metric: _metric_info(registry.metrics[metric].obj) for metric in task.metrics if metric in registry.metrics
                },
            }
        )
    return rows


def _metric_info(metric) -> dict[str, Any]:
    """What a metric says of itself (class attributes: nothing is imported to read them)."""
    return {
        "description": metric.description,
        "citation": metric.citation,
        "expects": metric.expects,
        "higher_is_better": metric.higher_is_better,
    }


@cli.command()
@click.argument("name", required=False)
@JSON_OPTION
def tasks(name: str | None, as_json: bool) -> None:
    """List installed tasks, or describe one (its splits, metrics, models and prediction shape) or a
    group (its tasks)."""
    registry = _registry()
    rows = task_listing(registry)
    if name is not None:
        from harness.runner.run import suggest

        chosen = [r for r in rows if r["name"] == name]
        groups = registry.groups()
        if not chosen and name in groups:  # `run --task GROUP` runs them all: say what they are
            members = [r for r in rows if r["name"] in groups[name]]
            if as_json:
                return _echo_json({"group": name, "tasks": members})
            return _describe_group(name, members)
        if not chosen:
            known = sorted({r["name"] for r in rows} | set(groups))
            raise ConfigError(f"unknown task {name!r}{suggest(name, known)}{registry.broken_hint()}")
        if as_json:
            return _echo_json(chosen[0])
        return _describe_task(chosen[0])
    if as_json:
        return _echo_json(rows)
    table = _table(None, ["task", "group", "plugin", "primary metric", "default model", "description"])
    for r in rows:
        arrow = "↑" if r["higher_is_better"] else "↓"
        table.add_row(
            r["name"], r["group"] or "", r["plugin"], f"{r['primary_metric']} {arrow}", r["default_model"], r["description"]
        )
    _console().print(table if rows else "No tasks installed. Try `harness new-plugin NAME`.")


def _describe_group(name: str, members: list[dict]) -> None:
    click.echo(
        f"group {name}: {len(members)} tasks; `harness run --task {name}` runs them all, `harness tasks TASK` describes one"
    )
    table = _table(None, ["task", "primary metric", "default model", "splits", "description"])
    for r in members:
        table.add_row(
            r["name"],
            f"{r['primary_metric']} {'↑' if r['higher_is_better'] else '↓'}",
            r["default_model"],
            ", ".join(r["splits"]),
            r["description"],
        )
    _console().print(table)


def _describe_task(row: dict) -> None:
    arrow = "higher is better" if row["higher_is_better"] else "lower is better"
    fields = [
        ("task", row["name"]),
        ("description", row["description"]),
        ("source", row["source"]),
        ("plugin", f"{row['plugin']} (task version {row['version']})"),
        ("group", row["group"] or "—"),
        ("splits", f"{', '.join(row['splits'])} (default {row['default_split']})"),
        ("metrics", ", ".join(row["metrics"])),
        ("primary metric", f"{row['primary_metric']} ({arrow})"),
        ("models", ", ".join(row["models"]) + f" (default {row['default_model']})"),
        ("embedded dataset", row["dataset"]),
    ]
    for key, value in fields:
        click.echo(f"{key:17} {value}")
    for metric, info in row["metric_info"].items():
        click.echo(f"  {metric} ({'↑' if info['higher_is_better'] else '↓'}): {info['description'] or 'no description'}")
        if info["citation"]:
            click.echo(f"    cite: {info['citation']}")
    schema = row["prediction_schema"]
    click.echo("prediction shape  " + ("not declared" if schema is None else ""))
    if schema is not None:
        click.echo(json.dumps(schema, ensure_ascii=False, indent=2))


@cli.command()
@JSON_OPTION
def models(as_json: bool) -> None:
    """List installed models and the tasks they serve."""
    registry = _registry()
    rows = [
        {
            "name": name,
            "plugin": e.plugin,
            "tasks": list(e.obj.tasks),
            "description": e.obj.description,
            "defaults": dict(e.obj.defaults),
        }
        for name, e in sorted(registry.models.items())
    ]
    if as_json:
        return _echo_json(rows)
    table = _table(None, ["model", "plugin", "tasks", "arguments (defaults)", "description"])
    for r in rows:
        table.add_row(r["name"], r["plugin"], ", ".join(r["tasks"]), _config(r["defaults"]), r["description"])
    _console().print(table)


@cli.command()
@JSON_OPTION
def plugins(as_json: bool) -> None:
    """List loaded plugins, their hooks, and any error raised while loading them."""
    from harness.plugins.registry import get_registry

    registry = get_registry()  # no warning lines: this table shows every error in full
    rows = [
        {"name": p.name, "version": p.version, "distribution": p.distribution, "hooks": p.hooks(registry.pm), "error": p.error}
        for p in sorted(registry.plugins.values(), key=lambda p: p.name)
    ]
    if as_json:
        return _echo_json(rows)
    table = _table(None, ["plugin", "version", "hooks", "error"])
    for r in rows:
        table.add_row(r["name"], r["version"] or "", ", ".join(r["hooks"]), r["error"] or "")
    _console().print(table)


@cli.command()
@DB_OPTION
@JSON_OPTION
def info(db: Path | None, as_json: bool) -> None:
    """Show versions, where results are stored, and what the database holds."""
    from harness import __version__
    from harness.paths import default_home
    from harness.store import SCHEMA_VERSION

    store = _store(db)
    data = {
        "harness_version": __version__,
        "python": sys.version.split()[0],
        "db": str(store.path.resolve()),
        "db_exists": store.exists(),
        "home": str(default_home()),
        "schema_version": SCHEMA_VERSION,
        "counts": store.counts(),
    }
    if as_json:
        return _echo_json(data)
    for key, value in data.items():
        click.echo(f"{key:16} {value}")


# -- running ----------------------------------------------------------------------------------


@cli.command()
@click.option("--task", "-t", "task_name", required=True, help="Task or group name (see `harness tasks`).")
@click.option("--model", "-m", help="Model name (default: the task's default model).")
@click.option("--model-arg", "-a", "model_args", multiple=True, metavar="KEY=VALUE", help="Model argument; repeatable.")
@click.option("--split", help="Split to evaluate (default: the task's default split).")
@click.option("--limit", type=int, help="Evaluate only the first N samples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Real dataset in the task's format.")
@click.option(
    "--train-data",
    metavar="embedded|DIR",
    help="What a model that trains learns from: 'embedded' (the task's default data) or a directory in "
    "the task's format (default: the data it is evaluated on).",
)
@DB_OPTION
@click.option("--overwrite", is_flag=True, help="Recompute even if an identical finished run is stored.")
@JSON_OPTION
def run(
    task_name: str,
    model: str | None,
    model_args: tuple[str, ...],
    split: str | None,
    limit: int | None,
    seed: int,
    data_dir: Path | None,
    train_data: str | None,
    db: Path | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Evaluate a model on a task (or every task of a group) and record the run."""
    from harness.runner.run import Runner, RunRequest, parse_model_args, resolve_tasks

    registry = _registry()
    names = resolve_tasks(registry, task_name)
    runner = Runner(registry, _store(db))
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
            overwrite=overwrite,
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
            _echo_json(outcomes[0].as_json())
        else:
            _echo_json({"group": task_name, "runs": [o.as_json() for o in outcomes]})
    failed = [o.run for o in outcomes if o.run.status != "finished"]
    if failed:
        for run_ in failed:
            click.echo(f"Error: run {run_.run_id} ({run_.task}) failed: {(run_.error or '').splitlines()[0]}", err=True)
        sys.exit(1)


def _print_outcome(outcome) -> None:
    run_ = outcome.run
    console = _console()
    from rich.text import Text

    state = ("finished", "green") if run_.status == "finished" else (run_.status, "red")
    line = Text.assemble(
        (run_.task, "bold"),
        f" · {run_.model} · {run_.dataset}/{run_.split} · run ",
        (run_.run_id, "cyan"),
        " · ",
        state,
        f" in {_fmt(run_.duration_s, 3)} s · {run_.n_samples or 0} samples",
    )
    if outcome.cached:
        line.append(" (cached: identical run already stored; --overwrite recomputes)", "dim")
    console.print(line)
    if run_.metrics:
        console.print(_metrics_table(run_.metrics))
    for warning in outcome.warnings:
        console.print(Text.assemble(("warning: ", "yellow"), warning))


def _metrics_table(metrics, descriptions: dict[str, str] | None = None):
    headers = ["metric", "value", "95% CI", "better"] + (["description"] if descriptions else [])
    table = _table(None, headers)
    for m in metrics:
        name = f"{m.name} (primary)" if m.primary else m.name
        row = [name, _fmt(m.value), _ci(m.ci_low, m.ci_high), "higher" if m.higher_is_better else "lower"]
        table.add_row(*row, *([descriptions.get(m.name, "")] if descriptions else []))
    return table


def _descriptions(run, store) -> dict[str, str]:
    """Each metric's description as the dashboard shows it: the installed metric's, else the one
    stored with the run (a database read where the plugin is not installed)."""
    stored = store.metric_descriptions(run.run_id)
    metrics = _registry().metrics
    return {m.name: (metrics[m.name].obj.description if m.name in metrics else "") or stored.get(m.name, "") for m in run.metrics}


# -- results ----------------------------------------------------------------------------------


@cli.command("runs")
@click.option("--task", "-t", "task_name", help="Only this task's runs.")
@click.option("--status", type=click.Choice(["running", "finished", "failed", "interrupted"]))
@click.option("--limit", type=LIMIT, default=50, show_default=True, help="Most recent N runs (0: all).")
@DB_OPTION
@JSON_OPTION
def runs_command(task_name: str | None, status: str | None, limit: int, db: Path | None, as_json: bool) -> None:
    """List recorded runs, most recent first."""
    store = _store(db)
    if task_name is not None:
        _check_name("task", task_name, _known_tasks(store, _registry()), " with runs in this database")
    records = store.runs(task=task_name, status=status, limit=limit or None) if store.exists() else []
    if as_json:
        return _echo_json([r.as_json() for r in records])
    table = _table(None, ["run", "task", "model", "dataset/split", "status", "primary metric", "started (UTC)"])
    for r in records:
        primary = r.primary()
        score = f"{primary.name} {_fmt(primary.value)}" if primary else (r.error or "").split("\n")[0][:60]
        table.add_row(
            r.run_id, r.task, r.model, f"{r.dataset}/{r.split}", r.status, score, r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        )
    _console().print(table if records else f"No runs in {store.path}.")


@cli.command()
@click.argument("name", required=False)
@click.option("--task", "-t", "task_name", help="Rank one task (as its leaderboard definition says, else by its primary metric).")
@click.option("--dataset", help="Only runs on this dataset.")
@click.option("--split", help="Only runs on this split.")
@click.option("--latest", is_flag=True, help="Rank each model's latest finished run instead of its best.")
@click.option("--list", "list_definitions", is_flag=True, help="List the leaderboard definitions and exit.")
@click.option(
    "--include-partial",
    is_flag=True,
    help="Also show --limit runs that stopped short of the split (marked, with their sample count).",
)
@DB_OPTION
@JSON_OPTION
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
    """Rank models: the leaderboard NAME (see --list), one --task, or every task in the database.

    Each row is a model+config's best (or --latest) finished run over the whole split, with its
    95% CI; "vs next" is the paired-bootstrap p-value against the row below, over the samples both
    runs share (* when < 0.05).
    """
    from harness.leaderboard.ranking import build, load_definitions, rank, spec_for_task

    store = _store(db)
    registry = _registry()
    specs = load_definitions(registry, store)
    pick = "latest" if latest else None
    if list_definitions:
        if as_json:
            return _echo_json([spec.as_json() for spec in specs.values()])
        table = _table(None, ["name", "title", "kind", "tasks", "source"])
        for spec in specs.values():
            table.add_row(spec.name, spec.title, spec.kind, ", ".join(b.task for b in spec.tasks), spec.source)
        return _console().print(table)
    if name:
        if name not in specs:
            raise ConfigError(f"no leaderboard {name!r}; `harness leaderboard --list` shows {', '.join(sorted(specs))}")
        board = build(store, specs[name], pick=pick, definitions=specs, include_partial=include_partial)
        if as_json:
            return _echo_json(board.as_json())
        if board.spec.kind == "overview":
            return _print_overview(board, markdown)
        boards = board.boards
    else:
        if task_name is not None:
            _check_name("task", task_name, _known_tasks(store, registry), registry.broken_hint())
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
                include_partial=include_partial,
            )
        if as_json:
            return _echo_json([b.as_json() for b in boards])
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
                _fmt(s.value),
                _ci(s.ci_low, s.ci_high),
                *([str(s.seeds), _fmt(s.seed_sd)] if seeded else []),
                _p_value(s.p_next, s.note),
                *(_fmt(s.columns[c].value) for c in board.columns),
                _config(s.model_config),
                *([s.train_dataset or "—"] if trained else []),
                str(s.n_samples),
                str(s.runs),
                s.run_id,
            ]
            for s in board.standings
        ]
        _print_rows(title, header, rows, markdown)


def _check_filters(store, task: str, dataset: str | None, split: str | None) -> None:
    """`--dataset`/`--split` that no run of the task has are errors with suggestions, not empty tables."""
    if not store.exists() or (dataset is None and split is None):
        return
    rows = store.datasets_and_splits(task)
    if not rows:
        return
    _check_name("dataset", dataset, sorted({r["dataset"] for r in rows}), f" for task {task!r}")
    _check_name(
        "split", split, sorted({r["split"] for r in rows if dataset is None or r["dataset"] == dataset}), f" for task {task!r}"
    )


def _p_value(p: float | None, note: str) -> str:
    if p is None:
        return "n/a" if note else "—"
    return f"p={p:.3g}{' *' if p < 0.05 else ''}"


def _print_overview(board, markdown: bool) -> None:
    header = ["task", "dataset/split", "best model", "metric", "value", "95% CI", "runs", "models"]
    rows = [
        [
            r.task,
            f"{r.dataset}/{r.split}" if r.dataset else "no runs yet",
            r.best_model or "—",
            r.metric or "—",
            _fmt(r.value),
            _ci(r.ci_low, r.ci_high),
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
    table = _table(title, header)
    for row in rows:
        table.add_row(*row)
    _console().print(table)


@cli.command()
@click.argument("run_id")
@click.option("--samples", "with_samples", is_flag=True, help="Include per-sample records.")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="Samples to show (0: all).")
@DB_OPTION
@JSON_OPTION
def show(run_id: str, with_samples: bool, limit: int, db: Path | None, as_json: bool) -> None:
    """Show a run (id or unique prefix): metadata, metrics and, with --samples, its samples."""
    from dataclasses import asdict

    store = _store(db)
    run_ = store.get_run(run_id)
    samples = store.samples(run_.run_id, limit=limit or None) if with_samples else []
    descriptions = _descriptions(run_, store)
    if as_json:
        data = run_.as_json()
        for name, entry in data["metrics"].items():
            entry["description"] = descriptions.get(name)
        data["artifacts"] = [{"name": a.name, "kind": a.kind, "bytes": len(a.data)} for a in store.artifacts(run_.run_id)]
        if with_samples:
            data["samples"] = [asdict(s) for s in samples]
        return _echo_json(data)
    console = _console()
    table = _table(f"run {run_.run_id}", ["field", "value"])
    skip = {"metrics", "packages", "error"}
    for key, value in run_.as_json().items():
        if key not in skip:
            table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    table.add_row("packages", ", ".join(f"{k} {v}" for k, v in run_.packages.items()))
    console.print(table)
    if run_.error:
        from rich.text import Text

        console.print(Text.assemble(("error: ", "red"), run_.error))
    if run_.metrics:
        console.print(_metrics_table(run_.metrics, descriptions))
    if with_samples:
        samples_table = _table("samples", ["sample_id", "input", "prediction", "reference", "scores"])
        for s in samples:
            samples_table.add_row(
                *(
                    json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
                    for v in (s.sample_id, s.input, s.prediction, s.reference, s.scores)
                )
            )
        console.print(samples_table)


@cli.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="Differing samples to list (0: all).")
@DB_OPTION
@JSON_OPTION
def compare(run_a: str, run_b: str, limit: int, db: Path | None, as_json: bool) -> None:
    """Metric deltas between two runs and the samples where they differ."""
    from harness.leaderboard.compare import compare as compare_runs

    result = compare_runs(_store(db), run_a, run_b, limit=limit or None)
    if as_json:
        return _echo_json(result.as_json())
    console = _console()
    console.print(
        f"A = {result.a.run_id} ({result.a.task} · {result.a.model})   "
        f"B = {result.b.run_id} ({result.b.task} · {result.b.model})   shared samples: {result.shared}"
    )
    table = _table("metrics", ["metric", "A", "B", "B − A"])
    for d in result.deltas:
        delta = "—" if d["delta"] is None else f"{d['delta']:+.4g}"
        table.add_row(d["metric"] + (" (primary)" if d["primary"] else ""), _fmt(d["a"]), _fmt(d["b"]), delta)
    console.print(table)
    samples = _table(
        "samples that differ (largest score change first)", ["sample_id", "reference", "prediction A", "prediction B", "Δ score"]
    )
    for d in result.differing:
        samples.add_row(
            d["sample_id"],
            *(json.dumps(d[k], ensure_ascii=False) for k in ("reference", "prediction_a", "prediction_b")),
            "—" if d["score_delta"] is None else f"{d['score_delta']:+.3g}",
        )
    console.print(samples)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Port to serve on.")
@click.option("--host", default="localhost", show_default=True, help="Address to bind (0.0.0.0 to share).")
@click.option("--headless", is_flag=True, help="Do not open a browser.")
@DB_OPTION
def dashboard(port: int, host: str, headless: bool, db: Path | None) -> None:
    """Start the Streamlit dashboard on the results database (what `streamlit run app.py` does)."""
    from harness.store import default_db_path

    try:
        import streamlit  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the dashboard needs streamlit: pip install 'kexue-harness[app]'") from exc
    script = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    path = (db or default_db_path()).resolve()
    click.echo(f"Dashboard on http://{host}:{port} reading {path}", err=True)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        str(headless).lower(),
        "--browser.gatherUsageStats",
        "false",
        "--server.showEmailPrompt",
        "false",  # no first-run prompt
        "--client.toolbarMode",
        "viewer",
        "--",
        "--db",
        str(path),
    ]
    raise SystemExit(_serve(command))


def _serve(command: list[str]) -> int:
    """Run Streamlit as a child and stop it when `harness dashboard` is stopped (a service manager,
    `kill`, Ctrl-C, a closed terminal), waiting for it: nothing may be left serving the port.

    The child gets its own session, so Ctrl-C reaches only this process, which sends the child
    SIGTERM: Streamlit stops quietly on it even while starting up (on SIGINT then it prints a traceback).
    """
    import signal
    import subprocess

    child = subprocess.Popen(command, start_new_session=True)
    received: list[int] = []

    def forward(signum: int, _frame) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:  # stopped on request: the shell's convention, 128 + the signal (130 for Ctrl-C)
        return 128 + received[0]
    return 128 - code if code < 0 else code


@cli.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True)
@click.option("--task", "-t", "task_name", help="Only this task's runs.")
@click.option("--run", "run_ids", multiple=True, help="Only these runs; repeatable.")
@click.option("--force", is_flag=True, help="Replace the export DIRECTORY already holds.")
@DB_OPTION
def export_command(
    directory: Path, fmt: str, task_name: str | None, run_ids: tuple[str, ...], force: bool, db: Path | None
) -> None:
    """Write runs with their metrics, samples and artifacts as Parquet files in DIRECTORY (a new or
    empty folder, or one holding an export with --force)."""
    from harness.store.transfer import export_runs

    store = _store(db)
    if task_name is not None:
        _check_name("task", task_name, _known_tasks(store), " with runs in this database")
    resolved = [store.get_run(run_id).run_id for run_id in run_ids]  # unknown ids are errors with suggestions
    count = export_runs(store, directory, task=task_name, run_ids=resolved or None, force=force)
    click.echo(f"exported {count} run(s) to {directory}")


@cli.command("import")
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@DB_OPTION
def import_command(directories: tuple[Path, ...], db: Path | None) -> None:
    """Add runs exported by `harness export` (one or several directories, in one transaction);
    runs already stored as finished are skipped, unfinished ones with the same id replaced."""
    from harness.store.transfer import import_runs

    added = import_runs(_store(db), list(directories))
    click.echo(f"imported {added} new run(s) into {_store(db).path}")


@cli.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Where to create harness-NAME/.",
)
@click.option("--task", "task_name", help="The task's name, when it differs from the plugin's (default: NAME).")
@click.option("--force", is_flag=True, help="Overwrite files in an existing directory.")
def new_plugin(name: str, parent: Path, task_name: str | None, force: bool) -> None:
    """Write a complete plugin distribution: task, model, metric, renderer, leaderboard, tests, README."""
    from harness.plugins.scaffold import names, write_plugin

    values = names(name, task_name)
    target = write_plugin(name, parent, force=force, task=task_name)
    click.echo(
        f"Created {target} (package {values['package']}, task {values['task']}). Next:\n"
        f"  pip install -e {target}\n  harness plugins\n  harness run --task {values['task']}"
    )


from harness.cli.sweep import sweep, sweeps  # noqa: E402  (light: click only; the work is imported per command)

cli.add_command(sweep)
cli.add_command(sweeps)

# -- entry point ------------------------------------------------------------------------------

_commands_loaded = False


def load_plugin_commands() -> None:
    global _commands_loaded
    if _commands_loaded:
        return
    _commands_loaded = True
    from harness.plugins.registry import get_registry

    registry = get_registry()  # warnings come from the commands that use the registry (`_registry`)
    for impl in registry.pm.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:
            registry.report(impl.plugin_name, exc)


def _usage_error(exc: click.UsageError, argv: list[str] | None) -> None:
    """Click's parser errors, for every command (plugins' too), as the one line every other error
    is: `Error: <what>; see `harness CMD --help``, exit 2. `harness` alone still prints its help."""
    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        exc.show()
        sys.exit(exc.exit_code)
    what = " ".join(exc.format_message().split()).rstrip(".")
    if exc.ctx is not None:
        path = exc.ctx.command_path
    else:  # some parser errors carry no context: name the command from the arguments
        args = sys.argv[1:] if argv is None else argv
        path = " ".join(["harness", *[a for a in args if a in cli.commands][:1]])
    click.echo(f"Error: {what}; see `{path} --help`", err=True)
    sys.exit(exc.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr, not a traceback."""
    try:
        load_plugin_commands()
        cli.main(args=argv, prog_name="harness", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted. A run left unfinished resumes when the same command is run again.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        _usage_error(exc, argv)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HarnessError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
