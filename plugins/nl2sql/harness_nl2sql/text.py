"""nl2sql posed as text: the table (columns with types, a few rows) and the question in, SQL out.

The completion is read by `grammar.parse` into the structured query the task scores; a completion
the grammar refuses is the `sql.unparseable` prediction, which the metrics count in
`nl2sql-unparseable-rate` (and as wrong everywhere else). Few-shot answers are the gold queries
written by `sql.display`, the same SQL the dashboard shows, and the grammar reads them back exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.text import TextInterface
from harness_nl2sql.data import model_input
from harness_nl2sql.grammar import Unparseable, parse
from harness_nl2sql.sql import column_names, display, quote, unparseable
from harness_nl2sql.values import text_cell

ROWS_SHOWN = 3
CELL_SHOWN = 40  # characters of a cell shown; longer ones are cut with an ellipsis


def _cell(value: Any) -> str:
    text = (text_cell(value) or "").replace("\n", " ").replace("|", "/")
    return text if len(text) <= CELL_SHOWN else text[: CELL_SHOWN - 1] + "…"


class Nl2sqlText(TextInterface):
    version = "1"
    system = (
        "You translate a Chinese question about one table into one SQL query over that table.\n"
        "Use only this SQL: SELECT one or more columns, each either bare or inside one of AVG, MAX, MIN, "
        "COUNT, SUM; FROM the table; optionally WHERE conditions `column op value` with op one of "
        "=, !=, >, <, all joined by AND or all joined by OR.\n"
        "No *, no COUNT(*), no joins, subqueries, GROUP BY, ORDER BY, LIMIT, LIKE, IN, >= or <=.\n"
        "Write column names in double quotes exactly as listed and values in single quotes, e.g. "
        'SELECT AVG("价格") FROM "T" WHERE "城市" = \'北京\' AND "面积" > \'90\'.\n'
        "Reply with the SQL query only."
    )

    def user(self, input: Mapping[str, Any]) -> str:
        table = input["table"]
        names, rows = column_names(table["header"]), table["rows"]
        title = f" ({table['title']})" if table.get("title") else ""
        lines = [f"Table {quote(table.get('name') or table.get('id') or 't')}{title}, {len(rows)} rows. Columns:"]
        lines += [f"  {quote(name)} {kind}" for name, kind in zip(names, table["types"], strict=True)]
        if rows:
            lines.append(f"First {min(ROWS_SHOWN, len(rows))} rows:")
            lines.append("  " + " | ".join(names))
            lines += ["  " + " | ".join(_cell(c) for c in row) for row in rows[:ROWS_SHOWN]]
        lines.append(f"Question: {input['question']}")
        return "\n".join(lines)

    def answer(self, row: Mapping[str, Any]) -> str:
        return display(dict(row["sql"]), dict(row["table"]))

    def parse(self, completion: str, input: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(completion, str):
            return unparseable(f"the completion is {type(completion).__name__}, not text")
        try:
            return parse(completion, dict(input["table"]))
        except Unparseable as exc:
            return unparseable(str(exc))

    def input_of(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        return model_input(row)
