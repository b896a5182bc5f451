"""The core's executors, registered through the same hook a plugin uses."""

from __future__ import annotations

from harness.hookspecs import hookimpl
from harness.sweep.executors.local import LocalExecutor
from harness.sweep.executors.processes import ProcessesExecutor
from harness.sweep.executors.ray_cluster import RayExecutor


@hookimpl
def register_executors(register):
    register(LocalExecutor)
    register(ProcessesExecutor)
    register(RayExecutor)
