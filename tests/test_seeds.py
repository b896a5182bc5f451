"""Leaderboards over seeds: mean, spread, the combined CI, and paired significance that resamples seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t

from harness.leaderboard.ranking import rank, scores_by_sample
from harness.leaderboard.seeds import SeedRun, paired_seeds_p, summarise_seeds
from harness.leaderboard.ties import resample_rows
from harness.plugins.registry import get_registry, set_registry
from harness.store import Store
from harness.sweep.driver import run_sweep
from harness.sweep.spec import SweepSpec


@pytest.fixture
def toys(monkeypatch):
    monkeypatch.setenv("HARNESS_PLUGINS", "toy_plugins.arith,toy_plugins.sweep_faults")
    set_registry(None)
    return get_registry()


def test_combined_ci_adds_seed_and_sample_error():
    runs = [SeedRun(str(i), i, v, v - 0.04, v + 0.04, "same") for i, v in enumerate([0.60, 0.66, 0.63])]
    summary = summarise_seeds(runs)
    sd = 0.03
    assert summary.mean == pytest.approx(0.63) and summary.spread == pytest.approx(sd)
    seed_half = t.ppf(0.975, 2) * sd / math.sqrt(3)
    half = math.hypot(seed_half, 0.04)  # each run's CI half-width is the sample part: the seeds share the test set
    assert (summary.ci_low, summary.ci_high) == pytest.approx((0.63 - half, 0.63 + half))
    assert summary.ci_high - summary.ci_low > 2 * 0.04, "seed variation must widen the interval"
    # each seed on its own test data: the spread already holds the sampling error
    independent = summarise_seeds([SeedRun(r.run_id, r.seed, r.value, r.ci_low, r.ci_high, r.run_id) for r in runs])
    assert (independent.ci_low, independent.ci_high) == pytest.approx((0.63 - seed_half, 0.63 + seed_half))
    assert not independent.shared_test_set
    # no spread across seeds: only the sampling error is left
    flat = summarise_seeds([SeedRun(str(i), i, 0.5, 0.45, 0.55, "same") for i in range(4)])
    assert (flat.ci_low, flat.ci_high) == pytest.approx((0.45, 0.55)) and flat.spread == 0


def test_paired_test_over_seeds_separates_real_differences_only():
    import numpy as np

    rng = np.random.default_rng(1)
    difficulty = rng.random(300)

    def seeds(accuracy, k):
        return [{str(i): float(rng.random() < accuracy * (0.5 + difficulty[i])) for i in range(300)} for _ in range(k)]

    strong, weak, twin = seeds(0.8, 3), seeds(0.5, 3), seeds(0.8, 3)
    p, shared, note = paired_seeds_p(None, strong, weak, True, [0.8] * 3, [0.5] * 3)
    assert p < 0.01 and shared == 300 and "3 vs 3 seeds" in note
    p_same, _, _ = paired_seeds_p(None, strong, twin, True, [0.8] * 3, [0.8] * 3)
    assert p_same > 0.05
    # test data differing per seed: samples cannot be paired, seeds are compared by Welch's test
    p_welch, shared, note = paired_seeds_p(None, strong, weak, False, [0.80, 0.82, 0.79], [0.50, 0.52, 0.49])
    assert p_welch < 0.01 and shared == 0 and "Welch" in note
    assert paired_seeds_p(None, strong, weak, False, [0.8], [0.5, 0.6])[0] is None


def test_leaderboard_rows_over_seeds(toys, db):
    store = Store(db)
    spec = SweepSpec(tasks=["doubling"], models=["coin"], model_args={"accuracy": ["0.9", "0.6"]}, seeds=[0, 1, 2])
    assert run_sweep(toys, store, spec).status == "finished"
    run_sweep(toys, store, SweepSpec(tasks=["doubling"], models=["exact"], seeds=[0]))
    (board,) = rank(store, "doubling", registry=toys)
    rows = {(s.model, s.model_config.get("accuracy")): s for s in board.standings}
    exact, high, low = rows[("exact", None)], rows[("coin", 0.9)], rows[("coin", 0.6)]
    assert [s.model for s in board.standings] == ["exact", "coin", "coin"]
    assert exact.seeds == 1 and exact.seed_sd is None and exact.value == 1.0
    assert high.seeds == low.seeds == 3 and high.runs == 3
    values = [r["value"] for r in high.seed_runs]
    assert len(set(values)) == 3, "the coin's score must depend on the seed"
    assert high.value == pytest.approx(sum(values) / 3)
    assert high.seed_sd == pytest.approx(float(__import__("numpy").std(values, ddof=1)))
    # the CI is the two-level bootstrap's (samples, then seeds): wider than resampling the samples
    # of the seed-averaged scores alone, and inside the metric's range
    scores = scores_by_sample(store, [r["run_id"] for r in high.seed_runs], "exact_match")
    ids = sorted(scores[high.seed_runs[0]["run_id"]])
    averaged = np.mean([[scores[r["run_id"]][i] for i in ids] for r in high.seed_runs], axis=0)
    samples_only = resample_rows([[(np.arange(len(ids)), {"value": averaged})]], None)[:, 0]
    narrow = np.quantile(samples_only, 0.975) - np.quantile(samples_only, 0.025)
    assert high.ci_high - high.ci_low > narrow
    assert 0 <= high.ci_low < high.value < high.ci_high <= 1
    assert high.p_next is not None and high.p_next < 0.05 and "3 vs 3 seeds" in high.note
    assert exact.p_next is not None and "1 vs 3 seeds" in exact.note
    # the row no longer shows the luckiest seed
    assert high.value < max(values)
    as_json = board.as_json()["rows"][1]
    assert as_json["seeds"] == 3 and len(as_json["seed_runs"]) == 3 and as_json["seed_sd"] > 0


def test_cli_leaderboard_shows_seed_columns(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.sweep_faults"
    harness_cli("sweep", "-t", "doubling", "-m", "coin", "--seeds", "0-2")
    out = harness_cli("leaderboard", "--task", "doubling", "--markdown").stdout
    assert "| rank | group | model | exact_match | seeds | vs-next | config | runs | run |" in out
    wide = harness_cli("leaderboard", "--task", "doubling", "--markdown", "--wide").stdout
    columns = "rank | group | model | exact_match | seeds | seed-sd | vs-next | absolute_error | config | samples | runs | run"
    assert f"| {columns} |" in wide
    assert "mean over seeds" in out
    (board,) = harness_cli.json("leaderboard", "--task", "doubling")
    assert board["rows"][0]["seeds"] == 3


def test_seed_intervals_stay_inside_the_metric_range(toys, db):
    """A share near 1 over three seeds: the t interval reaches past 1, the row's CI does not."""
    store = Store(db)
    spec = SweepSpec(tasks=["doubling"], models=["coin"], model_args={"accuracy": ["0.995"]}, seeds=[0, 1, 2])
    assert run_sweep(toys, store, spec).status == "finished"
    (board,) = rank(store, "doubling", "doubling-synth-v1", "test", columns=("absolute_error",), registry=toys)
    (row,) = board.standings
    runs = [store.get_run(r["run_id"]).primary() for r in row.seed_runs]
    t_interval = summarise_seeds([SeedRun(str(i), i, m.value, m.ci_low, m.ci_high, "same") for i, m in enumerate(runs)])
    assert t_interval.ci_high > 1, "the quadrature t interval crosses the top of a share"
    assert row.ci_low < row.value <= row.ci_high <= 1  # exact_match declares bounds (0, 1)
    error = row.columns["absolute_error"]  # an extra column keeps the t interval, cut at 0 (bounds (0, None))
    assert error.ci_low is not None and error.ci_low >= 0
