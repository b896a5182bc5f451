"""Metric versions on boards: which stored values a metric's current version computed.

A board ranks a metric only over values of its current version: the installed metric's
`version`, or, where the metric's plugin is not installed, the version of the newest finished
run's value. Values of any other version (null included: stored before versions were) are stale,
shown apart with the command that re-scores them, never ranked beside current ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.plugins.registry import Registry
    from harness.store import Store


def rescore_command(run_id: str) -> str:
    """What re-scores one run, as stale rows show it."""
    return f"harness rescore --run {run_id}"


def current_versions(rows: Iterable[Mapping[str, Any]], registry: Registry) -> dict[str, str | None]:
    """Each metric's current version among `rows` (metric, version, finished_at): the installed
    metric's, else the newest row's."""
    newest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        kept = newest.get(row["metric"])
        if kept is None or (row["finished_at"], row["run_id"]) > (kept["finished_at"], kept["run_id"]):
            newest[row["metric"]] = row
    current: dict[str, str | None] = {}
    for name, row in newest.items():
        entry = registry.metrics.get(name)
        current[name] = str(entry.obj.version) if entry is not None else row["version"]
    return current


def split_stale(rows: list[dict[str, Any]], registry: Registry) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`rows` (of `Store.finished_runs_for_board`) split into those of their metric's current
    version and the stale others, each of these with its `current_version`."""
    current = current_versions(rows, registry)
    fresh, stale = [], []
    for row in rows:
        if row["version"] == current[row["metric"]]:
            fresh.append(row)
        else:
            stale.append({**row, "current_version": current[row["metric"]]})
    return fresh, stale


def stale_runs(store: Store, registry: Registry, task: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Finished runs with a stale metric value, or without a metric their installed task now
    computes: by run id, each such metric as {metric, version, current_version, missing}."""
    if not store.exists():
        return {}
    rows = store.metric_versions(task)
    current = current_versions(rows, registry)
    found: dict[str, list[dict[str, Any]]] = {}
    stored: dict[str, tuple[str, set[str]]] = {}
    for row in rows:
        stored.setdefault(row["run_id"], (row["task"], set()))[1].add(row["metric"])
        if row["version"] != current[row["metric"]]:
            found.setdefault(row["run_id"], []).append(
                {"metric": row["metric"], "version": row["version"], "current_version": current[row["metric"]], "missing": False}
            )
    for run_id, (task_name, names) in stored.items():
        entry = registry.tasks.get(task_name)
        for name in entry.obj.metrics if entry is not None else ():
            if name not in names and name in registry.metrics:
                version = str(registry.metrics[name].obj.version)
                found.setdefault(run_id, []).append(
                    {"metric": name, "version": None, "current_version": version, "missing": True}
                )
    return found
