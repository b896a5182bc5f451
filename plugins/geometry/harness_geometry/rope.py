"""The shape of a rotating rope (kexue.fm/archives/6784): closed form, shooting, and a chain.

Conventions (the README derives them): the rope lies in a plane through the rotation axis; x >= 0
is the distance from the axis, y the coordinate along it (up), gravity acts along -y. Per unit
mass the force is grad(phi), phi = omega^2 x^2 / 2 - g y. With arc length s and tangent angle
theta, equilibrium of a rope of unit density gives

    T = lambda - phi                 (tangential balance; T > 0 is the tension)
    theta' = (omega^2 x sin(theta) + g cos(theta)) / T          (normal balance)
    T y' = g s + T(0) y'(0)          (the y component carries the first integral)

which is the post's y' = (C1 - g s) / phi once lambda is absorbed into phi (phi = -T there).

Two kinds of instance:
- "troposkein" (g = 0): ends on the axis at (0, 0) and (0, D), widest radius R given; the
  length L is an output. Exact: r(y) = R sn(kappa y | m), R/D = sqrt(m) / ((1 - m) K(m)),
  kappa = 2 K(m) / D, L = D (2 E(m) / ((1 - m) K(m)) - 1).
- "fixed-length": ends `start` and `end` and the length L given (any g >= 0).

Every method returns the curve at CURVE_POINTS uniform arc-length fractions, so curves from
different methods are compared point by point without interpolation.
"""

from __future__ import annotations

import math
from typing import Any

CURVE_POINTS = 201
LEVEL_POINTS = 101


class SolveError(RuntimeError):
    """A numerical method did not converge on an instance."""


# -- the troposkein in closed form ------------------------------------------------------------


def troposkein_parameter(ratio: float) -> float:
    """m solving R/D = sqrt(m) / ((1 - m) K(m)); the right side increases from 0 to infinity."""
    from scipy.optimize import brentq
    from scipy.special import ellipk

    def gap(m: float) -> float:
        return 0.5 * math.log(m) - math.log1p(-m) - math.log(ellipk(m)) - math.log(ratio)

    return float(brentq(gap, 1e-300, 1 - 1e-15, xtol=1e-300, rtol=1e-15, maxiter=500))


def analytic(row: dict[str, Any]) -> dict[str, Any]:
    """The troposkein through Jacobi elliptic functions: r = R sn(kappa y | m).

    Arc length: ds/dy = 1 + 2 m cn^2 / (1 - m), so s(y) = 2 E(am(kappa y) | m) / (kappa (1 - m)) - y;
    the curve is sampled at uniform s by Newton's method on that expression.
    """
    import numpy as np
    from scipy.special import ellipe, ellipeinc, ellipj, ellipk

    if row["kind"] != "troposkein" or row["g"] != 0:
        return {"solved": False, "reason": "no closed form: the Jacobi-function solution needs g = 0 and ends on the axis"}
    span, radius = float(row["D"]), float(row["R"])
    m = troposkein_parameter(radius / span)
    big_k, big_e = float(ellipk(m)), float(ellipe(m))
    kappa = 2 * big_k / span
    length = span * (2 * big_e / ((1 - m) * big_k) - 1)
    s_target = np.linspace(0.0, length, CURVE_POINTS)
    y = s_target * span / length
    for _ in range(60):
        sn, cn, _dn, ph = ellipj(kappa * y, m)
        s_now = 2 * ellipeinc(ph, m) / (kappa * (1 - m)) - y
        step = (s_now - s_target) / (1 + 2 * m * cn**2 / (1 - m))
        y = np.clip(y - step, 0.0, span)
        if np.max(np.abs(step)) < 1e-15 * max(span, 1.0):
            break
    sn = ellipj(kappa * y, m)[0]
    omega = float(row["omega"])
    # Tension at the widest point H = omega^2 a^2 / 4 with a^2 = R^2 (1 - m) / m.
    tension = omega**2 * radius**2 * (1 - m) / (4 * m)
    return {
        "solved": True,
        "method": "analytic",
        "length": length,
        "radius": radius,
        "m": m,
        "kappa": kappa,
        "tension_at_widest": tension,
        "curve": _curve(s_target, radius * sn, y),
    }


