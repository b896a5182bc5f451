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
