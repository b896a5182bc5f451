"""The titling plugin's evaluate module: character-level ROUGE-1, ROUGE-2 and ROUGE-L F1.

A local `evaluate.Metric` subclass (never fetched from the hub), served to the harness by the
`titling-rouge-*` metrics in `metrics.py` through `harness.evaluate_metrics.EvaluateMetric`. It
imports `evaluate` at module scope, as any evaluate module does, so nothing imports this module
when tasks are listed: the harness loads it by its import string on the first scored title.
Its MetricInfo texts live in `metrics.py` (which imports nothing heavy), read by both.

    >>> from harness_titling.rouge import CharacterRouge
    >>> CharacterRouge(keep_in_memory=True).compute(predictions=["北京大学"], references=["北京大学生"])
    {'rouge1': 0.888..., 'rouge2': 0.857..., 'rougeL': 0.888...}
"""

from __future__ import annotations

from functools import cache

import datasets
import evaluate
from rouge_score.rouge_scorer import RougeScorer

from harness_titling.metrics import ROUGE_CITATION, ROUGE_DESCRIPTION, ROUGE_INPUTS, ROUGE_TYPES, CharTokenizer


@cache
def _scorer(rouge_types: tuple[str, ...]) -> RougeScorer:
    """One rouge-score scorer per set of types: the harness calls `_compute` once per title."""
    return RougeScorer(list(rouge_types), tokenizer=CharTokenizer())


class CharacterRouge(evaluate.Metric):
    """ROUGE F1 over characters (every non-space character a token, case kept, no stemming).

    Unlike the hub's `rouge`, whose tokenizer drops CJK text, and whose `use_aggregator=True`
    reports the median of a bootstrap of the mean, the aggregate here is the plain mean F1 over
    the titles: the value the harness reports, with its own bootstrap interval.
    """

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=ROUGE_DESCRIPTION,
            citation=ROUGE_CITATION,
            inputs_description=ROUGE_INPUTS,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
            reference_urls=["https://aclanthology.org/W04-1013/", "https://kexue.fm/archives/6877"],
        )

    def _compute(
        self, predictions: list[str], references: list[str], rouge_types: list[str] | None = None, use_aggregator: bool = True
    ) -> dict[str, float | list[float]]:
        types = tuple(rouge_types or ROUGE_TYPES)
        unknown = sorted(set(types) - set(ROUGE_TYPES))
        if unknown:
            raise ValueError(f"unknown rouge type(s) {unknown}; this module computes {list(ROUGE_TYPES)}")
        scorer = _scorer(types)
        scores = [scorer.score(reference, prediction) for prediction, reference in zip(predictions, references, strict=True)]
        per_title = {t: [s[t].fmeasure for s in scores] for t in types}
        if not use_aggregator:
            return per_title
        return {t: sum(values) / len(values) if values else float("nan") for t, values in per_title.items()}