def _curve(s: Any, x: Any, y: Any) -> dict[str, list[float]]:
    return {"s": [float(v) for v in s], "x": [float(v) for v in x], "y": [float(v) for v in y]}


# -- shooting ---------------------------------------------------------------------------------


def _rhs(omega: float, g: float, lam: float):
    def rhs(s: float, state: Any) -> list[float]:
        x, y, theta = state
        tension = lam - omega**2 * x * x / 2 + g * y
        return [math.cos(theta), math.sin(theta), (omega**2 * x * math.sin(theta) + g * math.cos(theta)) / tension]

    return rhs


IVP = {"method": "DOP853", "rtol": 1e-12, "atol": 1e-13}


def shooting(row: dict[str, Any]) -> dict[str, Any]:
    """Integrate the equilibrium ODE and shoot on its unknown constants to meet the far end."""
    if row["kind"] == "troposkein":
        return _shoot_troposkein(row)
    return _shoot_fixed_length(row)


def _shoot_troposkein(row: dict[str, Any]) -> dict[str, Any]:
    """From the widest point (R, D/2), heading down with a vertical tangent, the tension H there is
    the one unknown: too slack and the rope curls back to the axis above y = 0, too taut and it
    reaches the axis below. Bracket H on a log grid, then Brent's method; the upper half is the
    mirror image (g = 0)."""
    import numpy as np
    from scipy.integrate import solve_ivp
    from scipy.optimize import brentq

    omega, span, radius = float(row["omega"]), float(row["D"]), float(row["R"])
    scale = omega**2 * radius**2

    def descend(tension: float, dense: bool = False):
        lam = tension + omega**2 * radius**2 / 2
        hit_axis = _event(lambda s, z: z[0])
        too_low = _event(lambda s, z: z[1] + 2 * span)
        return solve_ivp(
            _rhs(omega, 0.0, lam),
            (0.0, 20 * (span + radius)),
            [radius, span / 2, -math.pi / 2],
            events=(hit_axis, too_low),
            dense_output=dense,
            **IVP,
        )

    def miss(log_tension: float) -> float:
        sol = descend(math.exp(log_tension) * scale)
        if sol.t_events[0].size:
            return float(sol.y_events[0][0][1])
        return -2 * span  # never reached the axis above y = -2D: far too taut

    # Walk down from a far too taut rope (cheap to integrate: nearly straight) until the end
    # lands above the axis' lower end; slack ropes curl into many loops and are slow, so stop there.
    bracket = None
    upper = math.log(scale) + 40
    for _ in range(60):
        lower = upper - 1.0
        if miss(lower) > 0:
            bracket = (lower, upper)
            break
        upper = lower
    if bracket is None:
        raise SolveError(f"shooting: no tension brackets the lower end for R/D = {radius / span:g}")
    log_h = brentq(miss, *bracket, xtol=1e-14, rtol=1e-15, maxiter=200)
    tension = math.exp(log_h) * scale
    sol = descend(tension, dense=True)
    half = float(sol.t_events[0][0])
    length = 2 * half
    s = np.linspace(0.0, length, CURVE_POINTS)
    # Lower half, walked from (0, 0) up to the widest point: arc length from the widest point is half - s.
    lower = s <= half
    x = np.empty_like(s)
    y = np.empty_like(s)
    down = sol.sol(half - s[lower])
    x[lower], y[lower] = down[0], down[1]
    up = sol.sol(s[~lower] - half)
    x[~lower], y[~lower] = up[0], span - up[1]
    x[0], y[0], x[-1], y[-1] = 0.0, 0.0, 0.0, span
    return {
        "solved": True,
        "method": "shooting",
        "length": length,
        "radius": radius,
        "tension_at_widest": tension,
        "end_miss": abs(float(sol.y_events[0][0][1])),
        "curve": _curve(s, x, y),
    }


def _event(fn):
    fn.terminal = True
    fn.direction = -1
    return fn


