"""The text interface: prompts a language model can answer, and its SQL read back into the task's
structured queries by the restricted grammar -- or refused as `unparseable`, counted by the metrics,
never run as text and never an exception."""

import sys
from pathlib import Path

import harness_nl2sql
import pytest
from harness_nl2sql.data import SPLITS, load_synthetic
from harness_nl2sql.metrics import METRICS, outcome
from harness_nl2sql.sql import display
from harness_nl2sql.task import Nl2sqlTask
from harness_nl2sql.text import Nl2sqlText
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import Model, hookimpl
from harness.testing import render_sample, run_plugin
from harness.text import choose_shots

FIXTURES = Path(__file__).parent / "fixtures" / "tableqa"

TABLE = {
    "id": "cars",
    "name": "Table_cars",
    "title": "车型",
    "header": ["车型", "价格(万元)", "销量", 'odd "name"', "销量"],
    "types": ["text", "real", "real", "text", "real"],
    "rows": [["汉EV", 21.98, 12000, "a", 1], ["秦PLUS", 9.98, 45000, "b", 2], ["Model3", 23.19, 30000, "c'd", 3]],
}
INPUT = {"question": "价格超过20万的车型有哪些", "table_id": "cars", "table": TABLE}
TEXT = Nl2sqlText()


def q(sel, agg, conds=(), conn=0):
    return {"sel": list(sel), "agg": list(agg), "cond_conn_op": conn, "conds": [list(c) for c in conds]}


def test_every_gold_query_of_the_embedded_data_reads_back_as_itself():
    for split in SPLITS:
        for row in load_synthetic(split):
            assert TEXT.parse(TEXT.answer(row), TEXT.input_of(row)) == row["sql"], (row["id"], TEXT.answer(row))


def test_gold_queries_of_the_real_format_read_back_as_themselves():
    task = Nl2sqlTask()
    rows = [row for split in ("train", "val", "test") for row in task.load(split, FIXTURES) if row.get("sql")]
    assert rows
    for row in rows:
        assert TEXT.parse(TEXT.answer(row), task.input(row)) == row["sql"]


def test_the_prompt_shows_columns_with_types_a_few_rows_and_the_question_never_the_gold():
    row = load_synthetic("train")[0]
    shots = choose_shots(load_synthetic("train"), 2, seed=0)
    messages = TEXT.messages(TEXT.input_of(row), shots)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    user = messages[-1]["content"]
    assert '"总建面(万方)" real' in user and '"城市" text' in user
    assert "首开翡翠湾" in user and row["table"]["rows"][3][0] not in user  # three rows of ten
    assert user.endswith("Question: " + row["question"])
    assert "FROM" not in user and "WHERE" not in user
    assert messages[2]["content"] == display(shots[0]["sql"], shots[0]["table"])


def test_duplicate_headers_are_named_apart_in_the_prompt_and_the_parser():
    assert '"销量#2" real' in TEXT.user(INPUT)
    assert TEXT.parse('SELECT "销量#2", 销量 FROM t', INPUT) == q([4, 2], [0, 0])


# completion -> the structured query it means, or None for `unparseable`
CASES = [
    ("SELECT 车型 FROM Table_cars WHERE 价格(万元) > 20", q([0], [0], [(1, 0, "20")])),
    (
        "```sql\nselect avg(\"价格(万元)\") from t where \"车型\" = '汉EV' or 销量 < '30000';\n```",
        q([1], [1], [(0, 2, "汉EV"), (2, 1, "30000")], 2),
    ),
    ("Here it is:\n```\nSELECT MAX(销量) FROM t\n```\nThis finds the best seller.", q([2], [2])),
    ("```SELECT 车型 FROM t```", q([0], [0])),
    ("```sql\nSELECT 车型 FROM t WHERE 销量 > 1", q([0], [0], [(2, 0, "1")])),  # cut off before the closing fence
    ("SELECT 车型 FROM t WHERE 车型 = 汉EV AND 销量>2万", q([0], [0], [(0, 2, "汉EV"), (2, 0, "2万")], 1)),
    ("SELECT 车型 FROM t WHERE 车型 = “秦PLUS”", q([0], [0], [(0, 2, "秦PLUS")])),
    ("SELECT 车型 FROM t WHERE 销量 = '45000'", q([0], [0], [(2, 2, "45000")])),  # numbers stay strings
    ("SELECT 车型 FROM t WHERE 价格(万元) < -1.5", q([0], [0], [(1, 1, "-1.5")])),
    ('SELECT "odd ""name""", [车型] FROM `t` WHERE `销量` == 1 ', q([3, 0], [0, 0], [(2, 2, "1")])),
    ("select Max(销量), 车型 from t where 车型 != 'x''y' and 车型 <> 'z'", q([2, 0], [2, 0], [(0, 3, "x'y"), (0, 3, "z")], 1)),
    ("SELECT 车型 AS name FROM t WHERE ((车型 = 'a' OR 车型 = 'b'))", q([0], [0], [(0, 2, "a"), (0, 2, "b")], 2)),
    ("SELECT COUNT(车型) FROM t WHERE 车型 = 'a' ;", q([0], [4], [(0, 2, "a")])),
    ("SELECT 车型 FROM t WHERE 车型 = 'a'; DROP TABLE t", None),
    ("SELECT 车型 FROM t WHERE 车型 = ''); DROP TABLE t; --'", None),
    ("SELECT 车型 FROM t WHERE 车型 = 'x' -- comment", None),
    ("SELECT 车型 FROM t WHERE 销量 = (SELECT MAX(销量) FROM t)", None),
    ("SELECT 车型 FROM t WHERE 车型 IN (SELECT 车型 FROM t)", None),
    ("SELECT 车型 FROM (SELECT * FROM t)", None),
    ("SELECT 车型 FROM t WHERE (SELECT 1) = 1", None),
    ("SELECT 车型 FROM a JOIN b ON a.x = b.y", None),
    ("SELECT 车型 FROM a, b", None),
    ("SELECT 车型 FROM t WHERE 车型 = 'a' UNION SELECT 车型 FROM t", None),
    ("SELECT 车型 FROM t ORDER BY 销量 LIMIT 1", None),
    ("SELECT 车型, COUNT(销量) FROM t GROUP BY 车型", None),
    ("SELECT 颜色 FROM t", None),  # unknown column
    ("SELECT 车型 FROM t WHERE 颜色 = '红'", None),
    ("SELECT * FROM t", None),
    ("SELECT COUNT(*) FROM t", None),
    ("SELECT DISTINCT 车型 FROM t", None),
    ("SELECT lower(车型) FROM t", None),
    ("SELECT 车型 FROM t WHERE 车型 = 'a' AND 销量 > 1 OR 销量 < 5", None),  # AND mixed with OR
    ("SELECT 车型 FROM t WHERE 销量 >= 5", None),
    ("SELECT 车型 FROM t WHERE 车型 LIKE '%E%'", None),
    ("SELECT 车型 FROM t WHERE 价格(万元) > 销量", None),  # a column compared with a column
    ("SELECT 车型 FROM t WHERE 车型 = 'unterminated", None),
    ("SELECT 车型 FROM t WHERE 车型 = NULL", None),
    ("I cannot answer that.", None),
    ("", None),
    ("SELECT", None),
    ("SELECT 车型 FROM t WHERE " + "(" * 50 + "车型 = 'a'" + ")" * 50, None),
]


