"""The metrics on hand-counted cases, and their bootstrap over texts through per-sample counts."""

import numpy as np
import pytest
from harness_entity_linking.metrics import (
    DetectionF1,
    DetectionPrecision,
    LinkAccuracy,
    LinkF1,
    LinkPrecision,
    LinkRecall,
    NilStrictF1,
    NormalisedLinkAccuracy,
    WeakLinkF1,
    _candidate_recall,
)

GOLD = [
    {"mention": "胜利", "offset": 0, "kb_id": "1"},
    {"mention": "张学友", "offset": 3, "kb_id": "2"},
    {"mention": "李雷", "offset": 8, "kb_id": "NIL"},
]
PRED = {
    "mentions": [
        {"mention": "胜利", "offset": 0, "kb_id": "1"},  # right
        {"mention": "张学友", "offset": 3, "kb_id": "9"},  # wrong entity
        {"mention": "李雷", "offset": 8, "kb_id": "NIL"},  # right NIL (counts only NIL-strict)
        {"mention": "歌", "offset": 7, "kb_id": "5"},
    ],  # spurious
    "gold_links": [
        {"mention": "胜利", "offset": 0, "kb_id": "1"},
        {"mention": "张学友", "offset": 3, "kb_id": "2"},
        {"mention": "李雷", "offset": 8, "kb_id": "7"},
    ],
}


def _value(metric, pairs):
    scores = [metric.score(p, r, {}) for p, r in pairs]
    return metric.aggregate({k: np.array([s[k] for s in scores]) for k in scores[0]})


def test_counts_by_hand():
    assert LinkF1().score(PRED, GOLD, {}) == {"tp": 1, "fp": 2, "fn": 1}  # NIL gold excluded, NIL prediction ignored
    assert NilStrictF1().score(PRED, GOLD, {}) == {"tp": 2, "fp": 2, "fn": 1}
    assert DetectionF1().score(PRED, GOLD, {}) == {"tp": 3, "fp": 1, "fn": 0}
    assert LinkAccuracy().score(PRED, GOLD, {}) == {"hit": 2, "n": 2}  # the NIL gold mention is not scored
    assert _value(LinkPrecision(), [(PRED, GOLD)]) == pytest.approx(1 / 3)
    assert _value(LinkRecall(), [(PRED, GOLD)]) == pytest.approx(1 / 2)
    assert _value(LinkF1(), [(PRED, GOLD)]) == pytest.approx(2 / 5)
    assert _value(DetectionPrecision(), [(PRED, GOLD)]) == pytest.approx(3 / 4)


def test_micro_not_macro_and_unlabelled_texts_count_nothing():
    empty = {"mentions": [], "gold_links": []}
    pairs = [(PRED, GOLD), (empty, GOLD[:1]), (PRED, None)]
    # micro: tp 1, fp 2, fn 1 + 1 -> 2 / (2 + 2 + 2)
    assert _value(LinkF1(), pairs) == pytest.approx(2 / 6)
    assert LinkF1().score("garbage", GOLD, {}) == {"tp": 0, "fp": 0, "fn": 2}
    assert np.isnan(_value(LinkF1(), [(PRED, None)]))


def test_bootstrap_over_texts_uses_the_aggregate(tmp_path):
    from harness.stats import summarise

    scores = [LinkF1().score(PRED, GOLD, {}), LinkF1().score({"mentions": GOLD}, GOLD, {})] * 20
    summary = summarise(LinkF1(), scores, seed=0, primary=True)
    assert summary.value == pytest.approx(2 * 60 / (2 * 60 + 40 + 20))  # tp 3, fp 2, fn 1 per pair of texts
    assert summary.ci_low < summary.value < summary.ci_high


def test_candidate_recall_and_normalised_accuracy_by_hand():
    gold = [*GOLD, {"mention": "王", "offset": 12, "kb_id": "4"}]  # three non-NIL gold mentions
    pred = {
        "mentions": [],
        "gold_links": [
            {"mention": "胜利", "offset": 0, "kb_id": "1", "candidates": ["1", "3"], "considered": 2},  # ranked first, linked
            {"mention": "张学友", "offset": 3, "kb_id": "6", "candidates": ["6", "8", "5", "9", "0", "2"], "considered": 6},
            {"mention": "李雷", "offset": 8, "kb_id": "7", "candidates": ["7"], "considered": 1},  # NIL gold: not scored
            {"mention": "王", "offset": 12, "kb_id": "NIL", "candidates": ["5", "4"], "considered": 1},  # 4 generated, not scored
        ],
    }
    recall = {k: _candidate_recall(k)().score(pred, gold, {}) for k in (1, 5, 30)}
    assert recall == {1: {"hit": 1, "n": 3}, 5: {"hit": 2, "n": 3}, 30: {"hit": 3, "n": 3}}
    # reachable: 胜利 (1 in the first 2) and 张学友 (2 in the first 6), not 王 (4 is second, only 1 scored)
    assert NormalisedLinkAccuracy().score(pred, gold, {}) == {"hit": 1, "n": 2}
    # a model that reports no candidates: the diagnostics do not apply (left out, not zero)
    assert _candidate_recall(1)().score(PRED, GOLD, {}) is None and NormalisedLinkAccuracy().score(PRED, GOLD, {}) is None


def test_weak_match_credits_overlapping_spans_with_the_right_entity():
    gold = [{"mention": "张学友", "offset": 3, "kb_id": "2"}, {"mention": "胜利", "offset": 0, "kb_id": "1"}]
    pred = {
        "mentions": [
            {"mention": "学友", "offset": 4, "kb_id": "2"},  # overlaps 张学友 too, but that gold link is taken
            {"mention": "张学", "offset": 3, "kb_id": "2"},  # overlaps 张学友, same entity: weak hit, strict miss
            {"mention": "利", "offset": 1, "kb_id": "9"},  # overlaps 胜利, wrong entity
            {"mention": "李雷", "offset": 8, "kb_id": "NIL"},  # NIL ignored
        ]
    }
    assert WeakLinkF1().score(pred, gold, {}) == {"tp": 1, "fp": 2, "fn": 1}
    assert LinkF1().score(pred, gold, {}) == {"tp": 0, "fp": 3, "fn": 2}
    assert _value(WeakLinkF1(), [(pred, gold)]) == pytest.approx(2 / 5)
