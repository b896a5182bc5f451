"""Cost and accuracy of every geometry method on the embedded instances, measured in one process.

    python plugins/geometry/benchmarks/bench_geometry.py [--quick]

Prints, per task, each method's wall time over all instances (best of 3, or 1 with --quick),
its ratio to the task's exact method measured in the same run, and its worst error against the
plugin's references; then accuracy against cost for the chain (N) and Monte Carlo (draws).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from harness_geometry import angles, data, ellipse, rope
from harness_geometry.metrics import curve_deviation


def timed(fn, repeats):
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def strip(row):
    return {k: v for k, v in row.items() if k != "reference"}


def angles_table(repeats):
    rows = data.angle_rows()
    methods = {
        "closed-form": angles.closed_form,
        "quadrature": angles.quadrature,
        "laplace": angles.laplace,
        "monte-carlo (10000 draws)": lambda n: angles.monte_carlo(n, 10000, 0),
    }
    print("random-angles: 11 dimensions n = 2 ... 10000")
    base = None
    for name, method in methods.items():
        seconds, results = timed(lambda m=method: [m(r["n"]) for r in rows], repeats)
        base = base or seconds
        errors = [
            abs(p["variance"] / r["reference"]["variance"] - 1)
            for p, r in zip(results, rows, strict=True)
            if p["variance"] is not None
        ]
        print(f"  {name:26s} {seconds * 1e3:9.1f} ms  x{seconds / base:8.1f}   max rel. variance error {max(errors):.2e}")


def rope_table(repeats):
    rows = data.rope_rows()
    print("rope-curve: 8 troposkeins + 2 gravity instances")
    base = None
    for name, method in (("analytic", rope.analytic), ("shooting", rope.shooting), ("chain N=128", lambda r: rope.chain(r, 128))):
        seconds, results = timed(lambda m=method: [m(strip(r)) for r in rows], repeats)
        base = base or seconds
        devs = [
            curve_deviation(
                np.column_stack([p["curve"]["x"], p["curve"]["y"]]),
                np.column_stack([r["reference"]["curve"]["x"], r["reference"]["curve"]["y"]]),
                r["reference"]["length"],
            )
            for p, r in zip(results, rows, strict=True)
            if p.get("solved")
        ]
        solved = sum(bool(p.get("solved")) for p in results)
        print(
            f"  {name:26s} {seconds * 1e3:9.1f} ms  x{seconds / base:8.1f}   max deviation/L {max(devs):.2e} "
            f"({solved}/{len(rows)} solved)"
        )
    row = rows[4]  # R/D = 0.5
    ref = np.column_stack([row["reference"]["curve"]["x"], row["reference"]["curve"]["y"]])
    print("  chain on R/D = 0.5: N, time, max deviation/L, ratio to the previous N")
    previous = None
    for links in (16, 32, 64, 128, 256, 512):
        seconds, result = timed(lambda n=links: rope._relax_best(strip(row), n), 1)
        _, x, y = rope._resample(result, rope.CURVE_POINTS)
        dev = curve_deviation(np.column_stack([x, y]), ref, row["reference"]["length"])
        ratio = f"{previous / dev:5.2f}" if previous else "   --"
        print(f"    N={links:4d} {seconds * 1e3:8.1f} ms  {dev:.3e}  {ratio}")
        previous = dev


def ellipse_table(repeats):
    rows = data.ellipse_rows()
    print("ellipse-gluing: 8 ellipses, a/b = 1 ... 1000")
    base = None
    for name, method in (("elliptic", ellipse.elliptic_construction), ("arc-length", ellipse.arc_length_construction)):
        seconds, results = timed(lambda m=method: [m(r["a"], r["b"]) for r in rows], repeats)
        base = base or seconds
        closing = max(
            abs(p["closing_x"] - r["reference"]["closing_x"]) / r["reference"]["quarter_perimeter"]
            for p, r in zip(results, rows, strict=True)
        )
        margin = min(p["margin_min"] for p in results)
        print(
            f"  {name:26s} {seconds * 1e3:9.1f} ms  x{seconds / base:8.1f}   max closing error/l {closing:.2e}, "
            f"min margin {margin:.1e}"
        )


def monte_carlo_table():
    print("monte-carlo at n = 3: draws, time, |variance error| / SE, KS distance (1/sqrt(draws) for scale)")
    exact = angles.closed_form(3)["variance"]
    for draws in (1000, 10000, 100000):
        seconds, result = timed(lambda d=draws: angles.monte_carlo(3, d, 0), 1)
        z = abs(result["variance"] - exact) / result["variance_se"]
        print(
            f"    draws={draws:6d} {seconds * 1e3:8.1f} ms  z={z:4.2f}  KS={angles.ks_distance(result['cdf'], 3):.4f} "
            f"({1 / math.sqrt(draws):.4f})"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one repeat instead of best of 3")
    repeats = 1 if parser.parse_args().quick else 3
    angles_table(repeats)
    rope_table(repeats)
    ellipse_table(repeats)
    monte_carlo_table()


if __name__ == "__main__":
    main()
