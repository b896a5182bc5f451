"""What goes wrong with a results database, said in one line with the way out."""

from __future__ import annotations

import errno
import os
import re
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


#: What a full filesystem says: errno values, and DuckDB's words for them.
FULL_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
FULL_WORDS = ("No space left on device", "File too large", "Disk quota exceeded")


class DiskFullError(StoreError):
    """A write that a full filesystem (or a file-size limit) refused: nothing was stored half."""


def disk_full(exc: BaseException, path: Path | str | None = None) -> DiskFullError | None:
    """One line naming the path that could not grow and what to do, when `exc` says the disk is
    full; None for any other error. Every write here is a transaction or a file renamed into place
    once whole, so what was cut short was never stored, and the same command resumes."""
    if isinstance(exc, DiskFullError):
        return exc
    if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
        reason, where = os.strerror(exc.errno), exc.filename or path
    elif type(exc).__module__.lstrip("_").startswith("duckdb"):  # DuckDB says it in words only
        text = str(exc)
        reason = next((words for words in FULL_WORDS if words in text), "")
        if not reason:
            return None
        named = re.search(r'file "([^"]+)"', text)  # DuckDB names the file it could not write
        where = named.group(1) if named else path
    else:
        return None
    at = f" {where}" if where else ""
    return DiskFullError(
        f"the disk is full: could not write{at} ({reason}); nothing was stored half. Free space there "
        "(or point HARNESS_HOME / HARNESS_DB elsewhere), then run the same command again: it resumes"
    )
