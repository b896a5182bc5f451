"""Leaderboards: definitions (TOML files, plugin hooks, per-task defaults) and the one ranking.

`harness leaderboard` and the dashboard both call `build` / `rank`, so the terminal and the app
can never disagree about who is first. Runs on different datasets or splits are never ranked
together; each adjacent pair of rows carries a paired-bootstrap p-value over the samples the two
runs share, because a CI per row does not say whether two overlapping rows really differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.api import ConfigError
from harness.leaderboard.definitions import (
    BoardSpec,
    LeaderboardSpec,
    Pick,
    check_names,
    definitions_dir,
    parse_definition,
    plugin_definition,
    read_definition,
)
from harness.leaderboard.seeds import over_seeds, paired_over_seeds, seed_columns
from harness.leaderboard.ties import POWER, Separation
from harness.leaderboard.versions import rescore_command, split_stale
from harness.store import Store, StoreError

if TYPE_CHECKING:
    from harness.plugins.registry import Registry

__all__ = [
    "BoardSpec",
    "LeaderboardSpec",
    "build",
    "load_definitions",
    "paired_significance",
    "parse_definition",
    "rank",
    "read_definition",
    "spec_for_task",
]

ALPHA = 0.05  # the significance level of "vs next" (* and `significant`), wherever a board is shown


def load_definitions(registry: Registry, store: Store | None = None, directory: Path | None = None) -> dict[str, LeaderboardSpec]:
    """Every leaderboard: files first, then plugin contributions, then one per remaining task.

    A task no ranking definition covers gets a board named after it: the definition stored with
    its runs when there is one (so a database viewed where the task's plugin is not installed
    ranks as it did where the runs were made), else its primary metric. File definitions are
    validated against the metrics each task computes: a misspelt name is an error naming the
    file and key, never an empty board.
    """
    directory = directory if directory is not None else definitions_dir()
    stored = _stored_definitions(store)
    specs: dict[str, LeaderboardSpec] = {}
    if directory is not None and directory.is_dir():
        metrics_of = _metrics_of(registry, store)
        for path in sorted(directory.glob("*.toml")):
            spec = read_definition(path)
            check_names(spec, metrics_of)
            specs.setdefault(spec.name, spec)
    for entry in registry.leaderboards:  # validated when the plugins loaded (harness.plugins.registry)
        try:
            spec = plugin_definition(entry.obj, entry.plugin)
        except ConfigError as exc:
            registry.report(entry.plugin, f"leaderboard definition: {exc}")
            continue
        specs.setdefault(spec.name, spec)
    covered = {board.task for spec in specs.values() if spec.kind == "ranking" for board in spec.tasks}
    tasks = set(registry.tasks) | set(stored)
    if store is not None and store.exists():
        tasks |= set(store.distinct_values("task"))
    for task in sorted(tasks - covered):
        if task in specs:
            continue
        installed = registry.tasks.get(task)
        if installed is None and task in stored:
            specs[task] = stored[task]
            continue
        description = installed.obj.description if installed else ""
        specs[task] = LeaderboardSpec(task, task, description, tasks=(BoardSpec(task),), source="default")
    return specs


def _metrics_of(registry: Registry, store: Store | None) -> dict[str, list[str]]:
    """Each known task's metric names: installed tasks', plus those recorded for runs in the database."""
    known = {name: list(entry.obj.metrics) for name, entry in registry.tasks.items()}
    if store is not None and store.exists():
        for row in store.task_metrics():
            names = known.setdefault(row["task"], [])
            if row["metric"] not in names:
                names.append(row["metric"])
    return known


def _stored_definitions(store: Store | None) -> dict[str, LeaderboardSpec]:
    """The board each task's latest finished run was ranked by where it ran (schema 3, `runs.board`)."""
    if store is None or not store.exists():
        return {}
    try:
        rows = store.stored_boards()
    except StoreError:
        return {}
    specs = {}
    for row in rows:
        data = json.loads(row["board"])
        board = BoardSpec(
            task=row["task"],
            metric=data.get("metric"),
            dataset=data.get("dataset"),
            split=data.get("split"),
            columns=tuple(data.get("columns") or ()),
            flags=tuple(data.get("flags") or ()),
        )
        specs[row["task"]] = LeaderboardSpec(
            row["task"],
            data.get("title") or row["task"],
            data.get("description") or "",
            tasks=(board,),
            source=f"stored with the runs (from {data.get('source') or 'plugin ' + row['plugin']})",
        )
    return specs


