"""Renderer panels (`harness.views.Panel`) as a static page draws them. Everything a plugin or a
model wrote stays data: the templates escape every string, images become files named by their
content, and a chart's Vega-Lite spec travels as an attribute the vendored Vega reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.publish.folder import Files, image_extension
from harness.views import Panel

TABLE_ROWS = 200  # rows of a table panel a page shows; the rest are counted
COMPACT_JSON = 100  # characters up to which a JSON value stays on one line


@dataclass
class Shown:
    kind: str
    title: str = ""
    caption: str = ""
    text: str = ""
    language: str = "text"
    src: str = ""  # site-relative
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more_rows: int = 0
    lines: list[tuple[str, str]] = field(default_factory=list)  # (css class, line) for diffs
    spec: str = ""  # a chart's Vega-Lite spec as JSON


def shown(panel: Panel, files: Files) -> Shown:
    """One panel ready for the template; a kind this version does not know shows as JSON."""

    def made(kind: str = panel.kind, **fields: Any) -> Shown:
        return Shown(kind=kind, title=panel.title, caption=panel.caption, **fields)

    if panel.kind == "image" and isinstance(panel.data, (bytes, bytearray)):
        data = bytes(panel.data)
        return made(src=files.blob(data, image_extension(data)))
    if panel.kind == "chart" and isinstance(panel.data, dict):
        return made(spec=json.dumps(panel.data, ensure_ascii=False, default=str))
    if panel.kind == "table" and isinstance(panel.data, list):
        records = [r if isinstance(r, dict) else {"value": r} for r in panel.data]
        headers = list(dict.fromkeys(k for r in records for k in r))
        body = [[_cell(r.get(h)) for h in headers] for r in records[:TABLE_ROWS]]
        return made(headers=headers, rows=body, more_rows=max(0, len(records) - TABLE_ROWS))
    if panel.kind == "code" and panel.language == "diff":
        return made("diff", lines=[(_diff_class(line), line) for line in str(panel.data).splitlines()])
    if panel.kind == "code":
        return made(text=str(panel.data), language=panel.language)
    if panel.kind == "text":
        return made(text=str(panel.data))
    compact = json.dumps(panel.data, ensure_ascii=False, default=str)
    body_text = compact if len(compact) <= COMPACT_JSON else json.dumps(panel.data, ensure_ascii=False, indent=1, default=str)
    return made("json", text=body_text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value, ensure_ascii=False, default=str)


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "diff-file"
    if line.startswith("+"):
        return "diff-add"
    if line.startswith("-"):
        return "diff-del"
    if line.startswith("@@"):
        return "diff-hunk"
    return ""


def searchable(sample: Any, limit: int = 160) -> str:
    """What the sample browser's search matches: the id, prediction, reference and input as text
    (each cut at `limit` characters, so the index of a large run stays small), lower-cased."""
    parts = [str(sample.sample_id)]
    for value in (sample.prediction, sample.reference, sample.input):
        parts.append((value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))[:limit])
    return " ".join(parts).lower()
