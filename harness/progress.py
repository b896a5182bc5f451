"""Progress bars on stderr (rich), shown only where a person is watching a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _interactive() -> bool:
    forced = os.environ.get("HARNESS_PROGRESS")
    if forced is not None:
        return forced not in {"", "0", "false"}
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[..., None]]:
    """Yield `advance(n=1, **status)`; a no-op outside a terminal so logs and `--json` stay clean.

    `status` keywords (`epoch=3, loss=0.41, val=0.62`) are shown after the bar, so a long training
    tells the user how it is going, not only how far along it is.
    """
    if not _interactive():
        yield lambda n=1, **status: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task_id = progress.add_task(description, total=total, status="")

        def advance(n: int = 1, **status: object) -> None:
            if status:
                progress.update(task_id, advance=n, status=format_status(status))
            else:
                progress.advance(task_id, n)

        yield advance


def format_status(status: dict[str, object]) -> str:
    """`epoch=3 loss=0.412`: floats to 3 significant digits."""
    return " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in status.items())
