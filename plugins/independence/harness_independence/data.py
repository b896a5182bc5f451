"""Test instances: the embedded synthetic grid, the user's `--data-dir`, and turning either into arrays.

A row is a small spec (family, n, dim, noise, seed, ...), never the arrays: samples stay a few
hundred bytes in the results database, and the arrays are regenerated bit-for-bit from the seed
when a model (or the dashboard) needs them.

`--data-dir DIR` reads `DIR/instances.jsonl`, one instance per line, either

    {"id": "a", "family": "circle", "n": 300, "dim": 2, "noise": 0.3, "seed": 7}      # a simulated instance
    {"id": "b", "x": "b_x.npy", "y": "b_y.csv", "dependent": true}                   # your own data

Paths are relative to DIR; .npy holds a 1-D or 2-D numeric array, .csv one observation per line
(comma-separated, an optional header line). `dependent` (true/false) is the ground truth that power
and type-I error are scored against; leave it out when unknown and the instance is tested but not scored.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from harness import DataError
from harness.jsonl import read_jsonl
from harness_independence.families import DEPENDENT, FAMILIES, INDEPENDENT, POST_FAMILIES, generate

DATASET = "independence-synth-v1"
SIZES = (50, 100, 200, 500, 1000)
DIMS = (1, 3)
DEPENDENT_REPS = 10
INDEPENDENT_REPS = 40
POST_REPS = 5
POST_N = 1000
POST_NOISE = 0.1
MIN_N = 6
INSTANCES_FILE = "instances.jsonl"


def _seed(key: str) -> int:
    return zlib.crc32(f"{DATASET}/{key}".encode())


def embedded() -> list[dict[str, Any]]:
    """The default grid, ordered repetition-first so that `--limit` still covers every family and n.

    Dependent families: 2 noise levels x 2 dims x 5 sizes x 10 repetitions; independent families:
    2 dims x 5 sizes x 40 repetitions (type-I error needs more instances than power); and the post's
    own example, both ways, 5 repetitions each.
    """
    rows: list[dict[str, Any]] = []
    for rep in range(POST_REPS):
        for family, dependent in POST_FAMILIES.items():
            rid = f"{family}-r{rep:02d}"
            rows.append(
                {
                    "id": rid,
                    "family": family,
                    "dim": 1,
                    "n": POST_N,
                    "noise": POST_NOISE if dependent else 0.0,
                    "noise_level": "post",
                    "rep": rep,
                    "seed": _seed(rid),
                    "source": "synthetic",
                    "dependent": dependent,
                }
            )
    for rep in range(max(DEPENDENT_REPS, INDEPENDENT_REPS)):
        for family in (*DEPENDENT, *INDEPENDENT):
            spec = FAMILIES[family]
            if rep >= (DEPENDENT_REPS if spec.dependent else INDEPENDENT_REPS):
                continue
            levels = (("low", spec.noise[0]), ("high", spec.noise[1])) if spec.dependent else (("none", 0.0),)
            for dim in DIMS:
                for level, noise in levels:
                    for n in SIZES:
                        rid = f"{family}-d{dim}-{level}-n{n}-r{rep:02d}"
                        rows.append(
                            {
                                "id": rid,
                                "family": family,
                                "dim": dim,
                                "n": n,
                                "noise": noise,
                                "noise_level": level,
                                "rep": rep,
                                "seed": _seed(rid),
                                "source": "synthetic",
                                "dependent": spec.dependent,
                            }
                        )
    return rows


def instance_arrays(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) arrays of an instance, (n, p) and (n, q), from a row or a model input."""
    if spec.get("source") == "file":
        x = read_array(Path(spec["x"]), None)
        y = read_array(Path(spec["y"]), None)
        if _digest(Path(spec["x"]), Path(spec["y"])) != spec["sha256"]:
            raise DataError(f"{spec['x']} or {spec['y']} changed since the run started (checksum differs)")
        return x, y
    return generate(spec["family"], int(spec["n"]), int(spec["dim"]), float(spec["noise"]), int(spec["seed"]))


# -- the user's data ----------------------------------------------------------------------------------


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def read_array(path: Path, where: str | None) -> np.ndarray:
    """A numeric (n, d) array from .npy or .csv; errors name the file (and the CSV line)."""
    prefix = f"{where}: " if where else ""
    if not path.is_file():
        raise DataError(f"{prefix}{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(f"{prefix}{path}: not a readable .npy array ({exc})") from None
        if arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2):
            raise DataError(f"{prefix}{path}: expected a 1-D or 2-D numeric array, got {arr.ndim}-D {arr.dtype}")
        arr = np.asarray(arr, dtype=float)
        arr = arr[:, None] if arr.ndim == 1 else arr
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            raise DataError(f"{prefix}{path}: row {bad[0][0]} holds a non-finite value")
        return arr
    if suffix == ".csv":
        return _read_csv(path, prefix)
    raise DataError(f"{prefix}{path}: unsupported file type {suffix or '(none)'!r}; use .npy or .csv")


