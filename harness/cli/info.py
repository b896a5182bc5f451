"""`harness info`: versions, and where results are stored."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.options import db_option, json_option
from harness.cli.output import echo_json
from harness.cli.resolve import open_store


@click.command()
@db_option
@json_option
def info(db: Path | None, as_json: bool) -> None:
    """Show versions, paths and database counts.

    Every path the harness uses: where results, checkpoints, caches and configuration live (the XDG data and config homes
    unless HARNESS_HOME or HARNESS_DB say otherwise), the database's schema version, and how
    many runs, metrics, samples and artifacts it holds.
    """
    from harness import __version__
    from harness.leaderboard.definitions import definitions_dir
    from harness.paths import config_home, default_home
    from harness.runner.checkpoints import root
    from harness.store import SCHEMA_VERSION

    store = open_store(db)
    home = default_home()
    boards = definitions_dir()
    data = {
        "harness_version": __version__,
        "python": sys.version.split()[0],
        "db": str(store.path.resolve()),
        "db_exists": store.exists(),
        "home": str(home),
        "checkpoints": str(root()),
        "spool": str(home / "spool"),
        "cache": str(home / "cache"),
        "locks": str(home / "locks"),
        "config": str(config_home()),
        "leaderboards": str(boards) if boards is not None else None,
        "schema_version": SCHEMA_VERSION,
        "counts": store.counts(),
    }
    if as_json:
        return echo_json(data)
    for key, value in data.items():
        click.echo(f"{key:16} {value}")
