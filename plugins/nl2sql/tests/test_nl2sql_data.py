"""The embedded synthetic data and the TableQA-format loader (fixtures written in that exact format)."""

import json
from collections import Counter

import harness_nl2sql
import pytest
from harness_nl2sql.synth import DOMAINS, generate
from harness_nl2sql.task import Nl2sqlTask
from harness_nl2sql.values import locate

from harness import DataError
from harness.testing import run_plugin


@pytest.fixture(scope="module")
def splits():
    return {split: generate(split) for split in ("train", "val", "test")}


def test_synthetic_data_is_deterministic_and_sized(splits):
    questions, tables = splits["test"]
    again, _ = generate("test")
    assert questions == again
    assert len(splits["train"][0]) >= 5000 and len(questions) == 1000 and len(splits["val"][0]) == 1000
    assert len({t["id"].split("-")[1] for t in splits["train"][1].values()}) == len(DOMAINS) >= 10
    assert all(len(t["rows"]) >= 6 and set(t["types"]) == {"text", "real"} for t in tables.values())


def test_test_tables_have_header_lists_never_seen_in_train(splits):
    train_headers = {tuple(t["header"]) for t in splits["train"][1].values()}
    train_names = {h for t in splits["train"][1].values() for h in t["header"]}
    test_tables = splits["test"][1].values()
    assert not {tuple(t["header"]) for t in test_tables} & train_headers
    unseen = [h for t in test_tables for h in t["header"] if h not in train_names]
    assert len(unseen) > 0.2 * sum(len(t["header"]) for t in test_tables)


def test_every_combination_the_format_allows_occurs_in_train(splits):
    questions, tables = splits["train"]
    aggs, ops, conns, n_sel, n_conds, triples = Counter(), Counter(), Counter(), Counter(), Counter(), set()
    for q in questions:
        sql, types = q["sql"], tables[q["table_id"]]["types"]
        triples |= {(a, c[1], sql["cond_conn_op"]) for a in sql["agg"] for c in sql["conds"]}
        aggs.update(sql["agg"])
        ops.update((types[c], o) for c, o, _ in sql["conds"])
        conns[sql["cond_conn_op"]] += 1
        n_sel[len(sql["sel"])] += 1
        n_conds[len(sql["conds"])] += 1
    assert set(aggs) == {0, 1, 2, 3, 4, 5}
    assert {o for _, o in ops} == {0, 1, 2, 3} and ("text", 3) in ops
    assert set(conns) == {0, 1, 2} and {1, 2, 3} <= set(n_sel) and set(n_conds) == {0, 1, 2, 3}
    assert triples == {(a, o, c) for a in range(6) for o in range(4) for c in range(3)}  # every agg x op x conn
    assert len({q["question"] for q in questions}) > 0.95 * len(questions)


def test_many_values_are_written_differently_from_the_table(splits):
    questions, tables = splits["test"]
    conds = [(q["question"], c) for q in questions for c in q["sql"]["conds"]]
    verbatim = sum(str(c[2]) in question for question, c in conds)
    assert verbatim < 0.85 * len(conds)
    # ...but the label derivation still finds most of them (1.2万, 三, 北大, 北京).
    found = sum(
        locate(question, str(c[2]), tables[q]["types"][c[0]] == "real") is not None
        for (question, c), q in zip(conds, [q["table_id"] for q in questions for _ in q["sql"]["conds"]], strict=True)
    )
    assert found > 0.9 * len(conds)


TABLE = {
    "id": "t1",
    "name": "Table_t1",
    "title": "房价",
    "header": ["城市", "均价", "套数"],
    "types": ["text", "real", "real"],
    "rows": [["北京市", 60000, 12], ["上海市", 55000, 30], ["广州市", 32000, 7]],
}


def write_split(directory, split, questions, tables=(TABLE,)):
    table_lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tables)
    (directory / f"{split}.tables.json").write_text(table_lines, encoding="utf-8")
    lines = [q if isinstance(q, str) else json.dumps(q, ensure_ascii=False) for q in questions]
    (directory / f"{split}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")


