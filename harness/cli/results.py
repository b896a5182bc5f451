"""`harness runs`, `show` and `compare`: what the results database holds, run by run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.cli.options import db_option, json_option, listing_limit_option, task_filter_option
from harness.cli.output import console, echo_json, metrics_table, table
from harness.cli.resolve import check_name, known_tasks, open_registry, open_store
from harness.records import RUN_STATUSES
from harness.views import fmt


@click.command("runs")
@task_filter_option
@click.option("--status", type=click.Choice(RUN_STATUSES))
@click.option("--stale", is_flag=True, help="Only finished runs with a value of an older metric version, or lacking a metric.")
@listing_limit_option(50, "Most recent N runs (0: all).")
@db_option
@json_option
def runs_command(task_name: str | None, status: str | None, stale: bool, limit: int, db: Path | None, as_json: bool) -> None:
    """List recorded runs, most recent first.

    With --stale, the runs `harness rescore --all-stale` would re-score, each with its stale metrics.
    """
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
    records = store.runs(task=task_name, status=status, limit=limit or None) if store.exists() else []
    if as_json:
        return echo_json([r.as_json() for r in records])
    listed = table(None, ["run", "task", "model", "dataset/split", "status", "primary metric", "started (UTC)"])
    for r in records:
        primary = r.primary()
        score = f"{primary.name} {fmt(primary.value)}" if primary else (r.error or "").split("\n")[0][:60]
        listed.add_row(
            r.run_id, r.task, r.model, f"{r.dataset}/{r.split}", r.status, score, r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        )
    console().print(listed if records else f"No runs in {store.path}.")


def _descriptions(run, store) -> dict[str, str]:
    """Each metric's description as the dashboard shows it: the installed metric's, else the one
    stored with the run (a database read where the plugin is not installed)."""
    stored = store.metric_descriptions(run.run_id)
    metrics = open_registry().metrics
    return {m.name: (metrics[m.name].obj.description if m.name in metrics else "") or stored.get(m.name, "") for m in run.metrics}


@click.command()
@click.argument("run_id")
@click.option("--samples", "with_samples", is_flag=True, help="Include per-sample records.")
@listing_limit_option(20, "Samples to show (0: all).")
@db_option
@json_option
def show(run_id: str, with_samples: bool, limit: int, db: Path | None, as_json: bool) -> None:
    """Show one run: metadata, metrics, samples.

    RUN_ID is a run id or a unique prefix of one; its samples are shown with --samples.
    """
    from dataclasses import asdict

    store = open_store(db)
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
        return echo_json(data)
    out = console()
    fields = table(f"run {run_.run_id}", ["field", "value"])
    skip = {"metrics", "packages", "error"}
    for key, value in run_.as_json().items():
        if key not in skip:
            fields.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    fields.add_row("packages", ", ".join(f"{k} {v}" for k, v in run_.packages.items()))
    out.print(fields)
    if run_.error:
        from rich.text import Text

        out.print(Text.assemble(("error: ", "red"), run_.error))
    if run_.metrics:
        out.print(metrics_table(run_.metrics, descriptions))
    if with_samples:
        samples_table = table("samples", ["sample_id", "input", "prediction", "reference", "scores"])
        for s in samples:
            samples_table.add_row(
                *(
                    json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
                    for v in (s.sample_id, s.input, s.prediction, s.reference, s.scores)
                )
            )
        out.print(samples_table)


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@listing_limit_option(20, "Differing samples to list (0: all).")
@db_option
@json_option
def compare(run_a: str, run_b: str, limit: int, db: Path | None, as_json: bool) -> None:
    """Compare two runs' metrics and samples.

    Metric deltas between RUN_A and RUN_B (ids or unique prefixes), and the samples where they
    differ, largest score change first.
    """
    from harness.leaderboard.compare import compare as compare_runs

    result = compare_runs(open_store(db), run_a, run_b, limit=limit or None)
    if as_json:
        return echo_json(result.as_json())
    out = console()
    out.print(
        f"A = {result.a.run_id} ({result.a.task} · {result.a.model})   "
        f"B = {result.b.run_id} ({result.b.task} · {result.b.model})   shared samples: {result.shared}"
    )
    metrics = table("metrics", ["metric", "A", "B", "B − A"])
    for d in result.deltas:
        delta = "—" if d["delta"] is None else f"{d['delta']:+.4g}"
        metrics.add_row(d["metric"] + (" (primary)" if d["primary"] else ""), fmt(d["a"]), fmt(d["b"]), delta)
    out.print(metrics)
    samples = table(
        "samples that differ (largest score change first)", ["sample_id", "reference", "prediction A", "prediction B", "Δ score"]
    )
    for d in result.differing:
        samples.add_row(
            d["sample_id"],
            *(json.dumps(d[k], ensure_ascii=False) for k in ("reference", "prediction_a", "prediction_b")),
            "—" if d["score_delta"] is None else f"{d['score_delta']:+.3g}",
        )
    out.print(samples)
