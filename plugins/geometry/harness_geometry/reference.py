"""References the tasks score against, computed here by routes the models do not take.

- random angles: the variance from the series the recurrence V_k = V_{k-2} - 2/k^2 gives (direct
  sum plus an Euler-Maclaurin tail), not from scipy's trigamma function the closed-form model uses;
- troposkein: the curve through the amplitude phi (r = R sin(phi), y = F(phi | m) / kappa,
  s = (2 E(phi | m) / (1 - m) - F(phi | m)) / kappa) with incomplete elliptic integrals and
  bisection, not the Jacobi functions sn, cn, am of the analytic model;
- fixed-length ropes: scipy's collocation solver (solve_bvp), neither shooting nor a chain;
- ellipses: l = a E(e^2) in closed form; the edge by bracketing root finding (Brent) for
  the arc-length inversion and adaptive quadrature in the angle parameter t.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from harness_geometry.ellipse import EDGE_POINTS, root_margin
from harness_geometry.rope import CURVE_POINTS, IVP, SolveError, _rhs, arc_points

# -- random angles ----------------------------------------------------------------------------


def angle_moments(n: int) -> dict[str, float]:
    """Mean pi/2 (the density is symmetric about pi/2) and the variance as a series of positive terms.

    The recurrence V_k = V_{k-2} - 2/k^2 (k = n - 2) with V -> 0 as k -> infinity gives
    V = 2 sum_{j>=0} 1/(n + 2j)^2 = (1/2) sum_{j>=0} 1/(n/2 + j)^2: summed directly (math.fsum)
    for 1000 terms, the rest by Euler-Maclaurin, sum_{j>=0} 1/(y+j)^2 = 1/y + 1/(2y^2) + 1/(6y^3)
    - 1/(30y^5) + 1/(42y^7) - 1/(30y^9) + O(y^-11), whose omitted terms are below 1e-30 at y >= 1000.
    No cancellation: the finite sums from V_0 = pi^2/12 lose 12 digits at n = 10000.
    """
    x = n / 2
    terms = 1000
    y = x + terms
    tail = 1 / y + 1 / (2 * y**2) + 1 / (6 * y**3) - 1 / (30 * y**5) + 1 / (42 * y**7) - 1 / (30 * y**9)
    variance = 0.5 * math.fsum([1 / (x + j) ** 2 for j in range(terms)] + [tail])
    return {"mean": math.pi / 2, "variance": variance}


def angle_variance_finite_sum(n: int) -> float:
    """The same variance from the finite sums of the recurrence, from V_0 = pi^2/12 or V_1 = pi^2/4 - 2
    (exact for small n; used by the tests to tie the series above to the recurrence)."""
    k = n - 2
    if k % 2 == 0:
        return math.fsum([math.pi**2 / 12] + [-0.5 / j**2 for j in range(1, k // 2 + 1)])
    return math.fsum([math.pi**2 / 4, -2.0] + [-2.0 / (2 * j + 1) ** 2 for j in range(1, (k - 1) // 2 + 1)])


# -- rope -------------------------------------------------------------------------------------


def _bisect(fn, lo: Any, hi: Any, floor: float = 1.0) -> Any:
    """Vectorised bisection for increasing `fn` (robust, no derivatives: a different route from
    Newton), down to 4e-16 relative to max(|x|, floor): floor 1 for angles in [0, pi], a tiny one
    for the parameter m, which is ~R^2/D^2 for small amplitudes and needs relative accuracy."""
    import numpy as np

    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(2000):
        mid = (lo + hi) / 2
        up = fn(mid) > 0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
        if np.all(hi - lo <= 4e-16 * np.maximum(floor, np.abs(hi))):
            break
    return (lo + hi) / 2


def troposkein(omega: float, span: float, radius: float) -> dict[str, Any]:
    import numpy as np
    from scipy.special import ellipe, ellipeinc, ellipk, ellipkinc

    ratio = radius / span
    m = float(_bisect(lambda q: math.sqrt(q) / ((1 - q) * ellipk(q)) - ratio, 0.0, 1.0 - 1e-16, floor=1e-300))
    big_k, big_e = float(ellipk(m)), float(ellipe(m))
    kappa = 2 * big_k / span
    length = span * (2 * big_e / ((1 - m) * big_k) - 1)

    def arc(phi: Any) -> Any:
        return (2 * ellipeinc(phi, m) / (1 - m) - ellipkinc(phi, m)) / kappa

    s = np.linspace(0.0, length, CURVE_POINTS)
    phi = _bisect(lambda p: arc(p) - s, np.zeros_like(s), np.full_like(s, math.pi))
    x = radius * np.sin(phi)
    y = ellipkinc(phi, m) / kappa
    x[0], y[0], x[-1], y[-1] = 0.0, 0.0, 0.0, span
    return {
        "kind": "troposkein",
        "length": length,
        "radius": radius,
        "m": m,
        "kappa": kappa,
        "tension_at_widest": omega**2 * radius**2 * (1 - m) / (4 * m),
        "curve": {"s": s.tolist(), "x": x.tolist(), "y": y.tolist()},
    }


def fixed_length(omega: float, g: float, start: tuple[float, float], end: tuple[float, float], length: float) -> dict[str, Any]:
    """Collocation (solve_bvp, tol 1e-10) on s in [0, L] for (x, y, theta) with the multiplier
    lambda as unknown parameter; four boundary conditions fix both ends. Both circular arcs are
    tried as first guesses with a spread of tensions; the first solution with positive tension
    everywhere is kept."""
    import numpy as np
    from scipy.integrate import solve_bvp

    def fun(s: Any, z: Any, p: Any) -> Any:
        x, y, theta = z
        tension = p[0] - omega**2 * x**2 / 2 + g * y
        return np.vstack([np.cos(theta), np.sin(theta), (omega**2 * x * np.sin(theta) + g * np.cos(theta)) / tension])

    def bc(za: Any, zb: Any, p: Any) -> Any:
        return np.array([za[0] - start[0], za[1] - start[1], zb[0] - end[0], zb[1] - end[1]])

    s = np.linspace(0.0, length, 101)
    best = None
    for side in (1, -1):
        pts = arc_points(start, end, length, 100, side)
        direction = np.diff(pts, axis=0)
        theta = np.unwrap(np.arctan2(direction[:, 1], direction[:, 0]))
        theta = np.concatenate([theta, theta[-1:]])
        for factor in (1.0, 0.1, 0.01, 10.0):
            tension = factor * (omega**2 * length**2 + g * length)
            lam = tension + omega**2 * start[0] ** 2 / 2 - g * start[1]
            with np.errstate(all="ignore"):  # a diverging first guess overflows inside solve_bvp; it reports failure
                sol = solve_bvp(fun, bc, s, np.vstack([pts[:, 0], pts[:, 1], theta]), p=[lam], tol=1e-10, max_nodes=100000)
            if not sol.success:
                continue
            fine = np.linspace(0.0, length, 2001)
            xs, ys, _ = sol.sol(fine)
            tensions = sol.p[0] - omega**2 * xs**2 / 2 + g * ys
            if np.all(tensions > 0):
                best = sol
                break
        if best is not None:
            break
    if best is None:
        raise SolveError("reference: collocation found no rope in tension between these ends")
    grid = np.linspace(0.0, length, CURVE_POINTS)
    x, y, theta = best.sol(grid)
    lam = float(best.p[0])
    return {
        "kind": "fixed-length",
        "length": length,
        "lambda": lam,
        "start_tension": lam - omega**2 * start[0] ** 2 / 2 + g * start[1],
        "curve": {"s": grid.tolist(), "x": x.tolist(), "y": y.tolist()},
    }


def gravity_instance(omega: float, g: float, start: tuple[float, float], c1: float, start_tension: float) -> dict[str, Any]:
    """The post's gravity setting as a boundary-value instance: from `start`, with the first
    integral T y' = g s - C1 (the post's y' = (C1 - g s)/phi with phi = -T) and tension T0 there,
    heading towards the axis; integrated (DOP853, rtol 1e-13) until it reaches the axis. The
    far end and the length become the instance; the constants C1, T0 are what a solver must find."""
    from scipy.integrate import solve_ivp

    slope = -c1 / start_tension
    if abs(slope) >= 1:
        raise ValueError(f"|C1 / T0| = {abs(slope):g} >= 1: no such start direction")
    theta0 = math.atan2(slope, -math.sqrt(1 - slope * slope))
    lam = start_tension + omega**2 * start[0] ** 2 / 2 - g * start[1]

    def on_axis(s: float, z: Any) -> float:
        return z[0]

    on_axis.terminal = True
    on_axis.direction = -1
    sol = solve_ivp(
        _rhs(omega, g, lam), (0.0, 100.0), [start[0], start[1], theta0], events=on_axis, **{**IVP, "rtol": 1e-13, "atol": 1e-14}
    )
    if not sol.t_events[0].size:
        raise ValueError("the rope never reaches the axis")
    return {"end": [0.0, float(sol.y_events[0][0][1])], "length": float(sol.t_events[0][0]), "start_angle": theta0}


# -- ellipse ----------------------------------------------------------------------------------


def ellipse(a: float, b: float) -> dict[str, Any]:
    import numpy as np
    from scipy.integrate import quad
    from scipy.optimize import brentq
    from scipy.special import ellipe, ellipeinc

    m = 1.0 - (b / a) ** 2
    full = ellipe(m)
    quarter = float(a * full)

    def arc(t: float) -> float:
        return float(a * (full - ellipeinc(math.pi / 2 - t, m)))

    def angle(s: float) -> float:
        if s <= 0:
            return 0.0
        if s >= quarter:
            return math.pi / 2
        return brentq(lambda t: arc(t) - s, 0.0, math.pi / 2, xtol=1e-15, rtol=1e-15)

    def q(t: float) -> float:
        return math.hypot(a * math.sin(t), b * math.cos(t))

    def integrand(t: float) -> float:
        t2 = angle(quarter - arc(t))
        margin = (a * math.sin(t) / q(t)) ** 2 - (b * math.cos(t2) / q(t2)) ** 2
        return root_margin(margin) * q(t)

    s = np.linspace(0.0, quarter, EDGE_POINTS)
    t1 = np.array([angle(v) for v in s])
    t2 = np.array([angle(quarter - v) for v in s])
    pieces = [0.0] + [quad(integrand, lo, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for lo, hi in itertools.pairwise(t1)]
    x = np.cumsum(pieces)
    return {
        "quarter_perimeter": quarter,
        "closing_x": float(x[-1]),
        "margin_min": 0.0,
        "edge": {"s": s.tolist(), "x": x.tolist(), "y": (b * np.sin(t1)).tolist(), "z": (b * np.sin(t2)).tolist()},
    }
