"""The results store: the only place SQL against the results database is written.

`Store` is public: plugin tests and scripts read runs, samples and artifacts through it (the
database's schema is documented for direct DuckDB queries too).
"""

from __future__ import annotations

import warnings
from typing import Any

from harness.store.database import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLES,
    Store,
    StoredSamples,
    StoreError,
    UnknownRunError,
    damaged,
    default_db_path,
    first_line,
    has_table,
    utcnow,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "Store",
    "StoreError",
    "StoredSamples",
    "UnknownRunError",
    "damaged",
    "default_db_path",
    "first_line",
    "has_table",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    if name == "default_home":
        warnings.warn("harness.store.default_home moved: use harness.home()", DeprecationWarning, stacklevel=2)
        from harness.paths import default_home

        return default_home
    raise AttributeError(f"module 'harness.store' has no attribute {name!r}")
