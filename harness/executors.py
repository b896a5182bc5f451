"""The executor interface, public for plugins that add one through `register_executors`.

An executor only moves `harness.sweep.worker.Job`s to workers and `RunResult`s back; it never touches
the results database (the sweep's driver is its only writer). The built-ins (`harness.sweep.executors`)
are `local` (in the driver's process, one run at a time), `processes` (a pool of local worker
processes) and `ray` (Ray tasks on a local or remote cluster; `pip install 'kexue-harness[ray]'`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from harness.api import HarnessError


class WorkerLost(HarnessError):
    """The worker computing a job died (killed, out of memory, its node gone): the job may be retried."""


class Executor:
    """Subclass this and register it with `register_executors`.

    A job is plain picklable data; where a worker computes it, `job.run()` returns its `RunResult`.

    The driver calls `start()`, then `submit(job)` for each run (an executor queues what it cannot
    start yet) and `wait(handles, timeout)` until every run is back, then `shutdown()`. `wait`
    returns the jobs that completed, each with its `RunResult`, or with a `WorkerLost` when its
    worker died; an empty list means the timeout passed. Keep heavy imports inside the methods.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: Workers see the driver's files (same machine), so the driver may clean their spool folders.
    shares_filesystem: bool = False

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def start(self) -> None:
        """Start workers or connect to a cluster; errors here are `ConfigError`s a user can act on."""

    def submit(self, job: Any) -> Any:
        """Queue a `Job`; return a handle (any hashable) that `wait` reports it under."""
        raise NotImplementedError

    def wait(self, handles: Collection[Any], timeout: float | None) -> list[tuple[Any, Any]]:
        """[(handle, RunResult or WorkerLost)] for jobs done within `timeout` seconds (at least one if any)."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Stop what `start` started (also after an interrupt, with jobs still running)."""

    def describe(self) -> str:
        """One line for the sweep's header: where the runs go."""
        return self.name
