"""Ellipse gluing: quarter perimeter against a known value and mpmath, the circle, the two
constructions against each other and against an mpmath construction of the closing point."""

import functools
import math

import mpmath
import numpy as np
import pytest
from harness_geometry import ellipse, reference
from harness_geometry.data import ELLIPSES

# Perimeter of the ellipse with semi-axes 2 and 1 is 9.688448220547675...; a quarter of it:
QUARTER_2_1 = 2.4221120551369187
CONSTRUCTIONS = (ellipse.arc_length_construction, ellipse.elliptic_construction)


@functools.cache
def built(construct, a: float, b: float) -> dict:
    """One construction of an ellipse per module: several tests read the 2 x 1 ellipse and the circle
    (a construction takes a fraction of a second), and none changes what it reads."""
    return construct(a, b)


def test_quarter_perimeter_of_2_1_against_a_known_value_and_mpmath():
    with mpmath.workdps(25):
        by_quad = mpmath.quad(lambda t: mpmath.sqrt(4 * mpmath.sin(t) ** 2 + mpmath.cos(t) ** 2), [0, mpmath.pi / 2])
    assert float(by_quad) == pytest.approx(QUARTER_2_1, rel=1e-15)
    for construct in CONSTRUCTIONS:
        assert built(construct, 2.0, 1.0)["quarter_perimeter"] == pytest.approx(QUARTER_2_1, rel=1e-12)
    assert reference.ellipse(2.0, 1.0)["quarter_perimeter"] == pytest.approx(QUARTER_2_1, rel=1e-15)


def closing_x_by_mpmath(a: float, b: float, dps: int, maxdegree: int) -> float:
    """x(l) = integral over t of sqrt(margin) ds/dt, with the partner angle found by Newton's method on
    mpmath's own incomplete elliptic integral (whose derivative in t is q(t)), independent of the plugin.

    Newton starts from a double-precision root (scipy's incomplete integral, in floats): mpmath's step
    from there confirms it in one evaluation instead of four from a linear guess. Only the start comes
    from scipy; the angle is where mpmath's own residual vanishes."""
    from scipy.special import ellipe, ellipeinc

    fa, fb = float(a), float(b)
    fm = 1 - (fb / fa) ** 2
    full = float(ellipe(fm))

    def float_partner(rest: float) -> float:
        u = math.pi / 2 * rest / (fa * full)
        for _ in range(50):
            step = (fa * (full - ellipeinc(math.pi / 2 - u, fm)) - rest) / math.hypot(fa * math.sin(u), fb * math.cos(u))
            u = min(max(u - step, 0.0), math.pi / 2)
            if abs(step) < 1e-15:
                break
        return u

    with mpmath.workdps(dps):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        m = 1 - (b / a) ** 2

        def q(t):
            return mpmath.sqrt((a * mpmath.sin(t)) ** 2 + (b * mpmath.cos(t)) ** 2)

        quarter = a * mpmath.ellipe(m)

        def arc(t):
            return quarter - a * mpmath.ellipe(mpmath.pi / 2 - t, m)

        def partner(rest):
            u = mpmath.mpf(float_partner(float(rest)))
            for _ in range(50):
                step = (arc(u) - rest) / q(u)
                u, previous = min(max(u - step, mpmath.mpf(0)), mpmath.pi / 2), u
                if u == previous or abs(step) < 16 * mpmath.eps:
                    return u
            raise AssertionError(f"no partner angle for arc length {rest}")

        def integrand(t):
            t2 = partner(quarter - arc(t))
            margin = (a * mpmath.sin(t) / q(t)) ** 2 - (b * mpmath.cos(t2) / q(t2)) ** 2
            return mpmath.sqrt(max(margin, 0)) * q(t)

        return float(mpmath.quad(integrand, [0, mpmath.pi / 4, mpmath.pi / 2], maxdegree=maxdegree))


# closing_x_by_mpmath(2, 1, dps=30, maxdegree=7) = 1.569757378840743617158452...: mpmath estimates the
# quadrature's error at 1e-39, and 20 digits with maxdegree 5 agree to 1e-20 (seconds of work, each).
CLOSING_2_1 = 1.5697573788407435


def test_closing_point_of_2_1_against_an_mpmath_construction():
    """The same construction at 15 digits and degree 3 (good to about 1e-13) confirms the
    value above; both constructions of the plugin must reach it."""
    closing = closing_x_by_mpmath(2.0, 1.0, dps=15, maxdegree=3)
    assert closing == pytest.approx(CLOSING_2_1, rel=1e-11)
    for construct in CONSTRUCTIONS:
        assert built(construct, 2.0, 1.0)["closing_x"] == pytest.approx(closing, rel=1e-9)


def test_the_circle_glues_with_zero_margin_everywhere():
    for construct in CONSTRUCTIONS:
        result = built(construct, 1.0, 1.0)
        assert result["quarter_perimeter"] == pytest.approx(math.pi / 2, rel=1e-13)
        assert result["closing_x"] == pytest.approx(0.0, abs=1e-12)
        assert max(abs(v) for v in result["margin"]["value"]) < 1e-14
        # y and z of the edge are sin and cos of the angle: the edge is a circle
        y, z = np.array(result["edge"]["y"]), np.array(result["edge"]["z"])
        assert np.allclose(y**2 + z**2, 1.0, atol=1e-12)


@pytest.mark.parametrize(("a", "b"), ELLIPSES)
def test_constructions_agree_and_the_margin_holds(a, b):
    first, second = (built(construct, a, b) for construct in CONSTRUCTIONS)
    scale = second["quarter_perimeter"]
    for key in "xyz":
        assert np.max(np.abs(np.array(first["edge"][key]) - np.array(second["edge"][key]))) < 1e-9 * scale
    assert abs(first["closing_x"] - second["closing_x"]) < 1e-10 * scale
    for result in (first, second):
        assert result["margin_min"] >= -ellipse.GLUING_TOL
        # zero (to rounding) at the two ends, where the two slopes are 1 and 0
        assert abs(result["margin"]["value"][0]) < 1e-14 and abs(result["margin"]["value"][-1]) < 1e-14
        if a > b:
            assert result["margin_interior_min"] > 0
        # the edge has unit speed: consecutive points are at most the arc-length step apart
        pts = np.column_stack([result["edge"][k] for k in "xyz"])
        steps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
        ds = np.diff(result["edge"]["s"])
        assert np.all(steps <= ds * (1 + 1e-9)) and np.all(steps >= ds * 0.9)


def test_margin_near_the_ends_grows_quadratically():
    """margin ~ c s^2 with c = (a^2 - b^2)/b^4 - b^2/a^4 (a Taylor expansion at s = 0)."""
    a, b = 2.0, 1.0
    result = built(ellipse.elliptic_construction, a, b)
    quarter = result["quarter_perimeter"]
    s = np.array(result["margin"]["s"][1:3])
    values = np.array(result["margin"]["value"][1:3])
    c = (a * a - b * b) / b**4 - b * b / a**4
    assert np.all(values / (c * s * s) > 0.5) and np.all(values / (c * s * s) < 1.5)
    assert s[0] < 0.02 * quarter
