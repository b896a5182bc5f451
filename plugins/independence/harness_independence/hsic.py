"""HSIC: the post's kernel and estimator, the unbiased estimator, and the two null distributions.

The post (kexue.fm/archives/6910) uses the Gaussian kernel k(x1, x2) = exp(-||x1 - x2||^2 / sigma^2)
and the estimator HSIC = Tr(K J L J) / (n - 1)^2 with J = I - 11^T / n. Everything here keeps that
kernel convention; `sigma="median"` picks sigma = sqrt(2) * (median pairwise distance), which is the
usual median heuristic exp(-d^2 / (2 med^2)) of Gretton et al. and of hyppo written in the post's form.

The gamma test is Gretton et al. (2008): moments of n * HSIC_b under independence, matched by a
gamma law. It needs only row sums and two passes over kernel blocks, so it runs in O(n * block)
memory at n = 10,000 and beyond. The permutation test centres once and permutes indices:
Tr(HKH P L P^T) needs no re-centring per permutation, because P H P^T = H.
"""

from __future__ import annotations

import collections
import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: Row blocks of at most this many kernel entries (per kernel) bound the gamma test's memory.
BLOCK_ENTRIES = 4_000_000
#: Entries per row block of the in-memory gamma test's centring pass (two float64 blocks fit in L2).
CACHE_ENTRIES = 16_384
#: Permutations drawn per vectorised batch: at most this many indices.
PERM_BATCH_ENTRIES = 2_000_000


def as_matrix(a: np.ndarray) -> np.ndarray:
    """Observations as rows: a 1-D sample becomes an (n, 1) matrix."""
    a = np.asarray(a, dtype=float)
    return a[:, None] if a.ndim == 1 else a


