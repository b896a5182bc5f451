"""Ranking finished runs by a task's primary metric. Serves `harness leaderboard` (and the app)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.store import Store


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


@dataclass
class Board:
    """One ranked table: runs on different datasets or splits are never ranked together."""

    task: str
    dataset: str
    split: str
    metric: str
    higher_is_better: bool
    standings: list[Standing] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "task": self.task, "dataset": self.dataset, "split": self.split, "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "rows": [
                {**s.__dict__, "finished_at": s.finished_at.isoformat() if s.finished_at else None}
                for s in self.standings
            ],
        }


def rank(store: Store, task: str, dataset: str | None = None, split: str | None = None,
         pick: str = "best") -> list[Board]:
    """Best (or latest) finished run per model and config, ranked by the primary metric."""
    if pick not in {"best", "latest"}:
        raise ValueError(f"pick must be 'best' or 'latest', not {pick!r}")
    sql = (
        "SELECT r.run_id, r.model, r.model_config, r.dataset, r.split, r.n_samples, r.finished_at, "
        "m.metric, m.value, m.ci_low, m.ci_high, m.higher_is_better "
        "FROM runs r JOIN metrics m USING (run_id) "
        "WHERE r.task = ? AND r.status = 'finished' AND m.is_primary"
    )
    params: list[Any] = [task]
    for column, value in (("dataset", dataset), ("split", split)):
        if value is not None:
            sql += f" AND r.{column} = ?"
            params.append(value)
    rows = store.query(sql, params) if store.exists() else []
    boards: dict[tuple[str, str, str], Board] = {}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        board_key = (row["dataset"], row["split"], row["metric"])
        boards.setdefault(board_key, Board(task, *board_key, higher_is_better=row["higher_is_better"]))
        groups.setdefault((*board_key, row["model"], row["model_config"]), []).append(row)
    for (dataset_, split_, metric, model, config), candidates in groups.items():
        board = boards[(dataset_, split_, metric)]
        chosen = max(candidates, key=lambda r: _order(r, board.higher_is_better, pick))
        board.standings.append(Standing(
            rank=0, model=model, model_config=json.loads(config), run_id=chosen["run_id"], value=chosen["value"],
            ci_low=chosen["ci_low"], ci_high=chosen["ci_high"], n_samples=chosen["n_samples"],
            finished_at=chosen["finished_at"], runs=len(candidates),
        ))
    for board in boards.values():
        sign = 1 if board.higher_is_better else -1
        board.standings.sort(key=lambda s: (s.value is None, -sign * (s.value or 0.0), s.model))
        for position, standing in enumerate(board.standings, start=1):
            standing.rank = position
    return sorted(boards.values(), key=lambda b: (b.dataset, b.split, b.metric))


def _order(row: dict[str, Any], higher_is_better: bool, pick: str) -> tuple:
    if pick == "latest":
        return (row["finished_at"], row["run_id"])
    value = row["value"]
    if value is None:
        return (False, 0.0, row["finished_at"])
    return (True, value if higher_is_better else -value, row["finished_at"])