@pytest.mark.parametrize(("completion", "expected"), CASES, ids=range(len(CASES)))
def test_hand_written_completions_parse_to_the_query_they_mean_or_are_unparseable(completion, expected):
    prediction = TEXT.parse(completion, INPUT)
    if expected is None:
        assert prediction["sel"] == [] and prediction["unparseable"], prediction
        assert outcome(prediction, q([0], [0]), TABLE) == "unparseable"
    else:
        assert prediction == expected


def test_a_refusal_says_why_and_where():
    reason = TEXT.parse("SELECT 车型 FROM t WHERE 车型 = 'a'; DROP TABLE t", INPUT)["unparseable"]
    assert "text after the query" in reason and "DROP TABLE t" in reason
    assert "unknown column '颜色'" in TEXT.parse("SELECT 颜色 FROM t", INPUT)["unparseable"]
    assert "AND mixed with OR" in TEXT.parse("SELECT 车型 FROM t WHERE 车型 = 'a' AND 销量 > 1 OR 销量 < 5", INPUT)["unparseable"]
    assert display(TEXT.parse("hello", INPUT), TABLE).startswith("(unparseable: expected SELECT")


PIECES = (
    "SELECT FROM WHERE AND OR AS COUNT max ( ) ' \" ` [ ] “ ” , ; = == > < != >= * - . 1 2万 车型 销量 价格(万元) t ```".split()
)
PIECES += ["```sql\n", " ", "\n"]
PIECE_LISTS = st.lists(st.sampled_from(PIECES), max_size=30)
SQLISH = PIECE_LISTS.map(" ".join) | PIECE_LISTS.map("".join)


@settings(max_examples=400, deadline=None, database=None)
@given(st.text() | SQLISH | st.builds(lambda a, b: f"SELECT {a} FROM t WHERE {b}", st.text(), st.text()))
def test_parse_never_raises_and_always_returns_the_schema_shape(completion):
    prediction = TEXT.parse(completion, INPUT)
    assert set(prediction) >= {"sel", "agg", "cond_conn_op", "conds"}
    assert len(prediction["sel"]) == len(prediction["agg"])


def test_non_text_completions_are_unparseable():
    assert TEXT.parse(None, INPUT)["unparseable"]  # type: ignore[arg-type]


def test_every_metric_counts_an_unparseable_prediction_as_wrong():
    gold = q([0], [0], [(1, 0, "20")])
    bad = TEXT.parse("SELECT * FROM t", INPUT)
    scores = {m.name: m().score(bad, gold, INPUT) for m in METRICS}
    assert scores["nl2sql-unparseable-rate"] == {"hit": 1.0, "n": 1.0}
    assert scores["nl2sql-exec-error-rate"] == {"hit": 0.0, "n": 1.0}
    assert all(s == {"hit": 0.0, "n": 1.0} for name, s in scores.items() if not name.endswith("-rate"))


class CannedText(Model):
    """A text model that gives every sample the same completion (through the task's interface)."""

    name = "canned-text"
    tasks = ("nl2sql",)
    description = "test: one fixed completion for every sample"
    defaults = {"completion": ""}

    def predict(self, batch, ctx):
        interface = Nl2sqlTask.text()
        return [interface.parse(self.config["completion"], item) for item in batch]


@hookimpl
def register_models(register):
    register(CannedText)


def test_a_run_of_unparseable_answers_finishes_and_is_counted(tmp_path):
    plugins = [harness_nl2sql, sys.modules[__name__]]
    result = run_plugin(
        plugins, "nl2sql", db=tmp_path / "r.duckdb", model="canned-text", model_args={"completion": "DROP TABLE t"}, limit=5
    )
    run = result.run
    assert run.status == "finished", run.error
    values = {m.name: m.value for m in run.metrics}
    assert values["nl2sql-unparseable-rate"] == 1.0 and values["nl2sql-score"] == 0.0
    shown = repr(render_sample(plugins, result, result.samples[0]))
    assert "(unparseable: expected SELECT" in shown and "error: cannot render (ValueError: unparseable" in shown
