"""The core's executors, registered through the same hook a plugin uses."""

from __future__ import annotations

from harness.executors.local import LocalExecutor
from harness.executors.processes import ProcessesExecutor
from harness.executors.ray_cluster import RayExecutor
from harness.hookspecs import hookimpl


@hookimpl
def register_executors(register):
    register(LocalExecutor)
    register(ProcessesExecutor)
    register(RayExecutor)
