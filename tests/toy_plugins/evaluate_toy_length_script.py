"""A metric script (as Hugging Face hub scripts are written), loaded by file path: numpy format."""

import datasets
import evaluate
import numpy as np

from toy_plugins.evaluate_toy_info import LENGTH_CITATION, LENGTH_DESCRIPTION, LENGTH_INPUTS


class LengthError(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=LENGTH_DESCRIPTION,
            citation=LENGTH_CITATION,
            inputs_description=LENGTH_INPUTS,
            format="numpy",
            features=datasets.Features({"predictions": datasets.Value("float32"), "references": datasets.Value("float32")}),
        )

    def _compute(self, predictions, references):
        return {"mae": float(np.mean(np.abs(predictions - references)))}
