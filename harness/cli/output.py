"""How commands print: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from harness.views import ci, fmt


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console():
    """Markup is off: sample text such as "[/bold]" is data and must print as written.

    Piped output gets 160 columns rather than rich's 80, so wide tables (leaderboards) stay
    readable in logs; $COLUMNS still wins.
    """
    import os

    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
    return Console(highlight=False, markup=False, soft_wrap=False, width=width)


#: Columns that never wrap: ids people copy, and short values a narrow terminal should not split
#: (the other columns share what is left of its width).
NO_WRAP = frozenset(
    {"run", "run_id", "sample_id", "sweep", "rank", "group", "seed", "seeds", "runs", "status", "vs-next", "key", "size", "state"}
)


def table(title: str | None, columns: list[str]):
    """Run ids never wrap (people copy them); other columns fold to fit the terminal. Rules under the
    header only, no frame: a frame costs three characters a column that a narrow terminal needs."""
    from rich import box
    from rich.table import Table

    result = Table(
        title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True
    )
    for column in columns:
        result.add_column(column, overflow="fold", no_wrap=column in NO_WRAP)
    return result


def print_table(printed, above: Sequence[str] = (), below: Sequence[str] = ()) -> None:
    """A table between lines that say what it shows (its title, the config its rows share) and
    notes on it: printed as lines of their own, so that they wrap at the terminal's width rather
    than the table's."""
    from rich.text import Text

    out = console()
    for line in above:
        out.print(Text(line, style="italic"))
    out.print(printed)
    for line in below:
        out.print(Text(line, style="dim"))


def metrics_table(metrics, descriptions: dict[str, str] | None = None):
    """A run's metrics, as `run` and `show` print them."""
    headers = ["metric", "value", "95% CI", "better"] + (["description"] if descriptions else [])
    result = table(None, headers)
    for m in metrics:
        name = f"{m.name} (primary)" if m.primary else m.name
        row = [name, fmt(m.value), ci(m.ci_low, m.ci_high), "higher" if m.higher_is_better else "lower"]
        result.add_row(*row, *([descriptions.get(m.name, "")] if descriptions else []))
    return result