def _shoot_fixed_length(row: dict[str, Any]) -> dict[str, Any]:
    """Unknowns: the start angle theta0 and log of the start tension T0; conditions: the rope's
    end after length L lands on `end`. Newton-type root finding (MINPACK hybrd) from the angles of
    the two circular arcs of length L through the ends and a spread of tensions."""
    import numpy as np
    from scipy.integrate import solve_ivp
    from scipy.optimize import root

    omega, g, length = float(row["omega"]), float(row["g"]), float(row["length"])
    start, end = np.asarray(row["start"], dtype=float), np.asarray(row["end"], dtype=float)
    phi0 = omega**2 * start[0] ** 2 / 2 - g * start[1]
    tension_scale = omega**2 * length**2 + g * length + 1e-12

    def integrate(params: Any, dense: bool = False):
        theta0, log_t0 = params
        lam = math.exp(log_t0) + phi0
        # Trial constants far from the answer make ropes that go slack or spiral; stop those early
        # (a converged rope has neither) instead of integrating a stiff, curling path to the end.
        slack = _event(lambda s, z: lam - omega**2 * z[0] ** 2 / 2 + g * z[1] - 1e-6 * tension_scale)
        spiral = _event(lambda s, z: 3 * math.pi - abs(z[2] - theta0))
        return solve_ivp(
            _rhs(omega, g, lam), (0.0, length), [start[0], start[1], theta0], events=(slack, spiral), dense_output=dense, **IVP
        )

    def residual(params: Any) -> Any:
        if not np.all(np.isfinite(params)) or abs(params[1]) > 60:
            return np.array([1e3, 1e3])
        sol = integrate(params)
        if sol.status != 0:  # the tension reached zero: no rope equilibrium along this path
            return np.array([1e3, 1e3])
        return sol.y[:2, -1] - end

    best = None
    for theta0 in _arc_start_angles(start, end, length):
        for factor in (1.0, 0.1, 10.0, 0.01, 100.0):
            guess = np.array([theta0, math.log(factor * tension_scale)])
            result = root(residual, guess, method="hybr", options={"xtol": 1e-14})
            miss = float(np.linalg.norm(residual(result.x)))
            if best is None or miss < best[1]:
                best = (result.x, miss)
            if miss < 1e-10 * length:
                break
        if best[1] < 1e-10 * length:
            break
    params, miss = best
    if miss > 1e-8 * length:
        raise SolveError(f"shooting: the far end is missed by {miss:.3g} after every start")
    sol = integrate(params, dense=True)
    s = np.linspace(0.0, length, CURVE_POINTS)
    x, y, _ = sol.sol(s)
    return {
        "solved": True,
        "method": "shooting",
        "length": length,
        "start_angle": float(params[0]),
        "start_tension": math.exp(float(params[1])),
        "end_miss": miss,
        "curve": _curve(s, x, y),
    }


def _arc_start_angles(start: Any, end: Any, length: float) -> list[float]:
    """Start tangents of the two circular arcs of length L through both ends (bulging either way)."""
    chord_vec = end - start
    chord = float(math.hypot(*chord_vec))
    half_angle = _arc_half_angle(chord, length)
    base = math.atan2(chord_vec[1], chord_vec[0])
    return [base - half_angle, base + half_angle]


def _arc_half_angle(chord: float, length: float) -> float:
    """alpha with sin(alpha) / alpha = chord / length: the arc subtends 2 alpha."""
    from scipy.optimize import brentq

    ratio = chord / length
    if ratio >= 1:
        return 0.0
    return float(brentq(lambda a: math.sin(a) / a - ratio, 1e-12, math.pi - 1e-12, xtol=1e-15))


