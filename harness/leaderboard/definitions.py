"""Leaderboard definitions: their shape, parsing, and validation against what exists.

Kept apart from the ranking (`harness.leaderboard.ranking`, which needs DuckDB) so that plugin loading
can validate a plugin's definitions without importing anything heavy: a definition that names a
metric its task does not compute is reported as that plugin's error in `harness plugins`,
instead of silently ranking nothing.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from harness.api import ConfigError
from harness.names import suggest

Pick = Literal["best", "latest"]


@dataclass(frozen=True)
class BoardSpec:
    """One `[[tasks]]` entry of a definition: how one task is ranked."""

    task: str
    metric: str | None = None  # None: the task's primary metric
    dataset: str | None = None
    split: str | None = None
    columns: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


@dataclass(frozen=True)
class LeaderboardSpec:
    name: str
    title: str
    description: str = ""
    kind: Literal["ranking", "overview"] = "ranking"
    pick: Pick = "best"
    tasks: tuple[BoardSpec, ...] = ()
    source: str = ""  # the file, plugin, database or "default" it came from: named in errors and listings

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "pick": self.pick,
            "source": self.source,
            "tasks": [{f.name: getattr(t, f.name) for f in fields(t)} for t in self.tasks],
        }


_TOP_KEYS = {"title", "description", "kind", "pick", "tasks", "name"}
_TASK_KEYS = {f.name for f in fields(BoardSpec)}


def parse_definition(data: dict[str, Any], name: str, source: str) -> LeaderboardSpec:
    """Validate one definition's shape; every error names the source and the offending key."""

    def fail(message: str) -> ConfigError:
        return ConfigError(f"leaderboard {name!r} ({source}): {message}")

    if unknown := sorted(set(data) - _TOP_KEYS):
        raise fail(f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_TOP_KEYS))}")
    kind = data.get("kind", "ranking")
    if kind not in ("ranking", "overview"):
        raise fail(f"kind must be 'ranking' or 'overview', not {kind!r}")
    pick = data.get("pick", "best")
    if pick not in ("best", "latest"):
        raise fail(f"pick must be 'best' or 'latest', not {pick!r}")
    entries = data.get("tasks")
    if not isinstance(entries, list) or not entries:
        raise fail("needs at least one [[tasks]] entry with a `task`")
    specs = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("task"), str):
            raise fail(f'tasks entry {position} needs `task = "name"`')
        if unknown := sorted(set(entry) - _TASK_KEYS):
            raise fail(f"tasks entry {position} ({entry['task']}): unknown key(s) {', '.join(unknown)}")
        for key in ("columns", "flags"):
            value = entry.get(key, [])
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise fail(f"tasks entry {position} ({entry['task']}): `{key}` must be a list of metric names")
        for key in ("metric", "dataset", "split"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise fail(f"tasks entry {position} ({entry['task']}): `{key}` must be a string")
        specs.append(
            BoardSpec(
                task=entry["task"],
                metric=entry.get("metric"),
                dataset=entry.get("dataset"),
                split=entry.get("split"),
                columns=tuple(entry.get("columns", ())),
                flags=tuple(entry.get("flags", ())),
            )
        )
    return LeaderboardSpec(
        name=data.get("name", name),
        title=str(data.get("title", name)),
        description=str(data.get("description", "")),
        kind=kind,
        pick=pick,
        tasks=tuple(specs),
        source=source,
    )


def read_definition(path: Path) -> LeaderboardSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read leaderboard definition {path}: {exc}") from exc
    return parse_definition(data, path.stem, str(path))


def plugin_definition(obj: Any, plugin: str) -> LeaderboardSpec:
    """What a plugin passed to `register_leaderboards`: a dict, or the path of a TOML file."""
    if isinstance(obj, LeaderboardSpec):
        return obj
    if isinstance(obj, dict):
        tasks = obj.get("tasks")
        first = tasks[0] if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else {}
        name = obj.get("name") or first.get("task") or "unnamed"
        return parse_definition(obj, str(name), f"plugin {plugin}")
    if isinstance(obj, str | os.PathLike):
        spec = read_definition(Path(obj))
        return LeaderboardSpec(**{**spec.__dict__, "source": f"plugin {plugin} ({spec.source})"})
    raise ConfigError(f"register_leaderboards expects a dict or a path to a TOML file, got {type(obj).__name__}")


def check_names(spec: LeaderboardSpec, metrics_of: Mapping[str, Sequence[str]]) -> None:
    """Every metric a definition names must be one its task computes, with a suggestion if not.

    `metrics_of` maps each known task (installed, or with runs in the database) to its metric
    names. A task known nowhere is allowed (its plugin may simply not be installed here), unless
    its name is a near miss of a known task: then it is almost certainly a typo.
    """
    for position, board in enumerate(spec.tasks, start=1):
        where = f"leaderboard {spec.name!r} ({spec.source}): tasks entry {position}"
        known = metrics_of.get(board.task)
        if known is None:
            if hint := suggest(board.task, metrics_of, n=1, cutoff=0.85):
                raise ConfigError(f"{where}: unknown task {board.task!r}{hint}")
            continue
        named = [("metric", board.metric)] if board.metric else []
        named += [("columns", m) for m in board.columns] + [("flags", m) for m in board.flags]
        for key, metric in named:
            if metric not in known:
                raise ConfigError(
                    f"{where} ({board.task}): `{key}` names unknown metric {metric!r}{suggest(metric, known, n=1)} "
                    f"(task {board.task!r} computes {', '.join(known) or 'none'})"
                )


def definitions_dir() -> Path | None:
    """`HARNESS_LEADERBOARDS` (empty: none), else the definitions that ship in this package's `boards/`.

    They ship as package data, so an install without a checkout has the same boards as the checkout.
    """
    env = os.environ.get("HARNESS_LEADERBOARDS")
    if env is not None:
        return Path(env) if env else None
    return Path(__file__).resolve().parent / "boards"
