"""Aggregation of per-sample scores with bootstrap confidence intervals, and paired tests.

The percentile bootstrap here draws its resamples exactly as `scipy.stats.bootstrap(...,
method="percentile", paired=True)` does (same generator calls, same batches, linear quantiles),
so its intervals equal scipy's, but without importing scipy (a second on a loaded machine) and
with what scipy lacks: resamples whose aggregate is undefined (NaN, e.g. a precision with no
positive prediction in the resample) are dropped and counted instead of poisoning the interval.

Per-sample scores may be None ("not applicable": the metric says nothing about that sample);
aggregates, intervals and paired tests skip those samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.api import Metric
from harness.records import MetricValue

N_RESAMPLES = 1000
CONFIDENCE = 0.95


def applicable(scores: Sequence[Any]) -> list[Any]:
    """The scores that are not None: a None score means the metric does not apply to the sample."""
    return [s for s in scores if s is not None]


def stats_arrays(scores: Sequence[Any]) -> dict[str, np.ndarray]:
    """Turn per-sample scores (floats or dicts of named statistics) into one array per statistic.

    None scores (not applicable) are left out."""
    scores = applicable(scores)
    if not scores:
        return {"value": np.array([], dtype=float)}
    if isinstance(scores[0], Mapping):
        keys = list(scores[0])
        return {k: np.array([s[k] for s in scores], dtype=float) for k in keys}
    return {"value": np.array(scores, dtype=float)}


@dataclass(frozen=True)
class Interval:
    """A bootstrap confidence interval; None bounds where there are too few samples to draw one."""

    low: float | None
    high: float | None
    dropped: int = 0  # resamples whose aggregate was undefined (NaN) and left out of the percentiles


def bootstrap_interval(
    metric: Metric, stats: Mapping[str, np.ndarray], seed: int, n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE
) -> Interval:
    """Percentile bootstrap over samples; None bounds where fewer than two samples (or fewer than
    two defined resamples) make it meaningless."""
    n = len(next(iter(stats.values())))
    if n < 2:
        return Interval(None, None)
    keys = list(stats)
    rng = np.random.default_rng(seed)
    batch = max(1, int(5e6 // n))
    theta = []
    for start in range(0, n_resamples, batch):
        idx = rng.integers(0, n, (min(batch, n_resamples - start), n))
        if metric.is_mean:
            theta.append(np.mean(stats[keys[0]][idx], axis=-1))
        else:
            theta.append(np.array([metric.aggregate({k: stats[k][row] for k in keys}) for row in idx], dtype=float))
    values = np.concatenate(theta)
    defined = values[~np.isnan(values)]
    dropped = int(len(values) - len(defined))
    if len(defined) < 2:
        return Interval(None, None, dropped)
    alpha = (1 - confidence) / 2
    low, high = (_quantile(np.sort(defined), q) for q in (alpha, 1 - alpha))
    return Interval(_finite(low), _finite(high), dropped)


def _quantile(ordered: np.ndarray, p: float) -> float:
    """The linear (Hyndman-Fan 7) quantile of sorted values, in scipy.stats.quantile's arithmetic."""
    n = len(ordered)
    jg = p * n + (1 - p)
    j_plus = jg // 1
    g = 0.0 if j_plus - 1 < 0 else jg % 1
    j, j_plus = int(min(max(j_plus - 1, 0), n - 1)), int(min(max(j_plus, 0), n - 1))
    return float((1 - g) * ordered[j] + g * ordered[j_plus])


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def summarise(metric: Metric, scores: Sequence[Any], seed: int, primary: bool) -> MetricValue:
    """The metric's value over `scores` (one per sample) with its 95% bootstrap interval, as a run stores it."""
    return summarise_with_notes(metric, scores, seed, primary)[0]


