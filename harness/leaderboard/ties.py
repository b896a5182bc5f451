"""Which rows of a board can be told apart: tie groups, rank intervals, the minimum detectable effect.

A p-value between neighbours says whether two adjacent rows differ; a reader of a whole board asks
which of its models are really better than which. Everything here comes from one joint paired
bootstrap of the board's complete rows (`resample_rows`): each resample draws the union of the
rows' sample ids with replacement, once for all rows (so per-sample difficulty cancels in every
comparison, as in "vs next"), and, for a row over several seeds, its seeds with replacement
(independently per row: the two-level bootstrap of `harness.leaderboard.seeds`). A row's resampled
value is the metric's own aggregate over the drawn samples it has, averaged over its drawn seeds.

From the B x R matrix of resampled values:

- `pairwise_p`: for each pair of rows the two-sided paired-bootstrap p-value that "vs next"
  reports, 2 (f + 1) / (B + 1) with f the resamples on the far side of zero. The count cannot go
  below 2 / (B + 1) = 0.002 at B = 1000, which a correction over more than 25 comparisons could
  never call significant; where no resample crosses zero, the normal tail at the observed
  difference over its bootstrap standard error says how far below 0.002 the p-value lies.
- `tie_groups`: the top row leads group 1 and is compared with every row below it; Holm's
  correction is applied over those comparisons, and the rows down to the first one whose adjusted
  p is below alpha join the group. That row leads group 2, compared with every row below it, and
  so on: Holm is over the comparisons of one leader with the rows below it.
- `holm_matrix`: Holm over every pair of rows at once, the matrix the dashboard draws (a stricter
  family than a group's: any cell a reader picks out is covered).
- `rank_intervals`: the 2.5% and 97.5% quantiles of each row's rank over the same resamples.
- `minimum_detectable_effect`: (z_{1-alpha/2} + z_{power}) times the median bootstrap standard
  error of adjacent rows' differences: the smallest true difference between neighbours that a
  two-sided test at alpha detects with that power.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from harness.stats import N_RESAMPLES, _batches, _quantile, holm

POWER = 0.8

#: One seed's per-sample statistics: sorted integer sample codes and one array per statistic.
SeedScores = tuple[np.ndarray, Mapping[str, np.ndarray]]


@dataclass
class Separation:
    """What `separate` finds for a board's complete rows (indexed as given)."""

    groups: list[int]
    p_leader: list[float | None]  # Holm-adjusted p against the leader a row was compared with
    rank_intervals: list[tuple[int, int] | None]
    mde: float | None
    observed: np.ndarray
    resampled: np.ndarray
    correction: str = "holm"

    def p_holm(self) -> np.ndarray:
        """R x R, Holm-adjusted over every pair; NaN where a pair has no p-value (computed on demand:
        B x R^2 / 2 comparisons, which a ranking that shows only groups does not need)."""
        return holm_matrix(pairwise_p(self.observed, self.resampled))


