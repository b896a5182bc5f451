"""The demo: the packaged sweep file `harness demo` runs, and which leaderboards it prints after.

The file ships inside the package (demo.toml beside this module), so an installed harness runs
the demo without the repository; it is an ordinary sweep file (`harness sweep --file` reads it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.sweep.driver import PlannedRun
from harness.sweep.spec import SweepSpec, read_sweep_file

DEMO_FILE = Path(__file__).with_name("demo.toml")
#: The leaderboard printed last: each task family's best model.
OVERVIEW = "kexue-2019"


def demo_spec(path: Path | None = None) -> SweepSpec:
    """The demo's runs (the packaged file unless `path` names another)."""
    return read_sweep_file(path or DEMO_FILE)


def compared_tasks(runs: Sequence[PlannedRun]) -> list[str]:
    """Tasks on which the demo ranks two models or more, by name: the boards it prints."""
    models: dict[str, set[str]] = {}
    for run in runs:
        models.setdefault(run.task, set()).add(run.model)
    return sorted(task for task, names in models.items() if len(names) > 1)
