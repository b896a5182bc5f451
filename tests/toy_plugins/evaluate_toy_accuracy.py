"""A local evaluate.Metric subclass, imported by the toy plugin as an import string (never at its module scope)."""

import datasets
import evaluate

from toy_plugins.evaluate_toy_info import (
    ACCURACY_CITATION,
    ACCURACY_DESCRIPTION,
    ACCURACY_INPUTS,
    F1_DESCRIPTION,
    F1_INPUTS,
    JITTER_DESCRIPTION,
)


class WordAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=ACCURACY_DESCRIPTION,
            citation=ACCURACY_CITATION,
            inputs_description=ACCURACY_INPUTS,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, per_item=False):
        hits = [float(p.lower() == r.lower()) for p, r in zip(predictions, references, strict=True)]
        return {"accuracy": hits if per_item else sum(hits) / len(hits)}


class JitteredAccuracy(WordAccuracy):
    """Draws from numpy's global generator, as some hub metrics do (bootstrapped or sampled scores)."""

    def _info(self):
        info = super()._info()
        info.description = JITTER_DESCRIPTION
        return info

    def _compute(self, predictions, references, per_item=False):
        import numpy as np

        result = super()._compute(predictions, references, per_item)
        return {"accuracy": result["accuracy"] + float(np.random.normal(0.0, 1e-3))}


class PooledCharacterF1(evaluate.Metric):
    """A corpus metric: with return_counts it returns each word's counts, which the harness pools."""

    def _info(self):
        return evaluate.MetricInfo(
            description=F1_DESCRIPTION,
            citation=ACCURACY_CITATION,
            inputs_description=F1_INPUTS,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, return_counts=False):
        from collections import Counter

        counts = {"tp": [], "fp": [], "fn": []}
        for p, r in zip(predictions, references, strict=True):
            common = sum((Counter(p) & Counter(r)).values())
            counts["tp"].append(common)
            counts["fp"].append(len(p) - common)
            counts["fn"].append(len(r) - common)
        if return_counts:
            return counts
        tp, fp, fn = (sum(counts[k]) for k in ("tp", "fp", "fn"))
        return {"f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0}
