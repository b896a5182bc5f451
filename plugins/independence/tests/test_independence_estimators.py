"""The estimators against independent references: the post's definition, brute-force U-statistics,
and Gretton's published gamma-test code transcribed with explicit centring matrices."""

import itertools
import math

import numpy as np
import pytest
from harness_independence import hsic, rff
from scipy import stats


def _pair(n, seed, dependent=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, :1] ** 2 + 0.5 * rng.normal(size=(n, 1))) if dependent else rng.normal(size=(n, 1))
    return x, y


def test_trace_formula_equals_the_posts_three_expectation_form():
    for seed, sigma in [(0, 1.0), (1, 0.3), (2, "median")]:
        x, y = _pair(57, seed)
        k, sx = hsic.kernel_matrix(x, sigma)
        ly, _ = hsic.kernel_matrix(y, sigma)
        n = len(x)
        j = np.eye(n) - np.ones((n, n)) / n
        trace = np.trace(k @ j @ ly @ j)
        # the post's expansion with every expectation replaced by its sample mean is Tr(KJLJ) / n^2 ...
        assert hsic.hsic_three_expectations(k, ly) == pytest.approx(trace / n**2, rel=1e-12)
        assert hsic.hsic_biased(k, ly) == pytest.approx(trace / n**2, rel=1e-12)
        # ... and the post's estimator normalises the same trace by (n - 1)^2
        assert hsic.hsic_post(k, ly) == pytest.approx(trace / (n - 1) ** 2, rel=1e-12)
        # the kernel is the post's exp(-|x - x'|^2 / sigma^2)
        assert k[0, 1] == pytest.approx(math.exp(-np.sum((x[0] - x[1]) ** 2) / sx**2), rel=1e-12)


def test_median_heuristic_matches_gretton_and_hyppo_convention():
    x, _ = _pair(40, 3)
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    med = np.median(d[np.triu_indices(40, 1)])
    _, s = hsic.kernel_matrix(x, "median")
    # exp(-d^2 / s^2) with s = sqrt(2) med is exp(-d^2 / (2 med^2))
    assert s == pytest.approx(math.sqrt(2) * med, rel=1e-12)
    for n in (6, 7, 8, 9):  # an odd and an even number of pairs: one middle value or the mean of two
        d = np.abs(np.subtract.outer(x[:n, 0], x[:n, 0]))
        assert hsic.median_distance(x[:n, :1]) == pytest.approx(np.median(d[np.triu_indices(n, 1)]), rel=1e-12)


def test_the_gamma_test_reuses_its_work_arrays_without_carrying_anything_over():
    rng = np.random.default_rng(5)
    pairs = [(rng.normal(size=(n, d)), rng.normal(size=(n, d))) for n, d in ((300, 1), (120, 3), (700, 2))]
    pairs.append(pairs[0])  # the first size again, after the work arrays held other sizes
    reused = [hsic.hsic_test(x, y) for x, y in pairs]
    hsic._WORK.clear()
    fresh = [hsic.hsic_test(x, y) for x, y in pairs[:3]]
    assert [r.p_value for r in reused] == [*(r.p_value for r in fresh), fresh[0].p_value]
    assert [r.statistic for r in reused[:3]] == [r.statistic for r in fresh]


def test_unbiased_estimator_matches_the_u_statistic_definition():
    x, y = _pair(8, 4)
    k, _ = hsic.kernel_matrix(x, 1.0)
    ly, _ = hsic.kernel_matrix(y, 1.0)
    total = 0.0
    quads = list(itertools.permutations(range(8), 4))
    for i, j, q, r in quads:  # Song et al. (2012): h = k_ij l_ij + k_ij l_qr - 2 k_ij l_iq over distinct indices
        total += k[i, j] * ly[i, j] + k[i, j] * ly[q, r] - 2 * k[i, j] * ly[i, q]
    assert hsic.hsic_unbiased(k, ly) == pytest.approx(total / len(quads), rel=1e-10)
    sums = hsic.kernel_sums(x, y, 1.0, 1.0)
    assert sums.hsic_unbiased == pytest.approx(total / len(quads), rel=1e-10)