def resolved_board(registry: Registry, task: str) -> dict[str, Any]:
    """How `task` is ranked on this machine, as stored with each of its runs (`runs.board`)."""
    specs = load_definitions(registry)
    board = spec_for_task(specs, task)
    owner = next(
        (s for s in sorted(specs.values(), key=lambda s: (s.name != task, s.name)) if s.kind == "ranking" and board in s.tasks),
        None,
    )
    entry = registry.tasks.get(task)
    data = board.as_json()
    data.update(
        {
            "definition": owner.name if owner else task,
            "source": owner.source if owner else "default",
            "title": owner.title if owner and owner.name == task else task,
            "description": owner.description if owner and owner.name == task else (entry.obj.description if entry else ""),
        }
    )
    return data


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
    partial: bool = False  # a --limit run that stopped short of the split: shown only with include_partial
    sample_limit: int | None = None
    columns: dict[str, Cell] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # against the next row down: paired bootstrap over the samples both runs share
    p_next: float | None = None
    shared_next: int | None = None
    note: str = ""
    # several seeds (harness/leaderboard/seeds.py): value and CI are then over seeds; seed_runs holds each
    # seed's run as {run_id, seed, value, fingerprint}
    seeds: int = 1
    seed_sd: float | None = None
    seed_runs: list[dict[str, Any]] = field(default_factory=list)
    # which rows can be told apart (harness/leaderboard/ties.py): None on partial rows and rows
    # without a value, and when the board's scores cannot be resampled here
    group: int | None = None
    rank_interval: tuple[int, int] | None = None
    p_leader: float | None = None  # Holm-adjusted p against the group leader this row was compared with

    @property
    def significant(self) -> bool | None:
        return None if self.p_next is None else self.p_next < ALPHA

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["columns"] = {k: c.__dict__ for k, c in self.columns.items()}
        data["significant"] = self.significant
        data["rank_interval"] = list(self.rank_interval) if self.rank_interval else None
        return data


