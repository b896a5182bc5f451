"""Which columns a table prints: a short default that fits a terminal, `--wide` for every one,
`--columns a,b` for a chosen few. Declared once so that runs, show, compare, sweeps and the
leaderboard pick columns, and refuse unknown ones, the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from harness.names import suggest

F = TypeVar("F", bound=Callable[..., Any])

#: How long a JSON value (an input, a prediction) may print in a cell before `--wide`.
CELL_CHARS = 60


def table_options(command: F) -> F:
    """`--wide` and `--columns` of every command that prints a table."""
    command = click.option(
        "--columns",
        "column_names",
        metavar="A,B",
        help="Print only these columns, in this order (the names `--wide` prints as headers).",
    )(command)
    return click.option("--wide", is_flag=True, help="Print every column, and values in full.")(command)


def requested(column_names: str | None, known: Iterable[str], aliases: Iterable[str] = ()) -> list[str] | None:
    """The `--columns` names in order, or None when not given; an unknown name is a usage error."""
    if column_names is None:
        return None
    names = [n.strip() for n in column_names.split(",") if n.strip()]
    valid = list(dict.fromkeys([*known, *aliases]))
    if not names:
        raise click.BadParameter(f"give column names, e.g. {','.join(valid[:3])}", param_hint="'--columns'")
    for name in names:
        if name not in valid:
            hint = suggest(name, valid) or f" (known: {', '.join(valid)})"
            raise click.BadParameter(f"unknown column {name!r}{hint}", param_hint="'--columns'")
    return names


def chosen(available: Sequence[str], default: Sequence[str], wide: bool, names: list[str] | None) -> list[str]:
    """The columns to print, of those this table has (`available`, in their order)."""
    if names is not None:
        return [n for n in dict.fromkeys(names) if n in available]
    if wide:
        return list(available)
    return [n for n in available if n in default]


def exclusive(**flags: bool) -> None:
    """At most one of these output options: `--csv` with `--json` is a usage error, not a guess."""
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join('--' + g for g in given)} cannot be combined: choose one")