GOOD = [
    {
        "table_id": "t1",
        "question": "北京的均价是多少",
        "sql": {"sel": [1], "agg": [0], "cond_conn_op": 0, "conds": [[0, 2, "北京市"]]},
    },
    {
        "table_id": "t1",
        "question": "均价超过4万的城市有几个",
        "sql": {"sel": [0], "agg": [4], "cond_conn_op": 0, "conds": [[1, 0, "40000"]]},
    },
]


def test_real_format_is_loaded_and_scored(tmp_path):
    write_split(tmp_path, "val", GOOD)
    rows = Nl2sqlTask().load("val", tmp_path)
    assert [r["table"]["header"] for r in rows] == [TABLE["header"]] * 2
    outcome = run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="rules", split="val", data_dir=tmp_path)
    run = outcome.run
    assert run.status == "finished", run.error
    assert run.dataset == "tableqa" and run.n_samples == 2
    assert {m.name for m in run.metrics} >= {"nl2sql-score", "nl2sql-logic-form-acc", "nl2sql-execution-acc"}


def test_test_questions_without_sql_are_predicted_but_not_scored(tmp_path):
    write_split(tmp_path, "test", [{"table_id": "t1", "question": "北京的均价是多少"}])
    outcome = run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="rules", data_dir=tmp_path)
    assert outcome.run.status == "finished", outcome.run.error
    assert outcome.run.primary().value is None  # nothing to score, rather than a made-up 0


BAD_CASES = [
    ('{"table_id": "t1", "question": "x", "sql": ', r"val\.json:2: not valid JSON"),
    ({"table_id": "nope", "question": "x", "sql": GOOD[0]["sql"]}, r"val\.json:2: table_id 'nope' is not in val\.tables\.json"),
    (
        {"table_id": "t1", "question": "x", "sql": {"sel": [3], "agg": [0], "cond_conn_op": 0, "conds": []}},
        r"val\.json:2: column index 3 out of range",
    ),
    (
        {"table_id": "t1", "question": "x", "sql": {"sel": [0], "agg": [0], "cond_conn_op": 0, "conds": [[5, 2, "a"]]}},
        r"val\.json:2: column index 5 out of range",
    ),
    (
        {"table_id": "t1", "question": "x", "sql": {"sel": [0], "agg": [0], "cond_conn_op": 0, "conds": [[0, 7, "a"]]}},
        r"val\.json:2: unknown op code 7",
    ),
    (
        {"table_id": "t1", "question": "x", "sql": {"sel": [0], "agg": [9], "cond_conn_op": 0, "conds": []}},
        r"val\.json:2: unknown agg code 9",
    ),
    (
        {"table_id": "t1", "question": "x", "sql": {"sel": [0], "agg": [0], "cond_conn_op": 4, "conds": []}},
        r"val\.json:2: unknown cond_conn_op 4",
    ),
    ({"table_id": "t1", "question": "x"}, r"val\.json:2: no 'sql'"),
]


@pytest.mark.parametrize(("line", "message"), BAD_CASES)
def test_bad_question_lines_name_file_and_line(tmp_path, line, message):
    write_split(tmp_path, "val", [GOOD[0], line])
    with pytest.raises(DataError, match=message):
        run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="rules", split="val", data_dir=tmp_path)


def test_bad_table_lines_name_file_and_line(tmp_path):
    broken = dict(TABLE, id="t2", rows=[["北京市", 1]])
    write_split(tmp_path, "val", GOOD, tables=(TABLE, broken))
    with pytest.raises(DataError, match=r"val\.tables\.json:2: every row must be a list of 3 cells"):
        Nl2sqlTask().load("val", tmp_path)
    write_split(tmp_path, "val", GOOD, tables=(dict(TABLE, types=["text", "number", "real"]),))
    with pytest.raises(DataError, match=r"val\.tables\.json:1: 'types'"):
        Nl2sqlTask().load("val", tmp_path)
    (tmp_path / "val.tables.json").unlink()
    with pytest.raises(DataError, match=r"val\.tables\.json does not exist"):
        Nl2sqlTask().load("val", tmp_path)
