"""What a run records about where it came from: versions, git state, interpreter, platform."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import ModuleType

KEY_PACKAGES = (
    "kexue-harness",
    "pluggy",
    "duckdb",
    "numpy",
    "scipy",
    "datasets",
    "evaluate",
    "transformers",
    "torch",
    "pyarrow",
)


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of the key packages and of `extra` distributions, as this process loaded them."""
    return dict(_versions((*KEY_PACKAGES, *extra)))


@lru_cache(maxsize=64)
def _versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # Once per process: reading distribution metadata costs ~13 ms a call, paid by every run of a
    # sweep, and what a process has imported does not change under it.
    versions = []
    for name in names:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions)


def git_state(module: ModuleType | None) -> tuple[str | None, bool | None]:
    """Commit and dirty flag of the checkout holding `module`'s source, or (None, None)."""
    path = getattr(module, "__file__", None)
    if not path:
        return None, None
    return _git_state(Path(path).resolve().parent)


@lru_cache(maxsize=64)
def _git_state(directory: Path) -> tuple[str | None, bool | None]:
    # Once per process and folder (two git commands a call): the code a process runs is what it
    # imported at start, so a file edited later does not make its runs dirty, nor clean again.
    try:
        commit = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


def interpreter() -> tuple[str, str]:
    return sys.version.split()[0], platform.platform()
