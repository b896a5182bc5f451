"""Problem instances: the embedded sets (deterministic, generated here) and JSON-lines files.

Each row is one instance plus its `reference`, computed by `harness_geometry.reference` when
the rows are built. A user's `--data-dir DIR` holds `<task>.jsonl` (`random-angles.jsonl`,
`rope-curve.jsonl`, `ellipse-gluing.jsonl`), one instance per line in the schema of the embedded
rows without `reference`; references are computed the same way for them. Bad values are
reported with the file and line (`DataError`), never as a traceback from a solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import DataError
from harness.jsonl import read_jsonl

ANGLE_DIMENSIONS = (2, 3, 4, 5, 10, 20, 50, 100, 200, 1000, 10000)
#: Largest n a file may ask for: Monte Carlo draws 2n numbers per pair (10000 draws at n = 1e5 take ~1 min).
MAX_DIMENSION = 100_000
TROPOSKEIN_RATIOS = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0)
#: The post's gravity example: omega = 2, g = 3, start (1, 0), C1 in {0, 1}. T0 = 2 = |phi(1, 0)|
#: is the size of the post's phi at its start (see the README on the sign of the tension).
GRAVITY = {"omega": 2.0, "g": 3.0, "start": (1.0, 0.0), "start_tension": 2.0, "c1": (0.0, 1.0)}
ELLIPSES = ((1.0, 1.0), (1.2, 1.0), (2.0, 1.0), (3.0, 1.0), (5.0, 1.0), (10.0, 1.0), (100.0, 1.0), (1000.0, 1.0))


class InstanceError(ValueError):
    """An instance that cannot be posed; the loader adds the file and line."""


# -- validation shared by embedded rows and files ------------------------------------------------


def _number(row: dict[str, Any], key: str, default: float | None = None) -> float:
    value = row.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InstanceError(f"{key!r} must be a finite number, got {value!r}")
    return float(value)


def _point(row: dict[str, Any], key: str) -> tuple[float, float]:
    value = row.get(key)
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    ):
        raise InstanceError(f"{key!r} must be a point [x, y] of two finite numbers, got {value!r}")
    if value[0] < 0:
        raise InstanceError(f"{key!r}: x is the distance from the rotation axis and cannot be negative, got {value[0]!r}")
    return float(value[0]), float(value[1])


def angle_instance(row: dict[str, Any]) -> dict[str, Any]:
    n = row.get("n")
    if isinstance(n, bool) or not isinstance(n, int):
        raise InstanceError(f"'n' must be an integer dimension, got {n!r}")
    if n < 2:
        raise InstanceError(f"n = {n}: the angle between two vectors needs n >= 2")
    if n > MAX_DIMENSION:
        raise InstanceError(f"n = {n} is above the supported {MAX_DIMENSION}")
    return {"id": str(row.get("id", f"angles-n{n}")), "n": n}


def rope_instance(row: dict[str, Any]) -> dict[str, Any]:
    kind = row.get("kind")
    omega = _number(row, "omega")
    if omega <= 0:
        raise InstanceError(f"omega = {omega:g}: the angular speed must be > 0 (omega <= 0 leaves no rotating rope)")
    g = _number(row, "g", 0.0)
    if g < 0:
        raise InstanceError(f"g = {g:g}: gravity must be >= 0 (it acts along -y)")
    if kind == "troposkein":
        if g != 0:
            raise InstanceError("a troposkein instance has g = 0; use kind 'fixed-length' with gravity")
        span, radius = _number(row, "D"), _number(row, "R")
        if span <= 0 or radius <= 0:
            raise InstanceError(f"D and R must be > 0, got D = {span:g}, R = {radius:g}")
        return {
            "id": str(row.get("id", f"troposkein-R{radius / span:g}")),
            "kind": kind,
            "omega": omega,
            "g": 0.0,
            "D": span,
            "R": radius,
        }
    if kind == "fixed-length":
        start, end = _point(row, "start"), _point(row, "end")
        length = _number(row, "length")
        chord = math.dist(start, end)
        if chord == 0:
            raise InstanceError("start and end coincide")
        if length <= chord * (1 + 1e-9):
            raise InstanceError(f"length {length:g} must exceed the distance between the ends ({chord:g})")
        return {
            "id": str(row.get("id", f"rope-{start}-{end}-{length:g}")),
            "kind": kind,
            "omega": omega,
            "g": g,
            "start": list(start),
            "end": list(end),
            "length": length,
        }
    raise InstanceError(f"'kind' must be 'troposkein' or 'fixed-length', got {kind!r}")


def ellipse_instance(row: dict[str, Any]) -> dict[str, Any]:
    a, b = _number(row, "a"), _number(row, "b")
    if a <= 0 or b <= 0:
        raise InstanceError(f"the semi-axes must be > 0, got a = {a:g}, b = {b:g}")
    if a < b:
        raise InstanceError(f"a = {a:g} < b = {b:g}: a is the semi-major axis (the ellipses bend along it); swap them")
    if a / b > 1e6:
        raise InstanceError(f"a / b = {a / b:g} is beyond the supported eccentricity (a / b <= 1e6)")
    return {"id": str(row.get("id", f"ellipse-a{a:g}-b{b:g}")), "a": a, "b": b}


# -- references ----------------------------------------------------------------------------------


def angle_reference(instance: dict[str, Any]) -> dict[str, Any]:
    from harness_geometry import reference

    return reference.angle_moments(instance["n"])


def rope_reference(instance: dict[str, Any]) -> dict[str, Any]:
    from harness_geometry import reference
    from harness_geometry.rope import SolveError

    if instance["kind"] == "troposkein":
        return reference.troposkein(instance["omega"], instance["D"], instance["R"])
    try:
        return reference.fixed_length(
            instance["omega"], instance["g"], tuple(instance["start"]), tuple(instance["end"]), instance["length"]
        )
    except SolveError as exc:
        raise InstanceError(str(exc)) from None


def ellipse_reference(instance: dict[str, Any]) -> dict[str, Any]:
    from harness_geometry import reference

    return reference.ellipse(instance["a"], instance["b"])


# -- embedded sets ---------------------------------------------------------------------------------


def angle_rows() -> list[dict[str, Any]]:
    return [_with_reference(angle_instance({"id": f"angles-n{n:05d}", "n": n}), angle_reference) for n in ANGLE_DIMENSIONS]


def rope_rows() -> list[dict[str, Any]]:
    from harness_geometry import reference

    rows = [
        _with_reference(
            rope_instance({"id": f"troposkein-R{ratio:g}", "kind": "troposkein", "omega": 1.0, "g": 0.0, "D": 1.0, "R": ratio}),
            rope_reference,
        )
        for ratio in TROPOSKEIN_RATIOS
    ]
    for c1 in GRAVITY["c1"]:
        made = reference.gravity_instance(GRAVITY["omega"], GRAVITY["g"], GRAVITY["start"], c1, GRAVITY["start_tension"])
        # The instance is the boundary-value problem with its numbers rounded to 12 digits; the
        # reference solves that problem afresh by collocation.
        instance = rope_instance(
            {
                "id": f"gravity-C1-{c1:g}",
                "kind": "fixed-length",
                "omega": GRAVITY["omega"],
                "g": GRAVITY["g"],
                "start": list(GRAVITY["start"]),
                "end": [0.0, round(made["end"][1], 12)],
                "length": round(made["length"], 12),
            }
        )
        row = _with_reference(instance, rope_reference)
        row["reference"]["generator"] = {"C1": c1, "T0": GRAVITY["start_tension"], "start_angle": made["start_angle"]}
        rows.append(row)
    return rows


def ellipse_rows() -> list[dict[str, Any]]:
    return [
        _with_reference(ellipse_instance({"id": f"ellipse-a{a:g}-b{b:g}", "a": a, "b": b}), ellipse_reference)
        for a, b in ELLIPSES
    ]


def _with_reference(instance: dict[str, Any], reference: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    return {**instance, "reference": reference(instance)}


# -- files -----------------------------------------------------------------------------------------


def read_instances(
    path: Path, parse: Callable[[dict[str, Any]], dict[str, Any]], reference: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """One JSON object per line; blank lines are skipped; every error names the file and line.

    Every line is read and checked before any reference is computed: a reference can take a second
    (collocation, quadrature), and a typo on the last line should not wait for the lines above it."""
    instances = []
    seen: dict[str, int] = {}
    for where, number, raw in read_jsonl(path, "one JSON instance per line"):
        if "reference" in raw:
            raise DataError(f"{where}: 'reference' is computed by the plugin and may not be given")
        try:
            instance = parse({"id": f"line-{number}", **raw})
            if instance["id"] in seen:
                raise InstanceError(f"id {instance['id']!r} already used on line {seen[instance['id']]}")
        except InstanceError as exc:
            raise DataError(f"{where}: {exc}") from None
        seen[instance["id"]] = number
        instances.append((where, instance))
    if not instances:
        raise DataError(f"{path} holds no instances")
    rows = []
    for where, instance in instances:
        try:
            rows.append({**instance, "reference": reference(instance)})
        except InstanceError as exc:  # no equilibrium for the reference to find, say
            raise DataError(f"{where}: {exc}") from None
    return rows
