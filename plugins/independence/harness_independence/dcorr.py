"""Distance covariance and correlation (Szekely, Rizzo & Bakirov 2007), and their tests.

Implemented here rather than imported so that the `dcor` package stays a test/benchmark extra;
the tests check these numbers against `dcor` to 1e-10. dCov is HSIC with the distance-induced
kernel, so the permutation test shares HSIC's engine: double-centre once, permute indices.
"""

from __future__ import annotations

import math

import numpy as np

from harness_independence.hsic import as_matrix, centre, inner, permutation_pvalue, sq_distances, u_centre


def distances(a: np.ndarray) -> np.ndarray:
    return np.sqrt(sq_distances(as_matrix(a)))


def distance_covariance_sqr(x: np.ndarray, y: np.ndarray) -> float:
    """The V-statistic dCov_n^2 = (1/n^2) sum A_ij B_ij with double-centred distance matrices."""
    a, b = distances(x), distances(y)
    return inner(centre(a), centre(b)) / a.shape[0] ** 2


def distance_correlation_sqr(x: np.ndarray, y: np.ndarray) -> float:
    a, b = centre(distances(x)), centre(distances(y))
    ab, aa, bb = inner(a, b), inner(a, a), inner(b, b)
    return ab / math.sqrt(aa * bb) if aa > 0 and bb > 0 else 0.0


def distance_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """dCor_n (not squared), as `dcor.distance_correlation` defines it."""
    return math.sqrt(max(distance_correlation_sqr(x, y), 0.0))


def u_distance_correlation_sqr(x: np.ndarray, y: np.ndarray) -> float:
    """Bias-corrected dCor^2 from U-centred distance matrices (`dcor.u_distance_correlation_sqr`)."""
    a, b = u_centre(distances(x)), u_centre(distances(y))
    ab, aa, bb = inner(a, b), inner(a, a), inner(b, b)
    return ab / math.sqrt(aa * bb) if aa > 0 and bb > 0 else 0.0


def dcor_permutation_test(x: np.ndarray, y: np.ndarray, permutations: int, rng: np.random.Generator) -> tuple[float, float]:
    """dCor_n and the permutation p-value of dCov_n^2 (normalisers are permutation invariant)."""
    a, b = distances(x), distances(y)
    ac = centre(a)
    bc = centre(b)
    aa, bb = inner(ac, ac), inner(bc, bc)
    ab = inner(ac, b)
    dcor = math.sqrt(max(ab, 0.0) / math.sqrt(aa * bb)) if aa > 0 and bb > 0 else 0.0
    return dcor, permutation_pvalue(ac, b, permutations, rng)


def dcor_t_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Szekely & Rizzo (2013) t-test of bias-corrected dCor^2: T = sqrt(v-1) R / sqrt(1-R^2), v = n(n-3)/2.

    Exact as the dimension grows; in low dimension it is an approximation (its type-I error is
    measured by the benchmark rather than assumed).
    """
    from scipy import stats

    n = as_matrix(x).shape[0]
    r = u_distance_correlation_sqr(x, y)
    v = n * (n - 3) / 2
    if r >= 1.0:
        return r, 0.0
    t = math.sqrt(v - 1) * r / math.sqrt(1 - r * r)
    return r, float(stats.t.sf(t, v - 1))