@dataclass
class Board:
    """One ranked table: runs on different datasets or splits are never ranked together, nor runs
    on different data under one dataset name (two `--data-dir` folders in the same format)."""

    task: str
    dataset: str
    split: str
    metric: str
    higher_is_better: bool
    columns: tuple[str, ...] = ()
    standings: list[Standing] = field(default_factory=list)
    #: The data fingerprint of the board's runs, set only when runs on other data share its dataset
    #: name (then `title` tells the boards apart); None otherwise.
    fingerprint: str | None = None
    #: The smallest difference of the primary metric between neighbours that the board could detect
    #: at ALPHA with 80% power, and the multiple-comparison correction behind `group` (ties.py).
    mde: float | None = None
    correction: str | None = None
    #: The joint resamples behind `group` and `rank_interval`, and which rows they cover (by position).
    separation: Separation | None = field(default=None, repr=False)
    compared: list[int] = field(default_factory=list, repr=False)

    def pairwise_p(self) -> list[list[float | None]] | None:
        """Holm-adjusted p-values of every pair of rows, in row order (None: no test for that pair).

        Computed when asked (the dashboard's pairwise page, `--json`): B x R^2 / 2 comparisons."""
        if self.separation is None:
            return None
        n = len(self.standings)
        full = np.full((n + 1, n + 1), np.nan)  # the last row and column stand for rows not compared
        full[: len(self.compared), : len(self.compared)] = self.separation.p_holm()
        where = dict(zip(self.compared, range(len(self.compared)), strict=True))
        positions = [where.get(i, len(self.compared)) for i in range(n)]
        matrix = full[np.ix_(positions, positions)].tolist()
        return [[None if p != p else p for p in row] for row in matrix]

    #: Runs whose value of `metric` an older version of it computed: listed apart, never ranked.
    stale: list[dict[str, Any]] = field(default_factory=list)

    @property
    def data(self) -> str:
        """`dataset/split`, with the start of the data fingerprint when another board shares both."""
        return f"{self.dataset}/{self.split}" + (f" (data {self.fingerprint[:8]})" if self.fingerprint else "")

    @property
    def shows_training(self) -> bool:
        """Whether any row trained, so tables add a "trained on" column."""
        return any(s.train_dataset for s in self.standings)

    def as_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "dataset": self.dataset,
            "split": self.split,
            "data_fingerprint": self.fingerprint,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "columns": list(self.columns),
            "alpha": ALPHA,
            "correction": self.correction,
            "mde": self.mde,
            "mde_power": POWER,
            "rows": [s.as_json() for s in self.standings],
            "pairwise_p": self.pairwise_p(),
            "stale": self.stale,
        }


def rank(
    store: Store,
    task: str,
    dataset: str | None = None,
    split: str | None = None,
    pick: Pick = "best",
    metric: str | None = None,
    columns: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    *,
    registry: Registry,
    significance: bool = True,
    include_partial: bool = False,
    groups: bool | None = None,
) -> list[Board]:
    """Best (or latest) finished run per model and config, ranked by `metric` (default: primary).

    Only runs over the whole split are ranked: a `--limit` run that stopped short is a smoke
    test, not a result. With `include_partial` such runs appear too, as rows of their own
    (marked `partial`, with their sample count) below every complete row. Runs flagged by a
    `flags` metric (value > 0) rank after every unflagged run, however good their score: a test
    whose type-I error is inflated has not earned its power.

    `significance` adds "vs next"; `groups` (default: as `significance`) adds tie groups, rank
    intervals, the pairwise matrix and the minimum detectable effect.
    """
    if pick not in ("best", "latest"):
        raise ConfigError(f"pick must be 'best' or 'latest', not {pick!r}")
    if not store.exists():
        return []
    with store.reading():  # one connection for the standings, extra columns and paired tests
        return _rank(
            store,
            task,
            dataset,
            split,
            pick,
            metric,
            columns,
            flags,
            registry,
            significance,
            include_partial,
            significance if groups is None else groups,
        )


