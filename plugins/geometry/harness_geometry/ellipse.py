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


def _invert(s: Any, a: float, b: float, quarter: float) -> Any:
    """t with a (E(m) - E(pi/2 - t | m)) = s: Newton's method (ds/dt = Q(t) > 0), kept in [0, pi/2]."""
    import numpy as np
    from scipy.special import ellipe, ellipeinc

    m = 1.0 - (b / a) ** 2
    full = ellipe(m)
    s = np.asarray(s, dtype=float)
    t = np.clip(s / quarter, 0.0, 1.0) * (math.pi / 2)
    # Quadrature asks for one point at a time, tens of thousands of times per ellipse: there the
    # same steps on scalars, without numpy's per-call overhead for clip and max (same values).
    one = s.ndim == 0
    for _ in range(100):
        step = (a * (full - ellipeinc(math.pi / 2 - t, m)) - s) / _q(t, a, b)
        if one:
            t = min(max(t - step, 0.0), math.pi / 2)
            if abs(step) < 1e-15:
                break
        else:
            t = np.clip(t - step, 0.0, math.pi / 2)
            if np.max(np.abs(step)) < 1e-15:
                break
    return t


def elliptic_construction(a: float, b: float) -> dict[str, Any]:
    """A second construction: l = a E(m) and t(s) from scipy's incomplete elliptic integral of the
    second kind (Newton inversion); the margin in the cancellation-free form
    a^2 sin^2 t1 / Q1^2 - b^2 cos^2 t2 / Q2^2 (1 - h'^2 is x_ellipse'^2); x(s) by adaptive
    Gauss-Kronrod quadrature between successive edge points."""
    import numpy as np
    from scipy.integrate import quad
    from scipy.special import ellipe

    m = 1.0 - (b / a) ** 2
    quarter = float(a * ellipe(m))

    def margin(s: Any) -> Any:
        t1 = _invert(s, a, b, quarter)
        t2 = _invert(quarter - np.asarray(s, dtype=float), a, b, quarter)
        return (a * np.sin(t1) / _q(t1, a, b)) ** 2 - (b * np.cos(t2) / _q(t2, a, b)) ** 2

    def root(s: float) -> float:
        return root_margin(float(margin(s)))

    s = np.linspace(0.0, quarter, EDGE_POINTS)
    pieces = [0.0] + [quad(root, lo, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for lo, hi in itertools.pairwise(s)]
    x = np.cumsum(pieces)
    return _result("elliptic", a, b, quarter, s, x, _invert(s, a, b, quarter), _invert(quarter - s, a, b, quarter), margin)


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
