"""The embedded synthetic data and the two real-format loaders (fixtures written in those formats)."""

import json
import re

import harness_titling
import pytest
from harness_titling.data import load_real
from harness_titling.synth import ARTICLE_MAX, ARTICLE_MIN, SIZES, TITLE_MAX, TITLE_MIN, generate
from harness_titling.task import TitlingTask

from harness import DataError
from harness.testing import run_plugin


@pytest.fixture(scope="module")
def test_rows():
    return generate("test")


def test_synthetic_data_is_deterministic_sized_and_in_range(test_rows):
    assert generate("test") == test_rows
    assert {s: len(generate(s)) for s in SIZES} == SIZES and SIZES["train"] >= 5000
    assert all(ARTICLE_MIN <= len(r["content"]) <= ARTICLE_MAX for r in test_rows)
    assert all(TITLE_MIN <= len(r["title"]) <= TITLE_MAX for r in test_rows)
    assert len({r["title"] for r in test_rows}) > 0.98 * len(test_rows)
    assert TitlingTask().dataset_name(None) == "titling-synth-v1"


def test_titles_start_from_late_content_and_end_from_early_content(test_rows):
    """The property that makes decoding direction measurable: a title's first characters occur in
    the article's second half, its last characters in the lead sentence."""
    start_late = end_early = 0
    for row in test_rows:
        text, title = row["content"], row["title"]
        lead = text[: text.index("。") + 1]
        head = title[:4].lstrip("《")[:2]
        start_late += text.rfind(head) > len(text) / 2 or head not in text  # paraphrased outcomes are not in it
        end_early += title[-3:] in lead
    assert start_late > 0.9 * len(test_rows) and end_early > 0.9 * len(test_rows)


def test_paired_marks_repeated_names_copies_and_distractors(test_rows):
    works = [r for r in test_rows if r["title"].startswith("《")]
    assert 0.25 * len(test_rows) < len(works) < 0.6 * len(test_rows)
    assert all(r["title"].count("《") == r["title"].count("》") == 1 for r in works)
    assert all(re.search(re.escape(r["title"][: r["title"].index("》") + 1]), r["content"]) for r in works)
    repeated = [r for r in test_rows if re.match(r"^(\w{2,3})\w+，\1曾", r["title"])]
    assert len(repeated) > 0.05 * len(test_rows)
    numbers = [re.findall(r"\d+(?:\.\d)?", r["title"]) for r in test_rows]
    assert all(n and n[-1] in r["content"] for n, r in zip(numbers, test_rows, strict=True))
    # a distractor sentence with another person and number stands in every article
    assert all("此前，" in r["content"] and "去年，" in r["content"] for r in test_rows)
    # test titles are new: names and numbers must be copied from the article, not memorised
    train_titles = {r["title"] for r in generate("train")}
    assert sum(r["title"] not in train_titles for r in test_rows) > 0.99 * len(test_rows)


def write_jsonl(path, lines):
    path.write_text(
        "".join((ln if isinstance(ln, str) else json.dumps(ln, ensure_ascii=False)) + "\n" for ln in lines), encoding="utf-8"
    )


GOOD = [
    {
        "content": "华住集团旗下连锁酒店用户数据疑似发生泄露。警方已经介入调查。",
        "title": "华住数据疑似泄露",
        "source": "thucnews",
    },
    {"id": 17, "content": "夏天来临，晒后修复尤为重要。", "title": 2019, "extra": [1, 2]},
]


def test_jsonl_loader_reads_the_format_and_keeps_text_as_written(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", GOOD)
    rows = load_real(tmp_path, "train")
    assert [r["id"] for r in rows] == ["train-000001", "17"]
    assert rows[0] == {"id": "train-000001", "content": GOOD[0]["content"], "title": "华住数据疑似泄露"}
    assert rows[1]["title"] == "2019"  # a number where text was expected is read as its text
    write_jsonl(tmp_path / "test.jsonl", [{"content": "  前后有空格的文章  "}, "", GOOD[0]])
    test = load_real(tmp_path, "test")
    assert test[0]["title"] is None and test[0]["content"] == "  前后有空格的文章  " and len(test) == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"content": "文章", "title": ', "train.jsonl:2: not valid JSON"),
        ('["文章", "标题"]', "train.jsonl:2: expected a JSON object"),
        ({"title": "标题"}, "train.jsonl:2: no 'content'"),
        ({"content": "文章"}, "train.jsonl:2: no 'title'"),
        ({"content": "文章", "title": "  "}, "train.jsonl:2: 'title' is empty"),
        ({"content": ["文章"], "title": "标题"}, "train.jsonl:2: 'content' must be text"),
        ({"content": "文章", "title": True}, "train.jsonl:2: 'title' must be text"),
    ],
)
def test_bad_jsonl_lines_name_file_and_line(tmp_path, line, message):
    write_jsonl(tmp_path / "train.jsonl", [GOOD[0], line])
    with pytest.raises(DataError, match=re.escape(message)):
        load_real(tmp_path, "train")


