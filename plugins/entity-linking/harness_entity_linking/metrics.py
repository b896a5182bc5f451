"""Micro P/R/F1 over exact triples as the competition scored them, the NIL-strict variant, mention
detection, linking accuracy given the gold mentions; and the diagnostics that split a linker's errors
between candidate generation and ranking (candidate recall@k, normalised accuracy, as BLINK reports
them) and the weak-match F1 of GERBIL (overlapping spans).

Each per-sample score is a count mapping ({"tp", "fp", "fn"} or {"hit", "n"}) and `aggregate`
re-computes the corpus figure from summed counts, so the core's bootstrap resamples texts and
re-aggregates (a text without gold annotation, e.g. CCKS's unlabelled eval set, scores all zeros).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness_entity_linking.data import NIL
from harness_entity_linking.text import UNPARSEABLE

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
    # the arrays' own sum (np.sum's value, without its dispatch): this runs once per bootstrap resample
    return float(stats["tp"].sum()), float(stats["fp"].sum()), float(stats["fn"].sum())


def f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


class _Counted(Metric):
    bounds = (0.0, 1.0)
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


def _gold_links(reference: Any) -> dict[tuple[str, int], str]:
    """Gold non-NIL links by span."""
    return {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in reference if str(m["kb_id"]) != NIL}


class _HitShare(Metric):
    """Per-sample {"hit", "n"} counts: the share is sum(hit) / sum(n) over the resampled texts."""

    bounds = (0.0, 1.0)

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        # the arrays' own sum (np.sum's value, without its dispatch): this runs once per bootstrap resample
        n = float(stats["n"].sum())
        return float(stats["hit"].sum()) / n if n else float("nan")


class LinkAccuracy(_HitShare):
    name = "el-link-acc"
    version = "2"  # 2: not applicable (None) to a prediction without gold_links, rather than all wrong
    citation = CITATION
    description = (
        "Disambiguation alone: share of gold non-NIL mentions linked to the gold kb_id when the model "
        "is given the gold mentions (its `gold_links`)."
    )

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float] | None:
        if isinstance(prediction, Mapping) and "gold_links" not in prediction and "mentions" in prediction:
            return None  # a model that links only what it detects (a text model) says nothing here
        if reference is None:
            return {"hit": 0.0, "n": 0.0}
        gold = _gold_links(reference)
        links = prediction.get("gold_links") if isinstance(prediction, Mapping) else None
        chosen = {
            (str(m["mention"]), int(m["offset"])): str(m["kb_id"])
            for m in links or ()
            if isinstance(m, Mapping) and {"mention", "offset", "kb_id"} <= set(m)
        }
        return {"hit": float(sum(chosen.get(k) == v for k, v in gold.items())), "n": float(len(gold))}


def _offered(prediction: Any) -> dict[tuple[str, int], tuple[list[str], int]] | None:
    """Each gold span's generated candidates and how many the linker scored; None when the model
    does not report them (the diagnostics then do not apply to it)."""
    links = prediction.get("gold_links") if isinstance(prediction, Mapping) else None
    if not isinstance(links, list) or not all(isinstance(m, Mapping) and isinstance(m.get("candidates"), list) for m in links):
        return None
    return {
        (str(m["mention"]), int(m["offset"])): ([str(c) for c in m["candidates"]], int(m.get("considered", len(m["candidates"]))))
        for m in links
        if {"mention", "offset"} <= set(m)
    }


class _Share(_HitShare):
    citation = "Wu et al. Scalable Zero-shot Entity Linking with Dense Entity Retrieval (BLINK), EMNLP 2020"


def _candidate_recall(k: int) -> type[Metric]:
    class CandidateRecall(_Share):
        description = (
            f"Candidate generation: share of gold non-NIL mentions whose gold entity is among the generator's "
            f"first {k} candidate(s) (models that report their candidates)."
        )

        def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float] | None:
            offered = _offered(prediction)
            if reference is None or offered is None:
                return None
            gold = _gold_links(reference)
            hits = sum(kb_id in offered.get(span, ([], 0))[0][:k] for span, kb_id in gold.items())
            return {"hit": float(hits), "n": float(len(gold))}

    CandidateRecall.name = f"el-candidate-recall-at-{k}"
    CandidateRecall.__name__ = CandidateRecall.__qualname__ = f"CandidateRecallAt{k}"
    return CandidateRecall


class NormalisedLinkAccuracy(_Share):
    name = "el-link-acc-normalised"
    description = (
        "Ranking alone: of the gold non-NIL mentions whose gold entity is among the candidates the linker "
        "scored, the share linked to it (given the gold mentions; BLINK's normalised accuracy)."
    )

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float] | None:
        offered = _offered(prediction)
        if reference is None or offered is None:
            return None
        links = {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in prediction["gold_links"]}
        reachable = [
            (span, kb_id)
            for span, kb_id in _gold_links(reference).items()
            if kb_id in offered.get(span, ([], 0))[0][: offered.get(span, ([], 0))[1]]
        ]
        return {"hit": float(sum(links.get(span) == kb_id for span, kb_id in reachable)), "n": float(len(reachable))}


class WeakLinkF1(_Counted):
    name = "el-weak-f1"
    citation = "Usbeck et al. GERBIL: General Entity Annotator Benchmarking Framework, WWW 2015 (weak annotation match)"
    description = (
        "Micro F1 where a predicted link matches a gold one when their spans overlap and the kb_id is the same "
        "(each gold link matched at most once), NIL excluded: credit for a right entity on a slightly wrong span."
    )

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:
            return {"tp": 0.0, "fp": 0.0, "fn": 0.0}
        pred = sorted(triples(predicted(prediction), with_nil=False), key=lambda t: t[1])
        gold = sorted(triples(list(reference), with_nil=False), key=lambda t: t[1])
        used: set[int] = set()
        for mention, offset, kb_id in pred:
            for j, (g_mention, g_offset, g_kb) in enumerate(gold):
                overlap = offset < g_offset + len(g_mention) and g_offset < offset + len(mention)
                if j not in used and g_kb == kb_id and overlap:
                    used.add(j)
                    break
        tp = float(len(used))
        return {"tp": tp, "fp": len(pred) - tp, "fn": len(gold) - tp}


class UnparseableRate(_HitShare):
    name = "el-unparseable-rate"
    version = "1"
    higher_is_better = False
    description = (
        "Share of annotated texts whose prediction is a text model's answer that was not the JSON list of "
        "links asked for (it links nothing); 0 for models that build their predictions themselves."
    )

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:  # like every metric here: texts without gold annotation are left out
            return {"hit": 0.0, "n": 0.0}
        return {"hit": float(isinstance(prediction, Mapping) and bool(prediction.get(UNPARSEABLE))), "n": 1.0}


CANDIDATE_RECALL = [_candidate_recall(k) for k in (1, 5, 30)]

METRICS = [
    LinkF1,
    LinkPrecision,
    LinkRecall,
    NilStrictF1,
    DetectionF1,
    DetectionPrecision,
    DetectionRecall,
    LinkAccuracy,
    *CANDIDATE_RECALL,
    NormalisedLinkAccuracy,
    WeakLinkF1,
    UnparseableRate,
]
