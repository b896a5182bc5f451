"""Real TableQA quirks, on fixtures written in that exact shape (tests/fixtures/tableqa).

What the fixtures hold: condition values as strings against numeric cells (and numeric cells in
text columns, string cells in real columns); numbers written 二十, 2万, 五千万, 20%, 百分之七;
cond_conn_op 2 over two values of one column; one or two selected columns; !=; tables with
extra keys (`common`, a source `note`) and full-width brackets in headers (周票房（万）); the same
table in train, val and test; a test split without `sql` plus a line-aligned gold file of
flat objects.
"""

import json
import shutil
from pathlib import Path

import harness_nl2sql
import pytest
from harness_nl2sql.metrics import cond_set, execution_equal, logic_form_equal
from harness_nl2sql.models.bert import Encoder, labels
from harness_nl2sql.sql import Sandbox
from harness_nl2sql.task import Nl2sqlTask
from harness_nl2sql.values import normalise_value, snap, span_value

from harness import DataError
from harness.testing import run_plugin

FIXTURES = Path(__file__).parent / "fixtures" / "tableqa"


@pytest.fixture(scope="module")
def splits():
    task = Nl2sqlTask()
    return {split: task.load(split, FIXTURES) for split in ("train", "val", "test")}


def test_tables_keep_what_models_use_and_drop_extra_keys(splits):
    movie = splits["train"][0]["table"]
    assert movie["header"][1] == "周票房（万）" and movie["types"] == ["text", "real", "real", "real"]
    assert "common" not in movie and "note" not in splits["train"][4]["table"]
    # The same table in every split, loaded alike.
    ids = {split: {r["table_id"] for r in rows} for split, rows in splits.items()}
    assert "4d29d0513aaa11e9b911f40f24344a08" in ids["train"] & ids["val"] & ids["test"]


def test_the_test_split_takes_its_gold_from_the_aligned_flat_file(splits):
    gold = [json.loads(line) for line in (FIXTURES / "test.gold.json").read_text(encoding="utf-8").splitlines()]
    assert [r["sql"]["sel"] for r in splits["test"]] == [g["sel"] for g in gold]
    assert splits["test"][0]["sql"]["conds"] == [[0, 2, "白蛇：缘起"]] and splits["test"][0]["id"] == "test-0"


def test_gold_file_errors_name_the_file(tmp_path):
    for name in ("test.json", "test.tables.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    lines = (FIXTURES / "test.gold.json").read_text(encoding="utf-8").splitlines()
    (tmp_path / "test.gold.json").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"test\.gold\.json: 2 gold lines for 3 questions in test\.json"):
        Nl2sqlTask().load("test", tmp_path)
    bad = dict(json.loads(lines[1]), sel=[9])
    (tmp_path / "test.gold.json").write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"test\.gold\.json:2: column index 9 out of range"):
        Nl2sqlTask().load("test", tmp_path)
    (tmp_path / "test.gold.json").unlink()  # without the gold file the split still loads, unscored
    assert all(r["sql"] is None for r in Nl2sqlTask().load("test", tmp_path))


def test_a_table_id_twice_with_different_contents_is_an_error(tmp_path):
    lines = (FIXTURES / "val.tables.json").read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0])
    changed["rows"] = changed["rows"][:3]
    shutil.copy(FIXTURES / "val.json", tmp_path / "val.json")
    (tmp_path / "val.tables.json").write_text("\n".join([*lines, lines[0]]) + "\n", encoding="utf-8")
    assert len(Nl2sqlTask().load("val", tmp_path)) == 4  # an identical repeat is harmless
    (tmp_path / "val.tables.json").write_text(
        "\n".join([*lines, json.dumps(changed, ensure_ascii=False)]) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"val\.tables\.json:4: table id '4d29d0513aaa11e9b911f40f24344a08' occurs twice"):
        Nl2sqlTask().load("val", tmp_path)


def gold_result(row):
    box = Sandbox(row["table"])
    try:
        return box.run(row["sql"])
    finally:
        box.close()


def test_gold_sql_executes_as_meant_on_string_values_and_numeric_cells(splits):
    train = splits["train"]
    # or over two values of one column, SUM: 15.6 + 14.2
    assert gold_result(train[0])[0][0] == pytest.approx(29.8)
    # two selected columns, "5000" against 10637.3 ...: four films
    assert sorted(r[0] for r in gold_result(train[1])) == ["大黄蜂", "密室逃生", "死侍2：我爱我家", "白蛇：缘起"]
    assert gold_result(train[2]) == [(8,)]  # != 6 on a real column whose cells are 5.0, 7.0, ...
    # "2018" on a text column whose cells are 2018.0 (numbers) and "2016" (a string)
    assert sorted(gold_result(train[4])) == [("广州", 6.2), ("杭州", 6.7), ("深圳", 7.6), ("苏州", 6.8)]
    # a real column of string cells ("24221.98"), rank < 20 and year = 2018
    assert gold_result(train[5])[0][0] == pytest.approx(24221.98 + 22859.35)
    assert gold_result(splits["val"][2]) == [(22490.06,)]


