"""Loading TableQA-format data (real `--data-dir` or the embedded synthetic default) into task rows.

A row carries the whole table: the models need its cells (the post snaps "==" values to table
cells) and execution accuracy runs the SQL on it, and `Metric.score` only sees the model input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import DataError
from harness.jsonl import read_jsonl
from harness_nl2sql.values import AGGS, CONNS, OPS

SPLITS = ("train", "val", "test")


def read_tables(path: Path) -> dict[str, dict]:
    """`{split}.tables.json`: one table object per line, validated."""
    tables: dict[str, dict] = {}
    for where, _, table in read_jsonl(path, "TableQA tables, one JSON object per line"):
        for key in ("id", "header", "rows"):
            if key not in table:
                raise DataError(f"{where}: table has no {key!r}")
        header = table["header"]
        if not isinstance(header, list) or not header or not all(isinstance(h, str) for h in header):
            raise DataError(f"{where}: 'header' must be a non-empty list of strings")
        types = table.get("types") or ["text"] * len(header)
        if len(types) != len(header) or any(t not in ("text", "real") for t in types):
            raise DataError(f"{where}: 'types' must give 'text' or 'real' for each of the {len(header)} columns")
        rows = table["rows"]
        if not isinstance(rows, list) or any(not isinstance(r, list) or len(r) != len(header) for r in rows):
            raise DataError(f"{where}: every row must be a list of {len(header)} cells")
        # Extra keys (TableQA's `common`, source notes, ...) are dropped: models and metrics never use them.
        entry = {
            "id": str(table["id"]),
            "name": str(table.get("name", "")),
            "title": str(table.get("title", "")),
            "header": header,
            "types": types,
            "rows": rows,
        }
        if entry["id"] in tables and tables[entry["id"]] != entry:
            raise DataError(f"{where}: table id {table['id']!r} occurs twice with different contents")
        tables[entry["id"]] = entry
    return tables


def read_questions(path: Path, tables: dict[str, dict], split: str, require_sql: bool) -> list[dict]:
    """`{split}.json`: one question per line; every table id, column index and code is checked."""
    questions = []
    for where, number, item in read_jsonl(path, "TableQA questions, one JSON object per line"):
        if not isinstance(item.get("question"), str) or not item["question"].strip():
            raise DataError(f"{where}: no 'question' text")
        table_id = str(item.get("table_id", ""))
        if table_id not in tables:
            raise DataError(f"{where}: table_id {table_id!r} is not in {path.name.replace('.json', '.tables.json')}")
        sql = item.get("sql")
        if sql is None and require_sql:
            raise DataError(f"{where}: no 'sql' (training and validation questions need their gold SQL)")
        if sql is not None:
            sql = validate_sql(sql, len(tables[table_id]["header"]), where)
        qid = str(item.get("id", f"{split}-{number:06d}"))
        questions.append({"id": qid, "question": item["question"], "table_id": table_id, "sql": sql})
    return questions


def validate_sql(sql: Any, n_columns: int, where: str) -> dict:
    """Check a TableQA `sql` object and return it in canonical form (ints, string values)."""
    if not isinstance(sql, dict):
        raise DataError(f"{where}: 'sql' must be an object")
    try:
        sel = [int(c) for c in sql["sel"]]
        agg = [int(a) for a in sql["agg"]]
        conn = int(sql.get("cond_conn_op", 0))
        conds = [[int(c[0]), int(c[1]), c[2]] for c in sql.get("conds", [])]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise DataError(f"{where}: malformed 'sql' ({reason}); expected sel, agg, cond_conn_op, conds") from None
    if not sel or len(sel) != len(agg):
        raise DataError(f"{where}: 'sel' and 'agg' must be non-empty and of equal length")
    for column in sel + [c[0] for c in conds]:
        if not 0 <= column < n_columns:
            raise DataError(f"{where}: column index {column} out of range (the table has {n_columns} columns)")
    for code in agg:
        if code not in AGGS:
            raise DataError(f"{where}: unknown agg code {code} (known: {sorted(AGGS)})")
    if conn not in CONNS:
        raise DataError(f"{where}: unknown cond_conn_op {conn} (known: {sorted(CONNS)})")
    for cond in conds:
        if cond[1] not in OPS:
            raise DataError(f"{where}: unknown op code {cond[1]} (known: {sorted(OPS)})")
        if isinstance(cond[2], (dict, list)) or cond[2] is None:
            raise DataError(f"{where}: condition value must be a string or number, got {cond[2]!r}")
        cond[2] = str(cond[2])
    return {"sel": sel, "agg": agg, "cond_conn_op": conn, "conds": conds}


def read_gold(path: Path, questions: list[dict], tables: dict[str, dict], questions_path: Path) -> None:
    """A separate answer file for a split published without `sql` (TableQA's test answers).

    One flat object per line (`agg`, `sel`, `conds`, `cond_conn_op` at top level, or the same
    under `sql`), line N answering line N of the questions file; it fills in `sql` in place.
    """
    gold = list(read_jsonl(path, "gold SQL, one flat object per line aligned with the questions"))
    if len(gold) != len(questions):
        raise DataError(
            f"{path}: {len(gold)} gold lines for {len(questions)} questions in {questions_path.name} "
            "(the gold file must be line-aligned with the questions)"
        )
    for (where, _, item), question in zip(gold, questions, strict=True):
        if not isinstance(item, dict):
            raise DataError(f"{where}: expected a JSON object")
        sql = validate_sql(item.get("sql", item), len(tables[question["table_id"]]["header"]), where)
        if question["sql"] is not None and question["sql"] != sql:
            raise DataError(f"{where}: disagrees with the 'sql' of question {question['id']!r} in {questions_path.name}")
        question["sql"] = sql


def has_real_split(data_dir: Path, split: str) -> bool:
    """Whether `data_dir` holds `split` in the TableQA layout: `{split}.json` and `{split}.tables.json`."""
    return (data_dir / f"{split}.json").is_file() and (data_dir / f"{split}.tables.json").is_file()


def load_real(data_dir: Path, split: str) -> list[dict]:
    tables = read_tables(data_dir / f"{split}.tables.json")
    questions_path, gold_path = data_dir / f"{split}.json", data_dir / f"{split}.gold.json"
    questions = read_questions(questions_path, tables, split, require_sql=split != "test" and not gold_path.exists())
    if gold_path.exists():
        read_gold(gold_path, questions, tables, questions_path)
    return [_row(q, tables[q["table_id"]]) for q in questions]


_SYNTH_CACHE: dict[str, list[dict]] = {}


def model_input(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a model reads of a row: everything but the gold SQL."""
    return {"question": row["question"], "table_id": row["table_id"], "table": row["table"]}


def load_synthetic(split: str) -> list[dict]:
    """The embedded default; kept in memory for the process (train is read for fit, val/test for eval)."""
    if split not in _SYNTH_CACHE:
        from harness_nl2sql.synth import generate

        questions, tables = generate(split)
        _SYNTH_CACHE[split] = [_row(q, tables[q["table_id"]]) for q in questions]
    return [dict(row) for row in _SYNTH_CACHE[split]]


def _row(question: dict, table: dict) -> dict:
    return {
        "id": question["id"],
        "question": question["question"],
        "table_id": question["table_id"],
        "table": table,
        "sql": question["sql"],
    }
