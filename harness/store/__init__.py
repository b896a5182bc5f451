"""The results store: the only place SQL against the results database is written.

`Store` is public: plugin tests and scripts read runs, samples and artifacts through it (the
database's schema is documented for direct DuckDB queries too).
"""

from __future__ import annotations

import warnings
from typing import Any

from harness.store.connection import default_db_path
from harness.store.errors import StoreError, UnknownRunError, damaged, first_line
from harness.store.requests import StoreCache
from harness.store.run_store import RunStore
from harness.store.runs import run_row
from harness.store.samples import StoredSamples
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES, has_table, utcnow
from harness.store.store import Store

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "RunStore",
    "Store",
    "StoreCache",
    "StoreError",
    "StoredSamples",
    "UnknownRunError",
    "damaged",
    "default_db_path",
    "first_line",
    "has_table",
    "run_row",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    if name == "default_home":
        warnings.warn("harness.store.default_home moved: use harness.home()", DeprecationWarning, stacklevel=2)
        from harness.paths import default_home

        return default_home
    raise AttributeError(f"module 'harness.store' has no attribute {name!r}")
