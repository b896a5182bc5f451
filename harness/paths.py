"""Where the harness keeps what it writes: the harness home (results database, checkpoints, caches).

Results and trained checkpoints are data, so on Linux and the BSDs they live under the XDG data
home (`$XDG_DATA_HOME/kexue-harness`, by default `~/.local/share/kexue-harness`); anything a user
configures belongs under the XDG config home. Earlier releases kept everything under
`~/.config/kexue-harness`: where that folder holds results it stays the home, and `legacy_note`
says how to move it. macOS and Windows keep their one per-user application folder for both.
`HARNESS_HOME` (and `HARNESS_DB` for the database alone) override all of this.

Kept apart from the store so that plugins and the runner can find the home without importing DuckDB.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "kexue-harness"


def _xdg(variable: str, fallback: str) -> Path:
    """An XDG base directory: the variable when it holds an absolute path (the spec ignores relative ones)."""
    value = os.environ.get(variable, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def _platform_app_dir() -> Path | None:
    """The per-user application folder on macOS and Windows; None where the XDG layout applies."""
    if sys.platform == "darwin" or sys.platform == "win32":
        import click

        return Path(click.get_app_dir(APP))
    return None


def config_home() -> Path:
    """Where user configuration belongs: `$XDG_CONFIG_HOME/kexue-harness` (`~/.config/kexue-harness`)."""
    return _platform_app_dir() or _xdg("XDG_CONFIG_HOME", ".config") / APP


def legacy_home() -> Path | None:
    """The home of earlier releases when it holds results (a database or checkpoints), else None."""
    if _platform_app_dir() is not None:
        return None
    old = config_home()
    return old if (old / "harness.duckdb").exists() or (old / "checkpoints").is_dir() else None


def default_home() -> Path:
    """`HARNESS_HOME`, else an earlier release's home that holds results, else the XDG data home."""
    env = os.environ.get("HARNESS_HOME")
    if env:
        return Path(env)
    return legacy_home() or _platform_app_dir() or _xdg("XDG_DATA_HOME", ".local/share") / APP


def legacy_note() -> str | None:
    """One line on moving results out of an earlier release's home, when they are still there."""
    if os.environ.get("HARNESS_HOME"):
        return None
    old = legacy_home()
    if old is None:
        return None
    new = _xdg("XDG_DATA_HOME", ".local/share") / APP
    return (
        f"note: results are in {old}, where earlier releases kept them; data now belongs in {new}: "
        f"`mkdir -p {new.parent} && mv {old} {new}` moves them (or set HARNESS_HOME={old} to keep them and silence this note)"
    )