def sq_distances(a: np.ndarray, b: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Squared Euclidean distances; exact coordinate differences in low dimension (no cancellation).

    `out` (float64, n_a x n_b) receives them instead of a fresh array."""
    a = as_matrix(a)
    b = a if b is None else as_matrix(b)
    if a.shape[1] <= 8:
        out = np.subtract.outer(a[:, 0], b[:, 0], out=out)
        np.square(out, out=out)
        if a.shape[1] > 1:
            diff = _scratch("diff", out.shape)
            for k in range(1, a.shape[1]):
                np.subtract.outer(a[:, k], b[:, k], out=diff)
                np.square(diff, out=diff)
                out += diff
        return out
    gram = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    if out is None:
        return np.maximum(gram, 0.0)
    return np.maximum(gram, 0.0, out=out)


#: Reused work arrays by (name, shape). The in-memory tests run thousands of times on a few sizes, and
#: a fresh multi-MB array per call paid its page faults every time: a third of the gamma test's CPU
#: time was system time at n = 1000.
_WORK: collections.OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = collections.OrderedDict()
#: Work arrays kept at most (the least recently used goes first).
WORK_ARRAYS = 16


def _scratch(name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A work array of this shape, reused between calls; its contents are undefined."""
    key = (name, shape)
    array = _WORK.pop(key, None)
    if array is None:
        array = np.empty(shape, dtype=dtype)
    _WORK[key] = array
    while len(_WORK) > WORK_ARRAYS:
        _WORK.popitem(last=False)
    return array


def _median_distance(d2: np.ndarray) -> float:
    """Median off-diagonal distance from a symmetric matrix of squared distances (zero diagonal).

    Each pair appears twice off the diagonal, so this equals the median over pairs i < j; the n
    diagonal zeros are the smallest entries, so one partition of the whole matrix finds it. The two
    middle distances are averaged after the square root, as hyppo and Gretton's code do.
    """
    n = d2.shape[0]
    m = n * (n - 1) // 2
    if m == 0:
        return 0.0
    # the pairs i < j alone (half the entries); one selection puts the upper middle in place and
    # leaves the lower middle as the largest entry left of it
    index = _upper_pairs(n)
    pairs = np.take(d2.ravel(), index, out=_scratch("pairs", index.shape), mode="clip")  # "raise" buffers a copy
    pairs.partition(m // 2)
    upper = pairs[m // 2]
    lower = pairs[: m // 2].max() if m % 2 == 0 else upper
    return float((math.sqrt(lower) + math.sqrt(upper)) / 2)


@functools.lru_cache(maxsize=8)
def _upper_pairs(n: int) -> np.ndarray:
    """Flat indices of the entries above the diagonal of an n x n matrix (a handful of sizes recur)."""
    rows, cols = np.triu_indices(n, 1)
    index = rows * n + cols
    return index.astype(np.int32) if n * n < 2**31 else index


def median_distance(a: np.ndarray, max_points: int = 1000, seed: int = 0) -> float:
    """Median off-diagonal pairwise distance (on a fixed subsample when n is large)."""
    a = as_matrix(a)
    if a.shape[0] > max_points:
        a = a[np.random.default_rng(seed).choice(a.shape[0], max_points, replace=False)]
    med = _median_distance(sq_distances(a))
    return med if med > 0 else 1.0  # constant data: any bandwidth gives the same (zero) statistic


def bandwidth(a: np.ndarray, sigma: float | str, seed: int = 0) -> float:
    """The post's sigma: a number, or "median" for sqrt(2) * median distance."""
    if sigma == "median":
        return math.sqrt(2.0) * median_distance(a, seed=seed)
    return float(sigma)


def kernel_matrix(a: np.ndarray, sigma: float | str, seed: int = 0, out: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The full kernel matrix and its bandwidth, sharing one distance matrix between the two (in `out` if given)."""
    d2 = sq_distances(a, out=out)
    if sigma == "median" and d2.shape[0] > 1000:
        s = bandwidth(a, sigma, seed)  # the same subsampled median as the blockwise path
    elif sigma == "median":
        med = _median_distance(d2)
        s = math.sqrt(2.0) * (med if med > 0 else 1.0)
    else:
        s = float(sigma)
    d2 *= -1.0 / (s * s)
    return np.exp(d2, out=d2), s


def gaussian_kernel(a: np.ndarray, sigma: float, b: np.ndarray | None = None) -> np.ndarray:
    """The post's kernel exp(-||a_i - b_j||^2 / sigma^2)."""
    return np.exp(-sq_distances(a, b) / (sigma * sigma))


def inner(a: np.ndarray, b: np.ndarray) -> float:
    """sum_ij a_ij b_ij accumulated in float64, without BLAS.

    OpenBLAS's threaded dot product spin-waits when the cores are busy: on a loaded 2-core machine
    np.vdot of two 200 x 200 matrices took 15 ms against 0.01 ms for einsum.
    """
    return float(np.einsum("i,i->", a.ravel(), b.ravel(), dtype=np.float64))


def centre(k: np.ndarray) -> np.ndarray:
    """H K H without forming H: subtract row and column means, add back the grand mean."""
    row = k.mean(axis=1)
    return k - row[:, None] - row[None, :] + row.mean()


def u_centre(k: np.ndarray) -> np.ndarray:
    """Szekely-Rizzo U-centring of K with its diagonal removed; sum_{i!=j} U(K) U(L) / (n(n-3)) is HSIC_u."""
    n = k.shape[0]
    kt = k.copy()
    np.fill_diagonal(kt, 0.0)
    row = kt.sum(axis=1)
    out = kt - row[:, None] / (n - 2) - row[None, :] / (n - 2) + row.sum() / ((n - 1) * (n - 2))
    np.fill_diagonal(out, 0.0)
    return out


# -- estimators on full kernel matrices (small n, tests, permutation) -----------------------------


def hsic_post(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741  (the post's letters)
    """The post's estimator Tr(K J L J) / (n - 1)^2."""
    n = k.shape[0]
    return inner(centre(k), l) / (n - 1) ** 2


def hsic_biased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """The V-statistic Tr(K H L H) / n^2: the post's three-expectation form with empirical means."""
    n = k.shape[0]
    return inner(centre(k), l) / n**2


def hsic_unbiased(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """Song et al. (2012): zero mean under independence, so it can be negative."""
    n = k.shape[0]
    if n < 4:
        raise ValueError("the unbiased HSIC needs at least 4 observations")
    return inner(u_centre(k), u_centre(l)) / (n * (n - 3))


def hsic_three_expectations(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """The post's definition term by term: E[k l] + E[k] E[l] - 2 E_{x,y}[E_x' k E_y' l]."""
    n = k.shape[0]
    first = (k * l).sum() / n**2
    second = k.sum() / n**2 * l.sum() / n**2
    third = (k.sum(axis=1) / n * l.sum(axis=1) / n).sum() / n
    return float(first + second - 2 * third)


# -- blockwise sums for the gamma test ---------------------------------------------------------


@dataclass
class KernelSums:
    """Everything the estimators and the gamma moments need, gathered in one pass over blocks."""

    n: int
    kl: float  # sum_ij K_ij L_ij
    row_k: np.ndarray
    row_l: np.ndarray
    diag_kl: float  # sum_i K_ii L_ii (n for Gaussian kernels)

    @property
    def trace_khlh(self) -> float:
        n = self.n
        return self.kl - 2.0 / n * inner(self.row_k, self.row_l) + self.row_k.sum() * self.row_l.sum() / n**2

    @property
    def hsic_biased(self) -> float:
        return self.trace_khlh / self.n**2

    @property
    def hsic_post(self) -> float:
        return self.trace_khlh / (self.n - 1) ** 2

    @property
    def hsic_unbiased(self) -> float:
        n = self.n
        # K~ = K with a zero diagonal; Gaussian kernels have K_ii = 1.
        rk, rl = self.row_k - 1.0, self.row_l - 1.0
        tr = self.kl - self.diag_kl
        return (tr + rk.sum() * rl.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * inner(rk, rl)) / (n * (n - 3))


def _row_blocks(n: int) -> Iterator[slice]:
    step = max(1, BLOCK_ENTRIES // max(n, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def kernel_sums(x: np.ndarray, y: np.ndarray, sx: float, sy: float) -> KernelSums:
    x, y = as_matrix(x), as_matrix(y)
    n = x.shape[0]
    row_k, row_l = np.empty(n), np.empty(n)
    kl = 0.0
    for rows in _row_blocks(n):
        kb, lb = gaussian_kernel(x[rows], sx, x), gaussian_kernel(y[rows], sy, y)
        row_k[rows], row_l[rows] = kb.sum(axis=1), lb.sum(axis=1)
        kl += inner(kb, lb)
    return KernelSums(n, kl, row_k, row_l, float(n))


def gamma_null(x: np.ndarray, y: np.ndarray, sx: float, sy: float, sums: KernelSums) -> tuple[float, float, float]:
    """Gretton et al. (2008) gamma parameters (shape, scale) for n * HSIC_b and its null mean E[HSIC_b].

    The variance needs the centred entries, so this is a second pass over the same blocks.
    """
    x, y = as_matrix(x), as_matrix(y)
    n = sums.n
    mk, ml = sums.row_k / n, sums.row_l / n
    gk, gl = mk.mean(), ml.mean()
    total = 0.0
    for rows in _row_blocks(n):
        kb = gaussian_kernel(x[rows], sx, x) - mk[rows, None] - mk[None, :] + gk
        lb = gaussian_kernel(y[rows], sy, y) - ml[rows, None] - ml[None, :] + gl
        prod = kb * lb / 6.0
        total += inner(prod, prod)
        idx = np.arange(rows.start, rows.stop)
        total -= float(np.square(prod[idx - rows.start, idx]).sum())
    return _gamma_moments(sums, total)


# -- permutation engine ---------------------------------------------------------------------------


def _permutations(rng: np.random.Generator, count: int, n: int) -> np.ndarray:
    return rng.permuted(np.broadcast_to(np.arange(n), (count, n)), axis=1)


def _triangle_blocks(a: np.ndarray, count: int) -> list[tuple[int, int, np.ndarray]]:
    """Row blocks [s, e) of A's upper triangle as weights W[s:e, s:]: 2 A_ij above the diagonal,
    A_ii on it, 0 below. For symmetric A and B, sum_ij A_ij C_ij = sum_{i<=j} W_ij C_ij, so each block
    needs only the columns from s on: (count + 1) / (2 count) of the n^2 gathers."""
    n = a.shape[0]
    edges = np.linspace(0, n, count + 1).astype(int)
    blocks = []
    for s, e in itertools.pairwise(edges):
        w = np.array(a[s:e, s:], dtype=np.float32)
        w *= 2.0
        idx = np.arange(e - s)
        w[idx, idx] *= 0.5
        w[np.tril_indices(e - s, -1)] = 0.0
        blocks.append((int(s), int(e), w))
    return blocks


def permutation_statistics(
    a: np.ndarray, b: np.ndarray, permutations: int, rng: np.random.Generator, identity_first: bool = False
) -> np.ndarray:
    """sum_ij A_ij B_{pi(i) pi(j)} for random permutations pi of symmetric A, B (float32 data and block sums).

    The work is memory-bound gathering. Permutations are drawn in vectorised batches; each is applied
    as two `take`s (rows, which copies contiguous rows, then columns), which measured 3-8x faster than
    a batched (b, n, n) fancy index, whose index arrays outweigh the data. By symmetry only the upper
    triangle is gathered, in row blocks (`_triangle_blocks`): 0.56 n^2 entries instead of n^2 at n >= 1024.
    """
    n = a.shape[0]
    if a.shape != b.shape or not (np.allclose(a, a.T) and np.allclose(b, b.T)):
        raise ValueError("permutation statistics need two symmetric matrices of the same size")
    b32 = np.ascontiguousarray(b, dtype=np.float32)
    out = np.empty(permutations)
    # preallocated gather buffers: a fresh multi-MB array per take costs page faults every time.
    # Small samples (the calibration runs hundreds of tests at n = 50-100) spend most of their time
    # in per-call overhead, so the views each permutation needs are made once here, and the takes
    # are array methods (numpy's module-level wrappers add a microsecond or two per call).
    rows = np.empty_like(b32)
    plan = []
    for s, e, w in _triangle_blocks(a, int(np.clip(n // 128, 1, 8))):
        buffer = np.empty((e - s, n - s), dtype=np.float32)
        plan.append((s, e, w.ravel(), rows[: e - s], buffer, buffer.ravel()))
    batch = max(1, min(permutations, PERM_BATCH_ENTRIES // n))
    for start in range(0, permutations, batch):
        perms = _permutations(rng, min(batch, permutations - start), n)
        if identity_first and start == 0:
            perms[0] = np.arange(n)
        for offset, p in enumerate(perms):
            total = 0.0
            for s, e, weights, row_buffer, buffer, gathered in plan:
                b32.take(p[s:e], axis=0, out=row_buffer).take(p[s:], axis=1, out=buffer)
                # float32 sums per block (float64 casting doubled the time); the error measured 3e-6
                # of the null's standard deviation at n = 1000, far inside the tie tolerance below
                total += float(np.einsum("i,i->", weights, gathered))
            out[start + offset] = total
    return out


def permutation_pvalue(a: np.ndarray, b: np.ndarray, permutations: int, rng: np.random.Generator) -> float:
    """(1 + #{T_perm >= T}) / (1 + B), with T computed by the same float32 arithmetic as T_perm."""
    # the observed statistic is the identity permutation, through the same arithmetic as the others,
    # so that exactly tied permutations (discrete data) compare equal
    stats = permutation_statistics(a, b, permutations + 1, rng, identity_first=True)
    observed, null = float(stats[0]), stats[1:]
    # float32 rounding must not split ties (discrete data gives exactly tied permutations)
    tol = 1e-5 * max(abs(observed), float(np.abs(null).max(initial=0.0)), 1e-30)
    return (1.0 + float(np.count_nonzero(null >= observed - tol))) / (1.0 + permutations)


# -- the tests ------------------------------------------------------------------------------------

#: Up to this n the kernel matrices are formed once (one pass); beyond it the gamma test streams blocks.
FULL_N = 2000
#: Exact O(n^2)-memory tests (permutation) refuse larger samples rather than exhaust memory.
MAX_PERMUTATION_N = 10_000


@dataclass
class TestResult:
    statistic: float
    p_value: float
    details: dict

    def as_prediction(self, alpha: float, runtime: float) -> dict:
        p = self.p_value
        finite = p is not None and math.isfinite(p)
        return {
            "statistic": float(self.statistic),
            "p_value": float(p) if finite else None,
            "reject": bool(finite and p <= alpha),
            "alpha": alpha,
            "runtime_s": runtime,
            **self.details,
        }


def gamma_from_matrices(k: np.ndarray, l: np.ndarray) -> tuple[KernelSums, float, float, float]:  # noqa: E741
    """The gamma test's sums and moments from full kernel matrices (one pass, no recomputation)."""
    n = k.shape[0]
    row_k, row_l = k.sum(axis=1), l.sum(axis=1)
    mk, ml = row_k / n, row_l / n  # what `centre` subtracts, entry for entry
    gk, gl = mk.mean(), ml.mean()
    # One pass over row blocks small enough to stay in cache: sum K L, and the sum of squares of
    # the centred product (H K H) o (H L H) / 6 off its diagonal, never forming an n x n temporary.
    rows = max(1, CACHE_ENTRIES // n)
    kc, lc = _scratch("kc", (rows, n)), _scratch("lc", (rows, n))
    kl = total = diagonal = 0.0
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        kb, lb = kc[: stop - start], lc[: stop - start]
        kl += inner(k[start:stop], l[start:stop])
        np.subtract(k[start:stop], mk[start:stop, None], out=kb)
        kb -= mk[None, :]
        kb += gk
        np.subtract(l[start:stop], ml[start:stop, None], out=lb)
        lb -= ml[None, :]
        lb += gl
        kb *= lb
        kb *= 1.0 / 6.0
        total += inner(kb, kb)
        diag = kb[np.arange(stop - start), np.arange(start, stop)]
        diagonal += inner(diag, diag)
    sums = KernelSums(n, kl, row_k, row_l, inner(np.diag(k), np.diag(l)))
    return (sums, *_gamma_moments(sums, total - diagonal))


def _gamma_moments(sums: KernelSums, total: float) -> tuple[float, float, float]:
    n = sums.n
    var = 72.0 * (n - 4) * (n - 5) / (n * (n - 1) * (n - 2) * (n - 3)) * total / (n * (n - 1))
    mu_x = (sums.row_k.sum() - n) / (n * (n - 1))
    mu_y = (sums.row_l.sum() - n) / (n * (n - 1))
    mean = (1.0 + mu_x * mu_y - mu_x - mu_y) / n
    if var <= 0 or mean <= 0:
        return math.nan, math.nan, mean
    return mean**2 / var, n * var / mean, mean


def hsic_test(
    x: np.ndarray,
    y: np.ndarray,
    estimator: str = "post",
    sigma: float | str = "median",
    null: str = "gamma",
    permutations: int = 1000,
    rng: np.random.Generator | None = None,
    seed: int = 0,
) -> TestResult:
    """One HSIC test. `estimator` picks the reported statistic (and the permuted one); `null` the p-value."""
    from scipy import stats

    if estimator not in ("post", "unbiased", "biased"):
        raise ValueError(f"unknown estimator {estimator!r}")
    x, y = as_matrix(x), as_matrix(y)
    n = x.shape[0]
    if n < 6:
        raise ValueError(f"HSIC tests need at least 6 observations, got {n}")
    if null == "gamma":
        if n <= FULL_N:
            k, sx = kernel_matrix(x, sigma, seed, out=_scratch("k", (n, n)))
            l, sy = kernel_matrix(y, sigma, seed + 1, out=_scratch("l", (n, n)))  # noqa: E741
            sums, shape, scale, mean = gamma_from_matrices(k, l)
        else:
            sx, sy = bandwidth(x, sigma, seed), bandwidth(y, sigma, seed + 1)
            sums = kernel_sums(x, y, sx, sy)
            shape, scale, mean = gamma_null(x, y, sx, sy, sums)
        statistic = {"post": sums.hsic_post, "unbiased": sums.hsic_unbiased, "biased": sums.hsic_biased}[estimator]
        # n HSIC_b follows the gamma law; n (HSIC_u + E0[HSIC_b]) has the same null mean and variance.
        tested = n * sums.hsic_biased if estimator != "unbiased" else n * (sums.hsic_unbiased + mean)
        p = float(stats.gamma.sf(tested, shape, scale=scale)) if math.isfinite(shape) else math.nan
        return TestResult(statistic, p, {"sigma_x": sx, "sigma_y": sy, "gamma_shape": shape, "gamma_scale": scale})
    if null != "permutation":
        raise ValueError(f"unknown null {null!r}")
    if n > MAX_PERMUTATION_N:
        raise ValueError(
            f"n = {n} is beyond the permutation test's O(n^2) memory limit ({MAX_PERMUTATION_N}); "
            "use null=gamma or the hsic-rff model"
        )
    rng = rng or np.random.default_rng(seed)
    (k, sx), (l, sy) = kernel_matrix(x, sigma, seed), kernel_matrix(y, sigma, seed + 1)  # noqa: E741
    if estimator == "unbiased":
        a, b = u_centre(k), u_centre(l)
        statistic = inner(a, b) / (n * (n - 3))
    else:
        a, b = centre(k), l
        trace = inner(a, b)
        statistic = trace / (n - 1) ** 2 if estimator == "post" else trace / n**2
    p = permutation_pvalue(a, b, permutations, rng)
    return TestResult(statistic, p, {"sigma_x": sx, "sigma_y": sy, "permutations": permutations})
