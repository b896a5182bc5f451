"""`ray`: each run a Ray task, on a local Ray started for the sweep or on a cluster (`--address`).

Ray is optional (`pip install 'kexue-harness[ray]'`) and imported only when this executor
starts. Tasks are submitted with `max_retries=0`: the driver retries lost runs itself, the same
bounded way for every executor. CPUs and GPUs per run come from the sweep's `[resources]`.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from harness.api import ConfigError
from harness.executors import Executor, WorkerLost


def _ray_execute(job: Any) -> Any:
    from harness.sweep.worker import execute

    return execute(job)


class RayExecutor(Executor):
    name = "ray"
    description = "Ray tasks on a local Ray or a cluster (--address or RAY_ADDRESS); pip install 'kexue-harness[ray]'"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        super().__init__(workers, address)
        self._owns = False

    def start(self) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("--executor ray needs Ray: pip install 'kexue-harness[ray]'") from exc
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "configure_logging": False}
            try:
                if address:
                    if self.workers:
                        raise ConfigError("--workers sizes a local Ray; a cluster at --address has its own size")
                    ray.init(address=address, **kwargs)
                else:
                    ray.init(num_cpus=self.workers or os.cpu_count() or 1, **kwargs)
                    self.shares_filesystem = True
            except ConfigError:
                raise
            except Exception as exc:  # unreachable address, no running cluster for "auto", ...
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise ConfigError(f"cannot start {where}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
            self._owns = True
        self._ray = ray
        self._remote = ray.remote(_ray_execute)

    def submit(self, job: Any) -> Any:
        options = {
            "num_cpus": float(job.resources.get("cpus", 1)),
            "num_gpus": float(job.resources.get("gpus", 0)),
            "max_retries": 0,
        }
        return self._remote.options(**options).remote(job)

    def wait(self, handles: Collection[Any], timeout: float | None) -> list[tuple[Any, Any]]:
        ray = self._ray
        refs = list(handles)
        if not refs:
            return []
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:  # collect whatever else is already done, so the driver writes them in one batch
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        done: list[tuple[Any, Any]] = []
        for ref in ready:
            try:
                done.append((ref, ray.get(ref)))
            except ray.exceptions.RayError as exc:  # worker crashed, node died, object lost, task raised
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                done.append((ref, WorkerLost(f"Ray task lost: {type(exc).__name__}: {first}")))
        return done

    def shutdown(self) -> None:
        if self._owns:
            self._ray.shutdown()
            self._owns = False

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray started for this sweep"
        if not getattr(self, "_ray", None):  # every run already stored: Ray was never reached
            return f"ray ({where}; not started: nothing to compute)"
        resources = self._ray.cluster_resources()
        return f"ray ({where}; {resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs)"
