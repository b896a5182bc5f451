"""The angle between two random vectors in R^n (kexue.fm/archives/7076): four ways to its law.

The angle theta between two independent isotropic vectors has density

    p_n(theta) = Gamma(n/2) / (Gamma((n-1)/2) sqrt(pi)) * sin(theta)^(n-2),   0 <= theta <= pi,

so cos(theta) is a symmetric Beta variable on [-1, 1] and the CDF is a regularised incomplete
beta function: F_n(theta) = I_{sin^2(theta/2)}((n-1)/2, (n-1)/2). The mean is pi/2 by symmetry.

Variance (derived in the README): with k = n - 2, V_k = V_{k-2} - 2/k^2, V_0 = pi^2/12, V_1 = pi^2/4 - 2,
hence V = 2 * sum_{j>=0} 1/(n + 2j)^2 = psi_1(n/2) / 2 (psi_1 the trigamma function).

Each method returns a JSON-ready dict; the density, CDF points and (for sampling) the ECDF are
kept to a few hundred numbers so a stored sample stays small.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

HALF_PI = math.pi / 2
GRID_POINTS = 121
ECDF_POINTS = 400


def log_normaliser(n: int) -> float:
    from scipy.special import gammaln

    return float(gammaln(n / 2) - gammaln((n - 1) / 2) - 0.5 * math.log(math.pi))


def density(theta: Any, n: int) -> Any:
    """Exact density, evaluated in log space so that sin^9998 does not underflow to garbage."""
    import numpy as np

    theta = np.asarray(theta, dtype=float)
    inside = (theta >= 0) & (theta <= math.pi)
    if n == 2:
        return np.where(inside, 1 / math.pi, 0.0)
    with np.errstate(divide="ignore"):
        logp = log_normaliser(n) + (n - 2) * np.log(np.abs(np.sin(theta)))
    return np.where(inside, np.exp(logp), 0.0)


def cdf(theta: Any, n: int) -> Any:
    """Exact CDF through the incomplete beta function; sin^2(theta/2) avoids 1 - cos cancellation."""
    import numpy as np
    from scipy.special import betainc

    theta = np.clip(np.asarray(theta, dtype=float), 0.0, math.pi)
    a = (n - 1) / 2
    return betainc(a, a, np.sin(theta / 2) ** 2)


def _grid(centre: float, spread: float) -> Any:
    import numpy as np

    low, high = max(0.0, centre - 8 * spread), min(math.pi, centre + 8 * spread)
    return np.linspace(low, high, GRID_POINTS)


def _curves(theta: Any, pdf: Any, cdf_values: Any) -> dict[str, Any]:
    return {
        "density": {"theta": [float(t) for t in theta], "pdf": [float(p) for p in pdf]},
        "cdf": {
            "theta": [float(t) for t in theta],
            "F": [float(f) for f in cdf_values],
            "F_left": [float(f) for f in cdf_values],
        },
    }


def closed_form(n: int) -> dict[str, Any]:
    """Exact moments: mean pi/2, variance trigamma(n/2)/2; density and CDF from their formulas."""
    from scipy.special import polygamma

    variance = float(polygamma(1, n / 2)) / 2
    theta = _grid(HALF_PI, math.sqrt(variance))
    return {
        "method": "closed-form",
        "n": n,
        "mean": HALF_PI,
        "variance": variance,
        **_curves(theta, density(theta, n), cdf(theta, n)),
    }


def quadrature(n: int) -> dict[str, Any]:
    """Moments by adaptive quadrature of the unnormalised density, normalised numerically.

    The integrand sin^(n-2) is written as cos^k(phi) with phi = theta - pi/2 = u / sqrt(k): for
    n = 10000 the mass sits within 0.04 of pi/2, and stretching it to unit width keeps QUADPACK
    from missing the peak. Beyond |u| = 40 the integrand is below e^-790 and is cut off.
    """
    import warnings

    import numpy as np
    from scipy.integrate import IntegrationWarning, quad

    k = n - 2
    scale = 1.0 / math.sqrt(k) if k > 0 else 1.0
    half = min(HALF_PI / scale, 40.0)

    def weight(u: float) -> float:
        if k == 0:
            return 1.0
        c = math.cos(u * scale)
        return math.exp(k * math.log(c)) if c > 0 else 0.0

    opts = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 200}
    z, z_err = quad(weight, -half, half, **opts)
    with warnings.catch_warnings():
        # The odd moment is zero up to rounding, so a relative tolerance cannot be met; its
        # absolute error estimate is what is reported.
        warnings.simplefilter("ignore", IntegrationWarning)
        m1, m1_err = quad(lambda u: u * weight(u), -half, half, points=[0.0], **opts)
    m2, m2_err = quad(lambda u: u * u * weight(u), -half, half, **opts)
    mean_u = m1 / z
    mean = HALF_PI + scale * mean_u
    variance = scale**2 * (m2 / z - mean_u**2)
    variance_error = scale**2 * (m2_err / z + m2 * z_err / z**2 + 2 * abs(mean_u) * m1_err / z)
    theta = _grid(mean, math.sqrt(variance))
    u = (theta - HALF_PI) / scale
    pdf = np.array([weight(x) for x in u]) / (scale * z)
    # CDF on the grid: mass below the grid's start, then the pieces between grid points.
    pieces = [quad(weight, -half, max(-half, u[0]), **opts)[0]]
    pieces += [quad(weight, lo, hi, **opts)[0] for lo, hi in itertools.pairwise(u)]
    cdf_values = np.clip(np.cumsum(pieces) / z, 0.0, 1.0)
    return {
        "method": "quadrature",
        "n": n,
        "mean": mean,
        "variance": variance,
        "mean_error_estimate": scale * (m1_err / z + abs(m1) * z_err / z**2),
        "variance_error_estimate": variance_error,
        **_curves(theta, pdf, cdf_values),
    }


def monte_carlo(n: int, draws: int, seed: int, chunk_floats: int = 2_000_000) -> dict[str, Any]:
    """Draw Gaussian pairs, normalise, measure the angle; report standard errors and the ECDF.

    The angle is 2 atan2(|x - y|, |x + y|) of the unit vectors: accurate near 0 and pi, where
    arccos of the dot product loses half the digits. Draws are made in chunks to bound memory.
    """
    import numpy as np

    rng = np.random.default_rng([seed, n])
    per_chunk = max(1, chunk_floats // (2 * n))
    angles = []
    remaining = draws
    while remaining > 0:
        size = min(per_chunk, remaining)
        x = rng.standard_normal((size, n))
        y = rng.standard_normal((size, n))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        angles.append(2 * np.arctan2(np.linalg.norm(x - y, axis=1), np.linalg.norm(x + y, axis=1)))
        remaining -= size
    theta = np.sort(np.concatenate(angles))
    mean = float(theta.mean())
    variance = float(theta.var(ddof=1))
    fourth = float(np.mean((theta - mean) ** 4))
    counts, edges = np.histogram(theta, bins=40)
    widths = np.diff(edges)
    ranks = np.unique(np.linspace(1, draws, min(ECDF_POINTS, draws)).round().astype(int))
    return {
        "method": "monte-carlo",
        "n": n,
        "draws": draws,
        "mean": mean,
        "variance": variance,
        "mean_se": math.sqrt(variance / draws),
        # Delta-method standard error of the sample variance: sqrt((mu4 - sigma^4) / N).
        "variance_se": math.sqrt(max(fourth - variance**2, 0.0) / draws),
        "histogram": {"edges": [float(e) for e in edges], "density": [float(c) for c in counts / (draws * widths)]},
        # ECDF at evenly spaced ranks: F = r/N at the r-th order statistic, F_left = (r-1)/N just below it.
        "cdf": {
            "theta": [float(t) for t in theta[ranks - 1]],
            "F": [float(r / draws) for r in ranks],
            "F_left": [float((r - 1) / draws) for r in ranks],
        },
        "ecdf_points": len(ranks),
    }


def laplace(n: int) -> dict[str, Any]:
    """The post's normal approximation N(pi/2, 1/(n-2)): sin^(n-2) ~ exp(-(n-2) phi^2 / 2).

    For n = 2 the exponent vanishes, there is no peak to expand around and 1/(n-2) is infinite:
    the method gives no answer there, and says so.
    """
    from scipy.stats import norm

    if n == 2:
        return {
            "method": "laplace",
            "n": n,
            "mean": None,
            "variance": None,
            "note": "N(pi/2, 1/(n-2)) is undefined for n = 2 (no peak: the density is flat)",
        }
    variance = 1.0 / (n - 2)
    sd = math.sqrt(variance)
    theta = _grid(HALF_PI, sd)
    return {
        "method": "laplace",
        "n": n,
        "mean": HALF_PI,
        "variance": variance,
        **_curves(theta, norm.pdf(theta, HALF_PI, sd), norm.cdf(theta, HALF_PI, sd)),
    }


def ks_distance(curve: dict[str, list[float]], n: int) -> float:
    """sup |F_model - F_exact| over the stored points, using both the value and the left limit.

    For a continuous model on a fine grid this is the Kolmogorov distance up to the grid's
    resolution; for an ECDF stored at evenly spaced ranks it is within (rank gap)/N of the
    full-sample KS statistic (both CDFs are monotone between stored points).
    """
    import numpy as np

    theta = np.asarray(curve["theta"], dtype=float)
    exact = cdf(theta, n)
    right = np.abs(np.asarray(curve["F"], dtype=float) - exact)
    left = np.abs(np.asarray(curve["F_left"], dtype=float) - exact)
    return float(max(right.max(), left.max()))
