"""Sandboxed execution, the post's logic-form equality, and the metrics, against hand-computed answers."""

import os

import duckdb
import pytest
from harness_nl2sql.metrics import (
    METRICS,
    CompetitionScore,
    ExecutionAccuracy,
    LogicFormAccuracy,
    SoftF1,
    logic_form_equal,
    outcome,
)
from harness_nl2sql.sql import Sandbox, display, execute, render, same_result, soft_f1
from harness_nl2sql.values import locate, number_forms, parse_number, snap, span_value

TABLE = {
    "id": "cars",
    "name": "Table_cars",
    "title": "车型",
    "header": ["车型", "价格(万元)", "销量", 'odd "name"'],
    "types": ["text", "real", "real", "text"],
    "rows": [
        ["汉EV", 21.98, 12000, "a"],
        ["秦PLUS", 9.98, 45000, "b"],
        ["Model3", 23.19, 30000, "c'd"],
        ["宏光MINI", 3.28, 45000, None],
    ],
}


def sql(sel, agg, conds=(), conn=0):
    return {"sel": list(sel), "agg": list(agg), "cond_conn_op": conn, "conds": [list(c) for c in conds]}


def test_execution_matches_hand_computed_results():
    assert execute(sql([0], [0], [(1, 0, "20")]), TABLE) == [("汉EV",), ("Model3",)]
    assert execute(sql([2], [5], [(0, 2, "汉EV"), (0, 2, "秦PLUS")], conn=2), TABLE) == [(57000.0,)]
    assert execute(sql([0], [4], [(2, 2, "45000")]), TABLE) == [(2,)]
    assert execute(sql([1, 1], [2, 3]), TABLE) == [(23.19, 3.28)]
    assert execute(sql([3], [0], [(3, 2, "c'd")]), TABLE) == [("c'd",)]  # quoted identifier and value


def test_result_multisets_ignore_order_and_tolerate_rounding():
    assert same_result([(1, "a"), (2.0, "b")], [(2.0000000001, "b"), (1, "a")])
    assert not same_result([(1,), (1,)], [(1,)])
    assert not same_result([(1.0,)], [(1.01,)])
    assert not same_result("error: x", "error: x")


