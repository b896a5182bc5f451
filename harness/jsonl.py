"""Reading line-oriented files as every loader should: JSON lines (one object per line) or any
other one-record-per-line text, blank lines skipped, every error naming the file and line (a user
must be able to fix bad input without reading a traceback), so no plugin writes that loop again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.api import DataError


def read_lines(path: Path, expected: str = "one record per line") -> Iterator[tuple[str, int, str]]:
    """Yield `(where, line_number, line)` for each non-blank line of a UTF-8 text file, its line
    ending kept; `where` is "path:line" for the caller's own validation messages. For line formats
    other than JSON (tab-separated columns, say). `expected` completes the message for a missing file."""
    if not path.is_file():
        raise DataError(f"{path} does not exist (expected {expected})")
    with path.open("rb") as handle:  # decoded line by line, so a bad byte is reported on its own line
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{where}: not UTF-8 text ({exc.reason})") from None
            if line.strip():
                yield where, number, line


def read_jsonl(path: Path, expected: str = "one JSON object per line") -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Yield `(where, line_number, object)` for each non-blank line; `where` is "path:line" for
    the caller's own validation messages. `expected` completes the message for a missing file."""
    for where, number, line in read_lines(path, expected):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg}, column {exc.pos + 1})") from None
        if not isinstance(value, dict):
            raise DataError(f"{where}: expected a JSON object, got {type(value).__name__}")
        yield where, number, value
