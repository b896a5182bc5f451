"""Structured SQL -> parameterised query, executed in a sandboxed in-memory DuckDB per table.

A prediction is never executed as text. `render` builds the statement from the structured form:
identifiers are the table's own headers, double-quoted (inner quotes doubled); every condition
value is a bound parameter. `Sandbox` holds ONE table in an in-memory database opened with
`enable_external_access=false` and `lock_configuration=true` (no file, no extension, no URL can
be read or written, and SQL cannot switch that back on), and interrupts a query that runs past
its time limit. A value such as `'); COPY (SELECT 1) TO '/tmp/x.csv'; --` is compared as data.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from harness_nl2sql.values import AGGS, CONNS, canonical_number, parse_number, text_cell

SQL_OPS = {0: ">", 1: "<", 2: "=", 3: "<>"}
DISPLAY_OPS = {0: ">", 1: "<", 2: "=", 3: "!="}
TIME_LIMIT_S = 2.0
UNRENDERABLE = "error: cannot render"  # the prefix of a result for a query that names no real column, aggregate or operator


UNPARSEABLE = "unparseable"  # the key a prediction carries when a model's text was not a query (and why)


def unparseable(reason: str) -> dict[str, Any]:
    """The prediction for a text answer that is no query: the schema's shape, nothing selected, and
    the reason; the metrics count it as `unparseable` and never run it."""
    return {"sel": [], "agg": [], "cond_conn_op": 0, "conds": [], UNPARSEABLE: reason}


def quote(identifier: str) -> str:
    return '"' + str(identifier).replace('"', '""') + '"'


def column_names(header: list[str]) -> list[str]:
    """Headers as SQL column names: duplicates (they occur in TableQA) get a #2, #3 suffix."""
    names, seen = [], {}
    for h in header:
        name = str(h) or "column"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return names


def to_number(cell: Any) -> float | None:
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float)):
        return float(cell) if math.isfinite(cell) else None
    if cell is None:
        return None
    text = str(cell).strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        number = parse_number(text) if len(text) < 40 else None
        return number


def render(sql: dict, table: dict, table_name: str = "t") -> tuple[str, list[Any]]:
    """The parameterised statement and its parameters for a structured query on `table`."""
    if sql.get(UNPARSEABLE):  # a text answer that was no query: nothing to build, nothing to run
        raise ValueError(f"unparseable: {sql[UNPARSEABLE]}")
    names, types = column_names(table["header"]), table["types"]
    aggs = list(sql["agg"])
    mixed = any(aggs) and not all(aggs)
    parts = []
    for column, agg in zip(sql["sel"], aggs, strict=True):
        ident = quote(names[column])
        if agg == 0:
            parts.append(f"first({ident})" if mixed else ident)  # sqlite's bare column beside an aggregate
        elif agg in (1, 5) and types[column] != "real":
            parts.append(f"{AGGS[agg]}(TRY_CAST({ident} AS DOUBLE))")
        else:
            parts.append(f"{AGGS[agg]}({ident})")
    where, params = [], []
    for column, op, value in sql["conds"]:
        ident = quote(names[column])
        number = to_number(value) if isinstance(value, (int, float)) or len(str(value)) < 40 else None
        if types[column] == "real" and number is not None:
            where.append(f"{ident} {SQL_OPS[op]} ?")
            params.append(number)
        elif op in (0, 1) and number is not None:  # ordering on a text column: compare as numbers where they are
            where.append(f"TRY_CAST({ident} AS DOUBLE) {SQL_OPS[op]} ?")
            params.append(number)
        elif types[column] == "text" and op in (2, 3) and number is not None and canonical_number(number) != str(value).strip():
            # A numeral value on a text column ("二十", "20.0" for the cell "20"): the cell may hold
            # it as written or as a number (numeric cells are stored canonically, see Sandbox).
            test = f"(CAST({ident} AS VARCHAR) = ? OR CAST({ident} AS VARCHAR) = ?)"
            where.append(test if op == 2 else f"NOT {test}")
            params += [str(value), canonical_number(number)]
        else:
            where.append(f"CAST({ident} AS VARCHAR) {SQL_OPS[op]} ?")
            params.append(str(value))
    statement = f"SELECT {', '.join(parts)} FROM {quote(table_name)}"
    if where:
        joiner = " OR " if sql.get("cond_conn_op") == 2 else " AND "
        statement += " WHERE " + joiner.join(where)
    return statement, params