def _rank(
    store: Store,
    task: str,
    dataset: str | None,
    split: str | None,
    pick: Pick,
    metric: str | None,
    columns: tuple[str, ...],
    flags: tuple[str, ...],
    registry: Registry,
    significance: bool,
    include_partial: bool,
    groups_wanted: bool,
) -> list[Board]:
    rows = store.finished_runs_for_board(task, metric, dataset, split, include_partial)
    data = _data_of_rows(rows)
    rows, stale = split_stale(rows, registry)  # a metric ranks only over values of its current version
    boards: dict[tuple[str, str, str, str | None], Board] = {}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        board_key = (row["dataset"], row["split"], row["metric"], data[row["run_id"]])
        boards.setdefault(
            board_key,
            Board(task, *board_key[:3], higher_is_better=row["higher_is_better"], columns=columns, fingerprint=board_key[3]),
        )
        groups.setdefault((board_key, row["model"], row["model_config"], row["train_dataset"], row["partial"]), []).append(row)
    for (board_key, model, config, train_dataset, partial), candidates in groups.items():
        board = boards[board_key]

        def order(r: dict[str, Any], board: Board = board) -> tuple:
            return _order(r, board.higher_is_better, pick)

        chosen = max(candidates, key=order)
        standing = Standing(
            rank=0,
            model=model,
            model_config=json.loads(config),
            run_id=chosen["run_id"],
            value=chosen["value"],
            ci_low=chosen["ci_low"],
            ci_high=chosen["ci_high"],
            n_samples=chosen["n_samples"],
            finished_at=chosen["finished_at"],
            runs=len(candidates),
            train_dataset=train_dataset,
            partial=bool(partial),
            sample_limit=chosen["sample_limit"],
        )
        over_seeds(standing, candidates, order)
        board.standings.append(standing)
    for row in stale:
        board_key = (row["dataset"], row["split"], row["metric"], data[row["run_id"]])
        boards.setdefault(
            board_key,
            Board(task, *board_key[:3], higher_is_better=row["higher_is_better"], columns=columns, fingerprint=board_key[3]),
        ).stale.append(_stale_row(row))
    run_ids = [r["run_id"] for b in boards.values() for s in b.standings for r in (s.seed_runs or [{"run_id": s.run_id}])]
    extra = _metric_values(store, run_ids, (*columns, *flags))
    bounds = {name: _bounds(name, registry) for name in (*columns, *flags)}
    for board in boards.values():
        _seed_intervals(store, board, registry)
        for standing in board.standings:
            values = (
                extra.get(standing.run_id, {})
                if standing.seeds == 1
                else {name: Cell(*cell) for name, cell in seed_columns(standing, extra, (*columns, *flags), bounds).items()}
            )
            standing.columns = {name: values.get(name, Cell(None)) for name in columns}
            standing.flags = [name for name in flags if ((values.get(name) or Cell(None)).value or 0) > 0]
        sign = 1 if board.higher_is_better else -1
        board.standings.sort(
            key=lambda s: (
                s.partial,
                bool(s.flags),
                s.value is None,
                -sign * (s.value or 0.0),
                s.model,
                s.train_dataset or "",
                json.dumps(s.model_config, sort_keys=True),
            )
        )
        for position, standing in enumerate(board.standings, start=1):
            standing.rank = position
        if significance or groups_wanted:
            _mark_significance(store, board, registry, significance, groups_wanted)
    return sorted(boards.values(), key=lambda b: (b.dataset, b.split, b.metric, b.fingerprint or ""))


def _stale_row(row: dict[str, Any]) -> dict[str, Any]:
    """A run whose value of the board's metric an older version computed: shown, never ranked."""
    return {
        "run_id": row["run_id"],
        "model": row["model"],
        "model_config": json.loads(row["model_config"]),
        "value": row["value"],
        "version": row["version"],
        "current_version": row["current_version"],
        "rescore": rescore_command(row["run_id"]),
    }


