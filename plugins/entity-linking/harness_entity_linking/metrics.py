"""Micro P/R/F1 over exact triples as the competition scored them, the NIL-strict variant, mention
detection, and linking accuracy given the gold mentions.

Each per-sample score is a count mapping ({"tp", "fp", "fn"} or {"hit", "n"}) and `aggregate`
re-computes the corpus figure from summed counts, so the core's bootstrap resamples texts and
re-aggregates (a text without gold annotation, e.g. CCKS's unlabelled eval set, scores all zeros).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness_entity_linking.data import NIL

if TYPE_CHECKING:
    import numpy as np

CITATION = "苏剑林. 百度实体链接比赛后记：行为建模和实体链接. https://kexue.fm/archives/6919 (2019)"


def predicted(prediction: Any) -> list[dict]:
    if not isinstance(prediction, Mapping) or not isinstance(prediction.get("mentions"), list):
        return []
    return [m for m in prediction["mentions"] if isinstance(m, Mapping) and {"mention", "offset", "kb_id"} <= set(m)]


def triples(mentions: list, with_nil: bool) -> set[tuple[str, int, str]]:
    return {(str(m["mention"]), int(m["offset"]), str(m["kb_id"])) for m in mentions if with_nil or str(m["kb_id"]) != NIL}


def counts(pred: set, gold: set) -> dict[str, float]:
    tp = len(pred & gold)
    return {"tp": float(tp), "fp": float(len(pred) - tp), "fn": float(len(gold) - tp)}


def _sums(stats: Mapping[str, np.ndarray]) -> tuple[float, float, float]:
    import numpy as np  # on first use: the CLI's listing commands load this module

    return float(np.sum(stats["tp"])), float(np.sum(stats["fp"])), float(np.sum(stats["fn"]))


def f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


class _Counted(Metric):
    citation = CITATION
    with_nil = False
    spans_only = False
    part = "f1"

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:
            return {"tp": 0.0, "fp": 0.0, "fn": 0.0}
        pred, gold = predicted(prediction), list(reference)
        if self.spans_only:
            return counts(
                {(str(m["mention"]), int(m["offset"])) for m in pred}, {(str(m["mention"]), int(m["offset"])) for m in gold}
            )
        return counts(triples(pred, self.with_nil), triples(gold, self.with_nil))

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        tp, fp, fn = _sums(stats)
        if self.part == "precision":
            return tp / (tp + fp) if tp + fp else float("nan")
        if self.part == "recall":
            return tp / (tp + fn) if tp + fn else float("nan")
        return f1(tp, fp, fn)


class LinkF1(_Counted):
    name = "el-f1"
    version = "1"
    description = (
        "Micro F1 over exact (mention, offset, kb_id) triples, gold NIL mentions excluded and NIL "
        "predictions ignored (the CCKS 2019 score)."
    )


class LinkPrecision(_Counted):
    name = "el-precision"
    version = "1"
    part = "precision"
    description = "Micro precision over exact (mention, offset, kb_id) triples, NIL excluded."


class LinkRecall(_Counted):
    name = "el-recall"
    version = "1"
    part = "recall"
    description = "Micro recall over exact (mention, offset, kb_id) triples, NIL excluded."


class NilStrictF1(_Counted):
    name = "el-nil-strict-f1"
    version = "1"
    with_nil = True
    description = "Micro F1 over exact triples with NIL mentions kept: a gold NIL mention must be predicted as NIL."


class DetectionF1(_Counted):
    name = "el-md-f1"
    version = "1"
    spans_only = True
    description = "Mention detection: micro F1 over (mention, offset) pairs, NIL mentions included, links ignored."


class DetectionPrecision(DetectionF1):
    name = "el-md-precision"
    version = "1"
    part = "precision"
    description = "Mention detection: micro precision over (mention, offset) pairs."


class DetectionRecall(DetectionF1):
    name = "el-md-recall"
    version = "1"
    part = "recall"
    description = "Mention detection: micro recall over (mention, offset) pairs."


class LinkAccuracy(Metric):
    name = "el-link-acc"
    version = "1"
    citation = CITATION
    description = (
        "Disambiguation alone: share of gold non-NIL mentions linked to the gold kb_id when the model "
        "is given the gold mentions (its `gold_links`)."
    )

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:
            return {"hit": 0.0, "n": 0.0}
        gold = {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in reference if str(m["kb_id"]) != NIL}
        links = prediction.get("gold_links") if isinstance(prediction, Mapping) else None
        chosen = {
            (str(m["mention"]), int(m["offset"])): str(m["kb_id"])
            for m in links or ()
            if isinstance(m, Mapping) and {"mention", "offset", "kb_id"} <= set(m)
        }
        return {"hit": float(sum(chosen.get(k) == v for k, v in gold.items())), "n": float(len(gold))}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        import numpy as np

        n = float(np.sum(stats["n"]))
        return float(np.sum(stats["hit"])) / n if n else float("nan")


METRICS = [LinkF1, LinkPrecision, LinkRecall, NilStrictF1, DetectionF1, DetectionPrecision, DetectionRecall, LinkAccuracy]
