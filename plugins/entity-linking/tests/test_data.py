"""The CCKS 2019 loader on fixtures in the real format, and every validation error naming file and line."""

import json
import shutil
from pathlib import Path

import pytest
from harness_entity_linking.data import NIL, fold, load_real, normalise_alias, read_kb

from harness import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "ccks2019"


def test_real_format_quirks_are_read():
    train = load_real(FIXTURES, "train")
    assert [r["id"] for r in train] == ["1", "2", "3", "4"]  # string ids kept as strings
    first = train[0]["mentions"]
    assert first[0] == {"kb_id": "10004", "mention": "南京大学", "offset": 0}  # string offsets become ints
    repeated = [m for m in train[1]["mentions"] if m["mention"] == "胜利"]
    assert [m["offset"] for m in repeated] == [4, 7]  # one mention string at several offsets
    assert any(m["kb_id"] == NIL for m in train[2]["mentions"])
    assert len(train[3]["mentions"]) == 3  # a verbatim duplicate triple counts once
    assert "extra" not in train[3]  # extra keys are ignored
    dev = load_real(FIXTURES, "dev")
    assert all(r["mentions"] is None for r in dev)  # develop.json has no mention_data
    test = load_real(FIXTURES, "test")
    assert test[0]["mentions"] and test[1]["mentions"] is None


def test_kb_keeps_repeated_predicates_and_normalises_aliases():
    kb = read_kb(FIXTURES / "kb_data")
    assert len(kb) == 8
    assert [p for p, _ in kb.entities["10001"].data].count("标签") == 2
    assert kb.by_alias["胜利"] == ["10001", "10002"]
    assert kb.by_alias["红楼梦"] == ["10006"]  # 《》 stripped from the subject
    assert kb.by_alias["iphone x"] == ["10007"]  # lower-cased
    assert "标签：游戏；标签：游戏术语" in kb.entities["10001"].description()
    assert normalise_alias("《Ｘ7》") == "x7" and len(fold("ＩＰＨＯＮＥ㎏")) == 7


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "ccks"
    shutil.copytree(FIXTURES, target)
    return target


def _append(path: Path, line: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


TEXT = {"text_id": "9", "text": "南京大学", "mention_data": [{"kb_id": "10004", "mention": "南京大学", "offset": "0"}]}


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        ("train.json", '{"text_id": "9", "text": "南京', "not valid JSON"),
        (
            "train.json",
            json.dumps({**TEXT, "mention_data": [{"kb_id": "10004", "mention": "南京大学", "offset": "1"}]}, ensure_ascii=False),
            "does not match the text",
        ),
        (
            "train.json",
            json.dumps({**TEXT, "mention_data": [{"kb_id": "99999", "mention": "南京大学", "offset": "0"}]}, ensure_ascii=False),
            "not in kb_data",
        ),
        (
            "train.json",
            json.dumps({**TEXT, "mention_data": [{"kb_id": "10004", "mention": "南京大学", "offset": "x"}]}, ensure_ascii=False),
            "not an integer",
        ),
        ("train.json", json.dumps({**TEXT, "text_id": "1"}, ensure_ascii=False), "duplicate text_id '1' \\(first on line 1\\)"),
        ("train.json", json.dumps({"text_id": "9", "text": "南京"}, ensure_ascii=False), "no 'mention_data'"),
        (
            "kb_data",
            json.dumps({"subject_id": "10003", "subject": "南京", "alias": [], "data": []}, ensure_ascii=False),
            "duplicate subject_id '10003' \\(first on line 3\\)",
        ),
        (
            "kb_data",
            json.dumps({"subject_id": "20000", "subject": "x", "data": [{"predicate": "p"}]}),
            "'predicate' and 'object'",
        ),
        ("kb_data", json.dumps({"subject_id": "20000", "subject": "x", "alias": "x"}), "'alias' must be a list"),
    ],
)
def test_bad_lines_are_data_errors_naming_file_and_line(tmp_path, file, line, message):
    data_dir = _copy(tmp_path)
    number = _append(data_dir / file, line)
    with pytest.raises(DataError, match=f"{file}:{number}: .*{message}"):
        load_real(data_dir, "train")


def test_missing_files_are_named(tmp_path):
    data_dir = _copy(tmp_path)
    (data_dir / "eval.json").unlink()
    with pytest.raises(DataError, match=r"eval\.json does not exist"):
        load_real(data_dir, "test")
    (data_dir / "kb_data").unlink()
    with pytest.raises(DataError, match="kb_data does not exist"):
        load_real(data_dir, "train")
