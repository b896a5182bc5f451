"""This plugin's tests against the reference packages: dcor (distance correlation), hyppo (HSIC
permutation test) and scipy (Pearson, Spearman). hyppo and dcor come with the `test` extra."""

import importlib
import importlib.util
import math
import sys
import warnings

import numpy as np
import pytest
from harness_independence import classical, dcorr, hsic
from harness_independence.families import generate
from scipy import stats


@pytest.fixture(scope="module")
def dcor():
    """The dcor package, its numba functions left as the Python dcor ships.

    dcor compiles its functions when it is imported. Two of them close over other compiled
    functions, and numba keys their on-disk cache by those functions' per-process ids, so every
    process compiles them again (about 6 CPU s) and adds one more entry to the cache. With numba's
    JIT off while dcor is imported, its functions stay the code numba would have compiled, fast
    enough at these sizes; the switch is put back before anything else is imported, so hyppo is
    compiled as usual. dcor's row-wise ufuncs are compiled either way (numba has no uncompiled
    ufunc) and call a compiled function, which only the cache of an earlier import provides:
    without one, dcor is imported again, compiled, and writes that cache. A dcor imported earlier
    in the process is taken as it is.
    """
    if "dcor" in sys.modules:
        return sys.modules["dcor"]
    if importlib.util.find_spec("dcor") is None:
        pytest.skip("dcor is not installed")
    config = importlib.import_module("numba.core.config")
    before = config.DISABLE_JIT
    config.DISABLE_JIT = True
    try:
        return importlib.import_module("dcor")
    except importlib.import_module("numba.core.errors").NumbaError:
        for name in [name for name in sys.modules if name == "dcor" or name.startswith("dcor.")]:
            del sys.modules[name]
    finally:
        config.DISABLE_JIT = before
    return importlib.import_module("dcor")


def _instances(count, n, seed0, dependent_share=0.5):
    out = []
    for i in range(count):
        if i < count * dependent_share:
            out.append(generate("quadratic", n, 1, 0.3, seed0 + i))
        else:
            out.append(generate("independent-normal", n, 1, 0.0, seed0 + i))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("dims", [(1, 1), (3, 2)])
def test_distance_correlation_matches_dcor_to_1e_10(dims, dcor):
    rng = np.random.default_rng(11)
    for n in (10, 97, 400):
        x = rng.normal(size=(n, dims[0]))
        y = np.sin(x[:, :1] * 2) + 0.3 * rng.normal(size=(n, dims[1]))
        xs, ys = (x[:, 0], y[:, 0]) if dims == (1, 1) else (x, y)
        assert dcorr.distance_correlation(xs, ys) == pytest.approx(dcor.distance_correlation(xs, ys), abs=1e-10)
        assert dcorr.distance_covariance_sqr(xs, ys) == pytest.approx(dcor.distance_covariance_sqr(xs, ys), abs=1e-10)
        assert dcorr.u_distance_correlation_sqr(xs, ys) == pytest.approx(dcor.u_distance_correlation_sqr(xs, ys), abs=1e-10)


def test_distance_correlation_permutation_pvalues_agree_with_dcor(dcor):
    mine, theirs = [], []
    for i, (x, y) in enumerate(_instances(40, 50, 300)):
        mine.append(dcorr.dcor_permutation_test(x, y, 400, np.random.default_rng(i))[1])
        theirs.append(dcor.independence.distance_covariance_test(x, y, num_resamples=400, random_state=i).pvalue)
    diff = np.abs(np.array(mine) - np.array(theirs))
    # same statistic and null, independent permutations: the p-values differ by Monte Carlo error only
    assert diff.max() < 0.12 and diff.mean() < 0.03


@pytest.mark.slow
def test_hsic_permutation_pvalues_agree_with_hyppo_in_distribution():
    pytest.importorskip("hyppo")
    from hyppo.independence import Hsic

    reps = 400
    same_kernel, own_kernel, theirs = [], [], []
    for i, (x, y) in enumerate(_instances(60, 60, 500, dependent_share=0.3)):
        # hyppo's compute_kern takes the median bandwidth of x and uses it for y as well
        shared = math.sqrt(2) * hsic.median_distance(x)
        for sigma, out in ((shared, same_kernel), ("median", own_kernel)):
            out.append(
                hsic.hsic_test(
                    x, y, estimator="unbiased", sigma=sigma, null="permutation", permutations=reps, rng=np.random.default_rng(i)
                ).p_value
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.random.seed(i)  # hyppo permutes with the global numpy generator
            theirs.append(Hsic().test(x[:, 0], y[:, 0], reps=reps, auto=False).pvalue)
    same_kernel, own_kernel, theirs = np.array(same_kernel), np.array(own_kernel), np.array(theirs)
    # paired, same kernel: hyppo's statistic (a normalised U-statistic) orders permutations exactly as the
    # unbiased HSIC does, so only Monte Carlo error separates the p-values (sd 0.035 at p = 1/2)
    diff = np.abs(same_kernel - theirs)
    assert diff.max() < 0.17 and diff.mean() < 0.03
    # in distribution, also with this plugin's per-variable bandwidths: indistinguishable p-value samples,
    # uniform on the independent instances and small where there is dependence
    assert stats.ks_2samp(own_kernel, theirs).pvalue > 0.2
    assert stats.kstest(own_kernel[18:], "uniform").pvalue > 0.01
    assert (own_kernel[:18] <= 0.05).mean() > 0.5


def test_pearson_and_spearman_match_scipy_and_bonferroni_in_several_dimensions():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 1))
    y = 0.3 * x + rng.normal(size=(80, 1))
    ref = stats.pearsonr(x[:, 0], y[:, 0])
    got = classical.pearson_test(x, y)
    assert got.statistic == pytest.approx(ref.statistic, abs=1e-12) and got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ref = stats.spearmanr(x[:, 0], y[:, 0])
    got = classical.spearman_test(x, y)
    assert got.statistic == pytest.approx(ref.statistic, abs=1e-12) and got.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ref = stats.kendalltau(x[:, 0], y[:, 0])
    assert classical.kendall_test(x, y).p_value == pytest.approx(ref.pvalue, rel=1e-12)
    # 3 x 2 coordinate pairs: the smallest pairwise p-value times 6
    x3 = np.column_stack([x, rng.normal(size=(80, 2))])
    y2 = np.column_stack([y, rng.normal(size=(80, 1))])
    pairwise = [stats.pearsonr(x3[:, i], y2[:, j]).pvalue for i in range(3) for j in range(2)]
    assert classical.pearson_test(x3, y2).p_value == pytest.approx(min(1.0, 6 * min(pairwise)), rel=1e-9)
