"""Lifecycle hooks as a logger would use them; the second one fails, which must not matter."""

from harness import hookimpl

EVENTS: list[tuple] = []


@hookimpl
def on_run_start(run):
    EVENTS.append(("start", run.run_id, run.status))


@hookimpl
def on_run_end(run):
    EVENTS.append(("end", run.run_id, run.status, run.primary().value if run.primary() else None))
    raise ConnectionError("tracker unreachable")