def resample_rows(
    rows: Sequence[Sequence[SeedScores]],
    aggregate: Callable[[Mapping[str, np.ndarray]], float] | None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """The n_resamples x R matrix of the rows' resampled values (NaN where undefined).

    `rows` holds, per row, one `SeedScores` per seed. `aggregate` is the metric's own (None: the
    mean of "value", done for all rows at once with matrix products of resample counts).
    """
    columns = [scores for row in rows for scores in row]
    owner = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    union = np.unique(np.concatenate([codes for codes, _ in columns])) if columns else np.array([], dtype=np.int64)
    n = len(union)
    rng = np.random.default_rng(seed)
    per_seed = np.full((n_resamples, len(columns)), np.nan)
    if n == 0:
        return np.full((n_resamples, len(rows)), np.nan)
    positions = [np.searchsorted(union, codes) for codes, _ in columns]
    if aggregate is None:
        values = np.zeros((n, len(columns)))
        present = np.zeros((n, len(columns)))
        for c, ((_, stats), where) in enumerate(zip(columns, positions, strict=True)):
            values[where, c] = stats["value"]
            present[where, c] = 1.0
        gaps = present.sum(axis=0) < n
    else:
        inverse = []
        for (_, stats), where in zip(columns, positions, strict=True):
            back = np.full(n, -1, dtype=np.int64)
            back[where] = np.arange(len(where))
            inverse.append((back, stats))
    done = 0
    for size in _batches(n_resamples, max(1, int(2e6 // n))):
        idx = rng.integers(0, n, size=(size, n))
        if aggregate is None:
            counts = np.bincount((idx + (np.arange(size) * n)[:, None]).ravel(), minlength=size * n).reshape(size, n)
            sums = counts @ values
            if gaps.any():  # a column without some samples: its mean is over the drawn samples it has
                sums[:, gaps] /= counts @ present[:, gaps]
            sums[:, ~gaps] /= n
            per_seed[done : done + size] = sums
        else:
            with np.errstate(all="ignore"):
                for c, (back, stats) in enumerate(inverse):
                    drawn = back[idx]
                    for b in range(size):
                        mine = drawn[b][drawn[b] >= 0]
                        if len(mine):
                            per_seed[done + b, c] = aggregate({k: v[mine] for k, v in stats.items()})
        done += size
    result = np.empty((n_resamples, len(rows)))
    for r in range(len(rows)):
        mine = np.flatnonzero(owner == r)
        if len(mine) == 1:
            result[:, r] = per_seed[:, mine[0]]
        else:  # the seed level: each row draws its own seeds with replacement
            picks = rng.integers(0, len(mine), size=(n_resamples, len(mine)))
            result[:, r] = per_seed[np.arange(n_resamples)[:, None], mine[picks]].mean(axis=1)
    return result


def observed_values(
    rows: Sequence[Sequence[SeedScores]], aggregate: Callable[[Mapping[str, np.ndarray]], float] | None
) -> np.ndarray:
    """Each row's value on all its samples (mean over its seeds): what the resamples vary around."""
    with np.errstate(all="ignore"):
        return np.array(
            [
                np.mean([float(np.mean(stats["value"])) if aggregate is None else float(aggregate(stats)) for _, stats in row])
                for row in rows
            ]
        )


def pairwise_p(observed: np.ndarray, resampled: np.ndarray) -> np.ndarray:
    """R x R two-sided paired-bootstrap p-values of observed[i] - observed[j] (NaN on the diagonal).

    As "vs next": p = 2 (f + 1) / (B + 1), f the resamples on the far side of zero from the
    observed difference, over the B resamples where both rows are defined. When none is (f = 0)
    the count only says p <= 2 / (B + 1); how far below comes from the normal tail at the observed
    difference over its bootstrap standard error, so that a correction over many comparisons can
    still separate rows that no resample brings near each other. An observed difference of
    exactly 0 is p = 1.
    """
    r = len(observed)
    p = np.full((r, r), np.nan)
    for i in range(r - 1):
        p[i, i + 1 :] = p[i + 1 :, i] = p_below(observed, resampled, i)
    return p


def p_below(observed: np.ndarray, resampled: np.ndarray, i: int) -> np.ndarray:
    """Row i's p-values (as `pairwise_p`) against each row below it, i + 1 ... R - 1."""
    d = observed[i] - observed[i + 1 :]
    deltas = resampled[:, i : i + 1] - resampled[:, i + 1 :]
    gaps = not np.all(np.isfinite(deltas))
    # the far side of zero from d (d > 0: deltas <= 0; d < 0: deltas >= 0); NaN never counts
    far = np.count_nonzero(deltas * np.sign(d) <= 0, axis=0)
    used = np.count_nonzero(np.isfinite(deltas), axis=0) if gaps else np.full(len(d), len(resampled))
    with np.errstate(invalid="ignore", divide="ignore"):
        row = np.minimum(1.0, 2 * (far + 1) / (used + 1))
        beyond = np.flatnonzero((far == 0) & (d != 0) & (used >= 2))
        if len(beyond):  # below the counts' resolution: the normal tail at |d| / se
            spread = (np.nanstd if gaps else np.std)(deltas[:, beyond], axis=0, ddof=1)
            z = np.where(spread > 0, np.abs(d[beyond]) / spread, np.inf)
            row[beyond] = np.minimum(row[beyond], np.asarray(_erfc(z / math.sqrt(2)), dtype=float))
    row[d == 0] = 1.0  # no observed difference: nothing to test
    row[(used < 2) | ~np.isfinite(d)] = np.nan
    return row


_erfc = np.frompyfunc(math.erfc, 1, 1)  # scipy.special.erfc without importing scipy (a second, loaded)


def holm_matrix(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values over every pair i < j of a symmetric matrix (NaN pairs left out)."""
    r = len(p)
    upper_i, upper_j = np.triu_indices(r, k=1)
    values = p[upper_i, upper_j]
    known = np.isfinite(values)
    adjusted = np.full(len(values), np.nan)
    adjusted[known] = holm(values[known])
    result = np.full((r, r), np.nan)
    result[upper_i, upper_j] = adjusted
    result[upper_j, upper_i] = adjusted
    return result


def tie_groups(
    p: np.ndarray | Callable[[int], np.ndarray], alpha: float, r: int | None = None
) -> tuple[list[int], list[float | None]]:
    """Group numbers (1 = best) for rows in ranked order, and each row's Holm-adjusted p against
    the leader it was compared with: its own group's, or for a leader the previous group's (None
    for the top row and for pairs without a p-value).

    The top row leads group 1. It is compared with every row below it, Holm's correction is
    applied over those comparisons, and the rows down to the first one whose adjusted p is below
    alpha join its group; that row leads the next group and is compared the same way with every
    row below it. A pair without a p-value (nothing to compare) is not claimed to differ.

    `p` is the raw p-value matrix, or a function giving a leader's p-values against the rows below
    it (then `r` says how many rows), so that only the comparisons the walk makes are computed.
    """
    if not callable(p):
        matrix = p
        r = len(matrix)

        def p(leader: int) -> np.ndarray:
            return matrix[leader, leader + 1 :]

    assert r is not None
    groups: list[int] = [1] * r
    against: list[float | None] = [None] * r
    leader, group = 0, 1
    while leader < r:
        below = p(leader)
        known = np.isfinite(below)
        adjusted = np.full(len(below), np.nan)
        adjusted[known] = holm(below[known])
        nxt = r
        for offset, value in enumerate(adjusted):
            row = leader + 1 + offset
            against[row] = None if not np.isfinite(value) else float(value)
            if np.isfinite(value) and value < alpha:
                nxt = row
                break
            groups[row] = group
        groups[leader] = group
        leader, group = nxt, group + 1
    return groups, against


def resampled_ranks(resampled: np.ndarray, higher_is_better: bool, flagged: Sequence[bool] = ()) -> np.ndarray:
    """Each row's rank in each resample (1 = best; tied values share the better rank).

    Flagged rows rank after every unflagged one, as on the board; an undefined value ranks last.
    """
    scores = resampled if higher_is_better else -resampled
    scores = np.where(np.isfinite(scores), scores, -np.inf)
    flags = np.zeros(scores.shape[1], dtype=bool) if not len(flagged) else np.asarray(flagged, dtype=bool)
    ranks = np.empty(scores.shape, dtype=np.int64)
    offset = 0
    for part in (~flags, flags):
        if not part.any():
            continue
        ranks[:, part] = _min_ranks(scores[:, part]) + offset
        offset += int(part.sum())
    return ranks


def _min_ranks(scores: np.ndarray) -> np.ndarray:
    """1 + the number of strictly larger values in the same resample, for every cell at once."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(-scores, order, axis=1)
    positions = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    new = np.ones(scores.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new, positions, 0), axis=1)
    ranks = np.empty(scores.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    return ranks


def rank_intervals(ranks: np.ndarray, level: float = 0.95) -> list[tuple[int, int]]:
    """The (1 - level)/2 and (1 + level)/2 quantiles of each row's resampled ranks (observed ranks,
    not interpolated: the smallest rank whose empirical CDF reaches the quantile)."""
    tail = (1 - level) / 2
    low, high = np.quantile(ranks, [tail, 1 - tail], axis=0, method="inverted_cdf")
    return [(int(a), int(b)) for a, b in zip(low, high, strict=True)]


def minimum_detectable_effect(resampled: np.ndarray, alpha: float, power: float = POWER) -> float | None:
    """(z_{1-alpha/2} + z_power) x the median bootstrap standard error of adjacent rows' differences."""
    if resampled.shape[1] < 2:
        return None
    diffs = resampled[:, :-1] - resampled[:, 1:]
    if np.all(np.isfinite(diffs)):
        ses = np.std(diffs, axis=0, ddof=1)
    else:
        ses = np.array([np.std(col[np.isfinite(col)], ddof=1) for col in diffs.T if np.isfinite(col).sum() >= 2])
    if not len(ses):
        return None
    normal = NormalDist()
    return float((normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)) * np.median(ses))


def separate(
    observed: Sequence[float] | np.ndarray,
    resampled: np.ndarray,
    higher_is_better: bool,
    alpha: float,
    flagged: Sequence[bool] = (),
) -> Separation:
    """Groups, rank intervals and the MDE of rows in ranked order (the pairwise matrix on demand)."""
    values = np.asarray(observed, dtype=float)
    groups, against = tie_groups(lambda leader: p_below(values, resampled, leader), alpha, len(values))
    intervals: list[tuple[int, int] | None] = list(rank_intervals(resampled_ranks(resampled, higher_is_better, flagged)))
    return Separation(
        groups=groups,
        p_leader=against,
        rank_intervals=intervals,
        mde=minimum_detectable_effect(resampled, alpha),
        observed=values,
        resampled=resampled,
    )


def seed_interval(
    seeds: Sequence[SeedScores],
    aggregate: Callable[[Mapping[str, np.ndarray]], float] | None,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """A several-seed row's CI: the percentile interval of its two-level bootstrap (samples, then
    seeds). Each resample is a mean of the metric's aggregates, so the interval stays inside the
    metric's range, unlike a t interval around the mean."""
    values = resample_rows([seeds], aggregate, seed=seed)[:, 0]
    values = np.sort(values[np.isfinite(values)])
    if len(values) < 2:
        return None, None
    tail = (1 - level) / 2
    return _quantile(values, tail), _quantile(values, 1 - tail)


def clip(low: float | None, high: float | None, bounds: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    """An interval cut to a metric's declared range (None ends stay None; an open bound cuts nothing)."""
    lower, upper = bounds
    if low is not None and lower is not None:
        low = max(low, lower)
    if high is not None and upper is not None:
        high = min(high, upper)
    return low, high