def test_csl_tsv_layout(tmp_path):
    text = "基于深度学习的标题生成\t本文提出一种标题生成方法。\n\n短标题\t短文\r\n"
    (tmp_path / "train.tsv").write_text(text, encoding="utf-8")
    (tmp_path / "dev.tsv").write_text("验证标题\t验证文章\n", encoding="utf-8")
    rows = load_real(tmp_path, "train")
    assert rows == [
        {"id": "train-000001", "content": "本文提出一种标题生成方法。", "title": "基于深度学习的标题生成"},
        {"id": "train-000003", "content": "短文", "title": "短标题"},
    ]
    assert load_real(tmp_path, "val")[0]["title"] == "验证标题"
    (tmp_path / "test.tsv").write_text("标题\t正文\t多余的一列\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("test.tsv:1: expected 2 tab-separated columns (title, content), found 3")):
        load_real(tmp_path, "test")
    (tmp_path / "test.tsv").write_text("只有标题没有正文\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("test.tsv:1: expected 2 tab-separated columns")):
        load_real(tmp_path, "test")
    (tmp_path / "test.tsv").write_text("标题\t\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("test.tsv:1: 'content' is empty")):
        load_real(tmp_path, "test")
    (tmp_path / "test.tsv").write_bytes(b"\xff\xfe\t\xff\n")
    with pytest.raises(DataError, match=re.escape("test.tsv:1: not UTF-8")):
        load_real(tmp_path, "test")


def test_missing_or_ambiguous_files(tmp_path):
    with pytest.raises(DataError, match=re.escape("has no train.jsonl")):
        load_real(tmp_path, "train")
    write_jsonl(tmp_path / "train.jsonl", GOOD)
    (tmp_path / "train.tsv").write_text("标题\t正文\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("both train.jsonl and train.tsv")):
        load_real(tmp_path, "train")


def test_a_real_format_directory_runs_end_to_end(tmp_path):
    data = tmp_path / "csl"
    data.mkdir()
    pairs = [(f"论文{i}的标题", f"论文{i}的标题生成方法。我们在第{i}个数据集上实验。") for i in range(12)]
    for split in ("train", "dev", "test"):
        (data / f"{split}.tsv").write_text("".join(f"{t}\t{c}\n" for t, c in pairs), encoding="utf-8")
    outcome = run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model="lead", data_dir=data)
    run = outcome.run
    assert run.status == "finished", run.error
    assert run.dataset == "titling-csl" and run.n_samples == 12
    values = {m.name: m.value for m in run.metrics}
    assert 0 < values["titling-rouge-l"] < 1 and values["titling-first4-acc"] == 1.0
    bad = tmp_path / "bad"
    bad.mkdir()
    write_jsonl(bad / "test.jsonl", [GOOD[0], {"content": ""}])
    write_jsonl(bad / "train.jsonl", GOOD)
    with pytest.raises(DataError, match=r"test.jsonl:2: 'content' is empty"):
        run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model="lead", data_dir=bad)


def test_a_folder_has_the_validation_split_when_it_holds_its_file_in_a_real_format(tmp_path):
    task = TitlingTask()
    assert task.validation_split == "val" and task.has_split("val", None)
    assert not task.has_split("val", tmp_path)
    (tmp_path / "val.txt").write_text("标题\t正文\n", encoding="utf-8")  # not a real format
    assert not task.has_split("val", tmp_path)
    for name in ("val.jsonl", "val.tsv", "dev.tsv"):
        (tmp_path / name).write_text("", encoding="utf-8")
        assert task.has_split("val", tmp_path), name
        (tmp_path / name).unlink()
    assert not task.has_split("dev", tmp_path)  # splits are the task's names
