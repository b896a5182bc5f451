"""Trained-model checkpoints: where they live, their keys, which runs use them, and pruning them.

A model that trains saves itself once under `$HARNESS_HOME/checkpoints/MODEL/KEY/`; every later run
with the same configuration, training data, seed and task loads it instead of training again.
Sealing a folder with its files' hashes and loading it back with a check (a damaged folder set
aside, the model trained again) is `harness.training.seal` and `load_sealed`, public so that a
plugin keeping a cache of its own does it the same way.

`in_use` is held by every run that trains or loads a checkpoint, from the load to its last
prediction; `harness checkpoints prune` removes only folders it can claim (`claim`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.paths import default_home
from harness.records import RunRecord, to_json
from harness.training import DAMAGED, MANIFEST, manifest

if TYPE_CHECKING:
    from harness.store import Store

#: Suffixes of the folders beside checkpoints: a training's snapshots, a save or a delete in progress
#: (a folder set aside as damaged ends in `harness.training.DAMAGED` and a time).
PARTIAL, STAGING, DELETING = ".partial", ".tmp-", ".deleting-"


def root() -> Path:
    return default_home() / "checkpoints"


def locks() -> Path:
    """Lock files live apart from the checkpoints, whose folders hold nothing but checkpoints."""
    folder = default_home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def key(
    model: str, config: Any, train_fingerprint: str, seed: int, task: str, task_version: str, budget_s: float | None = None
) -> str:
    """Everything that decides what a training produces; stored runs recompute it to find theirs.

    A `--train-budget` is part of it when set (a model the budget cut short is never loaded as a full
    one, nor the reverse); without one the key is what it was before budgets existed."""
    fields = {
        "model": model,
        "config": config,
        "train": train_fingerprint,
        "seed": seed,
        "task": task,
        "task_version": task_version,
    }
    if budget_s is not None:
        fields["train_budget_s"] = budget_s
    return hashlib.sha256(to_json(fields).encode()).hexdigest()[:20]


def folder(model: str, checkpoint_key: str) -> Path:
    return root() / model / checkpoint_key


def _lock_file(model: str, checkpoint_key: str) -> Path:
    return locks() / f"checkpoint-{model}-{checkpoint_key}.in-use"


@contextmanager
def in_use(model: str, checkpoint_key: str) -> Iterator[None]:
    """Mark the checkpoint as used by this process (a shared lock: any number of runs at once)."""
    if sys.platform == "win32":  # no flock: prune falls back on the runs stored as running
        yield
        return
    import fcntl

    with _lock_file(model, checkpoint_key).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def claim(model: str, checkpoint_key: str) -> Iterator[bool]:
    """Whether no run uses the checkpoint now; while the block runs, none can start using it."""
    if sys.platform == "win32":
        yield True
        return
    import fcntl

    with _lock_file(model, checkpoint_key).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Checkpoint:
    """One folder under the checkpoints root, as `harness checkpoints` lists it."""

    model: str
    key: str
    path: Path
    state: str  # complete, training (snapshots of an unfinished fit), damaged (set aside), incomplete
    bytes: int
    modified: datetime
    about: dict[str, Any] = field(default_factory=dict)  # the manifest, less its file list

    @property
    def age_s(self) -> float:
        return (datetime.now(UTC) - self.modified).total_seconds()


def scan() -> list[Checkpoint]:
    """Every folder under the checkpoints root, newest first."""
    found = []
    for model_dir in sorted(root().iterdir()) if root().is_dir() else []:
        for path in sorted(model_dir.iterdir()) if model_dir.is_dir() else []:
            if not path.is_dir():
                continue
            name = path.name
            if DAMAGED in name:
                state, base = "damaged", name.split(DAMAGED)[0]
            elif name.endswith(PARTIAL):
                state, base = "training", name.removesuffix(PARTIAL)
            elif STAGING in name or DELETING in name:
                state, base = "incomplete", name.split(STAGING if STAGING in name else DELETING)[0]
            else:
                state, base = ("complete" if (path / MANIFEST).exists() else "incomplete"), name
            files = [p for p in path.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files)
            newest = max([p.stat().st_mtime for p in files] or [path.stat().st_mtime])
            about = {k: v for k, v in manifest(path).items() if k != "files"}
            found.append(Checkpoint(model_dir.name, base, path, state, size, datetime.fromtimestamp(newest, UTC), about))
    return sorted(found, key=lambda c: c.modified, reverse=True)


def remove(path: Path) -> None:
    """Delete a checkpoint folder: renamed first, so that a crash mid-delete leaves no half checkpoint
    that looks complete."""
    doomed = path.with_name(f"{path.name}{DELETING}{os.getpid()}")
    path.rename(doomed)
    shutil.rmtree(doomed)


def used_by(store: Store, models: list[str]) -> dict[tuple[str, str], list[RunRecord]]:
    """The stored runs of these models that trained or loaded a checkpoint, by (model, checkpoint key)."""
    found: dict[tuple[str, str], list[RunRecord]] = {}
    if not models or not store.exists():
        return found
    for run in store.runs(model=models):
        if run.train_fingerprint is not None:
            checkpoint_key = key(run.model, run.model_config, run.train_fingerprint, run.seed, run.task, run.task_version)
            found.setdefault((run.model, checkpoint_key), []).append(run)
    return found
