"""Metrics of the geometry tasks: errors against the references, and checks of the methods.

A metric that does not apply to a sample (no standard errors from a deterministic method, no
curve from the closed form on a gravity instance, no Laplace estimate at n = 2) scores
{"value": 0, "applies": 0}; the aggregate is the mean over the samples it applies to, and a
metric that applies to none of a run's samples is stored as null (shown as n/a), never as 0.
The core stores per-sample scores as floats only (a None score fails in the runner), hence the
"applies" statistic rather than a missing value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness import Metric

NOT_APPLICABLE = {"value": 0.0, "applies": 0.0}


def applies(value: float) -> dict[str, float]:
    return {"value": float(value), "applies": 1.0}


class ApplicableMean(Metric):
    """Mean over the samples where the metric applies; NaN (stored as null) where it applies to none."""

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> dict[str, float]:
        value = self.value(prediction, reference, input)
        return NOT_APPLICABLE if value is None else applies(value)

    def value(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> float | None:
        raise NotImplementedError

    def aggregate(self, stats: Mapping[str, Any]) -> float:
        import numpy as np

        weight = np.asarray(stats["applies"], dtype=float)
        total = float(weight.sum())
        return float(np.dot(stats["value"], weight) / total) if total else math.nan


# -- random-angles ------------------------------------------------------------------------------

ANGLE_CITATION = "Su Jianlin, n维空间下两个随机向量的夹角分布, https://kexue.fm/archives/7076"


class _MomentError(ApplicableMean):
    """|model - exact| of one moment (`key`), divided by the exact value when `relative`."""

    bounds = (0.0, None)

    key: str
    relative: bool = False
    citation = ANGLE_CITATION
    higher_is_better = False

    def value(self, prediction, reference, input):
        if prediction.get(self.key) is None:
            return None
        error = abs(prediction[self.key] - reference[self.key])
        return error / reference[self.key] if self.relative else error


class AngleVarianceRelError(_MomentError):
    name = "angle-var-rel-error"
    version = "1"
    description = "|Var_model - Var_exact| / Var_exact, Var_exact = psi_1(n/2)/2 (finite-sum reference); mean over n."
    key = "variance"
    relative = True


class AngleVarianceAbsError(_MomentError):
    name = "angle-var-abs-error"
    version = "1"
    description = "|Var_model - Var_exact| in rad^2; mean over n (dominated by small n, where the variance is large)."
    key = "variance"


class AngleMeanAbsError(_MomentError):
    name = "angle-mean-abs-error"
    version = "1"
    description = "|mean_model - pi/2| in radians (the exact mean is pi/2 by symmetry)."
    key = "mean"


class AngleMeanRelError(_MomentError):
    name = "angle-mean-rel-error"
    version = "1"
    description = "|mean_model - pi/2| / (pi/2)."
    key = "mean"
    relative = True


class AngleKSDistance(ApplicableMean):
    bounds = (0.0, 1.0)
    name = "angle-ks-distance"
    version = "1"
    description = (
        "Kolmogorov distance sup|F_model - F_exact| to the exact CDF I_{sin^2(theta/2)}((n-1)/2, (n-1)/2): "
        "for monte-carlo the KS statistic of its draws (ECDF stored at 400 evenly spaced ranks, so within "
        "1/400 of the full-sample statistic); for deterministic methods their CDF on a 121-point grid."
    )
    citation = "Kolmogorov (1933); Smirnov (1948). " + ANGLE_CITATION
    higher_is_better = False

    def value(self, prediction, reference, input):
        from harness_geometry.angles import ks_distance

        if not prediction.get("cdf"):
            return None
        return ks_distance(prediction["cdf"], int(input["n"]))


class AngleWithin3SE(ApplicableMean):
    bounds = (0.0, 1.0)
    name = "angle-within-3se"
    version = "1"
    description = (
        "Sampling methods only: 1 if both |mean error| <= 3 SE(mean) and |variance error| <= 3 SE(variance) "
        "(delta-method SE), else 0; share of n. About 0.5% of honest instances fail by chance."
    )
    higher_is_better = True

    def value(self, prediction, reference, input):
        if prediction.get("mean_se") is None or prediction.get("variance_se") is None:
            return None
        ok_mean = abs(prediction["mean"] - reference["mean"]) <= 3 * prediction["mean_se"]
        ok_var = abs(prediction["variance"] - reference["variance"]) <= 3 * prediction["variance_se"]
        return float(ok_mean and ok_var)


class AngleUnanswered(Metric):
    bounds = (0.0, 1.0)
    name = "angle-unanswered"
    version = "1"
    description = (
        "Share of instances for which the method gives no variance at all (Laplace has none at n = 2). "
        "A leaderboard flag: a method that skips instances ranks after those that answer every one."
    )
    higher_is_better = False

    def score(self, prediction, reference, input):
        return float(prediction.get("variance") is None)


# -- rope-curve ---------------------------------------------------------------------------------

ROPE_CITATION = "Su Jianlin, 跳绳的曲线, https://kexue.fm/archives/6784"


def _xy(curve: Mapping[str, Any]) -> Any:
    import numpy as np

    return np.column_stack([np.asarray(curve["x"], dtype=float), np.asarray(curve["y"], dtype=float)])


def curve_deviation(points: Any, reference_points: Any, length: float) -> float:
    import numpy as np

    return float(np.max(np.linalg.norm(points - reference_points, axis=1)) / length)


class RopeMaxDeviation(ApplicableMean):
    bounds = (0.0, None)
    name = "rope-max-deviation"
    version = "1"
    description = (
        "max_k |r_model(s_k) - r_ref(s_k)| / L over 201 uniform arc-length fractions s_k = k L/200 "
        "(reference: Jacobi closed form for the troposkein, collocation otherwise)."
    )
    citation = ROPE_CITATION
    higher_is_better = False

    def value(self, prediction, reference, input):
        if not prediction.get("solved"):
            return None
        return curve_deviation(_xy(prediction["curve"]), _xy(reference["curve"]), reference["length"])


class RopeLengthRelError(ApplicableMean):
    bounds = (0.0, None)
    name = "rope-length-rel-error"
    version = "1"
    description = (
        "|L_model - L_exact| / L_exact, L = D (2E(m)/((1-m)K(m)) - 1), on troposkein instances "
        "(given R, the length is an output); not applicable where the length is given."
    )
    citation = ROPE_CITATION
    higher_is_better = False

    def value(self, prediction, reference, input):
        if not prediction.get("solved") or input.get("kind") != "troposkein":
            return None
        return abs(prediction["length"] - reference["length"]) / reference["length"]


def equilibrium_residual(curve: Mapping[str, Any], omega: float, g: float) -> float:
    """How far a curve is from satisfying T y' = g s + c with T = lambda - phi.

    y' by 4th-order central differences on the uniform arc-length samples; lambda and c are
    fitted by least squares; the result is max|residual| / max(|lambda y'| + |c| + |phi y' + g s|).
    """
    import numpy as np

    s, x, y = (np.asarray(curve[k], dtype=float) for k in ("s", "x", "y"))
    h = s[1] - s[0]
    slope = (-y[4:] + 8 * y[3:-1] - 8 * y[1:-3] + y[:-4]) / (12 * h)
    xi, yi, si = x[2:-2], y[2:-2], s[2:-2]
    rhs = (omega**2 * xi**2 / 2 - g * yi) * slope + g * si
    design = np.column_stack([slope, -np.ones_like(slope)])
    (lam, const), *_ = np.linalg.lstsq(design, rhs, rcond=None)
    residual = design @ np.array([lam, const]) - rhs
    scale = np.max(np.abs(lam * slope) + abs(const) + np.abs(rhs))
    return float(np.max(np.abs(residual)) / scale)


class RopeEquilibriumResidual(ApplicableMean):
    bounds = (0.0, None)
    name = "rope-equilibrium-residual"
    version = "1"
    description = (
        "Relative residual of the equilibrium first integral T y' = g s + c, T = lambda - omega^2 x^2/2 + g y, "
        "along the returned curve (4th-order differences; lambda, c fitted). Exact curves sit at the "
        "finite-difference floor (1e-13 ... 1e-5, growing with the curvature); a chain's kinks add more."
    )
    citation = ROPE_CITATION
    higher_is_better = False

    def value(self, prediction, reference, input):
        if not prediction.get("solved"):
            return None
        return equilibrium_residual(prediction["curve"], float(input["omega"]), float(input["g"]))


class RopeChainConvergence(ApplicableMean):
    name = "rope-chain-convergence-order"
    version = "1"
    description = (
        "Chain only: observed order p of max-deviation ~ N^-p, least-squares slope over N/8, N/4, N/2, N "
        "(positive: the error falls with N; 2 for a second-order discretisation)."
    )
    higher_is_better = True

    def value(self, prediction, reference, input):
        import numpy as np

        levels = prediction.get("levels") if prediction.get("solved") else None
        if not levels:
            return None
        ref = _xy(reference["curve"])[::2]
        counts = np.array([level["N"] for level in levels], dtype=float)
        errors = np.array([curve_deviation(_xy(level), ref, reference["length"]) for level in levels])
        if np.any(errors <= 0):
            return None
        return float(-np.polyfit(np.log(counts), np.log(errors), 1)[0])


class RopeUnsolved(Metric):
    bounds = (0.0, 1.0)
    name = "rope-unsolved"
    version = "1"
    description = (
        "Share of instances the method returned no curve for (the closed form has none with gravity). "
        "A leaderboard flag: its errors average over fewer instances, so it ranks after complete methods."
    )
    higher_is_better = False

    def score(self, prediction, reference, input):
        return float(not prediction.get("solved"))


# -- ellipse-gluing -----------------------------------------------------------------------------

ELLIPSE_CITATION = "Su Jianlin, 两个椭圆粘合成一个立体, https://kexue.fm/archives/6818"


def _edge(edge: Mapping[str, Any]) -> Any:
    import numpy as np

    return np.column_stack([np.asarray(edge[k], dtype=float) for k in ("x", "y", "z")])


class EllipseEdgeDeviation(Metric):
    bounds = (0.0, None)
    name = "ellipse-edge-deviation"
    version = "1"
    description = (
        "Agreement of constructions: max 3-D distance between the model's edge (x(s), h(s), h(l-s)) and the "
        "reference construction (Brent inversion of a(E(m) - E(pi/2 - t|m)), quadrature in t), over 101 "
        "uniform arc-length fractions, divided by l."
    )
    citation = ELLIPSE_CITATION
    higher_is_better = False

    def score(self, prediction, reference, input):
        import numpy as np

        gap = np.linalg.norm(_edge(prediction["edge"]) - _edge(reference["edge"]), axis=1)
        return float(np.max(gap) / reference["quarter_perimeter"])


class EllipsePerimeterRelError(Metric):
    bounds = (0.0, None)
    name = "ellipse-perimeter-rel-error"
    version = "1"
    description = "|l_model - a E(e)| / (a E(e)): the quarter perimeter against the complete elliptic integral."
    citation = ELLIPSE_CITATION
    higher_is_better = False

    def score(self, prediction, reference, input):
        return abs(prediction["quarter_perimeter"] - reference["quarter_perimeter"]) / reference["quarter_perimeter"]


class EllipseClosingError(Metric):
    bounds = (0.0, None)
    name = "ellipse-closing-error"
    version = "1"
    description = "|x_model(l) - x_ref(l)| / l: where the quarter edge closes, x(l) = integral of sqrt(margin)."
    citation = ELLIPSE_CITATION
    higher_is_better = False

    def score(self, prediction, reference, input):
        return abs(prediction["closing_x"] - reference["closing_x"]) / reference["quarter_perimeter"]


class EllipseMarginMin(Metric):
    name = "ellipse-margin-min"
    version = "1"
    description = (
        "Minimum over s of the gluing margin 1 - h'(s)^2 - h'(l-s)^2 on a 2001-point grid. The post proves it "
        ">= 0 and it is exactly 0 at s = 0 and s = l, so values down to -1e-9 (the tolerance) are rounding."
    )
    citation = ELLIPSE_CITATION
    higher_is_better = True

    def score(self, prediction, reference, input):
        return float(prediction["margin_min"])


class EllipseGluingHolds(Metric):
    bounds = (0.0, 1.0)
    name = "ellipse-gluing-holds"
    version = "1"
    description = "Share of instances whose computed margin stays >= -1e-9 everywhere (the gluing condition holds)."
    citation = ELLIPSE_CITATION
    higher_is_better = True

    def score(self, prediction, reference, input):
        from harness_geometry.ellipse import GLUING_TOL

        return float(prediction["margin_min"] >= -GLUING_TOL)


METRICS = (
    AngleVarianceRelError,
    AngleVarianceAbsError,
    AngleMeanAbsError,
    AngleMeanRelError,
    AngleKSDistance,
    AngleWithin3SE,
    AngleUnanswered,
    RopeMaxDeviation,
    RopeLengthRelError,
    RopeEquilibriumResidual,
    RopeChainConvergence,
    RopeUnsolved,
    EllipseEdgeDeviation,
    EllipsePerimeterRelError,
    EllipseClosingError,
    EllipseMarginMin,
    EllipseGluingHolds,
)
