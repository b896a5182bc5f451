"""A local evaluate.Metric subclass, imported by the toy plugin as an import string (never at its module scope)."""

import datasets
import evaluate

from toy_plugins.evaluate_toy_info import ACCURACY_CITATION, ACCURACY_DESCRIPTION, ACCURACY_INPUTS, JITTER_DESCRIPTION


class WordAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=ACCURACY_DESCRIPTION, citation=ACCURACY_CITATION, inputs_description=ACCURACY_INPUTS,
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
