"""`harness publish`: write the leaderboards, runs and samples as a static site."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.options import db_option, json_option
from harness.cli.output import echo_json
from harness.cli.resolve import open_registry, open_store


@click.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--task", "-t", "tasks", multiple=True, help="Only this task's boards and runs (repeatable).")
@click.option(
    "--board", "-b", "boards", multiple=True, help="Only this leaderboard (see `harness leaderboard --list`; repeatable)."
)
@click.option("--title", help="The site's title.  [default: Kexue Harness results]")
@click.option("--force", is_flag=True, help="Replace OUT even when it is a folder that `harness publish` did not write.")
@db_option
@json_option
def publish(
    out: Path, tasks: tuple[str, ...], boards: tuple[str, ...], title: str | None, force: bool, db: Path | None, as_json: bool
) -> None:
    """Write a static site of the results into OUT.

    An index with the overviews and every board, a page per board (with CSV and JSON), a page per
    ranked run and a paged, searchable sample browser per run. It opens from file:// and from any
    static host (GitHub Pages): relative links, no request outside the folder. The site is
    written beside OUT and swapped in when complete, so publishing again replaces it whole.
    """
    from harness.progress import progress_bar
    from harness.publish.site import publish as write_site

    summary = write_site(
        open_store(db), open_registry(), out, tasks=tasks, boards=boards, title=title, force=force, progress=progress_bar
    )
    if as_json:
        return echo_json(summary.as_json())
    what = "an empty site (no finished runs)" if summary.empty else f"{summary.boards} board(s) and {summary.runs} run(s)"
    click.echo(
        f"Published {what} to {summary.out}: {summary.sample_pages} sample page(s), {summary.files} files, "
        f"{summary.bytes / 2**20:.1f} MiB in {summary.seconds:.1f} s. Open {Path(summary.out) / 'index.html'}"
    )
