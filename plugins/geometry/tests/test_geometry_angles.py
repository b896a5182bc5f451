"""Random angles: the methods against exact values and against mpmath (no shared code with scipy)."""

import math

import mpmath
import pytest
from harness_geometry import angles, reference
from harness_geometry.data import ANGLE_DIMENSIONS


def test_known_values_mean_half_pi_and_variance_for_n_2_and_3():
    assert angles.closed_form(3)["variance"] == pytest.approx(math.pi**2 / 4 - 2, rel=1e-15)
    assert angles.closed_form(2)["variance"] == pytest.approx(math.pi**2 / 12, rel=1e-15)
    assert reference.angle_moments(3)["variance"] == pytest.approx(math.pi**2 / 4 - 2, rel=1e-15)
    for n in ANGLE_DIMENSIONS:
        assert angles.closed_form(n)["mean"] == math.pi / 2
        assert angles.quadrature(n)["mean"] == pytest.approx(math.pi / 2, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 7, 50, 1000])
def test_variance_against_mpmath_quadrature_of_the_density(n):
    mpmath.mp.dps = 30
    c = mpmath.gamma(mpmath.mpf(n) / 2) / (mpmath.gamma(mpmath.mpf(n - 1) / 2) * mpmath.sqrt(mpmath.pi))
    half = mpmath.pi / 2
    mass = mpmath.quad(lambda t: c * mpmath.sin(t) ** (n - 2), [0, half, mpmath.pi])
    var = mpmath.quad(lambda t: c * (t - half) ** 2 * mpmath.sin(t) ** (n - 2), [0, half, mpmath.pi])
    assert float(mass) == pytest.approx(1, abs=1e-20)
    assert angles.closed_form(n)["variance"] == pytest.approx(float(var), rel=1e-13)
    assert reference.angle_moments(n)["variance"] == pytest.approx(float(var), rel=1e-13)
    # trigamma identity, evaluated by mpmath itself
    assert float(mpmath.psi(1, mpmath.mpf(n) / 2) / 2) == pytest.approx(float(var), rel=1e-20)


def test_closed_form_and_quadrature_agree_to_1e9_at_every_n():
    for n in ANGLE_DIMENSIONS:
        exact, numeric = angles.closed_form(n), angles.quadrature(n)
        assert abs(numeric["variance"] - exact["variance"]) <= 1e-9 * exact["variance"], n
        assert abs(numeric["mean"] - exact["mean"]) <= 1e-9
        assert angles.ks_distance(numeric["cdf"], n) < 1e-9


def test_series_reference_matches_the_recurrence_and_mpmath_at_large_n():
    for n in range(2, 40):
        assert reference.angle_moments(n)["variance"] == pytest.approx(reference.angle_variance_finite_sum(n), rel=1e-13)
    mpmath.mp.dps = 30
    exact = mpmath.psi(1, mpmath.mpf(10000) / 2) / 2
    assert reference.angle_moments(10000)["variance"] == pytest.approx(float(exact), rel=1e-15)


def test_cdf_and_density_against_mpmath():
    mpmath.mp.dps = 30
    n = 5
    c = mpmath.gamma(mpmath.mpf(n) / 2) / (mpmath.gamma(mpmath.mpf(n - 1) / 2) * mpmath.sqrt(mpmath.pi))
    for theta in (0.3, 1.0, 1.9, 2.8):
        expected = mpmath.quad(lambda t: c * mpmath.sin(t) ** (n - 2), [0, theta])
        assert float(angles.cdf(theta, n)) == pytest.approx(float(expected), abs=1e-14)
        assert float(angles.density(theta, n)) == pytest.approx(float(c * mpmath.sin(theta) ** 3), rel=1e-13)
    # n = 10000: the density peaks at Gamma(n/2)/(Gamma((n-1)/2) sqrt(pi)) ~ sqrt(n / (2 pi)) without overflow
    assert float(angles.density(math.pi / 2, 10000)) == pytest.approx(math.sqrt(9999 / (2 * math.pi)), rel=1e-3)


def test_monte_carlo_is_within_three_standard_errors_and_close_in_ks():
    for n in (3, 100):
        result = angles.monte_carlo(n, 4000, seed=1)
        exact = reference.angle_moments(n)
        assert abs(result["mean"] - math.pi / 2) < 3 * result["mean_se"]
        assert abs(result["variance"] - exact["variance"]) < 3 * result["variance_se"]
        ks = angles.ks_distance(result["cdf"], n)
        assert 1 / 4000 < ks < 1.63 / math.sqrt(4000)  # below the 1% critical value of the KS test
    assert angles.monte_carlo(3, 500, seed=1) == angles.monte_carlo(3, 500, seed=1)
    assert angles.monte_carlo(3, 500, seed=1)["mean"] != angles.monte_carlo(3, 500, seed=2)["mean"]


def test_laplace_is_an_approximation_whose_error_shrinks_and_is_undefined_at_n_2():
    assert angles.laplace(2)["variance"] is None
    errors = [abs(angles.laplace(n)["variance"] / reference.angle_moments(n)["variance"] - 1) for n in ANGLE_DIMENSIONS[1:]]
    assert errors == sorted(errors, reverse=True)
    assert errors[0] > 1 and errors[-1] < 1e-3  # n = 3: 1 vs 0.467; n = 10000: relative error ~ 1/n
    ks = [angles.ks_distance(angles.laplace(n)["cdf"], n) for n in (3, 10, 100, 10000)]
    assert ks == sorted(ks, reverse=True) and ks[0] > 0.05