def _read_csv(path: Path, prefix: str) -> np.ndarray:
    rows: list[list[float]] = []
    width = None
    with path.open(encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            if not cells or all(not c.strip() for c in cells):
                continue
            try:
                values = [float(c) for c in cells]
            except ValueError:
                if number == 1 and not rows:
                    continue  # a header line
                raise DataError(f"{prefix}{path}:{number}: not a number in {cells!r}") from None
            if not all(np.isfinite(values)):
                raise DataError(f"{prefix}{path}:{number}: non-finite value in {cells!r}")
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise DataError(f"{prefix}{path}:{number}: {len(values)} columns, the first row has {width}")
            rows.append(values)
    if not rows:
        raise DataError(f"{prefix}{path}: no numeric rows")
    return np.array(rows, dtype=float)


_SYNTH_KEYS = {"id", "family", "n", "dim", "noise", "seed", "dependent"}
_FILE_KEYS = {"id", "x", "y", "dependent", "family"}


def read_instances(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / INSTANCES_FILE
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for where, number, item in read_jsonl(path, f"--data-dir needs an {INSTANCES_FILE}; see the plugin README"):
        row = _file_instance(item, data_dir, where) if "x" in item or "y" in item else _synthetic_instance(item, where)
        row["id"] = str(item.get("id", f"line-{number}"))
        if row["id"] in seen:
            raise DataError(f"{where}: id {row['id']!r} already used on line {seen[row['id']]}")
        seen[row["id"]] = number
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no instances")
    return rows


def _dependent_field(item: dict[str, Any], where: str) -> bool | None:
    value = item.get("dependent")
    if value is not None and not isinstance(value, bool):
        raise DataError(f"{where}: 'dependent' must be true, false or absent, got {value!r}")
    return value


def _int_field(item: dict[str, Any], key: str, where: str, default: int | None = None, minimum: int = 0) -> int:
    value = item.get(key, default)
    if value is None:
        raise DataError(f"{where}: missing {key!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _synthetic_instance(item: dict[str, Any], where: str) -> dict[str, Any]:
    if unknown := sorted(set(item) - _SYNTH_KEYS):
        accepted = ", ".join(sorted(_SYNTH_KEYS))
        raise DataError(
            f"{where}: unknown key(s) {', '.join(unknown)} (a simulated instance takes {accepted};"
            " a data instance needs 'x' and 'y')"
        )
    family = item.get("family")
    known = [*FAMILIES, *POST_FAMILIES]
    if family not in known:
        close = difflib.get_close_matches(str(family), known, n=2)
        hint = f"; did you mean {' or '.join(close)}?" if close else f" (known: {', '.join(known)})"
        raise DataError(f"{where}: unknown family {family!r}{hint}")
    truth = FAMILIES[family].dependent if family in FAMILIES else POST_FAMILIES[family]
    given = _dependent_field(item, where)
    if given is not None and given != truth:
        raise DataError(f"{where}: family {family!r} is {'dependent' if truth else 'independent'}, but 'dependent' says {given}")
    n = _int_field(item, "n", where, minimum=MIN_N)
    dim = _int_field(item, "dim", where, default=1, minimum=1)
    spec = FAMILIES.get(family)
    default_noise = spec.noise[1] if spec and spec.noise else (POST_NOISE if truth else 0.0)
    noise = item.get("noise", default_noise)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or noise < 0:
        raise DataError(f"{where}: 'noise' must be a number >= 0, got {noise!r}")
    seed = _int_field(item, "seed", where, default=_seed(f"{family}/{n}/{dim}/{noise}/{where}"))
    return {
        "family": family,
        "dim": dim,
        "n": n,
        "noise": float(noise),
        "noise_level": "user",
        "rep": 0,
        "seed": seed,
        "source": "synthetic",
        "dependent": truth,
    }


def _file_instance(item: dict[str, Any], data_dir: Path, where: str) -> dict[str, Any]:
    if unknown := sorted(set(item) - _FILE_KEYS):
        raise DataError(f"{where}: unknown key(s) {', '.join(unknown)} (a data instance takes {', '.join(sorted(_FILE_KEYS))})")
    paths = {}
    for key in ("x", "y"):
        if not isinstance(item.get(key), str):
            raise DataError(f"{where}: {key!r} must be a path (relative to {data_dir}) to a .npy or .csv file")
        paths[key] = (data_dir / item[key]).resolve()
    x, y = read_array(paths["x"], where), read_array(paths["y"], where)
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{where}: {item['x']} has {x.shape[0]} observations but {item['y']} has {y.shape[0]}")
    if x.shape[0] < MIN_N:
        raise DataError(f"{where}: {x.shape[0]} observations; the tests need at least {MIN_N}")
    family = item.get("family", "user")
    if not isinstance(family, str):
        raise DataError(f"{where}: 'family' (a label for grouping) must be a string")
    return {
        "family": family,
        "dim": int(x.shape[1]),
        "dim_y": int(y.shape[1]),
        "n": int(x.shape[0]),
        "source": "file",
        "x": str(paths["x"]),
        "y": str(paths["y"]),
        "sha256": _digest(paths["x"], paths["y"]),
        "dependent": _dependent_field(item, where),
    }
