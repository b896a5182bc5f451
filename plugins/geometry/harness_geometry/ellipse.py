"""Gluing two bent ellipses into a closed solid (kexue.fm/archives/6818): two constructions.

The ellipse x^2/a^2 + y^2/b^2 = 1 (a >= b) is walked from (a, 0) by arc length s; with
(a cos t, b sin t), ds/dt = Q(t) = sqrt(a^2 sin^2 t + b^2 cos^2 t) and the quarter perimeter is
l = a E(e^2), e^2 = 1 - b^2/a^2. h(s) = b sin t(s) is the height, h'(s) = b cos t / Q(t).

Bending both ellipses along their major axes and gluing them edge to edge with a quarter-turn
offset gives the edge curve P(s) = (x(s), h(s), h(l - s)); every piece of each ellipse keeps
its length, so |P'| = 1 and x'(s)^2 = 1 - h'(s)^2 - h'(l - s)^2, the gluing margin. It must be
>= 0 (it is, the post proves), and it is exactly 0 at s = 0 and s = l: that is where a
tolerance is needed (GLUING_TOL; see the README). x(l) is where the quarter edge closes.
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any

EDGE_POINTS = 101
MARGIN_POINTS = 2001
#: A computed margin at or above -GLUING_TOL counts as >= 0. The margin is a difference of
#: numbers of size 1 and is exactly 0 at both ends, so its rounding error is ~1e-16; the
#: arc-length inversions below are accurate to ~1e-12 relative, which moves h' by as much.
#: 1e-9 leaves three orders of magnitude above that and still catches any real violation.
GLUING_TOL = 1e-9
#: Margins within this of 0 are rounding noise (64 ulp at 1) and are integrated as exactly 0: the
#: square root would magnify noise of 1e-16 into 1e-8, and for the circle (margin identically 0)
#: adaptive integrators would chase that noise forever. Near the ends the margin grows like
#: c s^2, so the snap changes x(l) by about 1e-14 at most.
ROUNDING_FLOOR = 64 * 2.220446049250313e-16


def root_margin(value: float) -> float:
    """sqrt(margin), with rounding noise around 0 taken as 0 (see ROUNDING_FLOOR)."""
    return math.sqrt(value) if value > ROUNDING_FLOOR else 0.0


def _q(t: Any, a: float, b: float) -> Any:
    import numpy as np

    return np.sqrt((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2)


def arc_length_construction(a: float, b: float) -> dict[str, Any]:
    """The post's construction: invert the arc length numerically (integrate dt/ds = 1/Q(t) to
    t = pi/2, which also gives l), form the margin 1 - h'(s)^2 - h'(l-s)^2 literally, and integrate
    its square root with an adaptive ODE solver for x(s)."""
    import numpy as np
    from scipy.integrate import solve_ivp

    def reach_quarter(s: float, t: Any) -> float:
        return t[0] - math.pi / 2

    reach_quarter.terminal = True
    span = math.pi / 2 * max(a, b) * 1.01
    inverse = solve_ivp(
        lambda s, t: [1.0 / float(_q(t[0], a, b))],
        (0.0, span),
        [0.0],
        method="DOP853",
        rtol=1e-13,
        atol=1e-14,
        events=reach_quarter,
        dense_output=True,
    )
    quarter = float(inverse.t_events[0][0])

    def t_of(s: Any) -> Any:
        return np.clip(inverse.sol(np.clip(s, 0.0, quarter))[0], 0.0, math.pi / 2)

    def slope(s: Any) -> Any:
        t = t_of(s)
        return b * np.cos(t) / _q(t, a, b)

    def margin(s: Any) -> Any:
        return 1.0 - slope(s) ** 2 - slope(quarter - s) ** 2

    def dx(s: float, x: Any) -> list[float]:
        return [root_margin(float(margin(s)))]

    s = np.linspace(0.0, quarter, EDGE_POINTS)
    x = solve_ivp(dx, (0.0, quarter), [0.0], method="DOP853", rtol=1e-12, atol=1e-14, t_eval=s).y[0]
    return _result("arc-length", a, b, quarter, s, x, t_of(s), t_of(quarter - s), margin)


class _ArcAngle:
    """t(s) on one ellipse: the t with a (E(m) - E(pi/2 - t | m)) = s, by Newton's method (ds/dt = Q(t) > 0),
    kept in [0, pi/2].

    Quadrature asks for one point at a time, tens of thousands of times per ellipse, so each inversion
    starts from a cubic Hermite interpolant of t(s) through a table of the forward map (uniform in t,
    plus geometric steps towards t = 0, where t(s) bends on the scale b/a): it starts within 1e-11 of
    the root at a/b = 2, 1e-8 at a/b = 1000, 3e-8 at a/b = 1e6, so one or two Newton steps finish the
    job. Newton converges quadratically, |error after a step| <= |Q'/2Q| step^2 <= (a/4b) step^2, so
    it stops once that bound is below 1e-17: the last iterate is then as accurate as the residual's
    rounding allows (within about 2 eps l / Q(t) of the root, as the step-below-1e-15 rule it replaces
    was), without the evaluation that rule spends to confirm convergence, and without running to the
    iteration limit where rounding noise exceeds 1e-15 (small t on eccentric ellipses).
    """

    TABLE_POINTS = 513

    def __init__(self, a: float, b: float) -> None:
        import numpy as np
        from scipy.special import ellipe

        self.a, self.b = a, b
        self.m = 1.0 - (b / a) ** 2
        self.full = float(ellipe(self.m))
        self.quarter = a * self.full
        self.settled = math.sqrt(4e-17 * b / a)
        uniform = np.linspace(0.0, math.pi / 2, self.TABLE_POINTS)
        t = np.unique(np.concatenate([uniform, np.geomspace(b / a / 16, math.pi / 2, self.TABLE_POINTS // 2)]))
        s = self._arc(t)
        s[0], s[-1] = 0.0, self.quarter
        rising = np.concatenate([np.diff(s) > 0, [True]])  # no empty interval to divide by
        t, s = t[rising], s[rising]
        # and as lists, which bisect searches faster than numpy searches one point
        self.t_table, self.s_table, self.slope_table = t, s, 1.0 / _q(t, a, b)
        self._t, self._s, self._slope = t.tolist(), s.tolist(), self.slope_table.tolist()

    def _arc(self, t: Any) -> Any:
        from scipy.special import ellipeinc

        return self.a * (self.full - ellipeinc(math.pi / 2 - t, self.m))

    def scalar(self, s: float) -> float:
        """t(s) on floats with the math module: no numpy call overhead on single points."""
        from scipy.special import ellipeinc

        a, b, m, full, half_pi = self.a, self.b, self.m, self.full, math.pi / 2
        s_table = self._s
        s = min(max(s, 0.0), s_table[-1])
        j = min(max(bisect.bisect_right(s_table, s) - 1, 0), len(s_table) - 2)
        t = _hermite(s, s_table[j], s_table[j + 1], self._t[j], self._t[j + 1], self._slope[j], self._slope[j + 1])
        for _ in range(100):
            step = (a * (full - float(ellipeinc(half_pi - t, m))) - s) / _q_scalar(t, a, b)
            t = min(max(t - step, 0.0), half_pi)
            if abs(step) <= self.settled:
                break
        return t

    def array(self, s: Any) -> Any:
        """t(s) elementwise on an array, the same steps."""
        import numpy as np

        s = np.clip(np.asarray(s, dtype=float), 0.0, self.s_table[-1])
        j = np.clip(np.searchsorted(self.s_table, s, side="right") - 1, 0, len(self.s_table) - 2)
        s_table, t_table, slope_table = self.s_table, self.t_table, self.slope_table
        t = _hermite(s, s_table[j], s_table[j + 1], t_table[j], t_table[j + 1], slope_table[j], slope_table[j + 1])
        for _ in range(100):
            step = (self._arc(t) - s) / _q(t, self.a, self.b)
            t = np.clip(t - step, 0.0, math.pi / 2)
            if np.max(np.abs(step), initial=0.0) <= self.settled:
                break
        return t


def _q_scalar(t: float, a: float, b: float) -> float:
    """`_q` on one float, with the math module (quadrature calls it tens of thousands of times)."""
    return math.sqrt((a * math.sin(t)) ** 2 + (b * math.cos(t)) ** 2)


def _hermite(s: Any, s0: Any, s1: Any, t0: Any, t1: Any, slope0: Any, slope1: Any) -> Any:
    """The cubic through (s0, t0) and (s1, t1) with slopes dt/ds slope0, slope1, at s."""
    h = s1 - s0
    u = (s - s0) / h
    v = 1.0 - u
    return v * v * ((1.0 + 2.0 * u) * t0 + u * h * slope0) + u * u * ((1.0 + 2.0 * v) * t1 - v * h * slope1)


def elliptic_construction(a: float, b: float) -> dict[str, Any]:
    """A second construction: l = a E(m) and t(s) from scipy's incomplete elliptic integral of the
    second kind (Newton inversion); the margin in the cancellation-free form
    a^2 sin^2 t1 / Q1^2 - b^2 cos^2 t2 / Q2^2 (1 - h'^2 is x_ellipse'^2); x(s) by adaptive
    Gauss-Kronrod quadrature between successive edge points."""
    import numpy as np
    from scipy.integrate import quad

    angle = _ArcAngle(a, b)
    quarter = angle.quarter

    def margin(s: Any) -> Any:
        t1 = angle.array(s)
        t2 = angle.array(quarter - np.asarray(s, dtype=float))
        return (a * np.sin(t1) / _q(t1, a, b)) ** 2 - (b * np.cos(t2) / _q(t2, a, b)) ** 2

    def root(s: float) -> float:
        t1, t2 = angle.scalar(s), angle.scalar(quarter - s)
        return root_margin((a * math.sin(t1) / _q_scalar(t1, a, b)) ** 2 - (b * math.cos(t2) / _q_scalar(t2, a, b)) ** 2)

    s = np.linspace(0.0, quarter, EDGE_POINTS)
    pieces = [0.0] + [quad(root, lo, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for lo, hi in itertools.pairwise(s)]
    x = np.cumsum(pieces)
    return _result("elliptic", a, b, quarter, s, x, angle.array(s), angle.array(quarter - s), margin)


def _result(method: str, a: float, b: float, quarter: float, s: Any, x: Any, t1: Any, t2: Any, margin) -> dict[str, Any]:
    import numpy as np

    dense = np.linspace(0.0, quarter, MARGIN_POINTS)
    margins = margin(dense)
    worst = int(np.argmin(margins))
    # Interior minimum: away from the two ends where the margin is 0 by construction.
    interior = margins[1:-1]
    return {
        "method": method,
        "a": a,
        "b": b,
        "quarter_perimeter": quarter,
        "closing_x": float(x[-1]),
        "margin_min": float(margins[worst]),
        "margin_min_at": float(dense[worst] / quarter),
        "margin_interior_min": float(interior.min()),
        "tolerance": GLUING_TOL,
        "edge": {
            "s": [float(v) for v in s],
            "x": [float(v) for v in x],
            "y": [float(v) for v in b * np.sin(t1)],
            "z": [float(v) for v in b * np.sin(t2)],
        },
        "margin": {"s": [float(v) for v in dense[::20]], "value": [float(v) for v in margins[::20]]},
    }