def test_values_compare_across_the_ways_numbers_are_written():
    for written, gold in [
        ("二十", "20"),
        ("20%", "20"),
        ("20.0", "20"),
        ("2万", "20000"),
        ("百分之七", "7"),
        ("5.0", "5"),
        ("两千", "2000"),
    ]:
        assert normalise_value(written) == normalise_value(gold), written
    assert normalise_value("大黄蜂") == "大黄蜂" and normalise_value(" 海王 ") == "海王"
    pred = {"sel": [1], "agg": [5], "cond_conn_op": 1, "conds": [[4, 1, "二十"], [0, 2, "2018.0"]]}
    gold = {"sel": [3], "agg": [5], "cond_conn_op": 1, "conds": [[4, 1, "20"], [0, 2, "2018"]]}
    assert cond_set(pred) == cond_set(gold) and not logic_form_equal(pred, gold)
    assert logic_form_equal(dict(pred, sel=[3]), gold)


def test_predicted_numerals_execute_like_the_gold_strings(splits):
    row = splits["train"][5]
    pred = {"sel": [3], "agg": [5], "cond_conn_op": 1, "conds": [[4, 1, "二十"], [0, 2, "2018.0"]]}
    assert execution_equal(pred, row["sql"], row["table"])
    year_as_chinese = dict(pred, conds=[[4, 1, "20"], [0, 2, "二零一八"]])
    assert execution_equal(year_as_chinese, row["sql"], row["table"])
    assert not execution_equal(dict(pred, conds=[[4, 1, "20"], [0, 3, "二零一八"]]), row["sql"], row["table"])


def test_snapping_and_span_reading_handle_numerals_and_units():
    assert snap("二零一八", ["2016", "2017", "2018"]) == "2018"  # a number in a text column snaps by value
    assert snap("白蛇缘起", ["白蛇：缘起", "大黄蜂"]) == "白蛇：缘起"
    assert span_value("五千万", "real", "周票房（万）") == "5000"  # full-width brackets: the unit is still 万
    assert span_value("2万手", "real", "成交量(手)") == "20000"
    assert span_value("20%", "real", "票房占比（%）") == "20"
    assert span_value("百分之七", "real", "GDP增速（%）") == "7"


def test_training_spans_are_found_for_every_way_of_writing_a_number(splits):
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"])}
    encoder = Encoder(vocab, 96, 16, 512, match=True)
    found = {}
    for row in splits["train"]:
        encoded = encoder.encode(row["question"], row["table"]["header"], row["table"])
        target = labels(row, encoded)
        for c, _, v in row["sql"]["conds"]:
            span = "".join(ch for ch, col in zip(row["question"], target["col"], strict=False) if col == c)
            found[(row["question"][:6], v)] = span
    assert found[("二零一九年第", "大黄蜂")] == "大黄蜂密室逃生"  # or: both values tagged, one column
    assert found[("周票房在五千", "5000")] == "五千"
    assert found[("票房占比超过", "20")] == "20"
    assert found[("全国排名在二", "20")] == "二十"
    assert found[("成交量超过2", "20000")] == "2万"


def test_both_models_run_on_the_real_format_folder(splits, tmp_path):
    rules = run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="rules", data_dir=FIXTURES).run
    assert rules.status == "finished", rules.error
    assert rules.dataset == "tableqa" and rules.n_samples == 3
    assert rules.primary().value is not None  # the test split is scored through its gold file
    tiny = {"hidden_size": "32", "layers": "1", "heads": "2", "intermediate_size": "64", "epochs": "2", "train_batch_size": "4"}
    bert = run_plugin(
        harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="bert", model_args=tiny, split="val", data_dir=FIXTURES
    )
    assert bert.run.status == "finished", bert.run.error
    assert bert.run.n_samples == 4 and 0 <= bert.run.primary().value <= 1
    # The folder has val.json + val.tables.json: early stopping validates on them, train stays whole.
    curve = json.loads(bert.artifacts["learning-curve.json"].data)
    assert curve["validation"] == {"source": "validation split", "rows": 4}


def test_a_folder_without_a_val_split_validates_on_train_tables_held_out(tmp_path):
    task = Nl2sqlTask()
    assert task.has_split("val", FIXTURES) and task.has_split("train", FIXTURES) and task.has_split("val", None)
    for name in ("train.json", "train.tables.json", "test.json", "test.tables.json", "test.gold.json", "val.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)  # val.json without its tables file is no split
    assert not task.has_split("val", tmp_path) and not task.has_split("dev", FIXTURES)
    tiny = {"hidden_size": "32", "layers": "1", "heads": "2", "intermediate_size": "64", "epochs": "2", "train_batch_size": "4"}
    bert = run_plugin(
        harness_nl2sql,
        "nl2sql",
        db=tmp_path / "r.duckdb",
        model="bert",
        model_args={**tiny, "dev_fraction": "0.34"},  # one of the three train tables
        data_dir=tmp_path,
    )
    assert bert.run.status == "finished", bert.run.error
    validation = json.loads(bert.artifacts["learning-curve.json"].data)["validation"]
    assert validation["source"] == "carved from train" and validation["groups"] == 1 and 1 <= validation["rows"] < 8