def _data_of_rows(rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Which data each run's board is for: None (the common case: one set of data per dataset name
    and split), or the data fingerprint when complete runs under one name differ in content (two
    real folders in the same format). A partial run's fingerprint covers only its first samples,
    so it joins the board of its name when there is one, else a board of its own."""
    complete: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if not row["partial"]:
            complete.setdefault((row["dataset"], row["split"]), set()).add(row["data_fingerprint"])
    data: dict[str, str | None] = {}
    for row in rows:
        prints = complete.get((row["dataset"], row["split"]), set())
        if len(prints) <= 1:
            data[row["run_id"]] = None
        elif row["partial"]:
            data[row["run_id"]] = "partial"
        else:
            data[row["run_id"]] = row["data_fingerprint"]
    return data


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
    rows = store.metric_values(run_ids, names)
    values: dict[str, dict[str, Cell]] = {}
    for row in rows:
        values.setdefault(row["run_id"], {})[row["metric"]] = Cell(row["value"], row["ci_low"], row["ci_high"])
    return values


def _mark_significance(store: Store, board: Board, registry: Registry, significance: bool = True, groups: bool = True) -> None:
    metric = _metric_object(board.metric, registry)
    run_ids = [r["run_id"] for s in board.standings for r in (s.seed_runs or [{"run_id": s.run_id}])]
    numeric = _numeric_scores(store, run_ids, board.metric) if metric is None or metric.is_mean else None
    if significance:
        # a complete row is never tested against a partial one (other samples; the partial rows come last)
        adjacent = [
            (upper, lower)
            for upper, lower in zip(board.standings, board.standings[1:], strict=False)
            if upper.partial == lower.partial
        ]
        single = [(upper, lower) for upper, lower in adjacent if upper.seeds == 1 and lower.seeds == 1]
        pairs = [(upper.run_id, lower.run_id) for upper, lower in single]
        results = paired_tests(store, pairs, board.metric, registry, numeric=numeric)
        for (upper, _), (p, shared, note) in zip(single, results, strict=True):
            upper.p_next, upper.shared_next, upper.note = p, shared, note
        seeded = [(upper, lower) for upper, lower in adjacent if upper.seeds > 1 or lower.seeds > 1]
        if seeded:  # rows over several seeds: resampled over seeds and samples (harness.leaderboard.seeds)
            seeded_ids = [r["run_id"] for pair in seeded for s in pair for r in (s.seed_runs or [{"run_id": s.run_id}])]
            scores = scores_by_sample(store, seeded_ids, board.metric)
            for upper, lower in seeded:
                upper.p_next, upper.shared_next, upper.note = paired_over_seeds(metric, upper, lower, scores)
    if groups:
        _mark_groups(store, board, metric, numeric)


def _mark_groups(store: Store, board: Board, metric: Any, numeric: dict[str, tuple[np.ndarray, np.ndarray]] | None) -> None:
    """Tie groups, rank intervals, the pairwise matrix and the MDE of the board's complete rows."""
    from harness.leaderboard.ties import observed_values, resample_rows, separate

    ranked = [s for s in board.standings if not s.partial and s.value is not None]
    if not ranked:
        return
    run_ids = [r["run_id"] for s in ranked for r in (s.seed_runs or [{"run_id": s.run_id}])]
    read = _seed_scores(store, run_ids, board.metric, metric, numeric)
    if read is None:
        return
    scores, aggregate = read
    rows = [[scores[r["run_id"]] for r in (s.seed_runs or [{"run_id": s.run_id}]) if r["run_id"] in scores] for s in ranked]
    ranked = [s for s, row in zip(ranked, rows, strict=True) if row]
    rows = [row for row in rows if row]
    if not ranked:
        return
    resampled = resample_rows(rows, aggregate)
    found = separate(observed_values(rows, aggregate), resampled, board.higher_is_better, ALPHA, [bool(s.flags) for s in ranked])
    for standing, group, interval, p in zip(ranked, found.groups, found.rank_intervals, found.p_leader, strict=True):
        standing.group, standing.rank_interval, standing.p_leader = group, interval, p
    board.mde, board.correction = found.mde, found.correction
    where = {id(s): i for i, s in enumerate(board.standings)}
    board.separation, board.compared = found, [where[id(s)] for s in ranked]


