"""`harness demo`: the packaged demo sweep on every core, then its leaderboards and the overview."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.leaderboards import leaderboard
from harness.cli.options import db_option
from harness.cli.resolve import open_registry, open_store
from harness.cli.sweeps import exit_on_failures, exit_on_interrupt


@click.command()
@click.option("--workers", "-w", type=click.IntRange(min=1), help="Worker processes (default: the CPU count).")
@db_option
@click.pass_context
def demo(ctx: click.Context, workers: int | None, db: Path | None) -> None:
    """Run the demo and print its leaderboards.

    Every task family's default model against its baseline, on the embedded data: the runs of
    the sweep file that ships with the harness (harness/sweep/demo.toml), longest first, on one
    worker process per core, with one progress bar. Models that train do so on first use and
    later runs reuse their checkpoints. A killed demo resumes where it stopped; a
    finished one answers from the database. Then prints the leaderboard of each task where the
    demo compares models, and the kexue-2019 overview. Exits 1 if any run failed.
    """
    from harness.sweep.demo import OVERVIEW, compared_tasks, demo_spec
    from harness.sweep.driver import run_sweep

    spec = demo_spec()
    store = open_store(db)

    def announce(runs, executor) -> None:
        todo = sum(r.status != "finished" for r in runs)
        click.echo(f"demo: {len(runs)} runs ({len(runs) - todo} already stored) on {executor.describe()}", err=True)

    with exit_on_interrupt("`harness demo`"):
        report = run_sweep(open_registry(), store, spec, workers=workers, on_plan=announce)
    data = report.as_json()
    click.echo(
        f"demo: {data['finished']} runs finished ({data['cached']} from the database), {data['failed']} failed, "
        f"in {_duration(report.wall_s)} (sweep {report.sweep_id}; `harness sweeps {report.sweep_id}` lists its runs)"
    )
    for task in compared_tasks(report.runs):
        ctx.invoke(leaderboard, task_name=task, db=db)
    ctx.invoke(leaderboard, name=OVERVIEW, db=db)
    click.echo("Browse the results: harness dashboard")
    exit_on_failures(report)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"
