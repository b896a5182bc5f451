"""Leaderboards: definitions (TOML files, plugin hooks, per-task defaults) and the one ranking.

`harness leaderboard` and the dashboard both call `build` / `rank`, so the terminal and the app
can never disagree about who is first. Runs on different datasets or splits are never ranked
together; each adjacent pair of rows carries a paired-bootstrap p-value over the samples the two
runs share, because a CI per row does not say whether two overlapping rows really differ.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.api import ConfigError
from harness.seeds import over_seeds, paired_over_seeds, seed_columns
from harness.store import Store

if TYPE_CHECKING:
    from harness.plugins import Registry

ALPHA = 0.05
Pick = Literal["best", "latest"]


# -- definitions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardSpec:
    """One `[[tasks]]` entry of a definition: how one task is ranked."""

    task: str
    metric: str | None = None  # None: the task's primary metric
    dataset: str | None = None
    split: str | None = None
    columns: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeaderboardSpec:
    name: str
    title: str
    description: str = ""
    kind: Literal["ranking", "overview"] = "ranking"
    pick: Pick = "best"
    tasks: tuple[BoardSpec, ...] = ()
    source: str = ""  # the file, plugin or "default" it came from: named in errors and listings

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description, "kind": self.kind,
                "pick": self.pick, "source": self.source,
                "tasks": [{f.name: getattr(t, f.name) for f in fields(t)} for t in self.tasks]}


_TOP_KEYS = {"title", "description", "kind", "pick", "tasks", "name"}
_TASK_KEYS = {f.name for f in fields(BoardSpec)}


def parse_definition(data: dict[str, Any], name: str, source: str) -> LeaderboardSpec:
    """Validate one definition; every error names the source and the offending key."""
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
            raise fail(f"tasks entry {position} needs `task = \"name\"`")
        if unknown := sorted(set(entry) - _TASK_KEYS):
            raise fail(f"tasks entry {position} ({entry['task']}): unknown key(s) {', '.join(unknown)}")
        for key in ("columns", "flags"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"tasks entry {position} ({entry['task']}): `{key}` must be a list of metric names")
        for key in ("metric", "dataset", "split"):
            if key in entry and not isinstance(entry[key], str):
                raise fail(f"tasks entry {position} ({entry['task']}): `{key}` must be a string")
        specs.append(BoardSpec(
            task=entry["task"], metric=entry.get("metric"), dataset=entry.get("dataset"), split=entry.get("split"),
            columns=tuple(entry.get("columns", ())), flags=tuple(entry.get("flags", ())),
        ))
    return LeaderboardSpec(name=data.get("name", name), title=str(data.get("title", name)),
                           description=str(data.get("description", "")), kind=kind, pick=pick,
                           tasks=tuple(specs), source=source)


def read_definition(path: Path) -> LeaderboardSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read leaderboard definition {path}: {exc}") from exc
    return parse_definition(data, path.stem, str(path))


def definitions_dir() -> Path | None:
    """`HARNESS_LEADERBOARDS`, else the `leaderboards/` folder of the source checkout, if any."""
    env = os.environ.get("HARNESS_LEADERBOARDS")
    if env is not None:
        return Path(env) if env else None
    candidate = Path(__file__).resolve().parent.parent / "leaderboards"
    return candidate if candidate.is_dir() else None


def load_definitions(registry: Registry | None = None, store: Store | None = None,
                     directory: Path | None = None) -> dict[str, LeaderboardSpec]:
    """Every leaderboard: files first, then plugin contributions, then a default per task.

    A task gets a default board (named after it, ranked by its primary metric) unless a ranking
    definition already covers it; tasks known only from the database (imported runs) count too.
    """
    from harness.plugins import get_registry

    registry = registry or get_registry()
    directory = directory if directory is not None else definitions_dir()
    specs: dict[str, LeaderboardSpec] = {}
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("*.toml")):
            spec = read_definition(path)
            specs.setdefault(spec.name, spec)
    for entry in registry.leaderboards:
        try:
            if isinstance(entry.obj, dict):
                name = entry.obj.get("name") or entry.obj.get("tasks", [{}])[0].get("task", "unnamed")
                spec = parse_definition(entry.obj, name, f"plugin {entry.plugin}")
            else:
                spec = read_definition(Path(entry.obj))
                spec = LeaderboardSpec(**{**spec.__dict__, "source": f"plugin {entry.plugin} ({spec.source})"})
        except (ConfigError, TypeError, AttributeError, IndexError) as exc:
            registry.report(entry.plugin, f"leaderboard definition: {exc}")
            continue
        specs.setdefault(spec.name, spec)
    covered = {board.task for spec in specs.values() if spec.kind == "ranking" for board in spec.tasks}
    tasks = set(registry.tasks)
    if store is not None and store.exists():
        tasks |= {row["task"] for row in store.query("SELECT DISTINCT task FROM runs")}
    for task in sorted(tasks - covered):
        if task not in specs:
            entry = registry.tasks.get(task)
            description = entry.obj.description if entry else ""
            specs[task] = LeaderboardSpec(task, task, description, tasks=(BoardSpec(task),), source="default")
    return specs


def spec_for_task(specs: dict[str, LeaderboardSpec], task: str) -> BoardSpec:
    """How `--task T` ranks: the definition named T, else the first ranking one that covers T."""
    ordered = sorted(specs.values(), key=lambda s: (s.name != task, s.name))
    for spec in ordered:
        if spec.kind == "ranking":
            for board in spec.tasks:
                if board.task == task:
                    return board
    return BoardSpec(task)


# -- ranking ----------------------------------------------------------------------------------


@dataclass
class Cell:
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass
class Standing:
    rank: int
    model: str
    model_config: dict[str, Any]
    run_id: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_samples: int | None
    finished_at: datetime | None
    runs: int
    #: What the model learnt from, when it trains: a model trained elsewhere is its own row.
    train_dataset: str | None = None
    columns: dict[str, Cell] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # against the next row down: paired bootstrap over the samples both runs share
    p_next: float | None = None
    shared_next: int | None = None
    note: str = ""
    # several seeds (harness/seeds.py): value and CI are then over seeds; seed_runs holds each
    # seed's run as {run_id, seed, value, fingerprint}
    seeds: int = 1
    seed_sd: float | None = None
    seed_runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def significant(self) -> bool | None:
        return None if self.p_next is None else self.p_next < ALPHA

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["columns"] = {k: c.__dict__ for k, c in self.columns.items()}
        data["significant"] = self.significant
        return data


@dataclass
class Board:
    """One ranked table: runs on different datasets or splits are never ranked together."""

    task: str
    dataset: str
    split: str
    metric: str
    higher_is_better: bool
    columns: tuple[str, ...] = ()
    standings: list[Standing] = field(default_factory=list)

    @property
    def shows_training(self) -> bool:
        """Whether any row trained, so tables add a "trained on" column."""
        return any(s.train_dataset for s in self.standings)

    def as_json(self) -> dict[str, Any]:
        return {
            "task": self.task, "dataset": self.dataset, "split": self.split, "metric": self.metric,
            "higher_is_better": self.higher_is_better, "columns": list(self.columns),
            "rows": [s.as_json() for s in self.standings],
        }


def rank(store: Store, task: str, dataset: str | None = None, split: str | None = None, pick: Pick = "best",
         metric: str | None = None, columns: tuple[str, ...] = (), flags: tuple[str, ...] = (),
         registry: Registry | None = None, significance: bool = True) -> list[Board]:
    """Best (or latest) finished run per model and config, ranked by `metric` (default: primary).

    Runs flagged by a `flags` metric (value > 0) rank after every unflagged run, however good
    their score: a test whose type-I error is inflated has not earned its power.
    """
    if pick not in ("best", "latest"):
        raise ConfigError(f"pick must be 'best' or 'latest', not {pick!r}")
    if not store.exists():
        return []
    metric_clause = "m.metric = ?" if metric else "m.is_primary"
    sql = (
        "SELECT r.run_id, r.model, r.model_config, r.dataset, r.split, r.n_samples, r.finished_at, r.train_dataset, "
        "r.seed, r.data_fingerprint, "
        "m.metric, m.value, m.ci_low, m.ci_high, m.higher_is_better "
        f"FROM runs r JOIN metrics m USING (run_id) WHERE r.task = ? AND r.status = 'finished' AND {metric_clause}"
    )
    params: list[Any] = [task, *([metric] if metric else [])]
    for column, value in (("dataset", dataset), ("split", split)):
        if value is not None:
            sql += f" AND r.{column} = ?"
            params.append(value)
    rows = store.query(sql, params)
    boards: dict[tuple[str, str, str], Board] = {}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        board_key = (row["dataset"], row["split"], row["metric"])
        boards.setdefault(board_key, Board(task, *board_key, higher_is_better=row["higher_is_better"], columns=columns))
        groups.setdefault((*board_key, row["model"], row["model_config"], row["train_dataset"]), []).append(row)
    for (dataset_, split_, metric_, model, config, train_dataset), candidates in groups.items():
        board = boards[(dataset_, split_, metric_)]
        def order(r: dict[str, Any], board: Board = board) -> tuple:
            return _order(r, board.higher_is_better, pick)

        chosen = max(candidates, key=order)
        standing = Standing(
            rank=0, model=model, model_config=json.loads(config), run_id=chosen["run_id"], value=chosen["value"],
            ci_low=chosen["ci_low"], ci_high=chosen["ci_high"], n_samples=chosen["n_samples"],
            finished_at=chosen["finished_at"], runs=len(candidates), train_dataset=train_dataset,
        )
        over_seeds(standing, candidates, order)
        board.standings.append(standing)
    run_ids = [r["run_id"] for b in boards.values() for s in b.standings for r in (s.seed_runs or [{"run_id": s.run_id}])]
    extra = _metric_values(store, run_ids, (*columns, *flags))
    for board in boards.values():
        for standing in board.standings:
            values = extra.get(standing.run_id, {}) if standing.seeds == 1 else {
                name: Cell(*cell) for name, cell in seed_columns(standing, extra, (*columns, *flags)).items()}
            standing.columns = {name: values.get(name, Cell(None)) for name in columns}
            standing.flags = [name for name in flags if ((values.get(name) or Cell(None)).value or 0) > 0]
        sign = 1 if board.higher_is_better else -1
        board.standings.sort(key=lambda s: (bool(s.flags), s.value is None, -sign * (s.value or 0.0), s.model,
                                            s.train_dataset or ""))
        for position, standing in enumerate(board.standings, start=1):
            standing.rank = position
        if significance:
            _mark_significance(store, board, registry)
    return sorted(boards.values(), key=lambda b: (b.dataset, b.split, b.metric))


def _order(row: dict[str, Any], higher_is_better: bool, pick: str) -> tuple:
    if pick == "latest":
        return (row["finished_at"], row["run_id"])
    value = row["value"]
    if value is None:
        return (False, 0.0, row["finished_at"])
    return (True, value if higher_is_better else -value, row["finished_at"])


def _metric_values(store: Store, run_ids: list[str], names: tuple[str, ...]) -> dict[str, dict[str, Cell]]:
    if not run_ids or not names:
        return {}
    rows = store.query(
        "SELECT run_id, metric, value, ci_low, ci_high FROM metrics "
        "WHERE list_contains(?, run_id) AND list_contains(?, metric)", [run_ids, list(names)])
    values: dict[str, dict[str, Cell]] = {}
    for row in rows:
        values.setdefault(row["run_id"], {})[row["metric"]] = Cell(row["value"], row["ci_low"], row["ci_high"])
    return values


def _mark_significance(store: Store, board: Board, registry: Registry | None) -> None:
    metric = _metric_object(board.metric, registry)
    run_ids = [r["run_id"] for s in board.standings for r in (s.seed_runs or [{"run_id": s.run_id}])]
    scores = _scores_by_sample(store, run_ids, board.metric)
    for upper, lower in zip(board.standings, board.standings[1:], strict=False):
        if upper.seeds > 1 or lower.seeds > 1:
            upper.p_next, upper.shared_next, upper.note = paired_over_seeds(metric, upper, lower, scores)
            continue
        upper.p_next, upper.shared_next, upper.note = _paired(
            metric, board.metric, scores.get(upper.run_id, {}), scores.get(lower.run_id, {}))


def paired_significance(store: Store, run_a: str, run_b: str, metric: str,
                        registry: Registry | None = None) -> tuple[float | None, int, str]:
    """(p-value, shared samples, note) for two runs on `metric`: what "vs next" shows, for any pair."""
    scores = _scores_by_sample(store, [run_a, run_b], metric)
    return _paired(_metric_object(metric, registry), metric, scores.get(run_a, {}), scores.get(run_b, {}))


def _paired(metric: Any, name: str, a: dict[str, Any], b: dict[str, Any]) -> tuple[float | None, int, str]:
    from harness.stats import paired_bootstrap_p

    shared = sorted(a.keys() & b.keys())
    if len(shared) < 2:
        return None, len(shared), "no shared samples with the next row: not comparable" if not shared else \
            "one shared sample: not comparable"
    p = paired_bootstrap_p(metric, [a[k] for k in shared], [b[k] for k in shared], seed=0)
    if p is None:
        return None, len(shared), f"metric {name!r} is not installed here and its scores are not plain numbers"
    note = f"compared on the {len(shared)} shared samples" if len(shared) < max(len(a), len(b)) else ""
    return p, len(shared), note


def _metric_object(name: str, registry: Registry | None) -> Any:
    from harness.plugins import get_registry

    entry = (registry or get_registry()).metrics.get(name)
    return entry.obj() if entry else None


def _scores_by_sample(store: Store, run_ids: list[str], metric: str) -> dict[str, dict[str, Any]]:
    if not run_ids:
        return {}
    rows = store.query(
        "SELECT run_id, sample_id, json_extract(scores, ?) AS score FROM samples WHERE list_contains(?, run_id)",
        [f'$."{metric}"', run_ids])
    scores: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["score"] is not None:
            scores.setdefault(row["run_id"], {})[row["sample_id"]] = json.loads(row["score"])
    return scores


# -- whole leaderboards ---------------------------------------------------------------------------


@dataclass
class OverviewRow:
    task: str
    dataset: str | None
    split: str | None
    metric: str | None
    higher_is_better: bool | None
    best_model: str | None
    model_config: dict[str, Any] | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    run_id: str | None
    runs: int
    models: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Leaderboard:
    spec: LeaderboardSpec
    boards: list[Board] = field(default_factory=list)
    overview: list[OverviewRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.spec.as_json(), "boards": [b.as_json() for b in self.boards],
                "overview": [r.as_json() for r in self.overview]}


def build(store: Store, spec: LeaderboardSpec, registry: Registry | None = None, pick: Pick | None = None,
          significance: bool = True, definitions: dict[str, LeaderboardSpec] | None = None) -> Leaderboard:
    """Rank every task of a definition (ranking), or summarise each task in one row (overview).

    An overview row picks its best model the way the task's own leaderboard ranks it (metric,
    flags, filters from `definitions`) unless the overview entry says otherwise, so a flagged
    run is never shown as a task's best.
    """
    pick = pick or spec.pick
    result = Leaderboard(spec)
    for entry in spec.tasks:
        if spec.kind == "overview" and definitions:
            own = spec_for_task(definitions, entry.task)
            entry = BoardSpec(entry.task, entry.metric or own.metric, entry.dataset or own.dataset,
                              entry.split or own.split, entry.columns, entry.flags or own.flags)
        boards = rank(store, entry.task, entry.dataset, entry.split, pick, entry.metric, entry.columns, entry.flags,
                      registry, significance=significance and spec.kind == "ranking")
        if spec.kind == "ranking":
            result.boards.extend(boards)
            continue
        counts = _run_counts(store, entry.task)
        if not boards:
            result.overview.append(OverviewRow(entry.task, None, None, entry.metric, None, None, None, None, None,
                                               None, None, 0, 0))
        for board in boards:
            best = next((s for s in board.standings if not s.flags), board.standings[0])
            runs, models = counts.get((board.dataset, board.split), (0, 0))
            result.overview.append(OverviewRow(
                entry.task, board.dataset, board.split, board.metric, board.higher_is_better, best.model,
                best.model_config, best.value, best.ci_low, best.ci_high, best.run_id, runs, models))
    return result


def _run_counts(store: Store, task: str) -> dict[tuple[str, str], tuple[int, int]]:
    if not store.exists():
        return {}
    rows = store.query("SELECT dataset, split, count(*) AS runs, count(DISTINCT model) AS models FROM runs "
                       "WHERE task = ? AND status = 'finished' GROUP BY ALL", [task])
    return {(r["dataset"], r["split"]): (r["runs"], r["models"]) for r in rows}
