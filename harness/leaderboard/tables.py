"""A ranked board as flat rows: what the terminal, the dashboard and the downloads show of it.

A board's rows usually share most of their model configuration (one Monte-Carlo model at four
noise levels differs in one key of ten), so a table names the shared keys once and gives each
row only the keys that tell it apart. The flat records are one row per board row with plain
values (JSON text for the configuration), the same for `harness leaderboard --csv` and the
dashboard's download buttons.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.leaderboard.ranking import Board


def split_configs(configs: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the keys common to the configs, each config's other keys).

    A key is common when at least two configs set it and every config that sets it gives it the
    same value: a board of three seq2seq decodings and a baseline without arguments shares the
    seq2seq settings, and each row keeps only what tells it apart. A key one config alone sets
    stays with that row, so a one-row table still says how its model was configured.
    """
    values: dict[str, list[Any]] = {}
    for c in configs:
        for key, value in c.items():
            values.setdefault(key, []).append(value)
    shared = {key: found[0] for key, found in values.items() if len(found) >= 2 and all(_same(v, found[0]) for v in found[1:])}
    return shared, [{k: v for k, v in c.items() if k not in shared} for c in configs]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def rank_range(interval: Sequence[int] | None) -> str:
    """`1-4` for a row's rank interval, `2` when it is one rank, "" when the row has none."""
    if not interval or len(interval) != 2:
        return ""
    best, worst = int(interval[0]), int(interval[1])
    return str(best) if best == worst else f"{best}-{worst}"


def rank_text(rank: int, interval: Sequence[int] | None) -> str:
    """`2`, or `2 (1-4)` when the row's rank could be others (its rank interval)."""
    shown = rank_range(interval)
    return str(rank) if shown in ("", str(rank)) else f"{rank} ({shown})"


#: The columns of a board's flat records, in order; a board's extra metric columns follow `ci_high`.
RECORD_FIELDS = (
    "task",
    "dataset",
    "split",
    "metric",
    "higher_is_better",
    "rank",
    "rank_best",
    "rank_worst",
    "group",
    "model",
    "model_config",
    "value",
    "ci_low",
    "ci_high",
)
_TAIL_FIELDS = ("p_next", "significant", "seeds", "seed_sd", "flags", "train_dataset", "partial", "n_samples", "runs", "run_id")


def board_records(boards: Iterable[Board]) -> list[dict[str, Any]]:
    """One flat record per row of every board (the CSV download's rows, JSON's too)."""
    records = []
    for board in boards:
        for s in board.standings:
            data = s.as_json()
            interval = data.get("rank_interval") or [None, None]
            record: dict[str, Any] = {
                "task": board.task,
                "dataset": board.dataset,
                "split": board.split,
                "metric": board.metric,
                "higher_is_better": board.higher_is_better,
                "rank": s.rank,
                "rank_best": interval[0],
                "rank_worst": interval[1],
                "group": data.get("group"),
                "model": s.model,
                "model_config": json.dumps(s.model_config, ensure_ascii=False, sort_keys=True),
                "value": s.value,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
            }
            for name in board.columns:
                cell = s.columns.get(name)
                record[name] = cell.value if cell else None
            record.update({key: data.get(key) for key in _TAIL_FIELDS})
            record["flags"] = ";".join(s.flags)
            records.append(record)
    return records


def records_csv(records: Sequence[Mapping[str, Any]]) -> str:
    """CSV text with a header: the union of the records' keys in first-seen order."""
    import csv
    import io

    fields: dict[str, None] = {}
    for record in records:
        fields.update(dict.fromkeys(record))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields) or list(RECORD_FIELDS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()
