"""HSIC at large n with random Fourier features (Rahimi & Recht 2007; Zhang et al. 2018).

phi(x) = sqrt(2/D) cos(W x + b), W ~ N(0, 2/sigma^2), b ~ U(0, 2 pi) gives phi(x).phi(x') ~ the post's
exp(-||x - x'||^2 / sigma^2), so HSIC_b ~ ||C_xy||_F^2 with C_xy the cross-covariance of the features:
O(n D^2) time and O(n D) memory instead of O(n^2). Under independence sqrt(n) vec(C_xy) is
asymptotically normal with covariance C_xx (x) C_yy, so n ||C_xy||^2 -> sum_ab lambda_a eta_b z_ab^2;
its mean Tr C_xx Tr C_yy and variance 2 ||C_xx||_F^2 ||C_yy||_F^2 give a gamma law, as in the exact test.
"""

from __future__ import annotations

import math

import numpy as np

from harness_independence.hsic import TestResult, as_matrix, bandwidth, inner


def features(a: np.ndarray, sigma: float, count: int, rng: np.random.Generator, chunk: int = 65536) -> np.ndarray:
    """Centred random Fourier features, computed in row chunks (float64; n x count)."""
    a = as_matrix(a)
    w = rng.normal(scale=math.sqrt(2.0) / sigma, size=(a.shape[1], count))
    b = rng.uniform(0.0, 2 * math.pi, size=count)
    out = np.empty((a.shape[0], count))
    for start in range(0, a.shape[0], chunk):
        block = a[start : start + chunk] @ w
        block += b
        np.cos(block, out=block)
        out[start : start + chunk] = block
    out *= math.sqrt(2.0 / count)
    out -= out.mean(axis=0)
    return out


def rff_hsic_test(x: np.ndarray, y: np.ndarray, sigma: float | str = "median", count: int = 100, seed: int = 0) -> TestResult:
    from scipy import stats

    x, y = as_matrix(x), as_matrix(y)
    n = x.shape[0]
    sx, sy = bandwidth(x, sigma, seed), bandwidth(y, sigma, seed + 1)
    rng = np.random.default_rng([seed, 7])
    fx, fy = features(x, sx, count, rng), features(y, sy, count, rng)
    cxy = fx.T @ fy / n
    cxx, cyy = fx.T @ fx / n, fy.T @ fy / n
    statistic = inner(cxy, cxy)
    mean = float(np.trace(cxx) * np.trace(cyy))
    var = 2.0 * inner(cxx, cxx) * inner(cyy, cyy)
    if mean <= 0 or var <= 0:
        return TestResult(statistic, math.nan, {"sigma_x": sx, "sigma_y": sy, "features": count})
    p = float(stats.gamma.sf(n * statistic, mean * mean / var, scale=var / mean))
    return TestResult(statistic, p, {"sigma_x": sx, "sigma_y": sy, "features": count})
