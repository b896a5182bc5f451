"""A board's values and 95% CIs as an inline SVG chart: drawn at publish time from the rows, so it
needs no script and shows wherever the page opens. The template writes the SVG (and escapes the
labels); this module only places the marks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from harness.views import ci, fmt

ROW_HEIGHT = 22
LABEL_WIDTH = 260
PLOT_WIDTH = 420
MARGIN = 12


@dataclass
class Mark:
    label: str
    y: float
    x: float | None
    low: float | None
    high: float | None
    tooltip: str
    flagged: bool


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    axis_y: float
    marks: list[Mark] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    scale: str = "linear"


def ci_chart(board: dict[str, Any]) -> Chart | None:
    """One row per ranked row: the value as a dot, its 95% CI as a line. A log scale when every
    number is positive and they span more than three orders of magnitude (errors of 1e-16 beside
    1e-3); None when no row has a value."""
    rows = [r for r in board.get("rows") or [] if r.get("value") is not None]
    if not rows:
        return None
    numbers = [v for r in rows for v in (r.get("value"), r.get("ci_low"), r.get("ci_high")) if v is not None]
    low, high = min(numbers), max(numbers)
    log = low > 0 and high / low > 1e3
    if log:
        low, high = math.log10(low), math.log10(high)
    if high == low:
        low, high = low - 0.5 if log else low - abs(low) * 0.1 - 0.5, high + 0.5 if log else high + abs(high) * 0.1 + 0.5
    pad = (high - low) * 0.05
    low, high = low - pad, high + pad
    left, right = LABEL_WIDTH, LABEL_WIDTH + PLOT_WIDTH

    def x_of(value: float | None) -> float | None:
        if value is None or (log and value <= 0):
            return None
        v = math.log10(value) if log else value
        return left + (v - low) / (high - low) * (right - left)

    chart = Chart(right + MARGIN, MARGIN + ROW_HEIGHT * len(rows) + 28, left, right, MARGIN + ROW_HEIGHT * len(rows) + 4)
    chart.scale = "log" if log else "linear"
    for i, r in enumerate(rows):
        name = f"{r.get('rank')}. {r.get('model')}"
        tooltip = f"{name}: {fmt(r.get('value'))} {ci(r.get('ci_low'), r.get('ci_high'))} (run {r.get('run_id')})"
        chart.marks.append(
            Mark(
                name if len(name) <= 36 else name[:35] + "…",
                MARGIN + ROW_HEIGHT * i + ROW_HEIGHT / 2,
                x_of(r.get("value")),
                x_of(r.get("ci_low")),
                x_of(r.get("ci_high")),
                tooltip,
                bool(r.get("flags")),
            )
        )
    for k in range(5):
        v = low + (high - low) * k / 4
        shown = 10**v if log else v
        chart.ticks.append((left + (right - left) * k / 4, fmt(shown, 3)))
    return chart
