"""Turning panels and records into Streamlit widgets. Data is always shown as data: tables,
code blocks and plain text, never Markdown or HTML built from sample contents."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from harness.views import Panel, ci, config, fmt, short_json, value_axis  # noqa: F401  (pages use them as draw.*)


def value(data: Any, expanded: bool = True, where: Any = None) -> None:
    """A record's value (input, prediction, reference, scores, config): objects and lists as a
    JSON tree, anything else (a string, a number, a boolean, null) as JSON text: Streamlit's JSON
    viewer would parse a string as JSON and fail on a label such as "negative"."""
    target = where if where is not None else st
    if isinstance(data, (dict, list)):
        target.json(data, expanded=expanded)
    else:
        target.code(json.dumps(data, ensure_ascii=False), language="json")


def panel(item: Panel) -> None:
    if item.title:
        st.markdown(f"**{escape(item.title)}**")
    if item.kind == "chart":
        st.vega_lite_chart(_uniform_spec(item.data), width="stretch")
    elif item.kind == "image":
        st.image(item.data)
    elif item.kind == "code":
        st.code(item.data, language=item.language)
    elif item.kind == "table":
        st.dataframe(_uniform_columns(item.data), hide_index=True)
    elif item.kind == "json":
        value(item.data)
    else:
        st.text(str(item.data))
    if item.caption:
        st.caption(escape(item.caption))


def panels(make: Callable[[], Sequence[Panel]], who: str) -> None:
    """Draw a renderer's panels; a failing renderer becomes a warning, never a broken page."""
    try:
        items = list(make())
    except Exception as exc:  # plugin code: report it, keep the page
        st.warning(f"Renderer {who} failed: {type(exc).__name__}: {exc}")
        return
    for item in items:
        panel(item)


def _uniform_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Arrow needs one type per column, and Streamlit sends tables and a chart's inline data
    through Arrow; a plugin's rows may mix them (dim = 3 or "all"), so such a column becomes text."""
    kinds: dict[str, set[type]] = {}
    for row in rows:
        for key, value in row.items():
            if value is not None:
                kinds.setdefault(key, set()).add(
                    float if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value)
                )
    mixed = {key for key, types in kinds.items() if len(types) > 1}
    if not mixed:
        return rows
    return [
        {k: (short_json(v) if k in mixed and v is not None and not isinstance(v, str) else v) for k, v in row.items()}
        for row in rows
    ]


def _uniform_spec(spec: dict[str, Any]) -> dict[str, Any]:
    data = spec.get("data")
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        spec = {**spec, "data": {**data, "values": _uniform_columns(data["values"])}}
    if isinstance(spec.get("layer"), list):
        spec = {**spec, "layer": [_uniform_spec(layer) for layer in spec["layer"]]}
    return spec


def escape(text: str) -> str:
    """Plugin-written titles may quote data (a question, a value): keep Markdown from reading it."""
    return "".join("\\" + ch if ch in "\\`*_[]()#|<>~$" else ch for ch in text)


def pairwise_chart(labels: list[str], groups: list[int | None], matrix: list[list[float | None]], alpha: float) -> dict[str, Any]:
    """Vega-Lite heat map of a board's Holm-corrected pairwise p-values (rows and columns in rank order).

    Colour is log10 p (down to 1e-6), so the cells that matter, near alpha and below, are told apart;
    a cell below alpha carries a dot, and small boards print each p-value."""
    import math

    cells = [
        {
            "a": labels[i],
            "b": labels[j],
            "group_a": groups[i],
            "group_b": groups[j],
            "p": p,
            "log_p": max(-6.0, math.log10(p)) if p else -6.0,
            "text": f"{p:.2g}" if p is not None else "",
            "below": p is not None and p < alpha,
        }
        for i, row in enumerate(matrix)
        for j, p in enumerate(row)
        if i != j and p is not None
    ]
    axis = {"type": "nominal", "sort": labels, "title": None, "axis": {"labelLimit": 260}}
    layers: list[dict[str, Any]] = [
        {
            "mark": "rect",
            "encoding": {
                "color": {
                    "field": "log_p",
                    "type": "quantitative",
                    "title": "log10 p (Holm)",
                    "scale": {"domain": [-6, 0], "scheme": "blues", "reverse": True},
                },
                "tooltip": [
                    {"field": "a"},
                    {"field": "b"},
                    {"field": "p", "format": ".3g"},
                    {"field": "group_a"},
                    {"field": "group_b"},
                ],
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 30, "color": "#d62728"},
            "transform": [{"filter": "datum.below"}],
        },
    ]
    if len(labels) <= 12:
        text = {"type": "text", "baseline": "top", "dy": 4, "fontSize": 10}
        ink = {"condition": {"test": "datum.log_p < -3", "value": "white"}, "value": "black"}  # readable on dark cells
        layers.append({"mark": text, "encoding": {"text": {"field": "text"}, "color": ink}})
    return {
        "data": {"values": cells},
        "width": {"step": 44},
        "height": {"step": 32},
        "encoding": {"x": {"field": "b", **axis}, "y": {"field": "a", **axis}},
        "layer": layers,
    }


def score_chart(rows: list[dict[str, Any]], metric: str, higher_is_better: bool) -> dict[str, Any]:
    """Vega-Lite: one point per model with its 95% CI as an error bar, best at the top; a log axis
    when the values span decades, scientific labels for tiny ones (`harness.views.value_axis`)."""
    order = [r["label"] for r in rows]
    y = {"field": "label", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 320}}
    title = f"{metric} ({'↑' if higher_is_better else '↓'})"
    axis = value_axis(n for r in rows for n in (r["value"], r["ci_low"], r["ci_high"]))
    scale = axis.get("scale", {"zero": False})
    return {
        "data": {"values": rows},
        "height": {"step": 32},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "x": {"field": "ci_low", "type": "quantitative", "title": title, "scale": scale, **_axis(axis)},
                    "x2": {"field": "ci_high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 90},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "color": {"field": "flagged", "type": "nominal", "title": "flagged"},
                    "tooltip": [{"field": "label"}, {"field": "value"}, {"field": "ci_low"}, {"field": "ci_high"}],
                },
            },
        ],
    }


def curve_chart(rows: list[dict[str, Any]], x: str, y: str) -> dict[str, Any]:
    """Vega-Lite: quality against cost, one line per model (points in cost order), cost on a log
    axis; each point links to its run (`href`)."""
    return {
        "data": {"values": rows},
        "mark": {"type": "line", "point": {"filled": True, "size": 70, "cursor": "pointer"}},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": x, "scale": {"type": "log", "zero": False}},
            "y": {"field": "y", "type": "quantitative", "title": y, "scale": {"zero": False}},
            "color": {"field": "line", "type": "nominal", "title": None},
            "order": {"field": "x", "type": "quantitative"},
            "href": {"field": "href"},
            "tooltip": [
                {"field": "line"},
                {"field": "value"},
                {"field": "x", "title": x},
                {"field": "y", "title": y},
                {"field": "run"},
            ],
        },
    }


def _axis(axis: dict[str, Any]) -> dict[str, Any]:
    return {"axis": axis["axis"]} if "axis" in axis else {}
