"""Where the harness keeps what it writes: the harness home (results database, checkpoints, caches).

Kept apart from the store so that plugins and the runner can find the home without importing DuckDB.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """`HARNESS_HOME`, else the platform's per-user application folder for kexue-harness."""
    import click

    return Path(os.environ.get("HARNESS_HOME") or click.get_app_dir("kexue-harness"))
