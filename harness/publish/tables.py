"""A board's rows as a published page and a CSV file show them, read from the board's JSON (the
shape `harness leaderboard --json` prints), so a key the ranking adds later (tie groups, rank
intervals, detectable effects) appears on the site without a change here."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from harness.publish.content import run_page
from harness.views import ci, config, fmt

#: Row keys drawn by a column of their own below; every other key of a row becomes a column as it is.
KNOWN_ROW_KEYS = {
    "rank",
    "model",
    "model_config",
    "run_id",
    "value",
    "ci_low",
    "ci_high",
    "n_samples",
    "finished_at",
    "runs",
    "train_dataset",
    "partial",
    "sample_limit",
    "columns",
    "flags",
    "p_next",
    "shared_next",
    "note",
    "seeds",
    "seed_sd",
    "seed_runs",
    "significant",
}
#: Board keys shown in the page's heading; any other key is listed under it as it is.
KNOWN_BOARD_KEYS = {
    "leaderboard",
    "leaderboard_title",
    "task",
    "dataset",
    "split",
    "data_fingerprint",
    "metric",
    "higher_is_better",
    "columns",
    "rows",
}


@dataclass
class Cell:
    text: str
    href: str | None = None  # site-relative: the template prefixes the page's way back to the root
    hint: str = ""
    number: float | None = None  # the exact value, for scripts and tests (data-value)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)


def label(key: str) -> str:
    return key.replace("_", " ")


def generic(value: Any) -> str:
    """Any JSON value as one short cell: numbers to significant digits, pairs as intervals."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return fmt(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) or v is None for v in value):
        low, high = value
        if all(isinstance(v, int) for v in value):
            return f"{low}–{high}"
        return ci(low, high)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(generic(v) for v in value) or "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def p_value(row: dict[str, Any]) -> str:
    p = row.get("p_next")
    if p is None:
        return "n/a" if row.get("note") else "—"
    return f"p={p:.3g}{' *' if row.get('significant') else ''}"


def board_table(board: dict[str, Any], run_pages: set[str]) -> Table:
    """The columns `harness leaderboard` prints, then any other key the rows carry."""
    rows = board.get("rows") or []
    seeded = any((r.get("seeds") or 1) > 1 for r in rows)
    trained = any(r.get("train_dataset") for r in rows)
    extra_columns = list(board.get("columns") or [])
    other_keys = list(dict.fromkeys(k for r in rows for k in r if k not in KNOWN_ROW_KEYS))
    headers = [
        "rank",
        "model",
        str(board.get("metric", "value")),
        "95% CI",
        *(["seeds", "seed sd"] if seeded else []),
        "vs next",
        *(label(k) for k in other_keys),
        *extra_columns,
        "config",
        *(["trained on"] if trained else []),
        "samples",
        "runs",
        "run",
    ]
    table = Table(headers)
    for r in rows:
        model = str(r.get("model", ""))
        if r.get("flags"):
            model += f" ⚑ {', '.join(r['flags'])}"
        if r.get("partial"):
            model += f" (partial: {r.get('n_samples')} samples)"
        run_id = str(r.get("run_id", ""))
        cells = [
            Cell(str(r.get("rank", "")), number=r.get("rank")),
            Cell(model),
            Cell(fmt(r.get("value")), number=r.get("value")),
            Cell(ci(r.get("ci_low"), r.get("ci_high"))),
            *([Cell(str(r.get("seeds", 1))), Cell(fmt(r.get("seed_sd")))] if seeded else []),
            Cell(p_value(r), hint=str(r.get("note") or ""), number=r.get("p_next")),
            *(Cell(generic(r.get(k))) for k in other_keys),
            *(_column_cell((r.get("columns") or {}).get(name)) for name in extra_columns),
            Cell(config(r.get("model_config") or {})),
            *([Cell(str(r.get("train_dataset") or "—"))] if trained else []),
            Cell(str(r.get("n_samples"))),
            Cell(str(r.get("runs"))),
            Cell(run_id, href=run_page(run_id) if run_id in run_pages else None),
        ]
        table.rows.append(cells)
        table.run_ids.append(run_id)
    return table


def _column_cell(cell: dict[str, Any] | None) -> Cell:
    if not cell:
        return Cell("—")
    interval = ci(cell.get("ci_low"), cell.get("ci_high"))
    return Cell(fmt(cell.get("value")), hint=f"95% CI {interval}", number=cell.get("value"))


def board_facts(board: dict[str, Any]) -> list[tuple[str, str]]:
    """Board-level keys beyond the known ones, as (label, value) pairs."""
    return [(label(k), generic(v)) for k, v in board.items() if k not in KNOWN_BOARD_KEYS]


def board_csv(board: dict[str, Any]) -> str:
    """One line per row, every key of the row's JSON: scalars as they are, an extra column as its
    value and CI, anything else as JSON text. Full precision: a CSV is for reading back."""
    rows = board.get("rows") or []
    flat = [_flatten(r) for r in rows]
    header = list(dict.fromkeys(k for r in flat for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return buffer.getvalue()


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key == "columns" and isinstance(value, dict):
            for name, cell in value.items():
                for part in ("value", "ci_low", "ci_high"):
                    flat[f"{name} {part}" if part != "value" else name] = _scalar((cell or {}).get(part))
        else:
            flat[key] = _scalar(value)
    return flat


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return repr(value) if isinstance(value, float) else value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
