"""A plugin whose metric names a hub module ("rouge"): refused when the class is defined."""

from harness import hookimpl
from harness.evaluate_metrics import EvaluateMetric


class HubRouge(EvaluateMetric):
    name = "hub-rouge"
    module = "rouge"
    key = "rougeL"


@hookimpl
def register_metrics(register):
    register(HubRouge)
