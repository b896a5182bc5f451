"""Power, type-I error and runtime: corpus metrics built from per-instance counts.

Each `score` returns named per-instance statistics (is this a dependent instance, was it
rejected, ...) and `aggregate` turns the sums into a rate, so the runner's bootstrap resamples
instances and the CI of a rate is honest. Instances with unknown truth (user data without
`dependent`) count in neither numerator nor denominator.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness_independence.names import DEPENDENT

if TYPE_CHECKING:
    import numpy as np

ALPHA = 0.05


@functools.lru_cache(maxsize=4096)
def clopper_pearson(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for k successes in n trials (NaN, NaN when n = 0).

    Cached: the bootstrap calls `TypeIInflated.aggregate` once per resample (1000 per run), and the
    resamples repeat a few dozen (k, n) pairs; each scipy `beta.ppf` call costs about 0.1 ms."""
    from scipy import stats

    if n <= 0:
        return math.nan, math.nan
    tail = (1 - confidence) / 2
    low = 0.0 if k <= 0 else float(stats.beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k >= n else float(stats.beta.ppf(1 - tail, k + 1, n - k))
    return low, high


def _rejected(prediction: Any) -> float:
    return float(bool(isinstance(prediction, Mapping) and prediction.get("reject")))


def _rate(num: np.ndarray, den: np.ndarray) -> float:
    total = float(den.sum())
    return float(num.sum()) / total if total else math.nan


class Power(Metric):
    bounds = (0.0, 1.0)
    name = "power"
    version = "1"
    description = "Overall power: share of dependent instances whose independence was rejected at the model's alpha."

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        dependent = float(reference is True)
        return {"dependent": dependent, "rejected": dependent * _rejected(prediction)}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        return _rate(stats["rejected"], stats["dependent"])


class FamilyPower(Power):
    """Power on one family; subclasses per family are made by `family_power_metrics`."""

    family: str = ""

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        dependent = float(reference is True and input.get("family") == self.family)
        return {"dependent": dependent, "rejected": dependent * _rejected(prediction)}


def family_power_metrics() -> list[type[FamilyPower]]:
    return [
        type(
            f"Power_{family}",
            (FamilyPower,),
            {
                "name": f"power-{family}",
                "family": family,
                "description": f"Power on the {family} family (all sizes, dimensions and noise levels).",
            },
        )
        for family in DEPENDENT
    ]


class TypeIError(Metric):
    bounds = (0.0, 1.0)
    name = "type1-error"
    version = "1"
    description = "Share of independent instances wrongly rejected; should sit at alpha (0.05)."
    higher_is_better = False

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        null = float(reference is False)
        return {"null": null, "rejected": null * _rejected(prediction)}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        return _rate(stats["rejected"], stats["null"])


class TypeIInflated(Metric):
    bounds = (0.0, 1.0)
    name = "type1-inflated"
    version = "1"
    description = (
        "1 when the exact 95% binomial (Clopper-Pearson) interval of the type-I error lies entirely "
        "above alpha: the test rejects true independence too often, so its power is not earned."
    )
    higher_is_better = False

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        null = float(reference is False)
        alpha = float(prediction.get("alpha", ALPHA)) if isinstance(prediction, Mapping) else ALPHA
        return {"null": null, "rejected": null * _rejected(prediction), "alpha": alpha}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        k, n = float(stats["rejected"].sum()), float(stats["null"].sum())
        if n == 0:
            return math.nan
        alpha = float(stats["alpha"].max())
        return float(clopper_pearson(k, n)[0] > alpha)


class MedianRuntime(Metric):
    bounds = (0.0, None)
    name = "median-runtime-s"
    version = "1"
    description = "Median seconds per test (the data generation is not timed)."
    higher_is_better = False

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        runtime = prediction.get("runtime_s") if isinstance(prediction, Mapping) else None
        return {"runtime_s": float(runtime) if runtime is not None else math.nan}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        import numpy as np

        values = stats["runtime_s"][np.isfinite(stats["runtime_s"])]
        return float(np.median(values)) if values.size else math.nan


METRICS: tuple[type[Metric], ...] = (Power, TypeIError, TypeIInflated, MedianRuntime, *family_power_metrics())
