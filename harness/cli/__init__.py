"""The `harness` command line: one module per command group, sharing output helpers and options."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> None:
    """Console entry point. The command line's modules load here rather than on import, so that
    Ctrl-C while they load (a second on a busy machine) ends in one line, as at any other moment."""
    try:
        from harness.cli.app import main as run
    except KeyboardInterrupt:  # the words of app.INTERRUPTED_STARTING, which could not load
        print("Interrupted while the command was starting: nothing was stored.", file=sys.stderr)
        sys.exit(130)
    run(argv)


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, loaded on first use
        from harness.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["cli", "main"]
