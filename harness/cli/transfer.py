"""`harness export` and `import`: runs moved between databases as Parquet files."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.options import db_option, task_filter_option
from harness.cli.resolve import check_name, known_tasks, open_store, resolve_sweep


@click.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True)
@task_filter_option
@click.option("--run", "run_ids", multiple=True, help="Only these runs; repeatable.")
@click.option("--sweep", "sweep_id", metavar="ID", help="Only the runs this sweep computed (an id or a unique prefix).")
@click.option("--force", is_flag=True, help="Replace the export DIRECTORY already holds.")
@db_option
def export_command(
    directory: Path,
    fmt: str,
    task_name: str | None,
    run_ids: tuple[str, ...],
    sweep_id: str | None,
    force: bool,
    db: Path | None,
) -> None:
    """Export runs as Parquet files.

    Writes runs with their metrics, samples and artifacts as Parquet files in DIRECTORY: a new or
    empty folder, or one holding an export with --force.
    """
    from harness.store.transfer import export_runs

    store = open_store(db)
    if task_name is not None:
        check_name("task", task_name, known_tasks(store), " with runs in this database")
    resolved = [store.get_run(run_id).run_id for run_id in run_ids]  # unknown ids are errors with suggestions
    sweep = resolve_sweep(store, sweep_id)
    count = export_runs(store, directory, task=task_name, run_ids=resolved or None, sweep_id=sweep, force=force)
    click.echo(f"exported {count} run(s) to {directory}")


@click.command("import")
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@db_option
def import_command(directories: tuple[Path, ...], db: Path | None) -> None:
    """Import runs written by `harness export`.

    Adds the runs of one or several directories in one transaction; runs already stored as
    finished are skipped, unfinished ones with the same id replaced.
    """
    from harness.store.transfer import exported_runs, import_runs

    store = open_store(db)
    added = import_runs(store, list(directories))
    skipped = exported_runs(list(directories)) - added
    present = f"; skipped {skipped} already present" if skipped else ""
    click.echo(f"imported {added} new run(s) into {store.path}{present}")