def test_unbiased_estimator_has_mean_zero_under_independence_and_the_biased_one_does_not():
    unbiased, biased = [], []
    for seed in range(400):
        x, y = _pair(30, 1000 + seed, dependent=False)
        k, _ = hsic.kernel_matrix(x, 1.0)
        ly, _ = hsic.kernel_matrix(y, 1.0)
        unbiased.append(hsic.hsic_unbiased(k, ly))
        biased.append(hsic.hsic_biased(k, ly))
    unbiased, biased = np.array(unbiased), np.array(biased)
    se = unbiased.std(ddof=1) / math.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 3 * se
    assert biased.mean() > 10 * biased.std(ddof=1) / math.sqrt(len(biased))  # the V-statistic's positive bias


def _gretton_gamma(x, y, sx, sy):
    """hsicTestGamma.m (Gretton 2008), transcribed with explicit H, for the post's kernel."""
    m = len(x)
    h = np.eye(m) - np.ones((m, m)) / m
    k = np.exp(-((x[:, None, :] - x[None, :, :]) ** 2).sum(-1) / sx**2)
    l = np.exp(-((y[:, None, :] - y[None, :, :]) ** 2).sum(-1) / sy**2)  # noqa: E741
    kc, lc = h @ k @ h, h @ l @ h
    test_stat = np.sum(kc.T * lc) / m
    var = (kc * lc / 6) ** 2
    var = (var.sum() - np.trace(var)) / m / (m - 1)
    var = var * 72 * (m - 4) * (m - 5) / m / (m - 1) / (m - 2) / (m - 3)
    k0, l0 = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    mu_x, mu_y = k0.sum() / m / (m - 1), l0.sum() / m / (m - 1)
    mean = (1 + mu_x * mu_y - mu_x - mu_y) / m
    al, bet = mean**2 / var, var * m / mean
    return test_stat, stats.gamma.sf(test_stat, al, scale=bet)


@pytest.mark.parametrize("dependent", [True, False])
def test_gamma_test_matches_grettons_code_in_memory_and_in_blocks(dependent, monkeypatch):
    x, y = _pair(120, 5, dependent)
    stat, p = _gretton_gamma(x, y, 1.3, 0.7)
    sx_sy = (1.3, 0.7)
    sums = hsic.kernel_sums(x, y, *sx_sy)
    shape, scale, _ = hsic.gamma_null(x, y, *sx_sy, sums)
    assert len(x) * sums.hsic_biased == pytest.approx(stat, rel=1e-10)
    assert stats.gamma.sf(len(x) * sums.hsic_biased, shape, scale=scale) == pytest.approx(p, rel=1e-8, abs=1e-14)
    # the blockwise path (used beyond FULL_N) agrees with the one-pass path, blocks of 7 rows
    monkeypatch.setattr(hsic, "BLOCK_ENTRIES", 7 * len(x))
    blocked = hsic.kernel_sums(x, y, *sx_sy)
    assert blocked.hsic_post == pytest.approx(sums.hsic_post, rel=1e-12)
    assert hsic.gamma_null(x, y, *sx_sy, blocked)[:2] == pytest.approx((shape, scale), rel=1e-10)
    # and the public test gives the same p-value through either path
    one_pass = hsic.hsic_test(x, y, sigma="median")
    monkeypatch.setattr(hsic, "FULL_N", 10)
    assert hsic.hsic_test(x, y, sigma="median").p_value == pytest.approx(one_pass.p_value, rel=1e-9)


@pytest.mark.parametrize("n", [9, 300, 1100])  # one block, 2 and 8 upper-triangle row blocks
def test_permutation_engine_permutes_both_sides_of_the_kernel(n):
    x, y = _pair(n, 6)
    k, _ = hsic.kernel_matrix(x, 1.0)
    ly, _ = hsic.kernel_matrix(y, 1.0)
    a = hsic.centre(k)
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    fast = hsic.permutation_statistics(a, ly, 5, rng_a)
    perms = hsic._permutations(rng_b, 5, n)
    # reference: the full centred statistic of (x, y[perm]) from scratch, in float64
    h = np.eye(n) - 1 / n
    slow = [np.trace(k @ h @ ly[np.ix_(p, p)] @ h) for p in perms]
    assert fast == pytest.approx(slow, rel=1e-5)


def test_random_fourier_features_approximate_the_exact_statistic():
    x, y = _pair(400, 7)
    exact = hsic.hsic_test(x, y, estimator="biased", sigma=1.0).statistic
    approx = rff.rff_hsic_test(x, y, sigma=1.0, count=2000, seed=1).statistic
    assert approx == pytest.approx(exact, rel=0.1)
