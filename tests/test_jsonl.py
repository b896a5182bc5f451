"""The shared JSON-lines reader: what every plugin's --data-dir loader relies on for its errors."""

from __future__ import annotations

import pytest

from harness import DataError
from harness.jsonl import read_jsonl


def test_yields_objects_with_their_location_and_skips_blank_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"x": 1}\n\n  \n{"x": "北京"}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [(f"{path}:1", 1, {"x": 1}), (f"{path}:4", 4, {"x": "北京"})]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"x": 1}\n{"x": \n', ":2: not valid JSON (Expecting value, column 8)"),
        (b'{"x": 1}\n[1, 2]\n', ":2: expected a JSON object, got list"),
        (b'{"x": 1}\n{"x": "\xff"}\n', ":2: not UTF-8 text"),
    ],
)
def test_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        list(read_jsonl(path))
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_missing_file_says_what_was_expected(tmp_path):
    with pytest.raises(DataError, match=r"nope.jsonl does not exist \(expected TableQA tables\)"):
        list(read_jsonl(tmp_path / "nope.jsonl", "TableQA tables"))