def summarise_with_notes(metric: Metric, scores: Sequence[Any], seed: int, primary: bool) -> tuple[MetricValue, list[str]]:
    """The metric's value and CI, plus notes a user should see (skipped samples, dropped resamples)."""
    notes = []
    usable = applicable(scores)
    if len(usable) < len(scores):
        notes.append(
            f"metric {metric.name!r} does not apply to {len(scores) - len(usable)} of {len(scores)} "
            f"samples (score None): its value and CI are over the other {len(usable)}"
        )
    stats = stats_arrays(usable)
    with np.errstate(all="ignore"):
        value = metric.aggregate(stats) if usable else None
    # an aggregate undefined for the whole run (a codebook metric of a codec) has no CI to resample
    defined = value is not None and bool(np.isfinite(value))
    interval = bootstrap_interval(metric, stats, seed) if defined else Interval(None, None)
    if interval.dropped:
        notes.append(
            f"metric {metric.name!r}: {interval.dropped} of {N_RESAMPLES} bootstrap resamples had an "
            f"undefined value (NaN) and were dropped; the CI uses the other {N_RESAMPLES - interval.dropped}"
        )
    result = MetricValue(
        name=metric.name,
        value=None if value is None or not np.isfinite(value) else float(value),
        ci_low=interval.low,
        ci_high=interval.high,
        higher_is_better=metric.higher_is_better,
        primary=primary,
    )
    return result, notes


def paired_bootstrap_p(
    metric: Metric | None, a: Sequence[Any], b: Sequence[Any], seed: int, n_resamples: int = N_RESAMPLES
) -> float | None:
    """Two-sided p-value that two runs score the same on the same samples.

    Resamples sample indices (shared by both runs, so per-sample difficulty cancels out),
    recomputes aggregate(a) - aggregate(b) each time, and doubles the share of resamples on the
    far side of zero from the observed difference. Without the metric class (its plugin is not
    installed here) plain numeric scores are compared by their mean; anything else gives None.
    Pairs where either score is None (not applicable) are left out.
    """
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    stats_a, stats_b = stats_arrays(a), stats_arrays(b)
    if metric is None:
        if set(stats_a) != {"value"} or set(stats_b) != {"value"}:
            return None
        mean = True
    else:
        mean = metric.is_mean
    n = len(a)
    if n < 2:
        return None
    if mean or metric is None:
        return paired_mean_p(np.asarray(stats_a["value"] - stats_b["value"])[None, :], seed, n_resamples)[0]
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        observed = metric.aggregate(stats_a) - metric.aggregate(stats_b)
        deltas = np.empty(n_resamples)
        for i in range(n_resamples):
            idx = rng.integers(0, n, size=n)
            deltas[i] = metric.aggregate({k: v[idx] for k, v in stats_a.items()}) - metric.aggregate(
                {k: v[idx] for k, v in stats_b.items()}
            )
    return _two_sided(observed, deltas, n_resamples)


def paired_mean_p(diffs: np.ndarray, seed: int, n_resamples: int = N_RESAMPLES) -> list[float | None]:
    """Paired-bootstrap p-values for many pairs of mean-aggregated runs at once.

    `diffs` holds one row of per-sample differences (a - b) per pair, all over the same n samples.
    Every pair is resampled with the same seeded indices (the generator is drawn exactly as a
    one-pair test draws it), so each p-value equals that pair's own test; the resampled sums of
    all pairs come from one matrix product of resample counts with the differences instead of
    gathering n values per resample and pair.
    """
    pairs, n = diffs.shape
    rng = np.random.default_rng(seed)
    sums = np.empty((n_resamples, pairs))
    done = 0
    for size in _batches(n_resamples, max(1, int(2e6 // n))):
        idx = rng.integers(0, n, size=(size, n))
        counts = np.bincount((idx + (np.arange(size) * n)[:, None]).ravel(), minlength=size * n).reshape(size, n)
        sums[done : done + size] = counts @ diffs.T
        done += size
    observed = diffs.mean(axis=1)
    return [_two_sided(observed[j], sums[:, j], n_resamples) for j in range(pairs)]


def _two_sided(observed: float, deltas: np.ndarray, n_resamples: int) -> float | None:
    if not np.isfinite(observed):
        return None
    deltas = deltas[~np.isnan(deltas)]
    if observed == 0 and not np.any(deltas):
        return 1.0
    far_side = int(np.sum(deltas <= 0) if observed > 0 else np.sum(deltas >= 0))
    return float(min(1.0, 2 * (far_side + 1) / (n_resamples + 1)))


def _batches(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of m p-values (familywise error control, any dependence).

    The k-th smallest p (k = 1..m) is multiplied by m - k + 1; each adjusted value is then the
    largest so far in that order (so adjusted p-values keep the order of the raw ones), capped at 1.
    A hypothesis is rejected at level alpha exactly when its adjusted p-value is below alpha.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = scaled
    return adjusted
