"""The titling task posed as text: the article in, the first line of the completion is the title."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.text import TextInterface

#: Labels a chat model may put before its title; removed with the quotes around it.
LABELS = ("标题：", "标题:", "Title:", "title:")
QUOTES = "\"'“”‘’《》「」"


class TitlingText(TextInterface):
    version = "1"
    system = "你是新闻编辑。请为用户给出的文章拟一个简短的中文标题。只输出标题本身，一行，不要解释。"

    def user(self, input: Mapping[str, Any]) -> str:
        return str(input["content"])

    def answer(self, row: Mapping[str, Any]) -> str:
        return str(row["title"])

    def input_of(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"content": row["content"]}

    def parse(self, completion: str, input: Mapping[str, Any]) -> dict[str, str]:
        """The first non-empty line, without a "标题：" label or quotes; "" when there is none (scored as wrong)."""
        line = next((line.strip() for line in str(completion).splitlines() if line.strip()), "")
        for label in LABELS:
            if line.startswith(label):
                line = line[len(label) :].strip()
        return {"title": line.strip(QUOTES).strip()}
