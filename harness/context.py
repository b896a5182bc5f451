"""`RunContext`: what the runner hands every `Model.fit` and `Model.predict`.

A plugin's models receive it as their `ctx` argument; import it from `harness`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.progress import progress_bar
from harness.training import TrainingCheckpoint


@dataclass
class RunContext:
    """What `Model.fit` and `Model.predict` may use from the runner."""

    task: str
    seed: int
    checkpoint_dir: Path | None = None
    progress: Callable[..., Any] = progress_bar
    #: Where `training_checkpoint` keeps its snapshot while `fit` runs (set by the runner).
    training_dir: Path | None = None
    #: Warnings the runner reports with the run (a damaged checkpoint or training snapshot passed over).
    notes: list[str] = field(default_factory=list)

    def training_checkpoint(self, every_steps: int | None = None, every_s: float | None = 60.0) -> TrainingCheckpoint:
        """Periodic snapshots for `fit` to resume from after an interruption (harness.training)."""
        return TrainingCheckpoint(self.training_dir, every_steps=every_steps, every_s=every_s, notes=self.notes)
