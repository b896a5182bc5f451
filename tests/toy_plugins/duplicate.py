"""A plugin that claims a task name another plugin already registered."""

from harness import hookimpl
from toy_plugins.arith import Doubling


class AnotherDoubling(Doubling):
    description = "Same name, different plugin."


@hookimpl
def register_tasks(register):
    register(AnotherDoubling)