def _seed_scores(
    store: Store,
    run_ids: list[str],
    name: str,
    metric: Any,
    numeric: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[dict[str, Any], Any] | None:
    """Each run's (sample codes, statistics) for resampling, and the aggregate to use (None: the mean).

    None when the scores cannot be aggregated here (no installed metric and not plain numbers).
    """
    if metric is None or metric.is_mean:
        wanted = set(run_ids)
        if numeric is None or not wanted <= set(numeric):
            numeric = _numeric_scores(store, run_ids, name)
        if numeric is not None:
            return {run_id: (codes, {"value": values}) for run_id, (codes, values) in numeric.items() if run_id in wanted}, None
        if metric is None:
            return None
    from harness.stats import stats_arrays

    scores = scores_by_sample(store, run_ids, name)
    ids = sorted({sample for by_sample in scores.values() for sample in by_sample})
    code = {sample: i for i, sample in enumerate(ids)}
    result = {}
    for run_id, by_sample in scores.items():
        keys = sorted(by_sample, key=code.__getitem__)
        stats = stats_arrays([by_sample[k] for k in keys])
        if metric is None and set(stats) != {"value"}:
            return None
        result[run_id] = (np.array([code[k] for k in keys], dtype=np.int64), stats)
    return result, (None if metric is None or metric.is_mean else metric.aggregate)


def _seed_intervals(store: Store, board: Board, registry: Registry) -> None:
    """Several-seed rows: the CI of the two-level bootstrap over samples and seeds, inside the metric's range.

    Where the scores cannot be resampled here, or the seeds were evaluated on different test data,
    the t interval of `summarise_seeds` stays, cut to the metric's declared range.
    """
    seeded = [s for s in board.standings if s.seeds > 1 and s.value is not None]
    if not seeded:
        return
    from harness.leaderboard.ties import clip, seed_interval

    metric = _metric_object(board.metric, registry)
    bounds = _bounds(board.metric, registry)
    read = _seed_scores(store, [r["run_id"] for s in seeded for r in s.seed_runs], board.metric, metric)
    for standing in seeded:
        seeds = [read[0][r["run_id"]] for r in standing.seed_runs if r["run_id"] in read[0]] if read else []
        one_test_set = len({r["fingerprint"] for r in standing.seed_runs}) == 1  # else samples do not pair across seeds
        if len(seeds) == standing.seeds and one_test_set:
            standing.ci_low, standing.ci_high = seed_interval(seeds, read[1] if read else None)
        standing.ci_low, standing.ci_high = clip(standing.ci_low, standing.ci_high, bounds)


def _bounds(name: str, registry: Registry) -> tuple[float | None, float | None]:
    """The range a metric declares (`Metric.bounds`); open where its plugin is not installed here."""
    entry = registry.metrics.get(name)
    if entry is None:
        return (None, None)
    low, high = getattr(entry.obj, "bounds", (None, None))
    return (low, high)


def paired_significance(store: Store, run_a: str, run_b: str, metric: str, registry: Registry) -> tuple[float | None, int, str]:
    """(p-value, shared samples, note) for two runs on `metric`: what "vs next" shows, for any pair."""
    return paired_tests(store, [(run_a, run_b)], metric, registry)[0]


def paired_tests(
    store: Store,
    pairs: list[tuple[str, str]],
    metric: str,
    registry: Registry,
    numeric: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[tuple[float | None, int, str]]:
    """(p-value, shared samples, note) for each pair of runs, over the samples both share.

    Mean-aggregated metrics with plain numeric scores (the common case) are read as one numeric
    column and every pair is tested in one vectorised pass (`harness.stats.paired_mean_p`), with
    exactly the p-values a pair-by-pair test gives; other metrics go pair by pair. `numeric`: those
    columns already read (by the caller, for more runs).
    """
    if not pairs:
        return []
    metric_obj = _metric_object(metric, registry)
    run_ids = list(dict.fromkeys(r for pair in pairs for r in pair))
    if numeric is None and (metric_obj is None or metric_obj.is_mean):
        numeric = _numeric_scores(store, run_ids, metric)
    if numeric is None:
        scores = scores_by_sample(store, run_ids, metric)
        return [paired_p(metric_obj, metric, scores.get(a, {}), scores.get(b, {})) for a, b in pairs]
    from harness.stats import paired_mean_p

    empty = (np.array([], dtype=np.int64), np.array([], dtype=float))
    results: list[tuple[float | None, int, str] | None] = [None] * len(pairs)
    by_size: dict[int, list[tuple[int, np.ndarray]]] = {}
    for position, (a, b) in enumerate(pairs):
        (codes_a, values_a), (codes_b, values_b) = numeric.get(a, empty), numeric.get(b, empty)
        _, in_a, in_b = np.intersect1d(codes_a, codes_b, assume_unique=True, return_indices=True)
        shared = len(in_a)
        if shared < 2:
            results[position] = (None, shared, _NOT_SHARED if not shared else _ONE_SHARED)
            continue
        by_size.setdefault(shared, []).append((position, values_a[in_a] - values_b[in_b]))
        note = f"compared on the {shared} shared samples" if shared < max(len(codes_a), len(codes_b)) else ""
        results[position] = (None, shared, note)
    for _size, members in by_size.items():
        p_values = paired_mean_p(np.stack([diff for _, diff in members]), seed=0)
        for (position, _), p in zip(members, p_values, strict=True):
            _, shared, note = results[position] or (None, 0, "")
            results[position] = (p, shared, note)
    return results  # type: ignore[return-value]


_NOT_SHARED = "no shared samples with the next row: not comparable"
_ONE_SHARED = "one shared sample: not comparable"


def paired_p(metric: Any, name: str, a: dict[str, Any], b: dict[str, Any]) -> tuple[float | None, int, str]:
    from harness.stats import paired_bootstrap_p

    shared = sorted(a.keys() & b.keys())
    if len(shared) < 2:
        return None, len(shared), _NOT_SHARED if not shared else _ONE_SHARED
    p = paired_bootstrap_p(metric, [a[k] for k in shared], [b[k] for k in shared], seed=0)
    if p is None:
        return None, len(shared), f"metric {name!r} is not installed here and its scores are not plain numbers"
    note = f"compared on the {len(shared)} shared samples" if len(shared) < max(len(a), len(b)) else ""
    return p, len(shared), note


def _metric_object(name: str, registry: Registry) -> Any:
    entry = registry.metrics.get(name)
    return entry.obj() if entry else None


def _numeric_scores(store: Store, run_ids: list[str], metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Each run's (sample codes, scores) in sample-id order, or None when a score is not a plain number.

    Sample ids become integer codes (their rank among all ids read), so pairing two runs is an
    integer intersection; a missing or null score (not applicable) is left out.
    """
    columns = store.metric_score_columns(run_ids, metric)
    if columns is None:  # no tables yet
        return {}
    # a score that is present but no number (an object of statistics, a string) sends the caller
    # to the general path
    if np.any(np.ma.filled(columns["odd"], False)):
        return None
    values: np.ndarray = np.ma.filled(np.ma.asarray(columns["value"], dtype=float), np.nan)
    runs = np.asarray(columns["run"], dtype=np.int64)
    codes = np.asarray(columns["code"], dtype=np.int64)
    order = np.lexsort((codes, runs))  # by run, then sample id: sorting integers here beats SQL's sort
    keep = order[~np.isnan(values[order])]
    runs, codes, values = runs[keep], codes[keep], values[keep]
    bounds = np.searchsorted(runs, np.arange(len(run_ids) + 1))
    return {
        run_id: (codes[bounds[i] : bounds[i + 1]], values[bounds[i] : bounds[i + 1]])
        for i, run_id in enumerate(run_ids)
        if bounds[i + 1] > bounds[i]
    }


def scores_by_sample(store: Store, run_ids: list[str], metric: str) -> dict[str, dict[str, Any]]:
    if not run_ids:
        return {}
    rows = store.metric_scores(run_ids, metric)
    scores: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["score"] is not None:
            value = json.loads(row["score"])
            if value is not None:  # null: the metric does not apply to this sample
                scores.setdefault(row["run_id"], {})[row["sample_id"]] = value
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
    #: The best row's tie group: every model+config that cannot be told apart from it, best first,
    #: as {model, model_config, value, run_id} (the best row alone when nothing ties it).
    best_group: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Leaderboard:
    spec: LeaderboardSpec
    boards: list[Board] = field(default_factory=list)
    overview: list[OverviewRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.spec.as_json(),
            "boards": [b.as_json() for b in self.boards],
            "overview": [r.as_json() for r in self.overview],
        }


def build(
    store: Store,
    spec: LeaderboardSpec,
    registry: Registry,
    pick: Pick | None = None,
    significance: bool = True,
    definitions: dict[str, LeaderboardSpec] | None = None,
    include_partial: bool = False,
) -> Leaderboard:
    """Rank every task of a definition (ranking), or summarise each task in one row (overview).

    An overview row picks its best model the way the task's own leaderboard ranks it (metric,
    flags, filters from `definitions`) unless the overview entry says otherwise, so a flagged
    run is never shown as a task's best.
    """
    pick = pick or spec.pick
    include_partial = include_partial and spec.kind == "ranking"  # an overview's best is never a smoke test
    result = Leaderboard(spec)
    for entry in spec.tasks:
        if spec.kind == "overview" and definitions:
            own = spec_for_task(definitions, entry.task)
            entry = BoardSpec(
                entry.task,
                entry.metric or own.metric,
                entry.dataset or own.dataset,
                entry.split or own.split,
                entry.columns,
                entry.flags or own.flags,
            )
        boards = rank(
            store,
            entry.task,
            entry.dataset,
            entry.split,
            pick,
            entry.metric,
            entry.columns,
            entry.flags,
            registry=registry,
            significance=significance and spec.kind == "ranking",
            include_partial=include_partial,
            groups=significance,
        )
        if spec.kind == "ranking":
            result.boards.extend(boards)
            continue
        counts = _run_counts(store, entry.task)
        boards = [b for b in boards if b.standings]  # a board of stale rows only has no best yet
        if not boards:  # no runs yet: still say what the task is ranked by, and which way
            metric, higher = _ranked_by(registry, entry.task, entry.metric)
            result.overview.append(OverviewRow(entry.task, None, None, metric, higher, None, None, None, None, None, None, 0, 0))
        for board in boards:
            best = next((s for s in board.standings if not s.flags), board.standings[0])
            tied = [s for s in board.standings if s is best or (s.group is not None and s.group == best.group and not s.flags)]
            runs, models = counts.get((board.dataset, board.split, board.fingerprint), (0, 0))
            result.overview.append(
                OverviewRow(
                    entry.task,
                    board.dataset,
                    board.split,
                    board.metric,
                    board.higher_is_better,
                    best.model,
                    best.model_config,
                    best.value,
                    best.ci_low,
                    best.ci_high,
                    best.run_id,
                    runs,
                    models,
                    [{"model": s.model, "model_config": s.model_config, "value": s.value, "run_id": s.run_id} for s in tied],
                )
            )
    return result


def _ranked_by(registry: Registry, task: str, metric: str | None) -> tuple[str | None, bool | None]:
    """The metric a task is ranked by (the definition's, else the installed task's primary) and its direction."""
    installed = registry.tasks.get(task)
    name = metric or (installed.obj.primary_metric if installed else None)
    entry = registry.metrics.get(name) if name else None
    return name, (entry.obj.higher_is_better if entry else None)


def _run_counts(store: Store, task: str) -> dict[tuple[str, str, str | None], tuple[int, int]]:
    """Finished complete runs and models per (dataset, split, fingerprint as the boards key it)."""
    if not store.exists():
        return {}
    rows = store.complete_run_counts(task)
    prints: dict[tuple[str, str], int] = {}
    for r in rows:
        prints[(r["dataset"], r["split"])] = prints.get((r["dataset"], r["split"]), 0) + 1
    return {
        (r["dataset"], r["split"], r["data_fingerprint"] if prints[(r["dataset"], r["split"])] > 1 else None): (
            r["runs"],
            len(r["models"]),
        )
        for r in rows
    }