def arc_points(start: Any, end: Any, length: float, count: int, side: int) -> Any:
    """`count` + 1 equally spaced points on a circular arc of the given length from start to end."""
    import numpy as np

    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    chord_vec = end - start
    chord = float(np.hypot(*chord_vec))
    alpha = _arc_half_angle(chord, length)
    base = math.atan2(chord_vec[1], chord_vec[0])
    t = np.linspace(0.0, 1.0, count + 1)
    if alpha < 1e-9:
        return start + np.outer(t, chord_vec)
    radius = chord / (2 * math.sin(alpha))
    # Tangent turns uniformly from base - side*alpha to base + side*alpha along the arc.
    angles = base - side * alpha + side * 2 * alpha * t
    dx = radius * side * (np.sin(angles) - math.sin(angles[0]))
    dy = -radius * side * (np.cos(angles) - math.cos(angles[0]))
    return start + np.column_stack([dx, dy])


# -- the chain --------------------------------------------------------------------------------


def chain(row: dict[str, Any], links: int) -> dict[str, Any]:
    """N point masses joined by inextensible links, relaxed to equilibrium in the rotating frame.

    Each interior joint carries the mass of one link (unit density); its potential energy is
    -omega^2 x^2 / 2 + g y. The equilibrium is the constrained minimum of the total energy with
    every link length fixed: Newton's method on the KKT system (force balance at every joint with
    the link tensions as Lagrange multipliers) from both circular-arc starts; the solution with
    every link in tension and the lower energy is kept. For the troposkein the middle joint is held
    at radius R and the link length is a further unknown. Then the same at N/2, N/4, N/8 links, so
    that convergence with N can be measured.
    """
    import numpy as np

    if links < 8 or links % 8:
        raise ValueError(f"chain needs N to be a multiple of 8, at least 8 (got {links})")
    main = _relax_best(row, links)
    levels = []
    for count in (links // 8, links // 4, links // 2, links):
        points = main if count == links else _relax_best(row, count)
        s, x, y = _resample(points, LEVEL_POINTS)
        levels.append({"N": count, "x": [float(v) for v in x], "y": [float(v) for v in y], "length": float(s[-1])})
    s, x, y = _resample(main, CURVE_POINTS)
    return {
        "solved": True,
        "method": "chain",
        "N": links,
        "length": float(s[-1]),
        "radius": float(np.max(x)),
        "curve": _curve(s, x, y),
        "levels": levels,
    }


def _resample(points: Any, count: int) -> tuple[Any, Any, Any]:
    """The chain polyline at `count` uniform arc-length fractions (links are equal, so exact)."""
    import numpy as np

    seg = np.hypot(*np.diff(points, axis=0).T)
    cumulative = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.linspace(0.0, cumulative[-1], count)
    return s, np.interp(s, cumulative, points[:, 0]), np.interp(s, cumulative, points[:, 1])


def _relax_best(row: dict[str, Any], links: int) -> Any:
    results = []
    errors = []
    for side in (1, -1):
        try:
            results.append(_relax(row, links, side))
        except SolveError as exc:
            errors.append(str(exc))
    if not results:
        raise SolveError("chain: " + "; ".join(errors))
    return min(results, key=lambda r: r[1])[0]


def _relax(row: dict[str, Any], links: int, side: int) -> tuple[Any, float]:
    import numpy as np

    omega, g = float(row["omega"]), float(row["g"])
    troposkein = row["kind"] == "troposkein"
    if troposkein:
        span, radius = float(row["D"]), float(row["R"])
        start, end = np.array([0.0, 0.0]), np.array([0.0, span])
        if side < 0:
            raise SolveError("the troposkein bulges away from the axis")
        guess = _three_point_arc(span, radius, links)
        h = float(np.sum(np.hypot(*np.diff(guess, axis=0).T))) / links
    else:
        start, end = np.asarray(row["start"], dtype=float), np.asarray(row["end"], dtype=float)
        length = float(row["length"])
        guess = arc_points(start, end, length, links, side)
        h = length / links
    n_free = links - 1
    mid = links // 2
    pts = guess.copy()

    def grad_u(p: Any) -> Any:
        return np.column_stack([-(omega**2) * p[:, 0], np.full(len(p), g)])

    def assemble(pts: Any, mu: Any, h: float) -> tuple[Any, Any]:
        delta = np.diff(pts, axis=0)  # links 1..N, delta[i-1] = r_i - r_{i-1}
        size = 2 * n_free + links + (1 if troposkein else 0)
        residual = np.zeros(size)
        jac = np.zeros((size, size))
        gu = grad_u(pts[1:-1])
        stat = h * gu + mu[:-1, None] * delta[:-1] - mu[1:, None] * delta[1:]
        residual[: 2 * n_free] = stat.ravel()
        residual[2 * n_free : 2 * n_free + links] = 0.5 * (np.sum(delta**2, axis=1) - h * h)
        if troposkein:
            residual[-1] = pts[mid, 0] - radius
        joints = np.arange(n_free)
        for d in range(2):  # coordinate d of joint j+1 is unknown 2j+d
            r = 2 * joints + d
            jac[r, r] = (mu[:-1] + mu[1:]) + (-(omega**2) * h if d == 0 else 0.0)
            jac[r[1:], r[:-1]] = -mu[1:-1]
            jac[r[:-1], r[1:]] = -mu[1:-1]
            jac[r, 2 * n_free + joints] = delta[:-1, d]
            jac[r, 2 * n_free + joints + 1] = -delta[1:, d]
            # constraint of link i+1 (joints i, i+1): d/d r_{i+1} = delta_i, d/d r_i = -delta_i
            jac[2 * n_free + joints, r] = delta[:-1, d]
            jac[2 * n_free + joints + 1, r] = -delta[1:, d]
            if troposkein:
                jac[r, -1] = gu[:, d]
        if troposkein:
            jac[2 * n_free : 2 * n_free + links, -1] = -h
            jac[-1, 2 * (mid - 1)] = 1.0
        return residual, jac

    # Tensions for the initial shape: the least-squares multipliers of the force balance.
    delta = np.diff(pts, axis=0)
    a = np.zeros((2 * n_free, links))
    for j in range(n_free):
        a[2 * j : 2 * j + 2, j] = delta[j]
        a[2 * j : 2 * j + 2, j + 1] = -delta[j + 1]
    mu = np.linalg.lstsq(a, -(h * grad_u(pts[1:-1])).ravel(), rcond=None)[0]

    norm = None
    for _ in range(40):
        residual, jac = assemble(pts, mu, h)
        norm = float(np.linalg.norm(residual))
        if norm < 1e-11 * max(1.0, h * links):  # roundoff floor grows with N; positions are then good to ~1e-12
            break
        try:
            step = np.linalg.solve(jac, -residual)
        except np.linalg.LinAlgError as exc:
            raise SolveError(f"chain: singular Newton system ({exc})") from None
        t = 1.0
        while t > 1e-4:
            trial_pts = pts.copy()
            trial_pts[1:-1] += t * step[: 2 * n_free].reshape(-1, 2)
            trial_mu = mu + t * step[2 * n_free : 2 * n_free + links]
            trial_h = h + t * step[-1] if troposkein else h
            if trial_h > 0 and np.linalg.norm(assemble(trial_pts, trial_mu, trial_h)[0]) < (1 - 1e-4 * t) * norm:
                break
            t /= 2
        pts, mu, h = trial_pts, trial_mu, trial_h
    else:
        raise SolveError(f"chain: Newton did not converge with N = {links} (residual {norm:.3g})")
    if np.any(mu <= 0):
        raise SolveError("chain: a link is in compression (unstable equilibrium)")
    energy = float(h * np.sum(-(omega**2) * pts[1:-1, 0] ** 2 / 2 + g * pts[1:-1, 1]))
    return pts, energy


def _three_point_arc(span: float, radius: float, links: int) -> Any:
    """Equally spaced points on the circle through (0, 0), (R, D/2), (0, D), bulging to +x."""
    import numpy as np

    # Centre on the line y = D/2 at x = c: c^2 + (D/2)^2 = (R - c)^2.
    c = (radius**2 - (span / 2) ** 2) / (2 * radius)
    rho = radius - c
    top = math.atan2(span / 2, -c)  # angle of (0, D) seen from the centre
    angles = np.linspace(-top, top, links + 1)
    return np.column_stack([c + rho * np.cos(angles), span / 2 + rho * np.sin(angles)])
