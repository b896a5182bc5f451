"""`harness curves`: a task's declared curves from stored runs, their Bjøntegaard deltas, and `--run`
to compute the default grid's missing points as a sweep."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.api import ConfigError
from harness.cli.options import data_dir_option, db_option, json_option, sample_limit_option, split_option
from harness.cli.output import console, echo_json, print_table, table
from harness.cli.resolve import check_name, open_registry, open_store
from harness.views import fmt


@click.command()
@click.option("--task", "-t", "task_name", required=True, help="A task that declares curves.")
@click.option(
    "--model",
    "-m",
    "line_names",
    multiple=True,
    metavar="NAMES",
    help="Only these lines (a model, or a line's label), comma-separated or repeated; the reference is read for the deltas.",
)
@click.option(
    "--run", "compute", is_flag=True, help="First compute the default grid's missing points (a sweep; finished runs are kept)."
)
@split_option("Split the points were evaluated on (default: the task's default split).")
@sample_limit_option("Points evaluated on the first N samples only (runs of another limit are other points).")
@data_dir_option("Real dataset in the task's format (default: the embedded data).")
@click.option(
    "--executor", "-e", "executor_name", metavar="NAME", help="Where `--run` computes: local (default), processes, ray."
)
@click.option("--workers", "-w", type=int, help="Worker processes (processes) or CPUs of a local Ray (ray), for `--run`.")
@click.option(
    "--compressai",
    "export_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write each line as a CompressAI results JSON file (TASK-LINE.json) into this folder.",
)
@db_option
@json_option
def curves(
    task_name: str,
    line_names: tuple[str, ...],
    compute: bool,
    split: str | None,
    limit: int | None,
    data_dir: Path | None,
    executor_name: str | None,
    workers: int | None,
    export_dir: Path | None,
    db: Path | None,
    as_json: bool,
) -> None:
    """Curves of a task, with BD-rate and BD-PSNR.

    The curves a task declares (quality against cost, one line per model), each line's points
    sorted by cost, and each line's Bjøntegaard deltas against the reference line. A point is a
    finished run of the line's model whose configuration differs from the line's only in the
    argument that moves it. BD-rate is the average rate difference in percent at equal
    quality (negative: fewer bits), BD-PSNR the average quality difference at equal rate, both
    over the range the two lines share, by pchip interpolation against log-rate.
    """
    from harness.leaderboard.curves import check_grid, compressai, gather
    from harness.names import suggest, unknown_name
    from harness.sweep.spec import split_names

    registry = open_registry()
    check_name("task", task_name, sorted(registry.tasks), registry.broken_hint())
    task = registry.tasks[task_name].obj
    if not task.curves:
        declaring = sorted(name for name, entry in registry.tasks.items() if entry.obj.curves)
        raise ConfigError(f"task {task_name!r} declares no curves (tasks that do: {', '.join(declaring) or 'none installed'})")
    known = list(dict.fromkeys(line.name for curve in task.curves for line in curve.lines))
    chosen = split_names(",".join(line_names), "--model") if line_names else None
    for name in chosen or ():
        if name not in known:
            hint = suggest(name, known) or f" (its lines: {', '.join(known)})"
            raise ConfigError(f"task {task_name!r} has no curve line {name!r} (--model){hint}")
    if split is not None and split not in task.splits:
        raise unknown_name("split", split, list(task.splits), f" of task {task_name!r}")
    split = split or task.default_split
    models = {name: entry.obj for name, entry in registry.models.items()}
    sweep_ids: list[str] = []
    if compute:
        lines = {}
        for curve in task.curves:
            for line in curve.lines:
                if chosen is None or line.name in chosen or line.name == curve.reference:
                    lines[line.name] = line
        for line in lines.values():
            if line.model not in models:
                raise unknown_name("model", line.model, sorted(models), f" (curve line {line.name!r} of task {task_name!r})")
            check_grid(models[line.model], line, task_name)
        sweep_ids = _compute(
            registry, open_store(db), task_name, list(lines.values()), split, limit, data_dir, executor_name, workers, as_json
        )
    store = open_store(db)
    dataset = task().dataset_name(data_dir)
    results = [
        gather(store, task, models, curve, dataset=dataset, split=split, limit=limit, lines=chosen) for curve in task.curves
    ]
    if export_dir is not None:
        export_dir.mkdir(parents=True, exist_ok=True)
        files = compressai(task, results)
        for file_name, content in files.items():
            (export_dir / file_name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        if not as_json:
            click.echo(f"wrote {len(files)} CompressAI results file(s) to {export_dir}", err=True)
    if as_json:
        echo_json({"task": task_name, "sweeps": sweep_ids, "curves": [r.as_json() for r in results]})
        return
    for result in results:
        _print_curve(result, compute)


def _compute(registry, store, task, lines, split, limit, data_dir, executor_name, workers, quiet) -> list[str]:
    """The lines' default grids as sweeps: one per group of lines of distinct models (a sweep crosses
    each model's argument values, so two lines of one model go in two sweeps)."""
    from harness.cli.sweeps import exit_on_failures, exit_on_interrupt
    from harness.sweep.driver import run_sweep
    from harness.sweep.spec import SweepSpec

    batches: list[list] = []
    for line in lines:
        batch = next((b for b in batches if all(other.model != line.model for other in b)), None)
        if batch is None:
            batches.append(batch := [])
        batch.append(line)
    ids = []
    for batch in batches:
        spec = SweepSpec(
            tasks=[task],
            models=[line.model for line in batch],
            model_args_for={
                line.model: {**{k: [str(v)] for k, v in line.config.items()}, line.argument: [str(v) for v in line.values]}
                for line in batch
            },
            split=split,
            limit=limit,
            data_dir=data_dir,
            name=f"curves {task}",
        )

        def announce(runs, executor) -> None:
            if not quiet:
                todo = sum(r.status != "finished" for r in runs)
                click.echo(f"curves: {len(runs)} points ({len(runs) - todo} already stored) on {executor.describe()}", err=True)

        with exit_on_interrupt("the same command"):
            report = run_sweep(registry, store, spec, executor_name, workers, on_plan=announce)
        ids.append(report.sweep_id)
        if report.failures:
            exit_on_failures(report, warn=not quiet)
    return ids


