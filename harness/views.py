"""What a task plugin shows in the dashboard, as data.

Renderers return `Panel`s instead of calling Streamlit, so a plugin needs no Streamlit to draw,
its tests can check what would be shown without a server, and the app stays the one place that
knows how a panel becomes a widget. Sample text always reaches the page as text, never as HTML.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from harness.records import MetricValue, SampleRecord

PanelKind = Literal["chart", "image", "code", "table", "text", "json"]


@dataclass(frozen=True)
class Panel:
    """One thing to draw. `data` by kind: chart — a Vega-Lite spec (dict, data inline);
    image — PNG/JPEG bytes; code — source text (`language` picks the highlighter);
    table — a list of row dicts; text — plain text; json — any JSON value."""

    kind: PanelKind
    data: Any
    title: str = ""
    caption: str = ""
    language: str = "text"


def chart(spec: dict[str, Any], title: str = "", caption: str = "") -> Panel:
    """A Vega-Lite chart; put the rows in `spec["data"]["values"]`."""
    return Panel("chart", spec, title, caption)


def image(data: bytes, title: str = "", caption: str = "") -> Panel:
    """A PNG or JPEG image, given as bytes."""
    return Panel("image", data, title, caption)


def code(text: str, language: str = "text", title: str = "", caption: str = "") -> Panel:
    """Source text (SQL, Python, ...) shown highlighted as `language`."""
    return Panel("code", text, title, caption, language)


def table(rows: list[dict[str, Any]], title: str = "", caption: str = "") -> Panel:
    """A table of row dicts; the keys of the rows are the columns."""
    return Panel("table", rows, title, caption)


def text(body: str, title: str = "", caption: str = "") -> Panel:
    """Plain text, shown as text (never interpreted as Markdown or HTML)."""
    return Panel("text", body, title, caption)


def json_panel(value: Any, title: str = "", caption: str = "") -> Panel:
    """Any JSON value, shown as a collapsible tree."""
    return Panel("json", value, title, caption)


def diff(
    expected: str, actual: str, title: str = "", expected_label: str = "reference", actual_label: str = "prediction"
) -> Panel:
    """A unified line diff of two texts (e.g. gold vs predicted SQL), drawn as a `diff` code block."""
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), expected_label, actual_label, lineterm="")
    body = "\n".join(lines) or f"(identical)\n{expected}"
    return Panel("code", body, title, "", "diff")


def metric_bars(
    metrics: Iterable[MetricValue],
    title: str = "Metrics",
    caption: str = "bars: value; lines: 95% bootstrap interval",
    strip_prefix: str = "",
    axis: str = "value",
) -> Panel | None:
    """One horizontal bar per metric on a 0-1 scale (a log scale when the values span decades), its
    confidence interval a line across it: a run's scores at a glance. Metrics are labelled by
    name less `strip_prefix`, in the order given; those without a value are left out, and when
    none has one there is no chart (None)."""
    values = [
        {"metric": m.name.removeprefix(strip_prefix), "value": m.value, "low": m.ci_low, "high": m.ci_high}
        for m in metrics
        if m.value is not None
    ]
    if not values:
        return None
    metric = {"field": "metric", "type": "nominal", "sort": None}
    numbers = [float(n) for r in values for n in (r["value"], r["low"], r["high"]) if isinstance(n, (int, float))]
    x = {"field": "value", "type": "quantitative", "title": axis, **value_axis(numbers)}
    if "scale" not in x and all(0 <= n <= 1 for n in numbers):
        x["scale"] = {"domain": [0, 1]}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "layer": [
            {"mark": "bar", "encoding": {"y": metric, "x": x}},
            {
                "mark": "rule",
                "encoding": {"y": metric, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
            },
        ],
    }
    return chart(spec, title, caption)


def value_axis(values: Iterable[float | None]) -> dict[str, Any]:
    """How a Vega-Lite position channel over these values should scale and label, to merge into it.

    Values that span three or more decades get a log axis (a symmetric log one, whose linear part
    reaches the smallest non-zero magnitude, when some are zero or negative), so that 1e-16 and 0.2
    are both seen rather than the small ones drawn at 0; tick labels are then powers of ten.
    Values all below 1e-3 or from 1e5 up get scientific labels, never `0.0000000000000000`.
    Otherwise {}: Vega-Lite's own choice reads well.
    """
    import math

    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    magnitudes = [abs(v) for v in finite if v != 0]
    if not magnitudes:
        return {}
    low, high = min(magnitudes), max(magnitudes)
    if high / low >= 1e3:
        if all(v > 0 for v in finite):
            return {"scale": {"type": "log"}, "axis": {"format": ".0e"}}
        return {"scale": {"type": "symlog", "constant": low}, "axis": {"format": ".1~e"}}
    if high < 1e-3 or low >= 1e5:
        return {"axis": {"format": ".2~e"}}
    return {}


def generic_sample(sample: SampleRecord) -> list[Panel]:
    """A sample as any task can show it: what the model saw, predicted and should have said
    (strings as text, other values as JSON). Its scores are shown beside it by the page."""

    def shown(value: Any, title: str) -> Panel:
        return text(value, title) if isinstance(value, str) else json_panel(value, title)

    return [shown(sample.input, "Input"), shown(sample.prediction, "Prediction"), shown(sample.reference, "Reference")]


# -- how numbers and configs read, the same in the terminal and the dashboard -----------------


def fmt(value: float | None, digits: int = 4) -> str:
    """Significant digits, so 1.3e-16 does not read as 0."""
    return "—" if value is None else f"{value:.{digits}g}"


def ci(low: float | None, high: float | None) -> str:
    """A confidence interval as `[low, high]`, or a dash when it is unknown."""
    return "—" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


def short_json(value: Any, limit: int = 200) -> str:
    """A value as JSON text (a string as itself), cut to `limit` characters with an ellipsis."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def config(model_config: dict[str, Any]) -> str:
    """A model config as `key=value` pairs (JSON values), as the CLI and dashboard show it."""
    return " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in model_config.items()) or "—"


