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
    """Show versions, the database and its counts.

    Where results are stored, its schema version, and how many runs, metrics, samples and
    artifacts it holds.
    """
    from harness import __version__
    from harness.paths import default_home
    from harness.store import SCHEMA_VERSION

    store = open_store(db)
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
        return echo_json(data)
    for key, value in data.items():
        click.echo(f"{key:16} {value}")
