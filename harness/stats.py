"""Aggregation of per-sample scores with bootstrap confidence intervals (scipy.stats.bootstrap)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.api import Metric
from harness.records import MetricValue

N_RESAMPLES = 1000
CONFIDENCE = 0.95


def stats_arrays(scores: Sequence[Any]) -> dict[str, np.ndarray]:
    """Turn per-sample scores (floats or dicts of named statistics) into one array per statistic."""
    if not scores:
        return {"value": np.array([], dtype=float)}
    if isinstance(scores[0], Mapping):
        keys = list(scores[0])
        return {k: np.array([s[k] for s in scores], dtype=float) for k in keys}
    return {"value": np.array(scores, dtype=float)}


def bootstrap_ci(metric: Metric, stats: Mapping[str, np.ndarray], seed: int) -> tuple[float | None, float | None]:
    """Percentile bootstrap over samples; None where fewer than two samples make it meaningless."""
    from scipy.stats import bootstrap

    n = len(next(iter(stats.values())))
    if n < 2:
        return None, None
    keys = list(stats)
    data = tuple(stats[k] for k in keys)
    if metric.is_mean:
        statistic, vectorized = (lambda x, axis=-1: np.mean(x, axis=axis)), True
    else:
        statistic, vectorized = (lambda *arrays: metric.aggregate(dict(zip(keys, arrays, strict=True)))), False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bootstrap(
            data,
            statistic,
            n_resamples=N_RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            paired=True,
            vectorized=vectorized,
            batch=max(1, int(5e6 // n)),
            rng=np.random.default_rng(seed),
        )
    low, high = result.confidence_interval
    return _finite(low), _finite(high)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def summarise(metric: Metric, scores: Sequence[Any], seed: int, primary: bool) -> MetricValue:
    stats = stats_arrays(scores)
    value = metric.aggregate(stats) if len(scores) else None
    low, high = bootstrap_ci(metric, stats, seed) if value is not None else (None, None)
    return MetricValue(
        name=metric.name,
        value=None if value is None or not np.isfinite(value) else float(value),
        ci_low=low,
        ci_high=high,
        higher_is_better=metric.higher_is_better,
        primary=primary,
    )


def paired_bootstrap_p(metric: Metric | None, a: Sequence[Any], b: Sequence[Any], seed: int,
                       n_resamples: int = N_RESAMPLES) -> float | None:
    """Two-sided p-value that two runs score the same on the same samples.

    Resamples sample indices (shared by both runs, so per-sample difficulty cancels out),
    recomputes aggregate(a) - aggregate(b) each time, and doubles the share of resamples on the
    far side of zero from the observed difference. Without the metric class (its plugin is not
    installed here) plain numeric scores are compared by their mean; anything else gives None.
    """
    stats_a, stats_b = stats_arrays(a), stats_arrays(b)
    if metric is None:
        if set(stats_a) != {"value"} or set(stats_b) != {"value"}:
            return None
        mean = True
    else:
        mean = metric.is_mean
    n = len(a)
    rng = np.random.default_rng(seed)
    if mean:
        diff = stats_a["value"] - stats_b["value"]
        observed = float(np.mean(diff))
        deltas = np.concatenate([
            diff[rng.integers(0, n, size=(size, n))].mean(axis=1)
            for size in _batches(n_resamples, max(1, int(2e6 // n)))
        ])
    else:
        observed = metric.aggregate(stats_a) - metric.aggregate(stats_b)
        deltas = np.empty(n_resamples)
        for i in range(n_resamples):
            idx = rng.integers(0, n, size=n)
            deltas[i] = (metric.aggregate({k: v[idx] for k, v in stats_a.items()})
                         - metric.aggregate({k: v[idx] for k, v in stats_b.items()}))
    if not np.isfinite(observed):
        return None
    if observed == 0 and not np.any(deltas):
        return 1.0
    far_side = int(np.sum(deltas <= 0) if observed > 0 else np.sum(deltas >= 0))
    return float(min(1.0, 2 * (far_side + 1) / (n_resamples + 1)))


def _batches(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]
