"""Which rows of a board can be told apart: tie groups, rank intervals, Holm, the MDE, on boards whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import copy_into, fill_once

from harness.leaderboard.ranking import rank
from harness.leaderboard.ties import (
    holm_matrix,
    minimum_detectable_effect,
    pairwise_p,
    rank_intervals,
    resample_rows,
    resampled_ranks,
    separate,
    tie_groups,
)
from harness.runner.run import Runner, RunRequest
from harness.stats import holm
from harness.store import Store


def _rows(*scores, seeds=None):
    """Board rows over the same samples: one array of per-sample scores per row (a list of arrays: seeds)."""
    out = []
    for row in scores:
        arrays = row if isinstance(row, list) else [row]
        out.append([(np.arange(len(a)), {"value": np.asarray(a, dtype=float)}) for a in arrays])
    return out


def _board(*scores, higher=True):
    rows = _rows(*scores)
    observed = [np.mean([s["value"].mean() for _, s in row]) for row in rows]
    return separate(observed, resample_rows(rows, None), higher, 0.05)


def test_holm_as_written_by_hand():
    # m = 4, sorted 0.005 0.01 0.03 0.04 -> x4 x3 x2 x1 = 0.02 0.03 0.06 0.04 -> running max 0.02 0.03 0.06 0.06
    assert holm(np.array([0.01, 0.04, 0.03, 0.005])) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([0.5, 0.9])) == pytest.approx([1.0, 1.0])  # capped at 1
    assert len(holm(np.array([]))) == 0
    # the matrix form adjusts over the pairs i < j and mirrors them
    p = np.array([[np.nan, 0.01, 0.04], [0.01, np.nan, 0.02], [0.04, 0.02, np.nan]])
    adjusted = holm_matrix(p)
    assert adjusted[0, 1] == adjusted[1, 0] == pytest.approx(0.03)  # 0.01 x 3
    assert adjusted[1, 2] == pytest.approx(0.04) and adjusted[0, 2] == pytest.approx(0.04)  # 0.02 x 2, then max(0.04 x 1, 0.04)


def test_groups_walk_from_each_leader_with_holm_over_its_comparisons():
    # row 0 leads; Holm over its 3 comparisons (0.02, 0.03, 0.001): 0.001 x 3 = 0.003, 0.02 x 2 = 0.04,
    # 0.03 x 1 -> 0.04: row 1 (0.04) is below 0.05, so it starts group 2
    p = np.full((4, 4), np.nan)
    for (i, j), value in {(0, 1): 0.02, (0, 2): 0.03, (0, 3): 0.001, (1, 2): 0.5, (1, 3): 0.4, (2, 3): 0.01}.items():
        p[i, j] = p[j, i] = value
    groups, against = tie_groups(p, 0.05)
    assert groups == [1, 2, 2, 2]  # rows 2 and 3 are compared with row 1 (the new leader), not with row 0
    assert against == pytest.approx([None, 0.04, 0.8, 0.8])  # Holm over (0.5, 0.4) from leader 1
    # raw 0.02 without a correction would have split too; 0.03 alone (one comparison) would not matter
    p[0, 1] = p[1, 0] = 0.2
    assert tie_groups(p, 0.05)[0] == [1, 1, 1, 2]  # row 3 differs from the leader (0.003) though row 2 does not
    # no p-value (nothing shared): not claimed to differ
    assert tie_groups(np.full((3, 3), np.nan), 0.05)[0] == [1, 1, 1]


def test_identical_models_tie_and_share_the_best_rank():
    rng = np.random.default_rng(3)
    scores = (rng.random(200) < 0.7).astype(float)
    worse = scores * (rng.random(200) < 0.6)
    found = _board(scores, scores.copy(), worse)
    assert found.groups == [1, 1, 2]
    assert found.p_holm()[0, 1] == 1.0
    assert found.rank_intervals[:2] == [(1, 1), (1, 1)]  # tied in every resample: both rank 1
    assert found.rank_intervals[2] == (3, 3)


def test_a_model_better_on_every_sample_never_ties():
    rng = np.random.default_rng(4)
    base = rng.random(50)
    found = _board(base + 1e-9, base)  # better by a hair, but on every sample
    assert found.groups == [1, 2]
    assert found.p_holm()[0, 1] < 1e-6
    assert found.rank_intervals == [(1, 1), (2, 2)]
    # lower is better: the same separation, the other way up
    assert _board(base, base + 1e-9, higher=False).groups == [1, 2]


def test_noise_alone_ties_and_a_clear_gap_separates():
    rng = np.random.default_rng(5)
    p_true = np.full(400, 0.5)
    twins = [(rng.random(400) < p_true).astype(float) for _ in range(2)]
    strong = (rng.random(400) < 0.9).astype(float)
    found = _board(strong, *twins)
    assert found.groups == [1, 2, 2]
    lo, hi = found.rank_intervals[1]
    assert lo == 2 and hi == 3, "two noisy twins swap places between resamples"


def _slow_rank_intervals(rows, higher, flagged, n_resamples=1000, seed=0):
    """The obvious loop: the same random draws as resample_rows, then one resample at a time."""
    rng = np.random.default_rng(seed)
    n = len(rows[0][0][1]["value"])
    idx = rng.integers(0, n, size=(n_resamples, n))
    per_seed = [[[float(np.mean(s["value"][idx[b]])) for _, s in row] for row in rows] for b in range(n_resamples)]
    picks = {r: rng.integers(0, len(row), size=(n_resamples, len(row))) for r, row in enumerate(rows) if len(row) > 1}
    ranks = [[] for _ in rows]
    for b in range(n_resamples):
        values = []
        for r, row in enumerate(rows):
            seeds = per_seed[b][r]
            values.append(seeds[0] if len(row) == 1 else sum(seeds[k] for k in picks[r][b]) / len(row))
        for r in range(len(rows)):
            ahead = 0
            for j in range(len(rows)):
                if j == r:
                    continue
                if flagged[j] != flagged[r]:
                    ahead += flagged[r]  # an unflagged row is always ahead of a flagged one
                else:
                    ahead += values[j] > values[r] if higher else values[j] < values[r]
            ranks[r].append(1 + ahead)
    out = []
    for r in range(len(rows)):
        ordered = sorted(ranks[r])
        out.append((ordered[math.ceil(0.025 * n_resamples) - 1], ordered[math.ceil(0.975 * n_resamples) - 1]))
    return out


@pytest.mark.parametrize("higher", [True, False])
def test_rank_intervals_match_a_slow_loop(higher):
    rng = np.random.default_rng(6)
    n = 30
    rows = _rows(
        rng.random(n),
        rng.random(n) * 0.9,
        [rng.random(n) * 0.95 for _ in range(3)],  # a row over three seeds
        (rng.random(n) < 0.5).astype(float),
        rng.random(n) * 0.9,
    )
    flagged = [False, False, False, False, True]
    resampled = resample_rows(rows, None)
    fast = rank_intervals(resampled_ranks(resampled, higher, flagged))
    assert fast == _slow_rank_intervals(rows, higher, flagged)
    assert all(lo >= 5 for lo, _ in fast[4:])  # the flagged row ranks last in every resample
    # the metric's own aggregate (called per resample) gives the same values as the mean's matrix path
    assert np.allclose(resample_rows(rows, lambda stats: float(np.mean(stats["value"]))), resampled)


def test_p_values_below_the_count_resolution_and_the_mde():
    rng = np.random.default_rng(7)
    n = 300
    a = rng.normal(0, 1, n)
    rows = _rows(a + 2.0, a + 1.0 + rng.normal(0, 0.1, n), a)
    resampled = resample_rows(rows, None)
    p = pairwise_p(np.array([2.0, 1.0, 0.0]), resampled)
    # no resample crosses zero: the count says only p <= 2/1001; the normal tail says how far below
    assert p[0, 2] < 1e-12 and p[0, 1] < 2 / 1001
    # a twin with noise: the count-based p, as "vs next" reports it
    twin = _rows(a, a + rng.normal(0, 1, n))
    resampled_twin = resample_rows(twin, None)
    observed = np.array([a.mean(), twin[1][0][1]["value"].mean()])
    p_twin = pairwise_p(observed, resampled_twin)[0, 1]
    deltas = resampled_twin[:, 0] - resampled_twin[:, 1]
    far = np.sum(deltas <= 0) if observed[0] > observed[1] else np.sum(deltas >= 0)
    assert p_twin == pytest.approx(min(1, 2 * (far + 1) / 1001))
    # MDE: (z_0.975 + z_0.8) x the bootstrap standard error of neighbours' differences
    se = np.std(resampled_twin[:, 0] - resampled_twin[:, 1], ddof=1)
    assert minimum_detectable_effect(resampled_twin, 0.05) == pytest.approx((1.959964 + 0.841621) * se, rel=1e-5)
    # and the standard error is what the paired differences say it is (sd / sqrt(n))
    assert se == pytest.approx(np.std(twin[1][0][1]["value"] - a, ddof=1) / math.sqrt(n), rel=0.1)


@pytest.fixture(scope="module")
def exact_and_noisy(tmp_path_factory):
    """The exact model's and the noisy one's doubling runs, recorded once per module."""
    return fill_once(
        tmp_path_factory,
        "ties",
        lambda runner: [runner.run(RunRequest(task="doubling", model=model)).run for model in ("exact", "noisy")],
    )


@pytest.fixture
def runner(arith, db, exact_and_noisy) -> Runner:
    """A runner on this test's own copy of `exact_and_noisy`'s database, to add a third run."""
    copy_into(exact_and_noisy[0], db)
    return Runner(arith, Store(db))


def test_board_rows_carry_groups_intervals_and_the_mde(arith, db, runner):
    runner.run(RunRequest(task="doubling", model="noisy", model_args={"every": "2"}))
    (board,) = rank(Store(db), "doubling", registry=arith)
    assert [s.group for s in board.standings] == sorted(s.group for s in board.standings)
    assert board.standings[0].group == 1 and all(s.rank_interval for s in board.standings)
    assert all(lo <= s.rank <= hi for s in board.standings for lo, hi in [s.rank_interval])
    data = board.as_json()
    assert data["correction"] == "holm" and data["alpha"] == 0.05 and data["mde"] > 0
    assert data["rows"][0]["rank_interval"] == list(board.standings[0].rank_interval)
    assert len(data["pairwise_p"]) == len(board.standings) and data["pairwise_p"][0][0] is None
    # the old path, with groups switched off, leaves them empty
    (plain,) = rank(Store(db), "doubling", registry=arith, groups=False)
    assert plain.mde is None and all(s.group is None for s in plain.standings)
    assert [s.p_next for s in plain.standings] == [s.p_next for s in board.standings]


def test_overview_names_the_best_group_when_the_top_is_a_tie(arith, db, runner, harness_cli, tmp_path):
    from harness.leaderboard.ranking import build, parse_definition

    # beside exact and noisy (wrong on 1 in 4): a noisy model wrong on 1 of 200
    runner.run(RunRequest(task="doubling", model="noisy", model_args={"every": "500"}))
    spec = parse_definition({"title": "All", "kind": "overview", "tasks": [{"task": "doubling"}]}, "all", "test")
    (row,) = build(Store(db), spec, arith).overview
    assert row.best_model == "exact"
    assert [(m["model"], m["model_config"].get("every")) for m in row.best_group] == [("exact", None), ("noisy", 500)]
    # the terminal: a group column, a line between groups, the MDE under the board
    harness_cli.env["HARNESS_DB"] = str(db)
    harness_cli.env["COLUMNS"] = "200"
    out = harness_cli("leaderboard", "--task", "doubling").stdout
    assert "group" in out and "MDE at 80% power" in out
    lines = out.splitlines()
    body = [i for i, line in enumerate(lines) if line.split()[:1] in (["1"], ["2"], ["3"])]
    gaps = [i for i in range(body[0], body[-1]) if not lines[i].strip()]
    assert len(body) == 3 and gaps == [body[2] - 1], "one blank line, between group 1 and group 2"
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "all.toml").write_text('title = "All"\nkind = "overview"\n[[tasks]]\ntask = "doubling"\n')
    harness_cli.env["HARNESS_LEADERBOARDS"] = str(tmp_path / "boards")
    overview = harness_cli("leaderboard", "all", "--markdown").stdout
    assert "| doubling | doubling-synth-v1/test | exact_match ↑ | exact = noisy (every=500 offset=1) (tie) |" in overview
    (listed,) = harness_cli.json("leaderboard", "all")["overview"]
    assert [m["model"] for m in listed["best_group"]] == ["exact", "noisy"]
    (board,) = harness_cli.json("leaderboard", "--task", "doubling")
    assert [r["group"] for r in board["rows"]] == [1, 1, 2] and board["correction"] == "holm"