def _print_curve(result, computed: bool) -> None:
    curve = result.curve
    title = f"{curve.name}: {curve.y_label} against {curve.x} · {result.task} · {result.dataset} · {result.split}"
    listed = table(None, ["line", "argument", curve.x, curve.y_label, "run"])
    below = []
    for line in result.lines:
        for point in line.points:
            listed.add_row(line.line.name, f"{line.line.argument}={point.value}", fmt(point.x), fmt(point.y), point.run_id)
        if not line.points:
            listed.add_row(line.line.name, "—", "—", "—", "no runs")
        if line.missing and not computed:
            values = ", ".join(str(v) for v in line.missing)
            below.append(f"{line.line.name}: no point yet for {line.line.argument} = {values} (`--run` computes them)")
    deltas = []
    for line in result.lines:
        if line.delta is None:
            continue
        if line.delta.bd_rate is None and line.delta.bd_psnr is None:
            deltas.append(f"{line.line.name} vs {curve.reference}: no delta: {line.delta.note}")
            continue
        rate = "—" if line.delta.bd_rate is None else f"{line.delta.bd_rate:+.2f} %"
        gain = "—" if line.delta.bd_psnr is None else f"{line.delta.bd_psnr:+.3f}"
        note = f" ({line.delta.note})" if line.delta.note else ""
        deltas.append(f"{line.line.name} vs {curve.reference}: BD-rate {rate}, BD-PSNR {gain} ({curve.y_label}){note}")
    print_table(listed, above=[title], below=below)
    out = console()
    for text in deltas:
        out.print(text)
