"""Leaderboard rows over several seeds: mean, spread, a CI with both error sources, a paired test.

A model+config evaluated with k seeds on the same dataset has k scores v_1..v_k, each with its own
95% bootstrap CI over samples. Its leaderboard row shows:

- the mean over seeds, m = mean(v), and the spread across seeds, s = sd(v) (ddof 1);
- a 95% CI from the two-level bootstrap over samples and seeds (`harness.leaderboard.ties.
  seed_interval`), which stays inside the metric's range; where the per-sample scores cannot be
  resampled, and for extra metric columns, the interval below, cut to the metric's `bounds`. It
  adds the two sources of error in quadrature:

      half-width = sqrt( (t_{0.975, k-1} * s / sqrt(k))^2 + (1.96 * se_sample)^2 )

  where se_sample is the mean over seeds of each run's bootstrap standard error, read off its
  CI as (ci_high - ci_low) / (2 * 1.96). When every seed was evaluated on the same test set (one
  data fingerprint) the seeds share that set's sampling error, which averaging over seeds does not
  shrink, while s measures only what the seed changes (initialisation, data order, Monte Carlo
  draws); so both terms are needed. When each seed had its own test data (fingerprints differ),
  s already contains the sampling error and the CI is the t interval m +- t * s / sqrt(k) alone.
  The t quantile (k - 1 degrees of freedom) keeps a 2- or 3-seed CI honest: with two seeds it is
  12.7 standard errors wide on the seed side.

- "vs next" between two rows, when either has several seeds: a two-level paired bootstrap. Each
  resample draws the shared samples with replacement (the same draw for both rows, so per-sample
  difficulty cancels, as in the single-run test) and, independently for each row, its seeds with
  replacement; the statistic is the difference of the mean over drawn seeds of the metric's own
  aggregate over the drawn samples. The p-value doubles the share of resamples on the far side of
  zero. When the rows' runs were evaluated on different test data, samples cannot be paired and
  Welch's t-test on the per-seed scores is used instead (it needs at least two seeds per row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.leaderboard.ranking import Standing

Z = 1.959963984540054  # the 97.5% normal quantile, as in the per-run bootstrap's 95% interval


@dataclass(frozen=True)
class SeedRun:
    """One seed's chosen run in a leaderboard row."""

    run_id: str
    seed: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    fingerprint: str


@dataclass(frozen=True)
class SeedSummary:
    n: int
    mean: float | None
    spread: float | None
    ci_low: float | None
    ci_high: float | None
    shared_test_set: bool


def summarise_seeds(runs: Sequence[SeedRun]) -> SeedSummary:
    """Mean, spread and the combined CI of a row's per-seed runs (see the module docstring)."""
    from scipy.stats import t

    values = [r.value for r in runs if r.value is not None and math.isfinite(r.value)]
    shared = len({r.fingerprint for r in runs}) == 1
    k = len(values)
    if k == 0:
        return SeedSummary(len(runs), None, None, None, None, shared)
    mean = sum(values) / k
    if k == 1:
        only = next(r for r in runs if r.value is not None)
        return SeedSummary(len(runs), mean, None, only.ci_low, only.ci_high, shared)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    seed_half = float(t.ppf(0.975, k - 1)) * spread / math.sqrt(k)
    sample_half = 0.0
    if shared:
        ses = [(r.ci_high - r.ci_low) / (2 * Z) for r in runs if r.ci_low is not None and r.ci_high is not None]
        sample_half = Z * (sum(ses) / len(ses)) if ses else 0.0
    half = math.hypot(seed_half, sample_half)
    return SeedSummary(len(runs), mean, spread, mean - half, mean + half, shared)


