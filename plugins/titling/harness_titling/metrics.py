"""Character-level ROUGE-1/2/L F, corpus BLEU, first-4 / last-4 accuracy and exact match.

ROUGE is one local `evaluate` module, `harness_titling.rouge.CharacterRouge` (rouge-score's
counting with a per-character tokenizer: its default tokenizer keeps only `[a-z0-9]` runs, so pure
Chinese scores 0 and mixed text scores only its Latin part), served as the three `titling-rouge-*`
metrics by `harness.evaluate_metrics.EvaluateMetric`: each title's value comes from the module,
and the harness mean equals the module's own `compute()` over the titles. Its MetricInfo texts
are the constants below, so listing tasks never imports `evaluate` (about 5 s; it is imported
on the first scored title). BLEU is sacrebleu's with `tokenize="zh"` (CJK characters split, Latin
words kept whole), as a corpus score: each title contributes its n-gram counts, totals and
lengths, and `aggregate` recomputes BLEU from the sums, so the bootstrap resamples titles and
re-aggregates rather than averaging sentence BLEU. Both libraries are imported on first use
(never at module scope) and nothing is fetched from a hub (no `evaluate.load`).

Every metric skips articles without a reference title (unlabelled test sets): per-sample
statistics carry `n = 0` there, and a split with no titles at all reports no value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness.evaluate_metrics import EvaluateMetric

if TYPE_CHECKING:
    import numpy as np

CITATION = (
    "苏剑林. seq2seq之双向解码. https://kexue.fm/archives/6877 (2019); Lin, C.-Y. ROUGE: A Package for "
    "Automatic Evaluation of Summaries (2004); Post, M. A Call for Clarity in Reporting BLEU Scores (2018)"
)

# The MetricInfo of `harness_titling.rouge.CharacterRouge`, kept here (no heavy import) because the
# harness shows it wherever metric descriptions appear, and lists tasks without importing evaluate.
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
ROUGE_DESCRIPTION = (
    "Character-level ROUGE F1 of a generated title against its reference, mean over titles: rouge1 "
    "counts shared characters, rouge2 shared character bigrams, rougeL the longest common subsequence. "
    "Every non-space character is one token (rouge-score's default tokenizer keeps only [a-z0-9] "
    "runs and would score Chinese 0), case kept, no stemming; counted by rouge-score."
)
ROUGE_CITATION = (
    "Lin, C.-Y. ROUGE: A Package for Automatic Evaluation of Summaries. Text Summarization Branches Out, "
    "ACL (2004); 苏剑林. seq2seq之双向解码. https://kexue.fm/archives/6877 (2019)"
)
ROUGE_INPUTS = (
    "predictions: generated titles (str); references: reference titles (str); rouge_types: any of "
    "rouge1, rouge2, rougeL (default all); use_aggregator: mean F1 over titles (default) or one F1 per title"
)


def characters(text: str) -> list[str]:
    """The per-character tokens ROUGE uses: every non-space character."""
    return [c for c in text if not c.isspace()]


class CharTokenizer:
    """A `rouge_score` tokenizer: one token per non-space character, case kept."""

    def tokenize(self, text: str) -> list[str]:
        return characters(text)


def _title(prediction: Any) -> str:
    """Predictions are {"title": ..., ...}; a bare string is accepted too (other models' output)."""
    if isinstance(prediction, Mapping):
        prediction = prediction.get("title", "")
    return prediction if isinstance(prediction, str) else ""


def _labelled_mean(stats: Mapping[str, np.ndarray]) -> float:
    """Mean value over the titles that have a reference (n = 1); NaN when none has."""
    import numpy as np  # on first use: the CLI's listing commands load this module

    n = float(np.sum(stats["n"]))
    return float(np.sum(stats["value"]) / n) if n else float("nan")


class _TitleMetric(Metric):
    bounds = (0.0, 1.0)
    citation = CITATION

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if not isinstance(reference, str):
            return {"value": 0.0, "n": 0.0}
        return {"value": float(self.value(_title(prediction), reference)), "n": 1.0}

    def value(self, prediction: str, reference: str) -> float:
        raise NotImplementedError

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        return _labelled_mean(stats)


class _Rouge(EvaluateMetric):
    """One ROUGE type of `CharacterRouge`, per title, with the `{"value", "n"}` statistics every
    titling metric stores (so runs made before the evaluate module compare sample by sample)."""

    bounds = (0.0, 1.0)

    module = "harness_titling.rouge:CharacterRouge"
    description, citation, expects = ROUGE_DESCRIPTION, ROUGE_CITATION, ROUGE_INPUTS

    def inputs(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"predictions": _title(prediction), "references": reference}

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if not isinstance(reference, str):
            return {"value": 0.0, "n": 0.0}
        return {"value": float(super().score(prediction, reference, input)), "n": 1.0}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        return _labelled_mean(stats)


class RougeL(_Rouge):
    name = "titling-rouge-l"
    version = "1"
    key = "rougeL"
    compute_kwargs = {"rouge_types": ["rougeL"]}


class Rouge1(_Rouge):
    name = "titling-rouge-1"
    version = "1"
    key = "rouge1"
    compute_kwargs = {"rouge_types": ["rouge1"]}


class Rouge2(_Rouge):
    name = "titling-rouge-2"
    version = "1"
    key = "rouge2"
    compute_kwargs = {"rouge_types": ["rouge2"]}


class FirstFour(_TitleMetric):
    name = "titling-first4-acc"
    version = "1"
    description = (
        "Share of titles whose first 4 characters are right (the whole title when shorter): the diagnostic "
        "for where left-to-right decoding is strong."
    )

    def value(self, prediction: str, reference: str) -> float:
        return float(prediction[:4] == reference[:4])


class LastFour(_TitleMetric):
    name = "titling-last4-acc"
    version = "1"
    description = (
        "Share of titles whose last 4 characters are right (the whole title when shorter): the diagnostic "
        "for where right-to-left decoding is strong."
    )

    def value(self, prediction: str, reference: str) -> float:
        return float(prediction[-4:] == reference[-4:])


class ExactMatch(_TitleMetric):
    name = "titling-exact-match"
    version = "1"
    description = "Share of titles generated exactly (character for character)."

    def value(self, prediction: str, reference: str) -> float:
        return float(prediction == reference)


BLEU_ORDER = 4


def _bleu() -> Any:
    from sacrebleu.metrics import BLEU

    return BLEU(tokenize="zh")


class Bleu(Metric):
    bounds = (0.0, 100.0)
    name = "titling-bleu"
    version = "1"
    description = (
        "Corpus BLEU (0-100) of the titles, sacrebleu with tokenize='zh' (CJK characters split, Latin words "
        "whole), exponential smoothing; bootstrapped over per-title n-gram statistics."
    )
    citation = CITATION
    _scorer: Any = None

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        keys = [f"correct{i}" for i in range(1, BLEU_ORDER + 1)] + [f"total{i}" for i in range(1, BLEU_ORDER + 1)]
        if not isinstance(reference, str):
            return {**dict.fromkeys(keys, 0.0), "sys_len": 0.0, "ref_len": 0.0, "n": 0.0}
        if Bleu._scorer is None:
            Bleu._scorer = _bleu()
        result = Bleu._scorer.corpus_score([_title(prediction)], [[reference]])
        stats = {f"correct{i + 1}": float(c) for i, c in enumerate(result.counts)}
        stats |= {f"total{i + 1}": float(t) for i, t in enumerate(result.totals)}
        return {**stats, "sys_len": float(result.sys_len), "ref_len": float(result.ref_len), "n": 1.0}

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        import numpy as np

        if not float(np.sum(stats["n"])):
            return float("nan")
        from sacrebleu.metrics import BLEU

        correct = [int(np.sum(stats[f"correct{i}"])) for i in range(1, BLEU_ORDER + 1)]
        total = [int(np.sum(stats[f"total{i}"])) for i in range(1, BLEU_ORDER + 1)]
        return float(
            BLEU.compute_bleu(
                correct, total, int(np.sum(stats["sys_len"])), int(np.sum(stats["ref_len"])), smooth_method="exp"
            ).score
        )


METRICS = [RougeL, Rouge1, Rouge2, Bleu, FirstFour, LastFour, ExactMatch]

LENGTH_BUCKETS = ((0, 12), (13, 16), (17, 20), (21, 24), (25, 10_000))


def bucket(length: int) -> str:
    for low, high in LENGTH_BUCKETS:
        if low <= length <= high:
            return f"{low}-{high}" if high < 10_000 else f"{low}+"
    return "?"


def by_title_length(samples: Sequence[Any]) -> list[dict[str, Any]]:
    """ROUGE-L and first/last-4 accuracy per reference-length bucket (the renderer's chart)."""
    import numpy as np

    groups: dict[str, list[dict]] = {}
    for sample in samples:
        if not isinstance(sample.reference, str):
            continue
        groups.setdefault(bucket(len(sample.reference)), []).append(sample.scores or {})
    order = [bucket(low) for low, _ in LENGTH_BUCKETS]
    rows = []
    for name in sorted(groups, key=order.index):
        scores = groups[name]
        for metric, label in (("titling-rouge-l", "ROUGE-L"), ("titling-first4-acc", "first-4"), ("titling-last4-acc", "last-4")):
            values = [s[metric]["value"] for s in scores if isinstance(s.get(metric), Mapping)]
            if values:
                rows.append({"title length": name, "metric": label, "score": float(np.mean(values)), "titles": len(values)})
    return rows