def display(sql: dict | None, table: dict) -> str:
    """Readable SQL for people (dashboard, diffs): values shown as quoted literals, never executed."""
    if not sql:
        return "(no SQL)"
    if sql.get(UNPARSEABLE):
        return f"(unparseable: {sql[UNPARSEABLE]})"
    names = column_names(table["header"])
    try:
        parts = [f"{AGGS[a]}({quote(names[c])})" if a else quote(names[c]) for c, a in zip(sql["sel"], sql["agg"], strict=True)]
        lines = [f"SELECT {', '.join(parts)}", f"FROM {quote(table.get('name') or table.get('id') or 't')}"]
        conds = [f"{quote(names[c])} {DISPLAY_OPS[o]} '{str(v).replace(chr(39), chr(39) * 2)}'" for c, o, v in sql["conds"]]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return f"(malformed SQL: {exc})"
    if conds:
        joiner = f"\n  {CONNS.get(sql.get('cond_conn_op', 0)) or 'and'} ".upper()
        lines.append("WHERE " + joiner.join(conds))
    return "\n".join(lines)


class _Watchdog:
    """One polling thread that interrupts queries past their deadline.

    A `threading.Timer` per query cost more than the query itself (a thread start per query), and
    waking a sleeping thread for every query costs a GIL hand-off (measured 3.5 ms on this busy
    machine); arming a deadline here is a dict entry under a lock. The thread checks every
    `POLL_S` and exits after `IDLE_S` without queries (the next query starts it again).
    """

    POLL_S = 0.01
    IDLE_S = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, Any]] = {}
        self._next = 0
        self._running = False
        self._last_armed = 0.0

    def arm(self, con: Any, limit_s: float) -> int:
        with self._lock:
            self._next += 1
            self._last_armed = time.monotonic()
            self._deadlines[self._next] = (self._last_armed + limit_s, con)
            if not self._running:
                self._running = True
                threading.Thread(target=self._loop, name="nl2sql-sandbox-watchdog", daemon=True).start()
            return self._next

    def disarm(self, token: int) -> None:
        with self._lock:
            self._deadlines.pop(token, None)

    def _loop(self) -> None:
        while True:
            time.sleep(self.POLL_S)
            now = time.monotonic()
            with self._lock:
                for token, (deadline, con) in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[token]
                        con.interrupt()
                if not self._deadlines and now - self._last_armed > self.IDLE_S:
                    self._running = False
                    return


WATCHDOG = _Watchdog()


class Sandbox:
    """One table in its own in-memory DuckDB, locked down; `run` executes a structured query on it.

    `load` replaces the table (the pool reuses a sandbox's database for the next table instead
    of opening a new one: opening and closing a DuckDB costs ~40 ms, loading a table ~1 ms).
    Results are memoised per table: gold SQL is run by two metrics, and predictions often equal it.
    """

    MEMO = 256

    def __init__(self, table: dict, time_limit_s: float = TIME_LIMIT_S) -> None:
        import duckdb

        self.time_limit_s = time_limit_s
        self.con = duckdb.connect(
            ":memory:",
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": 1,
            },
        )
        self.con.execute("SET lock_configuration = true")
        self.table: dict = {}
        self._memo: dict[tuple, list[tuple] | str] = {}
        self.load(table)

    def load(self, table: dict) -> None:
        """Hold `table` (and nothing else) as `t`."""
        names, types = column_names(table["header"]), table["types"]
        columns = ", ".join(f"{quote(n)} {'DOUBLE' if t == 'real' else 'VARCHAR'}" for n, t in zip(names, types, strict=True))
        self.con.execute("DROP TABLE IF EXISTS t")
        self.con.execute(f"CREATE TABLE t ({columns})")
        rows = [[to_number(c) if t == "real" else text_cell(c) for c, t in zip(row, types, strict=True)] for row in table["rows"]]
        if len(rows) * len(names) <= 2000:  # TableQA-sized: one parameterised INSERT is the cheapest
            placeholders = ", ".join(["(" + ", ".join("?" * len(names)) + ")"] * len(rows))
            if rows:
                self.con.execute(f"INSERT INTO t VALUES {placeholders}", [cell for row in rows for cell in row])
        else:  # large tables go through Arrow
            import pyarrow as pa

            columns_data = list(zip(*rows, strict=True))
            data = pa.table(
                {
                    f"c{i}": pa.array(list(col), type=pa.float64() if t == "real" else pa.string())
                    for i, (col, t) in enumerate(zip(columns_data, types, strict=True))
                }
            )
            self.con.register("source_rows", data)
            self.con.execute("INSERT INTO t SELECT * FROM source_rows")
            self.con.unregister("source_rows")
        self.table = table
        self._memo.clear()

    def run(self, sql: dict) -> list[tuple] | str:
        """Result rows, or an error string (bad query, or interrupted at the time limit)."""
        try:
            statement, params = render(sql, self.table)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            return f"{UNRENDERABLE} ({type(exc).__name__}: {exc})"
        key = (statement, tuple((type(p).__name__, p) for p in params))
        if key in self._memo:
            return self._memo[key]
        token = WATCHDOG.arm(self.con, self.time_limit_s)
        try:
            result: list[tuple] | str = self.con.execute(statement, params).fetchall()
        except Exception as exc:  # any DuckDB error is a failed prediction, not a crashed run
            if "interrupt" in str(exc).lower():
                return f"error: time limit {self.time_limit_s}s exceeded"  # not memoised: load may vary
            result = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        finally:
            WATCHDOG.disarm(token)
        if len(self._memo) >= self.MEMO:
            self._memo.clear()
        self._memo[key] = result
        return result

    def close(self) -> None:
        self.con.close()


