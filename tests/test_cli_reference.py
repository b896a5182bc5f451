"""The command summaries in `harness --help` and the generated CLI reference are whole sentences."""

from __future__ import annotations

import click
import pytest

from harness.cli import cli


def _commands(group: click.Group, prefix: str = "harness") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
    return found


@pytest.mark.parametrize(("path", "command"), _commands(cli), ids=lambda value: value if isinstance(value, str) else "")
def test_every_command_summary_is_a_whole_sentence(path, command):
    # `harness --help` shows get_short_help_str(), which click cuts to 45 characters with "...";
    # the reference (mkdocs-click) shows the first line of short_help, else of the docstring.
    summary = command.get_short_help_str()
    assert summary.endswith(".") and not summary.endswith("..."), f"{path}: summary {summary!r} stops mid-sentence"
    first_line = (command.short_help or command.help or "").splitlines()[0].strip()
    assert first_line == summary, f"{path}: the reference shows {first_line!r}, `harness --help` shows {summary!r}"
