"""Pearson, Spearman and Kendall tests, extended to multivariate x and y the usual way.

Each coefficient is univariate, so for x in R^p and y in R^q every coordinate pair (p * q tests)
is tested and the smallest p-value is Bonferroni-corrected: min(1, p * q * min p_ij). That keeps the
type-I error at or below alpha whatever the dependence between coordinates.
"""

from __future__ import annotations

import numpy as np

from harness_independence.hsic import TestResult, as_matrix


def _pearson_matrix(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and two-sided t-test p-values for every (x_i, y_j) pair (scipy's pearsonr test)."""
    from scipy import stats

    n = x.shape[0]
    xc, yc = x - x.mean(0), y - y.mean(0)
    sx, sy = np.sqrt((xc * xc).sum(0)), np.sqrt((yc * yc).sum(0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.einsum("ni,nj->ij", xc, yc) / np.outer(sx, sy)  # einsum: no BLAS threads for a tiny product
    r = np.clip(np.nan_to_num(r, nan=0.0), -1.0, 1.0)
    # the null law of r for independent normal samples is Beta(n/2 - 1, n/2 - 1) on [-1, 1]
    dist = stats.beta(n / 2 - 1, n / 2 - 1, loc=-1, scale=2)
    p = 2 * dist.sf(np.abs(r))
    return r, np.minimum(p, 1.0)


def _combine(r: np.ndarray, p: np.ndarray, name: str) -> TestResult:
    pairs = p.size
    best = int(np.argmin(p))
    worst_r = r.flat[int(np.argmax(np.abs(r)))]
    return TestResult(float(worst_r), float(min(1.0, pairs * p.flat[best])), {"pairs": pairs, "coefficient": name})


def pearson_test(x: np.ndarray, y: np.ndarray) -> TestResult:
    x, y = as_matrix(x), as_matrix(y)
    r, p = _pearson_matrix(x, y)
    return _combine(r, p, "pearson")


def spearman_test(x: np.ndarray, y: np.ndarray) -> TestResult:
    """Pearson on average ranks, with scipy's t approximation (what `scipy.stats.spearmanr` reports)."""
    from scipy import stats

    x, y = as_matrix(x), as_matrix(y)
    n = x.shape[0]
    rx, ry = stats.rankdata(x, axis=0), stats.rankdata(y, axis=0)
    r, _ = _pearson_matrix(rx, ry)
    with np.errstate(divide="ignore"):
        t = r * np.sqrt((n - 2) / np.maximum((1.0 - r) * (1.0 + r), 1e-300))
    p = 2 * stats.t.sf(np.abs(t), n - 2)
    return _combine(r, p, "spearman")


def kendall_test(x: np.ndarray, y: np.ndarray) -> TestResult:
    """Kendall's tau-b per pair via scipy (O(n log n) each)."""
    from scipy import stats

    x, y = as_matrix(x), as_matrix(y)
    r = np.empty((x.shape[1], y.shape[1]))
    p = np.empty_like(r)
    for i in range(x.shape[1]):
        for j in range(y.shape[1]):
            res = stats.kendalltau(x[:, i], y[:, j])
            tau, pv = float(res.statistic), float(res.pvalue)
            r[i, j], p[i, j] = (0.0, 1.0) if np.isnan(tau) else (tau, pv)
    return _combine(r, p, "kendall")
