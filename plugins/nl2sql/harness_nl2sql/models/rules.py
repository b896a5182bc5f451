"""`rules`: an honest heuristic baseline (header and value matching, keyword rules), no training.

It finds where the question names a header (longest common substrings of two or more
characters), where it names a table cell or a number, reads the operator from the words between a
column and its value, the connective from 或, and aggregations from words such as 平均 / 最高 /
总 / 多少个 next to a selected column. Whatever it cannot place it leaves out.
"""

from __future__ import annotations

import re
from typing import Any

from harness import Model
from harness_nl2sql.values import span_value, text_cell

NUMBER = re.compile(r"-?\d+(?:\.\d+)?[万亿千]?|[零一二两三四五六七八九十百千]+[万亿]?")
GT = ("大于", "超过", "高于", "以上", "多于", "超出", ">", "大")
LT = ("小于", "低于", "不到", "以下", "少于", "不足", "<", "小")
NE = ("不等于", "不是", "不为", "并非", "除了", "不属于", "不在", "非")
AGG_WORDS = [
    (1, ("平均", "均值")),
    (2, ("最高", "最大", "最多")),
    (3, ("最低", "最小", "最少")),
    (5, ("总和", "合计", "一共", "加起来", "总数", "总")),
]
COUNT_WORDS = (
    "多少个",
    "有几",
    "几个",
    "数量",
    "多少家",
    "多少部",
    "多少所",
    "多少款",
    "多少名",
    "多少本",
    "数目",
    "几家",
    "几部",
    "几所",
    "几款",
    "几名",
    "几本",
)


def bare(header: str) -> str:
    return re.split(r"[(（]", header)[0] or header


def header_mentions(question: str, header: str) -> list[tuple[int, int]]:
    """Spans of the question naming this header: the longest shared substrings of 2+ characters."""
    name = bare(header)
    spans: list[tuple[int, int]] = []
    for length in range(len(name), 1, -1):
        for i in range(len(name) - length + 1):
            piece = name[i : i + length]
            start = question.find(piece)
            while start >= 0:
                if not any(s <= start < e or s < start + length <= e for s, e in spans):
                    spans.append((start, start + length))
                start = question.find(piece, start + 1)
        if spans:
            break
    return spans


def cell_mentions(question: str, cell: str) -> tuple[int, int] | None:
    """Where a text cell is named: verbatim, or by its longest prefix of 2+ characters (北京市 -> 北京)."""
    for length in range(len(cell), 1, -1):
        start = question.find(cell[:length])
        if start >= 0:
            return start, start + length
    return None


class RulesModel(Model):
    name = "rules"
    tasks = ("nl2sql",)
    description = "Heuristic baseline: header/cell/number matching and keyword rules for ops, aggregations and and/or."
    defaults = {"min_cell_chars": 2}
    batch_size = 64

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:
        return [self.parse(item["question"], item["table"]) for item in batch]

    def parse(self, question: str, table: dict) -> dict:
        header, types, rows = table["header"], table["types"], table["rows"]
        mentions = sorted((s, e, j) for j, h in enumerate(header) for s, e in header_mentions(question, h))
        taken: list[tuple[int, int]] = []  # spans used by values
        conds: list[tuple[int, list]] = []  # (position, cond)

        # Text cells named in the question, longest first.
        found = []
        for j, kind in enumerate(types):
            if kind != "text":
                continue
            for cell in {text_cell(r[j]) for r in rows if r[j] is not None}:
                if len(cell) < self.config["min_cell_chars"]:
                    continue
                span = cell_mentions(question, cell)
                if span:
                    found.append((span[1] - span[0], span, j, cell))
        for _, (s, e), j, cell in sorted(found, key=lambda f: -f[0]):
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            before = question[max(0, s - 4) : s]
            op = 3 if any(w in before for w in NE) else 2
            conds.append((s, [j, op, cell]))

        # Numbers: the condition column is the closest real column named before the number.
        for match in NUMBER.finditer(question):
            s, e = match.span()
            if any(ts <= s < te for ts, te in taken) or any(ms <= s < me for ms, me, _ in mentions):
                continue
            before = [m for m in mentions if m[1] <= s and types[m[2]] == "real"]
            if not before:
                continue
            _, me, j = before[-1]
            between = question[me:s] + question[e : e + 3]
            if any(w in between for w in NE[:4]):
                op = 3
            elif any(w in between for w in GT):
                op = 0
            elif any(w in between for w in LT):
                op = 1
            else:
                op = 2
            value = span_value(match.group(), "real", header[j])
            conds.append((s, [j, op, value]))
            taken.append((s, e))

        ordered = [c for _, c in sorted(conds, key=lambda pc: pc[0])]
        conn = (2 if "或" in question or "要么" in question else 1) if len(ordered) > 1 else 0

        # Selection: headers named outside conditions, with aggregation words next to them.
        sel, agg = [], []
        for s, e, j in mentions:
            near_cond = any(c[0] == j for c in ordered) and any(cs - 12 <= e <= cs for cs, c in conds if c[0] == j)
            if near_cond or j in sel:
                continue
            window = question[max(0, s - 3) : e + 4]
            code = next((a for a, words in AGG_WORDS if any(w in window for w in words)), 0)
            if code and types[j] != "real":
                code = 0
            sel.append(j)
            agg.append(code)
        if any(w in question for w in COUNT_WORDS) and not any(agg):
            sel, agg = [0], [4]
        if not sel:
            sel, agg = [0], [0]
        if any(agg) and not all(agg):
            keep = [(c, a) for c, a in zip(sel, agg, strict=True) if a]
            sel, agg = [c for c, _ in keep], [a for _, a in keep]
        return {"sel": sel, "agg": agg, "cond_conn_op": conn, "conds": ordered}
