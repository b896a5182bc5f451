"""`local`: each run in the driver's own process, one after another (the default executor)."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from itertools import count
from typing import Any

from harness.executors import Executor


class LocalExecutor(Executor):
    """No isolation and no parallelism: the simplest way to run a sweep, and the reference the
    other executors must agree with. A run that kills its process kills the sweep with it."""

    name = "local"
    description = "in the driver's process, one run at a time (default)"
    shares_filesystem = True

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        super().__init__(workers, address)
        self._queue: deque[tuple[int, Any]] = deque()
        self._ids = count()

    def submit(self, job: Any) -> int:
        handle = next(self._ids)
        self._queue.append((handle, job))
        return handle

    def wait(self, handles: Collection[Any], timeout: float | None) -> list[tuple[Any, Any]]:
        from harness.plugins.registry import get_registry
        from harness.sweep.worker import execute

        while self._queue:
            handle, job = self._queue.popleft()
            if handle in handles:
                return [(handle, execute(job, registry=get_registry()))]
        return []

    def describe(self) -> str:
        return "local (in this process, one run at a time)"
