"""`harness new-plugin`: the command-line face of the plugin scaffold."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("new-plugin")
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
    """Write a new plugin distribution.

    A complete one, ready to install: task, model, metric, renderer, leaderboard, tests, README.
    """
    from harness.plugins.scaffold import names, write_plugin

    values = names(name, task_name)
    target = write_plugin(name, parent, force=force, task=task_name)
    click.echo(
        f"Created {target} (package {values['package']}, task {values['task']}). Next:\n"
        f"  pip install -e {target}\n  harness plugins\n  harness run --task {values['task']}"
    )
