"""A task's declared curves read from stored runs: each line's points, and its deltas to the reference.

A run is a point of a line when it is a finished run of the line's model on the task, dataset,
split and sample limit asked for, and its configuration equals the line's (the model's defaults
with the line's fixed arguments, as the model resolves them) in every argument but the one that
moves it. One point per value of that argument: the newest run. Callers pass the model classes
in (this package does not import the plugin registry).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.api import ConfigError, Model, Task
from harness.curves import Curve, Delta, Line, delta
from harness.records import RunRecord
from harness.store import Store


@dataclass
class Point:
    """One run on a line: the argument's value, x and y (y after the curve's transform)."""

    value: Any
    x: float
    y: float
    run_id: str
    seed: int
    metrics: dict[str, float | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "x": self.x, "y": self.y, "run_id": self.run_id, "seed": self.seed}


@dataclass
class LineResult:
    line: Line
    config: dict[str, Any]  # the line's base configuration (the argument's entry is the model's default)
    points: list[Point]
    missing: list[Any]  # default grid values with no stored point
    delta: Delta | None = None  # None for the reference, or when the curve has none

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.line.name,
            "model": self.line.model,
            "argument": self.line.argument,
            "grid": list(self.line.values),
            "missing": self.missing,
            "points": [p.as_json() for p in self.points],
        }
        if self.delta is not None:
            data.update(bd_rate=self.delta.bd_rate, bd_psnr=self.delta.bd_psnr, note=self.delta.note or None)
        return data


@dataclass
class CurveResult:
    curve: Curve
    task: str
    dataset: str
    split: str
    limit: int | None
    lines: list[LineResult]

    def as_json(self) -> dict[str, Any]:
        return {
            "curve": self.curve.name,
            "task": self.task,
            "dataset": self.dataset,
            "split": self.split,
            "limit": self.limit,
            "x": self.curve.x,
            "y": self.curve.y,
            "y_transform": self.curve.y_transform,
            "reference": self.curve.reference,
            "lines": [line.as_json() for line in self.lines],
        }


def line_config(model: type[Model], line: Line) -> dict[str, Any]:
    """The configuration every point of `line` shares (the moving argument aside), as the model
    resolves it; a `ConfigError` when the model rejects the line's fixed arguments."""
    return model(**{k: str(v) if not isinstance(v, str) else v for k, v in line.config.items()}).config


def check_grid(model: type[Model], line: Line, task: str) -> None:
    """Every default grid value as the model takes it from `--model-arg`, before any run starts:
    a value the model rejects is a `ConfigError` naming the task, line and value."""
    if line.argument not in model.defaults:
        accepted = ", ".join(sorted(model.defaults)) or "none"
        lacks = f"which model {line.model!r} lacks (accepted: {accepted})"
        raise ConfigError(f"task {task!r}: curve line {line.name!r} moves {line.argument!r}, {lacks}")
    for config in line.configs():
        try:
            model(**{k: v if isinstance(v, str) else str(v) for k, v in config.items()})
        except ConfigError as exc:
            raise ConfigError(
                f"task {task!r}: curve line {line.name!r}, {line.argument}={config[line.argument]!r}: {exc}"
            ) from None


def _value(run: RunRecord, name: str) -> float | None:
    found = next((m.value for m in run.metrics if m.name == name), None)
    return None if found is None or (isinstance(found, float) and math.isnan(found)) else float(found)


def _points(curve: Curve, line: Line, base: Mapping[str, Any], runs: Sequence[RunRecord]) -> list[Point]:
    points: dict[Any, Point] = {}
    for run in runs:  # newest first: the first run of a value is its point
        config = run.model_config
        if run.model != line.model or line.argument not in config:
            continue
        if set(config) != set(base) or any(config[k] != v for k, v in base.items() if k != line.argument):
            continue
        value = config[line.argument]
        x, y = _value(run, curve.x), _value(run, curve.y)
        if value in points or x is None or y is None:
            continue
        metrics = {m.name: m.value for m in run.metrics}
        points[value] = Point(value, x, curve.transform(y), run.run_id, run.seed, metrics)
    return sorted(points.values(), key=lambda p: (p.x, p.y))


def gather(
    store: Store,
    task: type[Task],
    models: Mapping[str, type[Model]],
    curve: Curve,
    *,
    dataset: str,
    split: str,
    limit: int | None = None,
    lines: Sequence[str] | None = None,
) -> CurveResult:
    """The curve's lines (all, or those named in `lines`, with the reference always read for the
    deltas) from the finished runs in `store`. A line whose model is not in `models` has no
    points and a note."""
    chosen = [line for line in curve.lines if lines is None or line.name in lines or line.name == curve.reference]
    wanted = sorted({line.model for line in chosen})
    stored = store.runs(task=task.name, status="finished", model=wanted, dataset=dataset) if store.exists() else []
    runs = [r for r in stored if r.split == split and r.sample_limit == limit]
    results: list[LineResult] = []
    for line in chosen:
        model = models.get(line.model)
        if model is None:
            results.append(
                LineResult(line, {}, [], list(line.values), Delta(None, None, f"model {line.model!r} is not installed"))
            )
            continue
        base = line_config(model, line)
        points = _points(curve, line, base, runs)
        have = {str(p.value) for p in points}
        missing = [v for v in line.values if str(v) not in have]
        results.append(LineResult(line, base, points, missing))
    reference = next((r for r in results if r.line.name == curve.reference), None)
    for result in results:
        if reference is None or result is reference or (result.delta is not None and result.delta.note):
            continue
        pairs = [(p.x, p.y) for p in result.points]
        ref_pairs = [(p.x, p.y) for p in reference.points if math.isfinite(p.y)]
        result.delta = delta(ref_pairs, [(x, y) for x, y in pairs if math.isfinite(y)], (reference.line.name, result.line.name))
    if lines is not None and curve.reference not in lines:
        results = [r for r in results if r.line.name != curve.reference]
    return CurveResult(curve, task.name, dataset, split, limit, results)


def compressai(task: type[Task], results: Sequence[CurveResult]) -> dict[str, dict[str, Any]]:
    """One results file per line, in CompressAI's layout (`name`, `description`, `results` with one
    list per metric, a point per run, ordered by rate): the metrics of every curve of the task that
    the line appears on, under the curves' `export_names`. Returns {file name: content}."""
    files: dict[str, dict[str, Any]] = {}
    by_line: dict[str, list[tuple[CurveResult, LineResult]]] = {}
    for result in results:
        for line in result.lines:
            by_line.setdefault(line.line.name, []).append((result, line))
    for name, found in by_line.items():
        names: dict[str, str] = {}
        for result, _ in found:
            for metric in (result.curve.x, result.curve.y):
                names.setdefault(metric, result.curve.export_names.get(metric, metric))
        first_result, first_line = found[0]
        runs: dict[str, Point] = {}
        for _, line in found:
            for point in line.points:
                runs.setdefault(point.run_id, point)
        ordered = sorted(runs.values(), key=lambda p: p.metrics.get(first_result.curve.x) or 0.0)
        columns = {key: [p.metrics.get(metric) for p in ordered] for metric, key in names.items()}
        description = (
            f"{name} on {task.name} ({first_result.dataset}, split {first_result.split}), "
            f"{first_line.line.argument} = {', '.join(json.dumps(p.value) for p in ordered)}; "
            f"runs {', '.join(p.run_id for p in ordered)}"
        )
        files[f"{task.name}-{name}.json"] = {"name": name, "description": description, "results": columns}
    return files
