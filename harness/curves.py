"""Curves a task declares: quality against cost (rate-distortion), with Bjøntegaard deltas.

One number per model hides a trade-off that fields such as learned image compression judge by a
curve: the quality a model reaches at each rate. A task declares its curves in `Task.curves`: the
x metric (the cost, e.g. bits per pixel), the y metric (the quality, e.g. PSNR), and for each model
the argument that moves it along the curve with a default grid of values. A curve's points are
ordinary runs of that model whose configuration differs from the line's only in that argument, so
they cache, resume, sweep and export like any run; `harness curves` lists them, fills the missing
grid points through the sweep machinery, and summarises every line against the reference line by
the Bjøntegaard delta (`bd_rate`, `bd_psnr`).

The deltas follow the `bjontegaard` package's `pchip` method: quality and log10-rate are
interpolated piecewise-cubically (scipy's `PchipInterpolator`, monotone, so no overshoot between
points) and integrated over the range where both curves have points. numpy and scipy are imported
only when a delta is computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Fewer points than this on either line give no delta: four points per curve is the Bjøntegaard
#: convention (the original fitted a cubic through four rates), and fewer make the interpolation
#: between them a guess.
MIN_POINTS = 4

#: The y transforms a curve may name: "complement-db" is -10 log10(1 - y), how MS-SSIM is plotted
#: in dB in the compression literature (it spreads the values crowded just below 1).
TRANSFORMS = ("complement-db",)


@dataclass(frozen=True)
class Line:
    """One model's line on a curve: the model argument that moves it, and the values to run.

    `config` holds other arguments fixed for every point (the rest take the model's defaults);
    `label` names the line when one model has two lines (e.g. the same model moved along two
    arguments), else the model's name is the line's name."""

    model: str
    argument: str
    values: tuple[Any, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def name(self) -> str:
        """How the line is named in tables and `--model`: its label, else its model."""
        return self.label or self.model

    def configs(self) -> list[dict[str, Any]]:
        """The model arguments of each default grid point, in the order of `values`."""
        return [{**self.config, self.argument: value} for value in self.values]


@dataclass(frozen=True)
class Curve:
    """A curve a task declares: y (quality) against x (cost), one line per model.

    `reference` names the line the others are summarised against (BD-rate and BD-PSNR); None
    reports the curves without deltas. `y_transform` (one of `TRANSFORMS`) is applied to the
    stored metric value before plotting and before deltas, e.g. MS-SSIM in dB. `export_names`
    names metrics in an exported results file, e.g. CompressAI's `bpp`, `psnr-rgb` and
    `ms-ssim-rgb`, so curves plot beside theirs; a metric without one keeps its own name."""

    name: str
    x: str
    y: str
    lines: tuple[Line, ...]
    reference: str | None = None
    y_transform: str | None = None
    description: str = ""
    export_names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [line.name for line in self.lines]
        if len(set(names)) != len(names):
            raise ValueError(f"curve {self.name!r}: two lines are named alike in {names} (give one a label)")
        if self.reference is not None and self.reference not in names:
            raise ValueError(f"curve {self.name!r}: reference {self.reference!r} is not one of its lines {names}")
        if self.y_transform is not None and self.y_transform not in TRANSFORMS:
            raise ValueError(f"curve {self.name!r}: y_transform {self.y_transform!r} is not one of {TRANSFORMS}")

    def line(self, name: str) -> Line:
        """The line of that name (a `KeyError` when none is)."""
        for line in self.lines:
            if line.name == name:
                return line
        raise KeyError(name)

    def transform(self, y: float) -> float:
        """The plotted value of a stored y value (`y_transform`); inf for an MS-SSIM of exactly 1."""
        if self.y_transform == "complement-db":
            return math.inf if y >= 1.0 else -10.0 * math.log10(1.0 - y)
        return y

    @property
    def y_label(self) -> str:
        """The y axis as plotted: the metric's name, with "(dB)" after a complement-db transform."""
        return f"{self.y} (dB)" if self.y_transform == "complement-db" else self.y


@dataclass(frozen=True)
class Delta:
    """A line's Bjøntegaard delta against the reference: `bd_rate` in percent (negative: fewer
    bits at equal quality), `bd_psnr` in the y metric's unit (positive: better at equal rate),
    or None with `note` saying why it could not be computed."""

    bd_rate: float | None
    bd_psnr: float | None
    note: str = ""


def pareto(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point beats (as cheap or cheaper, and better), sorted by x: a point with
    more bits and no better quality is never an operating point, and pchip needs a curve on which
    quality rises with rate."""
    front: list[tuple[float, float]] = []
    for x, y in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or y > front[-1][1]:
            if front and front[-1][0] == x:
                continue
            front.append((x, y))
    return front


def _average(xs: Sequence[float], ys: Sequence[float], low: float, high: float) -> float:
    from scipy.interpolate import PchipInterpolator

    return float(PchipInterpolator(list(xs), list(ys)).integrate(low, high)) / (high - low)


def bd_rate(reference: Sequence[tuple[float, float]], test: Sequence[tuple[float, float]]) -> float:
    """Average rate difference in percent of `test` against `reference` at equal quality, over the
    quality range both cover: log10-rate interpolated against quality (pchip). Points are (rate,
    quality) with rate > 0, quality strictly rising with rate (see `pareto`)."""
    ref = sorted(reference, key=lambda p: p[1])
    new = sorted(test, key=lambda p: p[1])
    low, high = max(ref[0][1], new[0][1]), min(ref[-1][1], new[-1][1])
    if high <= low:
        raise ValueError("the curves do not overlap in quality")
    ref_avg = _average([q for _, q in ref], [math.log10(r) for r, _ in ref], low, high)
    new_avg = _average([q for _, q in new], [math.log10(r) for r, _ in new], low, high)
    return (10 ** (new_avg - ref_avg) - 1) * 100


def bd_psnr(reference: Sequence[tuple[float, float]], test: Sequence[tuple[float, float]]) -> float:
    """Average quality difference of `test` against `reference` at equal rate, over the log10-rate
    range both cover: quality interpolated against log10-rate (pchip)."""
    ref = sorted(reference)
    new = sorted(test)
    low, high = max(math.log10(ref[0][0]), math.log10(new[0][0])), min(math.log10(ref[-1][0]), math.log10(new[-1][0]))
    if high <= low:
        raise ValueError("the curves do not overlap in rate")
    ref_avg = _average([math.log10(r) for r, _ in ref], [q for _, q in ref], low, high)
    new_avg = _average([math.log10(r) for r, _ in new], [q for _, q in new], low, high)
    return new_avg - ref_avg


def delta(
    reference: Sequence[tuple[float, float]], test: Sequence[tuple[float, float]], names: tuple[str, str] = ("reference", "line")
) -> Delta:
    """Both deltas of `test` against `reference` from their (rate, quality) points, each line cut to
    its `pareto` front first; None with a note when a line has fewer than `MIN_POINTS` points
    there or the curves do not overlap."""
    ref, new = pareto(reference), pareto(test)
    for label, front, given in ((names[0], ref, reference), (names[1], new, test)):
        if len(front) < MIN_POINTS:
            beaten = len(given) - len(front)
            dominated = f" where quality rises with rate ({beaten} of {len(given)} beaten by a cheaper one)" if beaten else ""
            note = f"{label} has {len(front)} point{'' if len(front) == 1 else 's'}{dominated}; a delta needs {MIN_POINTS}"
            return Delta(None, None, note)
        if front[0][0] <= 0:
            return Delta(None, None, f"{label} has a point at rate {front[0][0]}: log-rate needs rates above 0")
    try:
        rate = bd_rate(ref, new)
    except ValueError as error:
        return Delta(None, None, f"no BD-rate: {error}")
    try:
        quality = bd_psnr(ref, new)
    except ValueError as error:
        return Delta(rate, None, f"no BD-PSNR: {error}")
    return Delta(rate, quality)