def learning_curve(record: dict[str, Any]) -> Panel | None:
    """A training's learning curve (the run's `learning-curve.json`, harness.training): training loss
    and validation metric against step, one above the other, each loop of a multi-stage training in
    its own colour; the caption says how training stopped. None when the curve has no points."""
    stages = record.get("stages") or [record]
    metric = str(record.get("metric") or "validation")
    values = []
    for stage in stages:
        name = stage.get("stage") or ""
        own = str(stage.get("metric") or metric)
        for point in stage.get("curve") or []:
            for series, value in (("training loss", point.get("train_loss")), (f"validation {own}", point.get(own))):
                if isinstance(value, (int, float)):
                    values.append({"step": point.get("step"), "series": series, "value": value, "stage": name})
    if not values:
        return None
    line: dict[str, Any] = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "step", "type": "quantitative"},
            "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}},
        },
    }
    if len(stages) > 1:
        line["encoding"]["color"] = {"field": "stage", "type": "nominal"}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "facet": {"row": {"field": "series", "type": "nominal", "title": None}},
        "resolve": {"scale": {"y": "independent"}},
        "spec": {**line, "height": 140},
    }
    return chart(spec, "Learning curve", training_summary(record))


def training_summary(record: dict[str, Any]) -> str:
    """How a training ended, in one line: the stop reason, its step, the best step and its value."""
    best = record.get("best_value")
    value = f" ({record.get('metric')} {fmt(best)})" if isinstance(best, (int, float)) else ""
    budget = record.get("budget_s")
    limit = f"; budget {fmt(budget)} s" if isinstance(budget, (int, float)) else ""
    validation = (record.get("stages") or [record])[-1].get("validation") or {}
    held = f"; validation: {validation.get('rows')} rows {validation.get('source')}" if validation.get("rows") else ""
    return (
        f"stopped by {record.get('stopped') or 'unknown'} at step {record.get('steps')}, "
        f"best step {record.get('best_step')}{value}{limit}{held}"
    )
