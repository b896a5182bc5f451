"""A plugin that imports fine but raises while registering; its working hooks still count."""

from harness import Metric, hookimpl


class Constant(Metric):
    name = "constant"

    def score(self, prediction, reference, input):
        return 1.0


@hookimpl
def register_tasks(register):
    raise RuntimeError("cannot build my task list")


@hookimpl
def register_metrics(register):
    register(Constant)
