"""What goes wrong with a results database, said in one line with the way out."""

from __future__ import annotations

from pathlib import Path

from harness.api import ConfigError, HarnessError


class StoreError(HarnessError):
    pass


class UnknownRunError(StoreError, ConfigError):
    """A run id (or prefix) that names no run, or several: a usage error (exit 2), with suggestions."""


def first_line(exc: Exception) -> str:
    """The first line of a DuckDB error (its message; the rest is context), for one-line errors."""
    return str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__


def damaged(path: Path, exc: Exception) -> StoreError:
    """One line saying what failed and how to recover, for a database file with a damaged block."""
    return StoreError(
        f"results database {path} is damaged ({first_line(exc)}). To recover: restore a copy of the file if you have one; "
        f"otherwise save what is still readable with `harness export DIR --db {path} --task TASK` (task by task, "
        "or --run ID), move the damaged file aside, and `harness import DIR` into a fresh database"
    )
