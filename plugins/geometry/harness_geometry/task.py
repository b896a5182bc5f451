"""The three tasks of the `geometry` group; instances and references come from `data`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from harness import Task
from harness_geometry import data

NUMBERS = {"type": "array", "items": {"type": "number"}}
CURVE = {"type": "object", "required": ["s", "x", "y"], "properties": {"s": NUMBERS, "x": NUMBERS, "y": NUMBERS}}
MAYBE_NUMBER = {"type": ["number", "null"]}

_EMBEDDED: dict[str, list[dict[str, Any]]] = {}


class _GeometryTask(Task):
    group = "geometry"
    splits = ("test",)
    default_split = "test"

    def load(self, split: str, data_dir: Path | None = None) -> list[dict[str, Any]]:
        if data_dir is None:
            # The embedded references take up to a second to compute (collocation, quadrature) and
            # are the same every time: computed once per process, handed out as copies.
            if self.name not in _EMBEDDED:
                _EMBEDDED[self.name] = self.embedded()
            return copy.deepcopy(_EMBEDDED[self.name])
        return data.read_instances(data_dir / f"{self.name}.jsonl", *self.parsers())

    def embedded(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def parsers(self) -> tuple[Any, Any]:
        raise NotImplementedError


class RandomAnglesTask(_GeometryTask):
    name = "random-angles"
    description = (
        "Law of the angle between two random vectors in R^n: mean, variance and distribution "
        "against exact values, n = 2 ... 10000."
    )
    source = "https://kexue.fm/archives/7076"
    metrics = (
        "angle-var-rel-error",
        "angle-var-abs-error",
        "angle-mean-abs-error",
        "angle-mean-rel-error",
        "angle-ks-distance",
        "angle-within-3se",
        "angle-unanswered",
    )
    primary_metric = "angle-var-rel-error"
    default_model = "closed-form"
    embedded_dataset = "geometry-angles-v1"
    prediction_schema = {
        "type": "object",
        "required": ["mean", "variance"],
        "description": "null mean/variance: the method does not answer for this n (counted as unanswered)",
        "properties": {
            "mean": MAYBE_NUMBER,
            "variance": MAYBE_NUMBER,
            "mean_se": MAYBE_NUMBER,
            "variance_se": MAYBE_NUMBER,
            "cdf": {
                "type": "object",
                "required": ["theta", "F"],
                "description": "CDF on [0, pi], for the KS distance",
                "properties": {"theta": NUMBERS, "F": NUMBERS, "F_left": NUMBERS},
            },
        },
    }
    real_dataset = "geometry-angles-jsonl"

    def embedded(self) -> list[dict[str, Any]]:
        return data.angle_rows()

    def parsers(self) -> tuple[Any, Any]:
        return data.angle_instance, data.angle_reference


class RopeCurveTask(_GeometryTask):
    name = "rope-curve"
    description = (
        "Shape of a rope rotating about an axis, with and without gravity: the troposkein "
        "(Jacobi sn) and the post's gravity setting, against exact or collocation references."
    )
    source = "https://kexue.fm/archives/6784"
    metrics = (
        "rope-max-deviation",
        "rope-length-rel-error",
        "rope-equilibrium-residual",
        "rope-chain-convergence-order",
        "rope-unsolved",
    )
    primary_metric = "rope-max-deviation"
    default_model = "analytic"
    embedded_dataset = "geometry-rope-v1"
    prediction_schema = {
        "type": "object",
        "required": ["solved"],
        "description": "solved=false: the method has no answer for this instance (counted as unsolved)",
        "properties": {
            "solved": {"type": "boolean"},
            "curve": CURVE,
            "length": {"type": "number"},
            "levels": {"type": "array", "items": {"type": "object"}},
        },
        "if": {"properties": {"solved": {"const": True}}},
        "then": {"required": ["curve", "length"]},
    }
    real_dataset = "geometry-rope-jsonl"

    def embedded(self) -> list[dict[str, Any]]:
        return data.rope_rows()

    def parsers(self) -> tuple[Any, Any]:
        return data.rope_instance, data.rope_reference


class EllipseGluingTask(_GeometryTask):
    name = "ellipse-gluing"
    description = (
        "Two ellipses bent along their major axes glue into a closed solid: gluing margin, "
        "quarter perimeter a E(e), closing point and edge curve of two constructions."
    )
    source = "https://kexue.fm/archives/6818"
    metrics = (
        "ellipse-edge-deviation",
        "ellipse-perimeter-rel-error",
        "ellipse-closing-error",
        "ellipse-margin-min",
        "ellipse-gluing-holds",
    )
    primary_metric = "ellipse-edge-deviation"
    default_model = "elliptic"
    embedded_dataset = "geometry-ellipse-v1"
    prediction_schema = {
        "type": "object",
        "required": ["edge", "quarter_perimeter", "closing_x", "margin_min"],
        "properties": {
            "edge": {
                "type": "object",
                "required": ["s", "x", "y", "z"],
                "properties": {"s": NUMBERS, "x": NUMBERS, "y": NUMBERS, "z": NUMBERS},
            },
            "quarter_perimeter": {"type": "number"},
            "closing_x": {"type": "number"},
            "margin_min": {"type": "number"},
        },
    }
    real_dataset = "geometry-ellipse-jsonl"

    def embedded(self) -> list[dict[str, Any]]:
        return data.ellipse_rows()

    def parsers(self) -> tuple[Any, Any]:
        return data.ellipse_instance, data.ellipse_reference


TASKS = (RandomAnglesTask, RopeCurveTask, EllipseGluingTask)
