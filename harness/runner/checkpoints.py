"""Trained-model checkpoints: where they live, what they hold, and whether they are still intact.

A model that trains saves itself once under `$HARNESS_HOME/checkpoints/MODEL/KEY/`; every later run
with the same configuration, training data, seed and task loads it instead of training again. A
checkpoint that a full disk or an interrupted copy cut short would otherwise fail every later run
with the model library's own error, naming no file. So the folder's manifest (`.complete`, written
last) records a sha256 and size per file, and `verify` checks them before a load: a damaged folder
is moved aside (renamed, never deleted: it may be all that is left of a long training) and the
model trains again. A manifest left empty by an older harness holds no hashes; such a checkpoint is
trusted until its load fails, which is handled the same way.

`in_use` is held by every run that trains or loads a checkpoint, from the load to its last
prediction; `harness checkpoints prune` removes only folders it can claim (`claim`).
"""

from __future__ import annotations

import hashlib
import json
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

if TYPE_CHECKING:
    from harness.store import Store

#: The manifest, written last: a folder without it is not a checkpoint (yet).
MANIFEST = ".complete"
#: Suffixes of the folders beside checkpoints: a training's snapshots, a save or a delete in progress,
#: one set aside as damaged.
PARTIAL, STAGING, DELETING, DAMAGED = ".partial", ".tmp-", ".deleting-", ".damaged-"


def root() -> Path:
    return default_home() / "checkpoints"


def locks() -> Path:
    """Lock files live apart from the checkpoints, whose folders hold nothing but checkpoints."""
    folder = default_home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def key(model: str, config: Any, train_fingerprint: str, seed: int, task: str, task_version: str) -> str:
    """Everything that decides what a training produces; stored runs recompute it to find theirs."""
    fields = {"model": model, "config": config, "train": train_fingerprint, "seed": seed, "task": task}
    fields["task_version"] = task_version
    return hashlib.sha256(to_json(fields).encode()).hexdigest()[:20]


def folder(model: str, checkpoint_key: str) -> Path:
    return root() / model / checkpoint_key


def sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(directory: Path, about: dict[str, Any]) -> None:
    """Record what was trained and every file's hash; written last, so its presence means complete."""
    files = {str(p.relative_to(directory)): {"sha256": sha256(p), "bytes": p.stat().st_size} for p in _files(directory)}
    manifest = {**about, "created": datetime.now(UTC).isoformat(timespec="seconds"), "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def manifest(directory: Path) -> dict[str, Any]:
    """The manifest's contents; {} for one written empty by an older harness or unreadable."""
    try:
        data = json.loads((directory / MANIFEST).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def verify(directory: Path) -> str | None:
    """What is wrong with the checkpoint in `directory` (naming the file), or None when it is intact."""
    path = directory / MANIFEST
    try:
        text = path.read_text()
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not text.strip():
        return None  # written by an older harness: no hashes to check
    try:
        files = json.loads(text)["files"]
    except (ValueError, KeyError, TypeError):
        return f"{path} is not a checkpoint manifest"
    for name, expected in sorted(files.items()):
        file = directory / name
        try:
            size = file.stat().st_size
            if size != expected["bytes"]:
                return f"{file} has {size:,} bytes, {expected['bytes']:,} when it was saved"
            if sha256(file) != expected["sha256"]:
                return f"{file} does not match the sha256 recorded when it was saved"
        except OSError as exc:
            return f"{file} cannot be read ({exc.strerror or exc})"
    return None


def mark_used(directory: Path) -> None:
    """Stamp the manifest with the time of this load: `prune --older-than` counts from the last use."""
    os.utime(directory / MANIFEST)


def unloadable(directory: Path, exc: Exception) -> str:
    """The problem line for a checkpoint whose `Model.load` raised: names the file when there is one."""
    files = _files(directory)
    where = files[0] if len(files) == 1 else directory
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{where} cannot be loaded ({type(exc).__name__}: {first})"


def set_aside(directory: Path) -> Path:
    """Rename a damaged checkpoint folder out of the way (kept for the user to inspect or delete)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = directory.with_name(f"{directory.name}{DAMAGED}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = directory.with_name(f"{directory.name}{DAMAGED}{stamp}-{n}")
    directory.rename(target)
    return target


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