def paired_seeds_p(
    metric: Any,
    a: Sequence[dict[str, Any]],
    b: Sequence[dict[str, Any]],
    paired: bool,
    values_a: Sequence[float],
    values_b: Sequence[float],
    seed: int = 0,
    n_resamples: int = 1000,
) -> tuple[float | None, int, str]:
    """(p-value, shared samples, note) between two rows given each seed's per-sample scores.

    `a` and `b` hold one {sample_id: score} per seed; `paired` says whether all their runs were
    evaluated on the same test data; `values_*` are the per-seed metric values (Welch fallback).
    """
    import numpy as np

    from harness.stats import stats_arrays

    if not paired:
        if len(values_a) < 2 or len(values_b) < 2:
            return None, 0, "different test data per seed and a single seed: not comparable"
        from scipy.stats import ttest_ind

        p = float(ttest_ind(values_a, values_b, equal_var=False).pvalue)
        return (p if math.isfinite(p) else 1.0), 0, "Welch t-test over seeds (different test data per seed)"
    shared = sorted(set.intersection(*(set(s) for s in (*a, *b))))
    if len(shared) < 2:
        return None, len(shared), "fewer than two samples shared by every seed of both rows: not comparable"
    stats_a = [stats_arrays([scores[k] for k in shared]) for scores in a]
    stats_b = [stats_arrays([scores[k] for k in shared]) for scores in b]
    mean_metric = metric.is_mean if metric is not None else all(set(s) == {"value"} for s in (*stats_a, *stats_b))
    if metric is None and not mean_metric:
        return None, len(shared), "the metric is not installed here and its scores are not plain numbers"
    n, rng = len(shared), np.random.default_rng(seed)
    if mean_metric:
        matrix_a = np.stack([s["value"] for s in stats_a])
        matrix_b = np.stack([s["value"] for s in stats_b])
        observed = float(matrix_a.mean(axis=1).mean() - matrix_b.mean(axis=1).mean())
        deltas = []
        batch = max(1, int(2e6 // (n * (len(a) + len(b)))))
        for start in range(0, n_resamples, batch):
            size = min(batch, n_resamples - start)
            idx = rng.integers(0, n, size=(size, n))
            per_a = matrix_a[:, idx].mean(axis=2)  # seeds x resamples
            per_b = matrix_b[:, idx].mean(axis=2)
            pick_a = rng.integers(0, len(a), size=(len(a), size))
            pick_b = rng.integers(0, len(b), size=(len(b), size))
            columns = np.arange(size)
            deltas.append(per_a[pick_a, columns].mean(axis=0) - per_b[pick_b, columns].mean(axis=0))
        delta = np.concatenate(deltas)
    else:

        def agg(stats: dict[str, Any], idx: Any = None) -> float:
            return float(metric.aggregate(stats if idx is None else {k: v[idx] for k, v in stats.items()}))

        observed = float(np.mean([agg(s) for s in stats_a]) - np.mean([agg(s) for s in stats_b]))
        delta = np.empty(n_resamples)
        for i in range(n_resamples):
            idx = rng.integers(0, n, size=n)
            chosen_a = rng.integers(0, len(a), size=len(a))
            chosen_b = rng.integers(0, len(b), size=len(b))
            delta[i] = np.mean([agg(stats_a[j], idx) for j in chosen_a]) - np.mean([agg(stats_b[j], idx) for j in chosen_b])
    if not math.isfinite(observed):
        return None, n, "the metric is not finite on these runs"
    if observed == 0 and not np.any(delta):
        return 1.0, n, ""
    far = int(np.sum(delta <= 0) if observed > 0 else np.sum(delta >= 0))
    p = float(min(1.0, 2 * (far + 1) / (n_resamples + 1)))
    return p, n, f"paired over {n} shared samples and {len(a)} vs {len(b)} seeds"


# -- what harness/leaderboard/ranking.py calls ----------------------------------------------------------


def over_seeds(standing: Standing, candidates: Sequence[dict[str, Any]], order: Any) -> None:
    """Fill a leaderboard row's seed fields; with several seeds its value and CI become theirs.

    Each seed contributes one run, picked the way the row itself is (`order`: best or latest).
    """
    by_seed: dict[int, dict[str, Any]] = {}
    for row in candidates:
        if row["seed"] not in by_seed or order(row) > order(by_seed[row["seed"]]):
            by_seed[row["seed"]] = row
    chosen = [by_seed[seed] for seed in sorted(by_seed)]
    standing.seed_runs = [
        {"run_id": r["run_id"], "seed": r["seed"], "value": r["value"], "fingerprint": r["data_fingerprint"]} for r in chosen
    ]
    standing.seeds = len(chosen)
    if len(chosen) < 2:
        return
    summary = summarise_seeds(
        [SeedRun(r["run_id"], r["seed"], r["value"], r["ci_low"], r["ci_high"], r["data_fingerprint"]) for r in chosen]
    )
    standing.value, standing.ci_low, standing.ci_high = summary.mean, summary.ci_low, summary.ci_high
    standing.seed_sd = summary.spread


def seed_columns(
    standing: Standing,
    extra: dict[str, dict[str, Any]],
    names: Sequence[str],
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Extra metric columns of a several-seed row: each metric's mean over the seeds, with the t
    interval of `summarise_seeds` cut to the metric's declared range (`bounds`, by metric name)."""
    from harness.leaderboard.ties import clip

    result = {}
    for name in names:
        runs = [
            SeedRun(r["run_id"], r["seed"], cell.value, cell.ci_low, cell.ci_high, r["fingerprint"])
            for r in standing.seed_runs
            if (cell := extra.get(r["run_id"], {}).get(name)) is not None
        ]
        if runs:
            summary = summarise_seeds(runs)
            low, high = clip(summary.ci_low, summary.ci_high, (bounds or {}).get(name, (None, None)))
            result[name] = (summary.mean, low, high)
    return result


def paired_over_seeds(metric: Any, upper: Any, lower: Any, scores: dict[str, dict[str, Any]]) -> tuple[float | None, int, str]:
    """ "vs next" when either row has several seeds: every seed's per-sample scores take part."""
    a = [scores.get(r["run_id"], {}) for r in upper.seed_runs]
    b = [scores.get(r["run_id"], {}) for r in lower.seed_runs]
    paired = len({r["fingerprint"] for r in (*upper.seed_runs, *lower.seed_runs)}) == 1
    values = [[r["value"] for r in s.seed_runs if r["value"] is not None] for s in (upper, lower)]
    return paired_seeds_p(metric, a, b, paired, values[0], values[1])