HOSTILE = [
    "'); COPY (SELECT 1) TO '/tmp/pwned.csv'; --",
    "read_csv('/etc/passwd')",
    "a'b\"c",
    "\\",
    "\\'; DROP TABLE t; --",
    "x" * 10_000,
    "'; INSTALL httpfs; LOAD httpfs; --",
    "\u0000",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_condition_values_are_compared_as_data(value):
    if os.path.exists("/tmp/pwned.csv"):
        os.remove("/tmp/pwned.csv")
    table = dict(TABLE, id="hostile", rows=[*TABLE["rows"], ["evil", 1.0, 1, value]])
    for op in (2, 3, 0, 1):
        query = sql([0], [0], [(3, op, value), (0, 2, value)], conn=2)
        statement, params = render(query, table)
        assert value not in statement and value in params
        result = execute(query, table)
        assert not isinstance(result, str), result
        if op == 2:
            assert ("evil",) in result  # the hostile string is found as a cell, nothing else happens
    assert not os.path.exists("/tmp/pwned.csv")
    # as a value of the gold and the predicted query alike: scored, not crashed
    gold = sql([0], [0], [(3, 2, value)])
    assert ExecutionAccuracy().score(gold, gold, {"table": table}) == {"hit": 1.0, "n": 1.0}


def test_sandbox_holds_one_table_and_no_way_out():
    box = Sandbox(TABLE)
    tables = box.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert tables == [("t",)]
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        box.con.execute("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(duckdb.Error, match="locked"):
        box.con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        box.con.execute("COPY (SELECT 1) TO '/tmp/pwned.csv'")
    assert not os.path.exists("/tmp/pwned.csv")


def test_a_query_past_its_time_limit_is_interrupted_not_hung(monkeypatch):
    import time

    import harness_nl2sql.sql as sandboxed

    # A statement that would count 10^11 rows (minutes): only the watchdog can end it, on any load.
    endless = ("SELECT count(*) FROM range(100000000000)", [])
    monkeypatch.setattr(sandboxed, "render", lambda sql, table, table_name="t": endless)
    box = Sandbox(TABLE, time_limit_s=0.2)
    started = time.monotonic()
    result = box.run(sql([0], [0]))
    assert isinstance(result, str) and "time limit 0.2s exceeded" in result, result
    assert time.monotonic() - started < 60


def test_bad_predictions_score_zero_without_crashing():
    gold = sql([1], [0], [(0, 2, "汉EV")])
    for bad in (None, "SELECT 1", {"sel": [9], "agg": [0], "conds": []}, {"sel": [1], "agg": [0], "conds": [[0, 9, "x"]]}):
        for metric in METRICS:
            score = metric().score(bad, gold, {"table": TABLE})  # components may still match (e.g. conn)
            overall = metric in (LogicFormAccuracy, ExecutionAccuracy, CompetitionScore)
            assert score["n"] == 1.0 and (score["hit"] == 0.0 or not overall)


def test_logic_form_equality_is_the_posts():
    gold = sql([1, 2], [0, 5], [(0, 2, "汉EV"), (1, 0, "20")], conn=1)
    assert logic_form_equal(sql([2, 1], [5, 0], [(1, 0, "20.0"), (0, 2, "汉EV")], conn=1), gold)  # order ignored, 20 == 20.0
    assert not logic_form_equal(sql([1, 2], [0, 5], [(0, 2, "汉EV"), (1, 0, "20")], conn=2), gold)
    assert not logic_form_equal(sql([1, 2], [0, 1], [(0, 2, "汉EV"), (1, 0, "20")], conn=1), gold)
    assert logic_form_equal(sql([1], [0], [(0, 2, "汉EV")], conn=1), sql([1], [0], [(0, 2, "汉EV")], conn=0))


def test_execution_can_match_where_the_logic_form_does_not():
    gold = sql([0], [0], [(1, 0, "20")])
    pred = sql([0], [0], [(1, 0, "15")])  # different SQL, same rows on this table
    inp = {"table": TABLE}
    assert LogicFormAccuracy().score(pred, gold, inp)["hit"] == 0.0
    assert ExecutionAccuracy().score(pred, gold, inp)["hit"] == 1.0
    assert CompetitionScore().score(pred, gold, inp)["hit"] == 0.5
    assert CompetitionScore().score(gold, gold, inp)["hit"] == 1.0


def test_display_sql_is_readable():
    text = display(sql([1], [1], [(0, 2, "O'Neil"), (2, 0, "100")], conn=2), TABLE)
    assert text.splitlines()[0] == 'SELECT AVG("价格(万元)")' and "= 'O''Neil'" in text and "\n  OR " in text


def test_numbers_and_values_as_questions_write_them():
    assert parse_number("1.2万") == 12000 and parse_number("两千五") == 2500 and parse_number("三") == 3
    assert parse_number("十五") == 15 and parse_number("5%") == 5 and parse_number("北京") is None
    assert {"12000", "1.2万"} <= set(number_forms(12000)) and "三" in number_forms(3)
    assert locate("销量超过1.2万辆的车", "12000", True) == (4, 8)
    assert locate("价格超过35万的车", "3", True) is None  # not inside another number
    assert locate("北京的房价", "北京市", False) == (0, 2)
    assert snap("北大", ["北京大学", "南京大学", "清华大学"]) == "北京大学"
    assert span_value("300万", "real", "总价(万元)") == "300" and span_value("1.2万", "real", "销量") == "12000"


def test_soft_f1_is_birds_on_hand_computed_results():
    assert soft_f1([], []) == 1.0
    assert soft_f1([(1, "a")], [(1.0, "a")]) == 1.0
    assert soft_f1([("a", 1)], [(1, "a")]) == 1.0  # column order ignored
    assert soft_f1([(1, "a"), (1, "a")], [(1, "a")]) == 1.0  # duplicate rows dropped
    assert soft_f1([], [(1,)]) == 0.0 and soft_f1([(1,)], []) == 0.0
    # one gold row of two cells, one right: tp 0.5, fp 0.5, fn 0.5 -> precision = recall = F1 = 0.5
    assert soft_f1([(1, "x")], [(1, "a")]) == pytest.approx(0.5)
    # an extra predicted row: tp 1, fp 1, fn 0 -> precision 0.5, recall 1, F1 2/3
    assert soft_f1([(1,), (2,)], [(1,)]) == pytest.approx(2 / 3)
    # a missing gold row: tp 1, fp 0, fn 1 -> F1 2/3
    assert soft_f1([(1,)], [(1,), (2,)]) == pytest.approx(2 / 3)
    assert soft_f1([(0.1 + 0.2,)], [(0.3,)]) == 1.0  # numbers at 9 significant digits


def test_outcomes_split_failures_by_where_they_fail(monkeypatch):
    gold = sql([0], [0], [(1, 0, "20")])
    assert outcome(gold, gold, TABLE) == "ok"
    assert outcome(sql([0], [0], [(1, 1, "20")]), gold, TABLE) == "wrong-result"
    assert outcome(sql([9], [0]), gold, TABLE) == "unparseable"  # no column 9
    assert outcome({"sel": [0]}, gold, TABLE) == "unparseable"  # not a whole query
    # the sandbox runs every query it can render; what fails there (the time limit, a DuckDB error) is an exec error
    import harness_nl2sql.metrics as metrics

    failing = sql([2], [0])
    monkeypatch.setattr(metrics, "execute", lambda q, t: "error: time limit 2.0s exceeded" if q == failing else execute(q, t))
    assert outcome(failing, gold, TABLE) == "exec-error"
    by_name = {m.name: m() for m in METRICS}
    shares = {k: by_name[f"nl2sql-{k}-rate"] for k in ("wrong-result", "exec-error", "unparseable")}
    assert all(not m.higher_is_better for m in shares.values())
    scores = [
        shares["exec-error"].score(failing, gold, {"table": TABLE}),
        shares["exec-error"].score(gold, gold, {"table": TABLE}),
    ]
    assert scores == [{"hit": 1.0, "n": 1.0}, {"hit": 0.0, "n": 1.0}]
    assert shares["unparseable"].score(gold, None, {"table": TABLE}) == {"hit": 0.0, "n": 0.0}  # no gold: left out
    soft = SoftF1()
    # price > 5 adds 秦PLUS to the two right rows: precision 2/3, recall 1, F1 0.8
    assert soft.score(sql([0], [0], [(1, 0, "5")]), gold, {"table": TABLE}) == {"hit": pytest.approx(0.8), "n": 1.0}
    assert soft.score(sql([9], [0]), gold, {"table": TABLE}) == {"hit": 0.0, "n": 1.0}
    assert soft.score(failing, gold, {"table": TABLE}) == {"hit": 0.0, "n": 1.0}
