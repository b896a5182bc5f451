"""`harness runs`, `show` and `compare`: what the results database holds, run by run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.cli.columns import CELL_CHARS, chosen, requested, table_options
from harness.cli.options import db_option, json_option, listing_limit_option, task_filter_option
from harness.cli.output import console, echo_json, metrics_table, print_table, table
from harness.cli.resolve import check_name, known_tasks, open_registry, open_store, resolve_sweep
from harness.leaderboard.tables import split_configs
from harness.records import RUN_STATUSES
from harness.views import config, fmt, short_json

#: `harness runs` columns, in the order `--wide` prints them.
RUN_COLUMNS = ("run", "task", "model", "config", "seed", "sweep", "data", "status", "metric", "started", "duration", "error")
RUN_DEFAULT = ("run", "task", "model", "config", "seed", "sweep", "status", "metric", "started")


@click.command("runs")
@task_filter_option
@click.option("--status", type=click.Choice(RUN_STATUSES))
@click.option("--sweep", "sweep_id", metavar="ID", help="Only the runs this sweep computed (an id or a unique prefix).")
@click.option("--stale", is_flag=True, help="Only finished runs with a value of an older metric version, or lacking a metric.")
@listing_limit_option(50, "Most recent N runs (0: all).")
@db_option
@json_option
@table_options
def runs_command(
    task_name: str | None,
    status: str | None,
    sweep_id: str | None,
    stale: bool,
    limit: int,
    db: Path | None,
    as_json: bool,
    wide: bool,
    column_names: str | None,
) -> None:
    """List recorded runs, most recent first.

    Each with its seed and the sweep that computed it; the model configuration common to the
    listed runs prints once above the table. --wide adds every column, --columns picks some. With
    --stale, the runs `harness rescore --all-stale` would re-score, each with its stale metrics.
    """
    names = requested(column_names, RUN_COLUMNS)
    store = open_store(db)
    if task_name is not None:
        check_name("task", task_name, known_tasks(store, open_registry()), " with runs in this database")
    if stale:
        from harness.leaderboard.versions import stale_runs

        outdated = stale_runs(store, open_registry(), task_name)
        records = [r for r in store.runs(task=task_name, status=status) if r.run_id in outdated][: limit or None]
        if as_json:
            return echo_json([{**r.as_json(), "stale": outdated[r.run_id]} for r in records])
        listed = table(None, ["run", "task", "model", "stale metrics", "re-score"])
        for r in records:
            metrics = ", ".join(
                f"{m['metric']} (not computed)"
                if m["missing"]
                else f"{m['metric']} v{m['version'] or '?'}→v{m['current_version']}"
                for m in outdated[r.run_id]
            )
            listed.add_row(r.run_id, r.task, r.model, metrics, f"harness rescore --run {r.run_id}")
        return console().print(listed if records else f"No stale runs in {store.path}.")
    sweep = resolve_sweep(store, sweep_id)
    records = store.runs(task=task_name, status=status, sweep_id=sweep, limit=limit or None) if store.exists() else []
    if as_json:
        return echo_json([r.as_json() for r in records])
    if not records:
        stored = store.count_runs() if store.exists() else 0
        filters = [f"--{flag} {value}" for flag, value in (("task", task_name), ("status", status), ("sweep", sweep)) if value]
        if stored and filters:
            return click.echo(f"No runs match {' and '.join(filters)} ({stored} run(s) in {store.path}).")
        return click.echo(f"No runs in {store.path}.")
    shared, own = split_configs([r.model_config for r in records])
    empty = {"sweep"} if not any(r.sweep_id for r in records) else set()  # a column of dashes says nothing
    keys = chosen(RUN_COLUMNS, [k for k in RUN_DEFAULT if k not in empty], wide, names)
    above = ([f"runs computed by sweep {sweep}"] if sweep else []) + (
        [f"config common to the runs that set it: {config(shared)}"] if shared else []
    )
    listed = table(None, list(keys))
    for r, mine in zip(records, own, strict=True):
        primary = r.primary()
        cells = {
            "run": r.run_id,
            "task": r.task,
            "model": r.model,
            "config": config(r.model_config if wide else mine),
            "seed": str(r.seed),
            "sweep": r.sweep_id or "—",
            "data": f"{r.dataset}/{r.split}",
            "status": r.status,
            "metric": f"{primary.name} {fmt(primary.value)}" if primary else (r.error or "").split("\n")[0][:60],
            "started": r.started_at.strftime("%Y-%m-%d %H:%M"),
            "duration": fmt(r.duration_s, 3),
            "error": (r.error or "").split("\n")[0] if wide else short_json((r.error or "").split("\n")[0], CELL_CHARS),
        }
        listed.add_row(*(cells[k] for k in keys))
    print_table(listed, above)


def _descriptions(run, store) -> dict[str, str]:
    """Each metric's description as the dashboard shows it: the installed metric's, else the one
    stored with the run (a database read where the plugin is not installed)."""
    stored = store.metric_descriptions(run.run_id)
    metrics = open_registry().metrics
    return {m.name: (metrics[m.name].obj.description if m.name in metrics else "") or stored.get(m.name, "") for m in run.metrics}


#: `harness show --samples` columns, in the order `--wide` prints them.
SAMPLE_COLUMNS = ("sample_id", "input", "prediction", "reference", "scores")


@click.command()
@click.argument("run_id")
@click.option("--samples", "with_samples", is_flag=True, help="Include per-sample records.")
@listing_limit_option(20, "Samples to show (0: all).")
@db_option
@json_option
@table_options
def show(
    run_id: str, with_samples: bool, limit: int, db: Path | None, as_json: bool, wide: bool, column_names: str | None
) -> None:
    """Show one run: metadata, metrics, samples.

    RUN_ID is a run id or a unique prefix of one; its samples are shown with --samples, each value
    cut to a cell's width unless --wide (--columns picks the samples' columns).
    """
    from dataclasses import asdict

    names = requested(column_names, SAMPLE_COLUMNS)
    store = open_store(db)
    run_ = store.get_run(run_id)
    samples = store.samples(run_.run_id, limit=limit or None) if with_samples else []
    descriptions = _descriptions(run_, store)
    if as_json:
        data = run_.as_json()
        for name, entry in data["metrics"].items():
            entry["description"] = descriptions.get(name)
        artifacts = store.artifacts(run_.run_id)
        data["artifacts"] = [{"name": a.name, "kind": a.kind, "bytes": len(a.data)} for a in artifacts]
        training = _training(artifacts)
        if training is not None:
            data["training"] = {k: v for k, v in training.items() if k != "curve"}
        if with_samples:
            data["samples"] = [asdict(s) for s in samples]
        return echo_json(data)
    out = console()
    fields = table(f"run {run_.run_id} · seed {run_.seed}", ["field", "value"])
    skip = {"metrics", "packages", "error"}
    for key, value in run_.as_json().items():
        if key not in skip:
            fields.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    packages = ", ".join(f"{k} {v}" for k, v in run_.packages.items())
    fields.add_row("packages", packages if wide else short_json(packages, 2 * CELL_CHARS))
    out.print(fields)
    if run_.error:
        from rich.text import Text

        out.print(Text.assemble(("error: ", "red"), run_.error))
    if run_.metrics:
        out.print(metrics_table(run_.metrics, descriptions))
    training = _training(store.artifacts(run_.run_id))
    if training is not None:
        from harness.views import training_summary

        out.print(f"training: {training_summary(training)}", soft_wrap=True)
    if with_samples:
        keys = chosen(SAMPLE_COLUMNS, SAMPLE_COLUMNS, wide, names)
        samples_table = table("samples", list(keys))
        for s in samples:
            values = {"sample_id": s.sample_id, "input": s.input, "prediction": s.prediction, "reference": s.reference}
            values["scores"] = s.scores
            samples_table.add_row(*(_cell(values[k], wide) for k in keys))
        out.print(samples_table)


def _training(artifacts) -> dict | None:
    """How the run's model trained (its `learning-curve.json`), or None for a model that did not."""
    from harness.training import CURVE_FILE

    found = next((a for a in artifacts if a.name == CURVE_FILE), None)
    return json.loads(found.data.decode("utf-8")) if found is not None else None


