"""Deprecated: the sweep worker moved into `harness.sweep`; executors compute a job with `job.run()`.

Kept for one release so that executor plugins written against `harness.worker.execute` keep working.
"""

from __future__ import annotations

import warnings

from harness.sweep.worker import Job, RunResult, execute

warnings.warn(
    "harness.worker is deprecated: an executor computes a job with job.run() (see harness.executors)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["Job", "RunResult", "execute"]
