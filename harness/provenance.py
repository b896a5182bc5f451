"""What a run records about where it came from: versions, git state, interpreter, platform."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

KEY_PACKAGES = (
    "kexue-harness", "pluggy", "duckdb", "numpy", "scipy", "datasets",
    "evaluate", "transformers", "torch", "pyarrow",
)


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    versions = {}
    for name in (*KEY_PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_state(module: ModuleType | None) -> tuple[str | None, bool | None]:
    """Commit and dirty flag of the checkout holding `module`'s source, or (None, None)."""
    path = getattr(module, "__file__", None)
    if not path:
        return None, None
    directory = Path(path).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--", "."],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


def interpreter() -> tuple[str, str]:
    return sys.version.split()[0], platform.platform()