class SandboxPool:
    """A few recently used sandboxes, so scoring many questions on one table builds it once."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._pool: OrderedDict[str, Sandbox] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, table: dict) -> Sandbox:
        from harness import to_json

        key = table.get("id", "") + ":" + str(hash(to_json(table["header"]) + to_json(table["rows"])))
        with self._lock:
            if key in self._pool:
                self._pool.move_to_end(key)
                return self._pool[key]
            if len(self._pool) >= self.size:  # reuse the least recently used sandbox's database
                _, sandbox = self._pool.popitem(last=False)
                sandbox.load(table)
            else:
                sandbox = Sandbox(table)
            self._pool[key] = sandbox
            return sandbox


POOL = SandboxPool()


def execute(sql: dict, table: dict) -> list[tuple] | str:
    return POOL.get(table).run(sql)


def _cell_key(cell: Any) -> tuple[int, Any]:
    """A cell as a sortable key: (0, text) for NULL and non-finite numbers, (1, number), (2, text)."""
    if cell is None:
        return (0, "")
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return (1, float(cell)) if math.isfinite(cell) else (0, str(cell))
    return (2, str(cell))


def same_result(a: list[tuple] | str, b: list[tuple] | str, rel_tol: float = 1e-6, abs_tol: float = 1e-6) -> bool:
    """Equal result multisets (row order ignored), numbers compared with a tolerance; an error never matches."""
    if isinstance(a, str) or isinstance(b, str) or len(a) != len(b):
        return False
    rows_a = sorted(tuple(_cell_key(c) for c in row) for row in a)
    rows_b = sorted(tuple(_cell_key(c) for c in row) for row in b)
    for ra, rb in zip(rows_a, rows_b, strict=True):
        if len(ra) != len(rb):
            return False
        for (ka, va), (kb, vb) in zip(ra, rb, strict=True):
            if ka != kb:
                return False
            if ka == 1:
                if not math.isclose(va, vb, rel_tol=rel_tol, abs_tol=abs_tol):
                    return False
            elif va != vb:
                return False
    return True


def soft_f1(predicted: list[tuple], gold: list[tuple]) -> float:
    """BIRD's soft F1 between two result sets: duplicate rows dropped, rows paired in order, and
    within a pair each cell counted as matched when the other row holds it (column order ignored),
    all normalised by the gold row's width. Rows are paired in sorted order (BIRD pairs them in
    Python's set order, which no run fixes); numbers compare at 9 significant digits. Two empty
    results agree (1.0)."""
    pred_rows, gold_rows = _distinct_rows(predicted), _distinct_rows(gold)
    if not pred_rows and not gold_rows:
        return 1.0
    tp = fp = fn = 0.0
    for i, gold_row in enumerate(gold_rows):
        if i >= len(pred_rows):
            fn += 1.0
            continue
        pred_row, width = pred_rows[i], max(1, len(gold_row))
        matched = sum(1 for cell in pred_row if cell in gold_row)
        tp += matched / width
        fp += (len(pred_row) - matched) / width
        fn += sum(1 for cell in gold_row if cell not in pred_row) / width
    fp += max(0, len(pred_rows) - len(gold_rows))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _distinct_rows(rows: list[tuple]) -> list[tuple]:
    def cell(c: Any) -> tuple[int, Any]:
        kind, value = _cell_key(c)
        return (kind, float(f"{value:.9g}")) if kind == 1 else (kind, value)

    return sorted({tuple(cell(c) for c in row) for row in rows})


def selected_names(sql: dict, table: dict) -> list[str]:
    """Column labels of a query's result: the header, wrapped in its aggregation (AVG(均价))."""
    names = column_names(table["header"])
    try:
        labels = [f"{AGGS[a]}({names[c]})" if a else names[c] for c, a in zip(sql["sel"], sql["agg"], strict=True)]
    except (KeyError, IndexError, TypeError, ValueError):
        return []
    return [f"{label} #{i + 1}" if labels.count(label) > 1 else label for i, label in enumerate(labels)]


def result_json(result: list[tuple] | str, labels: list[str] | None = None, limit: int = 20) -> list[dict] | str:
    """A result as a small JSON table for the dashboard."""
    if isinstance(result, str):
        return result
    out = []
    for row in result[:limit]:
        keys = labels if labels and len(labels) == len(row) else [f"col{i + 1}" for i in range(len(row))]
        cells = [canonical_number(c) if isinstance(c, float) and math.isfinite(c) else c for c in row]
        out.append(dict(zip(keys, cells, strict=True)))
    return out
