"""Statistical behaviour users rely on: the tests hold their level, and power grows with n.

Seeds are fixed, so these are deterministic; the tolerances are the binomial ones a reader would
apply to a published type-I error table.
"""

import zlib

import numpy as np
import pytest
from harness_independence.families import DEPENDENT, FAMILIES, INDEPENDENT, generate
from harness_independence.hsic import hsic_test
from scipy import stats


def _null_instances(sizes, reps):
    for family in INDEPENDENT:
        for dim in (1, 3):
            for n in sizes:
                for rep in range(reps):
                    yield generate(family, n, dim, 0.0, seed=zlib.crc32(f"{family}/{dim}/{n}/{rep}".encode()))


@pytest.mark.slow
@pytest.mark.parametrize("null, sizes, reps", [("gamma", (50, 100, 200), 20), ("permutation", (50, 100), 25)])
def test_type_one_error_lies_in_the_binomial_interval_around_alpha(null, sizes, reps):
    pvalues = []
    for i, (x, y) in enumerate(_null_instances(sizes, reps)):
        pvalues.append(hsic_test(x, y, null=null, permutations=200, rng=np.random.default_rng(i)).p_value)
    count, total = int(np.sum(np.array(pvalues) <= 0.05)), len(pvalues)
    assert total >= 500
    low, high = stats.binom.interval(0.95, total, 0.05)
    assert low <= count <= high, f"{null}: {count}/{total} rejections, 95% binomial interval [{low}, {high}]"


def _power(family, n, sigma, reps=20):
    noise = FAMILIES[family].noise[1]
    rejected = [hsic_test(*generate(family, n, 1, noise, seed=7_000 + rep), sigma=sigma).p_value <= 0.05 for rep in range(reps)]
    return sum(rejected)


@pytest.mark.parametrize("family", [f for f in DEPENDENT if f != "sine-16pi"])
def test_power_rises_with_n_on_every_dependent_family(family):
    reps = 20
    small, mid, large = (_power(family, n, "median", reps) for n in (30, 120, 480))
    assert small <= mid + 2 and mid <= large + 2, (small, mid, large)
    assert stats.fisher_exact([[large, reps - large], [small, reps - small]], alternative="greater").pvalue < 0.01


def test_sine_16pi_needs_a_narrower_kernel_than_the_median_heuristic():
    """At 16 periods on [-1, 1] the median bandwidth averages the sine away: power stays near alpha up to
    n = 1000 (the embedded grid shows it). The post's fixed-sigma kernel with sigma below the period (1/8)
    recovers the growth."""
    reps = 20
    small, mid, large = (_power("sine-16pi", n, 0.05, reps) for n in (30, 120, 480))
    assert small <= mid + 2 and mid <= large + 2, (small, mid, large)
    assert stats.fisher_exact([[large, reps - large], [small, reps - small]], alternative="greater").pvalue < 0.01
    assert _power("sine-16pi", 480, "median", reps) <= 6
