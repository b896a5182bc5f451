"""Rope curve: the troposkein against an independent mpmath evaluation of R sn(kappa z | m), the
small-amplitude sine limit, shooting and the chain against the references, and the gravity setting."""

import math

import mpmath
import numpy as np
import pytest
from harness_geometry import data, reference, rope
from harness_geometry.metrics import curve_deviation, equilibrium_residual


def troposkein(ratio):
    return {"kind": "troposkein", "omega": 1.0, "g": 0.0, "D": 1.0, "R": ratio}


@pytest.fixture(scope="module")
def rows():
    """The embedded instances with their references, built once for the tests that read them (their
    collocation references take a fraction of a second); no test changes them."""
    return data.rope_rows()


def test_troposkein_against_mpmath_jacobi_sn_and_arc_length():
    """Independent check: mpmath's own K, E, sn; length by mpmath quadrature of sqrt(1 + r'(z)^2)."""
    with mpmath.workdps(25):
        result = rope.analytic(troposkein(0.5))
        m = mpmath.findroot(lambda q: mpmath.sqrt(q) / ((1 - q) * mpmath.ellipk(q)) - mpmath.mpf("0.5"), 0.3)
        kappa = 2 * mpmath.ellipk(m)
        assert result["m"] == pytest.approx(float(m), rel=1e-13)

        def slope(z):
            return mpmath.mpf("0.5") * kappa * mpmath.ellipfun("cn", kappa * z, m=m) * mpmath.ellipfun("dn", kappa * z, m=m)

        length = mpmath.quad(lambda z: mpmath.sqrt(1 + slope(z) ** 2), [0, 0.5, 1])
        assert result["length"] == pytest.approx(float(length), rel=1e-13)
        for x, y in list(zip(result["curve"]["x"], result["curve"]["y"], strict=True))[::20]:
            assert x == pytest.approx(float(mpmath.mpf("0.5") * mpmath.ellipfun("sn", kappa * y, m=m)), abs=1e-13)
        ref = reference.troposkein(1.0, 1.0, 0.5)
        assert ref["length"] == pytest.approx(float(length), rel=1e-13)


def test_small_amplitude_is_the_sine_curve():
    ratio = 1e-3
    result = rope.analytic(troposkein(ratio))
    y = np.array(result["curve"]["y"])
    assert np.max(np.abs(np.array(result["curve"]["x"]) - ratio * np.sin(np.pi * y))) < 1e-8
    assert result["length"] == pytest.approx(1 + (math.pi * ratio) ** 2 / 4, rel=1e-9)
    ref = reference.troposkein(1.0, 1.0, ratio)
    assert ref["m"] == pytest.approx((math.pi * ratio / 2) ** 2, rel=1e-5)  # m ~ (pi R / 2D)^2 as R/D -> 0
    assert ref["m"] == pytest.approx(result["m"], rel=1e-13) and ref["length"] == pytest.approx(result["length"], rel=1e-14)


@pytest.mark.parametrize("ratio", [0.01, 0.5, 1.0])
def test_shooting_matches_the_closed_form(ratio):
    ref = reference.troposkein(1.0, 1.0, ratio)
    result = rope.shooting(troposkein(ratio))
    pts = np.column_stack([result["curve"]["x"], result["curve"]["y"]])
    ref_pts = np.column_stack([ref["curve"]["x"], ref["curve"]["y"]])
    assert curve_deviation(pts, ref_pts, ref["length"]) < 1e-10
    assert result["length"] == pytest.approx(ref["length"], rel=1e-12)
    assert result["tension_at_widest"] == pytest.approx(ref["tension_at_widest"], rel=1e-9)


def test_gravity_instances_shooting_recovers_the_generating_constants(rows):
    gravity = [r for r in rows if r["kind"] == "fixed-length"]
    assert [r["reference"]["generator"]["C1"] for r in gravity] == [0.0, 1.0]
    for row in gravity:
        instance = {k: v for k, v in row.items() if k != "reference"}
        result = rope.shooting(instance)
        gen = row["reference"]["generator"]
        # The instance's numbers are rounded to 12 digits, so the constants come back to ~1e-10.
        assert result["start_tension"] == pytest.approx(gen["T0"], rel=1e-9)
        assert math.sin(result["start_angle"]) == pytest.approx(-gen["C1"] / gen["T0"], abs=1e-9)
        assert row["reference"]["start_tension"] == pytest.approx(gen["T0"], rel=1e-8)  # collocation agrees
        pts = np.column_stack([result["curve"]["x"], result["curve"]["y"]])
        ref = np.column_stack([row["reference"]["curve"]["x"], row["reference"]["curve"]["y"]])
        assert curve_deviation(pts, ref, row["length"]) < 1e-9
        assert rope.analytic(instance)["solved"] is False


def test_chain_converges_at_second_order_to_both_kinds_of_reference(rows):
    for row in (rows[4], rows[-1]):  # R/D = 0.5 and gravity with C1 = 1
        instance = {k: v for k, v in row.items() if k != "reference"}
        result = rope.chain(instance, 64)
        ref = np.column_stack([row["reference"]["curve"]["x"], row["reference"]["curve"]["y"]])[::2]
        errors = [
            curve_deviation(np.column_stack([lv["x"], lv["y"]]), ref, row["reference"]["length"]) for lv in result["levels"]
        ]
        assert [lv["N"] for lv in result["levels"]] == [8, 16, 32, 64]
        assert errors == sorted(errors, reverse=True) and errors[-1] < 2e-4
        ratios = np.array(errors[:-1]) / np.array(errors[1:])
        assert np.all((ratios > 3) & (ratios < 5))  # halving h quarters the error


def test_equilibrium_residual_separates_equilibria_from_other_curves():
    exact = rope.analytic(troposkein(0.5))
    assert equilibrium_residual(exact["curve"], 1.0, 0.0) < 1e-6
    # A circular arc through the same three points is not an equilibrium.
    arc = rope._three_point_arc(1.0, 0.5, 200)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(arc, axis=0).T))])
    curve = {"s": list(s), "x": list(arc[:, 0]), "y": list(arc[:, 1])}
    assert equilibrium_residual(curve, 1.0, 0.0) > 1e-2


def test_tension_sign_convention_first_integral_on_the_y_component(rows):
    """T y' - g s is constant along a gravity solution; the same with x' in its place is not."""
    row = rows[-1]
    instance = {k: v for k, v in row.items() if k != "reference"}
    result = rope.shooting(instance)
    lam = result["start_tension"] + 2.0**2 * 1.0 / 2 - 0.0
    s, x, y = (np.array(result["curve"][k]) for k in "sxy")
    tension = lam - 2.0**2 * x**2 / 2 + 3.0 * y
    ys, xs = np.gradient(y, s, edge_order=2), np.gradient(x, s, edge_order=2)
    assert np.ptp((tension * ys - 3.0 * s)[5:-5]) < 1e-3
    assert np.ptp((tension * xs - 3.0 * s)[5:-5]) > 0.5
