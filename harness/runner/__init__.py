"""Running one task with one model: planning a request, loading data, training or restoring a
checkpoint, predicting, scoring and storing the run (`Runner`), with the run's key, fingerprints
and provenance.

Internal: plugins get what they need from `harness` (`RunContext`) and `harness.testing`.
"""

from __future__ import annotations

import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    # `harness.runner` was a module; `RunContext` was imported from it before it became public.
    if name == "RunContext":
        warnings.warn("harness.runner.RunContext moved: import it from harness", DeprecationWarning, stacklevel=2)
        from harness.context import RunContext

        return RunContext
    raise AttributeError(f"module 'harness.runner' has no attribute {name!r}")
