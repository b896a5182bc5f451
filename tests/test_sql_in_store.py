"""SQL against the results database is written in one package, `harness.store`: the schema can
change in one place, and every other package reads and writes through methods named for what
they answer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"
STORE = HARNESS / "store"

# Statements as SQL writes them (upper case, as this code base does), not English prose.
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|INDEX)|ALTER\s+TABLE|DROP\s+(TABLE|VIEW)|COPY\s*\()",
    re.DOTALL,
)
SENDS = {"execute", "executemany", "sql", "query", "fetch_df", "from_query"}


def _text(node: ast.AST) -> str:
    """The literal text of a string expression (f-strings and `+` concatenations included)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(value) if not isinstance(value, ast.FormattedValue) else " x " for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return ""


def sql_outside_store(source: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of SQL in `source`: any string literal that reads as a statement
    (docstrings aside), and any call named like a database call whose argument does."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in SENDS:
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    if SQL.search(_text(argument)):
                        found.append((node.lineno, _text(argument)))
        elif isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in docstrings and SQL.search(_text(node)):
            found.append((node.lineno, _text(node)))
    return sorted(set(found))


def test_no_sql_is_written_outside_the_store_package():
    offenders = []
    for path in sorted(HARNESS.rglob("*.py")):
        if STORE in path.parents:
            continue
        offenders += [
            f"{path.relative_to(HARNESS.parent)}:{line}: {text[:80]!r}"
            for line, text in sql_outside_store(path.read_text(encoding="utf-8"))
        ]
    assert not offenders, "SQL outside harness/store/ (add a Store method named for what it answers):\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        'store.query("SELECT DISTINCT task FROM runs")',
        'con.execute(f"UPDATE runs SET status = ? WHERE run_id = {x}")',
        'sql = "SELECT run_id FROM runs " "WHERE task = ?"',
        'con.execute("DELETE FROM " + table)',
        "duckdb.sql(\"COPY (SELECT 1) TO 'x.parquet'\")",
    ],
)
def test_the_check_finds_sql(source):
    assert sql_outside_store(source)


@pytest.mark.parametrize(
    "source",
    [
        '"""Select the runs from the store, then update the board."""',
        'print("select a task from the list")',
        "store.runs(task='doubling')",
    ],
)
def test_the_check_leaves_prose_alone(source):
    assert not sql_outside_store(source)
