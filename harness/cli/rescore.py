"""`harness rescore`: recompute stored runs' scores with the installed metrics, no model called."""

from __future__ import annotations

import time
from pathlib import Path

import click

from harness.cli.options import db_option, json_option
from harness.cli.output import console, echo_json, table
from harness.cli.resolve import open_registry, open_store
from harness.views import fmt


@click.command()
@click.option("--task", "-t", "task_name", help="Re-score this task's finished runs.")
@click.option("--run", "run_ids", multiple=True, metavar="ID", help="Re-score this run (an id or unique prefix; repeatable).")
@click.option("--metric", "metric_names", multiple=True, metavar="NAME", help="Recompute only this metric (repeatable).")
@click.option(
    "--all-stale", is_flag=True, help="Only runs with a value of an older metric version, or a metric their task gained."
)
@db_option
@json_option
def rescore(
    task_name: str | None,
    run_ids: tuple[str, ...],
    metric_names: tuple[str, ...],
    all_stale: bool,
    db: Path | None,
    as_json: bool,
) -> None:
    """Recompute stored runs' scores and metrics.

    Reads each run's stored inputs, predictions and references and scores them again with the
    installed metrics (per-sample scores, values, CIs and versions), with no model call and no
    training. Each run is rewritten in one transaction; every value it replaces is kept in the
    metric_history table with when and why. Without --metric, --run and --task recompute all the
    task's metrics, --all-stale only the stale or missing ones.
    """
    from harness.runner.rescore import plan, rescore_all

    store, registry = open_store(db), open_registry()
    chosen = plan(store, registry, run_ids, task_name, metric_names, all_stale)
    start = time.monotonic()
    results = rescore_all(store, registry, chosen.items)
    elapsed = time.monotonic() - start
    for note in chosen.notes():
        click.echo(f"note: {note}", err=True)
    if as_json:
        left = [r.run_id for r in chosen.left]
        return echo_json({"runs": [r.as_json() for r in results], "left": left, "skipped": chosen.skipped, "duration_s": elapsed})
    if not results:
        click.echo("Nothing to re-score: every finished run chosen is scored by its metrics' current versions.")
        return
    listed = table(None, ["run", "task · model", "metric", "before", "after", "change"])
    for result in results:
        for m in result.after:
            old = result.before[m.name]
            was = "—" if old is None else f"{fmt(old.value)} (v{old.version or '?'})"
            listed.add_row(
                result.run.run_id,
                f"{result.run.task} · {result.run.model}",
                m.name,
                was,
                f"{fmt(m.value)} (v{m.version})",
                result.reasons[m.name],
            )
    out = console()
    out.print(listed)
    for note in dict.fromkeys(n for r in results for n in r.notes):
        click.echo(f"note: {note}", err=True)
    out.print(f"Re-scored {len(results)} run(s) in {elapsed:.2f} s, no model called; replaced values are in metric_history.")