def _cell(value: object, wide: bool) -> str:
    """A JSON value in a table cell: whole with --wide, else cut to a cell's length (strings as themselves)."""
    if wide:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return short_json(value, CELL_CHARS)


#: `harness compare` columns of the differing samples, in the order `--wide` prints them.
COMPARE_COLUMNS = ("sample_id", "input", "reference", "prediction-a", "prediction-b", "delta")
COMPARE_DEFAULT = ("sample_id", "reference", "prediction-a", "prediction-b", "delta")


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@listing_limit_option(20, "Differing samples to list (0: all).")
@db_option
@json_option
@table_options
def compare(run_a: str, run_b: str, limit: int, db: Path | None, as_json: bool, wide: bool, column_names: str | None) -> None:
    """Compare two runs' metrics and samples.

    Metric deltas between RUN_A and RUN_B (ids or unique prefixes), and the samples where they
    differ, largest change of the primary metric's per-sample value first; values are cut to a
    cell's width unless --wide.
    """
    from harness.leaderboard.compare import compare as compare_runs

    names = requested(column_names, COMPARE_COLUMNS)
    store = open_store(db)
    installed = open_registry().metrics
    result = compare_runs(
        store, run_a, run_b, limit=limit or None, metric_of=lambda name: installed[name].obj() if name in installed else None
    )
    if as_json:
        return echo_json(result.as_json())
    out = console()
    out.print(
        f"A = {result.a.run_id} ({result.a.task} · {result.a.model} · seed {result.a.seed})   "
        f"B = {result.b.run_id} ({result.b.task} · {result.b.model} · seed {result.b.seed})   shared samples: {result.shared}"
    )
    shared, (own_a, own_b) = split_configs([result.a.model_config, result.b.model_config])
    if own_a or own_b:
        out.print(f"config: A {config(own_a)}   B {config(own_b)}" + (f"   both {config(shared)}" if shared else ""))
    metrics_shown = table("metrics", ["metric", "A", "B", "B − A"])
    for d in result.deltas:
        delta = "—" if d["delta"] is None else f"{d['delta']:+.4g}"
        metrics_shown.add_row(d["metric"] + (" (primary)" if d["primary"] else ""), fmt(d["a"]), fmt(d["b"]), delta)
    out.print(metrics_shown)
    keys = chosen(COMPARE_COLUMNS, COMPARE_DEFAULT, wide, names)
    samples = table("samples that differ (largest score change first)", list(keys))
    for d in result.differing:
        values = {
            "sample_id": d["sample_id"],
            "input": _cell(d["input"], wide),
            "reference": _cell(d["reference"], wide),
            "prediction-a": _cell(d["prediction_a"], wide),
            "prediction-b": _cell(d["prediction_b"], wide),
            "delta": "—" if d["score_delta"] is None else f"{d['score_delta']:+.3g}",
        }
        samples.add_row(*(values[k] for k in keys))
    out.print(samples)
