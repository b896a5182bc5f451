"""Resumable training: periodic snapshots of a `Model.fit` loop, owned by the runner; sealed checkpoints.

A model that trains for minutes should not lose every step to Ctrl-C or a killed process. The
runner hands `fit` a `TrainingCheckpoint` (through `ctx.training_checkpoint(...)`) that lives
beside the final checkpoint of the same key; `fit` saves its state every N steps or seconds
and, on a re-run, restores it and continues from that step. The snapshot carries the global
Python, NumPy and torch random states too, so a resumed run draws the same numbers an
uninterrupted one would have. The runner deletes the snapshots once the final model is saved.

Each snapshot's file name carries its step and the sha256 of its contents, and the one before it is
kept: a snapshot that a full disk or a bad copy damaged is set aside (renamed `*.damaged`, with a
warning naming it) and training resumes from the previous good one, or from the start.

`HARNESS_CHECKPOINT_EVERY` overrides the interval a model asks for: `25` (steps) or `30s`
(seconds); `0` turns snapshots off.

A finished model's checkpoint folder is sealed (`seal`: a manifest of each file's size and sha256,
written last) and loaded back through `load_sealed`, which checks the hashes first: a checkpoint
that a full disk or an interrupted copy cut short would otherwise fail every later run with the
model library's own error, naming no file. The runner does this for every model that trains; a
plugin that keeps a cache of its own (a network shared by several models) calls the same two.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.api import ConfigError

STATE_FILE = "state.pt"  # the single snapshot of earlier releases, still resumed from
#: `state-STEP-SHA256.pt`: a snapshot's step and the hash of its contents.
SNAPSHOT = re.compile(r"state-(\d+)-([0-9a-f]{64})\.pt")
KEEP = 2  # the newest snapshot and the one before it
#: A sealed checkpoint folder's manifest, written last: a folder without it is not complete.
MANIFEST = ".complete"
#: What a damaged checkpoint folder's name gets, with the time it was set aside.
DAMAGED = ".damaged-"
ENV_INTERVAL = "HARNESS_CHECKPOINT_EVERY"


def interval_from_env() -> tuple[int | None, float | None] | None:
    """`(every_steps, every_s)` from `HARNESS_CHECKPOINT_EVERY`, or None when it is not set."""
    raw = os.environ.get(ENV_INTERVAL, "").strip()
    if not raw:
        return None
    try:
        if raw.endswith("s"):
            return None, float(raw[:-1])
        return int(raw), None
    except ValueError:
        raise ConfigError(f"{ENV_INTERVAL}={raw!r}: expected a number of steps (25) or seconds (30s)") from None


class TrainingCheckpoint:
    """Save and restore one training loop's state; see the module docstring for the contract."""

    def __init__(
        self,
        directory: Path | None,
        every_steps: int | None = None,
        every_s: float | None = 60.0,
        notes: list[str] | None = None,
    ) -> None:
        override = interval_from_env()
        if override is not None:
            every_steps, every_s = override
        self.directory = directory
        self.every_steps = every_steps if every_steps and every_steps > 0 else None
        self.every_s = every_s if every_s and every_s > 0 else None
        self._last_step = 0
        self._last_time = time.monotonic()
        #: The step the loop resumed from (0 on a fresh start): models may report it.
        self.resumed_from = 0
        #: Warnings for the user (a damaged snapshot passed over); the runner reports them with the run.
        self.notes = notes if notes is not None else []

    @property
    def path(self) -> Path | None:
        """The newest snapshot, if there is one."""
        snapshots = self.snapshots()
        return snapshots[0] if snapshots else None

    def snapshots(self) -> list[Path]:
        """The snapshots on disk, newest first (a file from an earlier release last)."""
        if self.directory is None or not self.directory.is_dir():
            return []
        named = [(int(m.group(1)), p) for p in self.directory.iterdir() if (m := SNAPSHOT.fullmatch(p.name))]
        legacy = [self.directory / STATE_FILE] if (self.directory / STATE_FILE).is_file() else []
        return [p for _, p in sorted(named, reverse=True)] + legacy

    def restore(self) -> dict[str, Any] | None:
        """The newest intact payload with its "step", RNG states restored; None to start afresh."""
        damaged = []
        state = None
        for path in self.snapshots():
            problem = _problem(path)
            if problem is None:
                try:
                    state = _load(path)
                    break
                except Exception as exc:
                    problem = f"cannot be loaded ({_first_line(exc)})"
            path.rename(path.with_name(path.name + ".damaged"))
            damaged.append(f"training snapshot {path} {problem}: set aside as {path.name}.damaged")
        resumed = f"resuming from step {int(state['step'])}" if state is not None else "training from the start"
        self.notes += [f"{line}; {resumed}" for line in damaged]
        if state is None:
            return None
        _set_rng_states(state.pop("_rng", {}))
        self.resumed_from = self._last_step = int(state["step"])
        self._last_time = time.monotonic()
        return state

    def due(self, step: int) -> bool:
        """Whether a snapshot at `step` is due (the step or time interval has passed)."""
        if self.directory is None:
            return False
        if self.every_steps is not None and step - self._last_step >= self.every_steps:
            return True
        return self.every_s is not None and time.monotonic() - self._last_time >= self.every_s

    def maybe_save(self, step: int, payload: Callable[[], Mapping[str, Any]]) -> bool:
        """Call after every optimiser step; `payload()` is only built when a snapshot is due."""
        if not self.due(step):
            return False
        self.save(step, payload())
        return True

    def save(self, step: int, payload: Mapping[str, Any]) -> None:
        """Write `{**payload, "step": step}` atomically, named by its hash; keep the one before it."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        state = {**payload, "step": int(step), "_rng": _rng_states()}
        staging = self.directory / f".{STATE_FILE}.{uuid.uuid4().hex[:6]}.tmp"
        _dump(state, staging)
        os.replace(staging, self.directory / f"state-{int(step):09d}-{sha256(staging)}.pt")
        for old in self.snapshots()[KEEP:]:
            old.unlink(missing_ok=True)
        self._last_step, self._last_time = step, time.monotonic()

    def clear(self) -> None:
        """Delete the snapshot: the runner calls it once the final model is saved."""
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def sha256(path: Path) -> str:
    """The hex sha256 of a file's contents."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def seal(directory: Path, about: Mapping[str, Any] | None = None) -> None:
    """Mark a saved checkpoint folder complete: a manifest of each file's size and sha256, with
    `about` (what was trained), written after every file is."""
    files = {str(p.relative_to(directory)): {"sha256": sha256(p), "bytes": p.stat().st_size} for p in _files(directory)}
    data = {**(about or {}), "created": datetime.now(UTC).isoformat(timespec="seconds"), "files": files}
    (directory / MANIFEST).write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def manifest(directory: Path) -> dict[str, Any]:
    """A sealed folder's manifest; {} for one an earlier release left empty, or an unreadable one."""
    try:
        data = json.loads((directory / MANIFEST).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def verify(directory: Path) -> str | None:
    """What is wrong with a sealed folder, naming the file; None when every file matches its hash.

    A manifest an earlier release left empty holds no hashes: such a folder is trusted until its
    load fails (`load_sealed`)."""
    path = directory / MANIFEST
    try:
        text = path.read_text()
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not text.strip():
        return None
    try:
        files = json.loads(text)["files"]
        expected_files = sorted(files.items())
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{path} is not a checkpoint manifest"
    for name, expected in expected_files:
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


def load_sealed(directory: Path, load: Callable[[Path], None], notes: list[str], then: str = "training again") -> bool:
    """Load a sealed checkpoint folder through `load` (a model's own); True when it loaded.

    Its files are checked against their hashes first. A folder that fails the check, or whose
    `load` raises, is renamed aside (`NAME.damaged-TIME`: never deleted, it may be all that is left
    of a long training) with one line in `notes` naming the file and saying `then` what happens;
    the caller trains again. A load also stamps the manifest's time: `harness checkpoints prune
    --older-than` counts from a checkpoint's last use.
    """
    problem = verify(directory)
    if problem is None:
        try:
            load(directory)
            os.utime(directory / MANIFEST)
            return True
        except Exception as exc:
            files = _files(directory)
            problem = f"{files[0] if len(files) == 1 else directory} cannot be loaded ({_first_line(exc)})"
    aside = _set_aside(directory)
    notes.append(f"checkpoint {problem}: moved aside to {aside.name}; {then}")
    return False


def _set_aside(directory: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = directory.with_name(f"{directory.name}{DAMAGED}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = directory.with_name(f"{directory.name}{DAMAGED}{stamp}-{n}")
    directory.rename(target)
    return target


def _first_line(exc: BaseException, limit: int = 120) -> str:
    line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {line if len(line) <= limit else line[: limit - 3] + '...'}"


def _rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {"python": random.getstate()}
    if "numpy" in sys.modules:
        states["numpy"] = sys.modules["numpy"].random.get_state()
    if "torch" in sys.modules:
        states["torch"] = sys.modules["torch"].get_rng_state()
    return states


def _set_rng_states(states: Mapping[str, Any]) -> None:
    if "python" in states:
        random.setstate(states["python"])
    if "numpy" in states:
        import numpy as np

        np.random.set_state(states["numpy"])
    if "torch" in states:
        import torch

        torch.set_rng_state(states["torch"])


def _problem(path: Path) -> str | None:
    """What is wrong with a snapshot file whose name carries its hash, or None."""
    match = SNAPSHOT.fullmatch(path.name)
    try:
        if match is not None and sha256(path) != match.group(2):
            return "does not match the sha256 in its name"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


def _dump(state: Mapping[str, Any], path: Path) -> None:
    if "torch" in sys.modules:  # tensors, optimiser states: torch's own format
        sys.modules["torch"].save(dict(state), path)
    else:
        with path.open("wb") as handle:
            pickle.dump(dict(state), handle)


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic[:1] == b"\x80":  # a plain pickle (written without torch)
        with path.open("rb") as handle:
            loaded: dict[str, Any] = pickle.load(handle)
            return loaded
    import torch

    # Our own file under the harness home, written by torch.save above: full unpickling is needed
    # for RNG states and optimiser state.
    state: dict[str, Any] = torch.load(path, weights_only=False)
    return state


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op thread count for one block (restored after); 0 or None keeps torch's own.

    Models make it a `threads` argument (default 1, recorded in the config): on small networks
    and shared CPUs a second OpenMP thread spin-waiting for the first made steps slower, not faster.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count or before)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# -- early stopping, training budgets, learning curves ------------------------------------------

#: Why a training loop stopped, as recorded with the run: its validation metric stopped improving
#: (`patience`), it ran every step it was configured for (`max_steps`), or `--train-budget` ran out.
STOP_REASONS = ("patience", "max_steps", "budget")
ENV_BUDGET = "HARNESS_TRAIN_BUDGET"
#: The learning curve's file in a sealed checkpoint folder, and its run artifact's name.
CURVE_FILE = "learning-curve.json"
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)")


def parse_duration(text: str, what: str = "--train-budget") -> float:
    """Seconds from `90s`, `10m`, `1.5h` or a bare number of seconds; a `ConfigError` naming `what`
    unless it is a positive duration."""
    match = _DURATION.fullmatch(str(text).strip().lower())
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"] if match else 0.0
    if not seconds > 0:
        raise ConfigError(f"{what}: expected a positive duration such as 90s, 10m or 1.5h, got {text!r}")
    return seconds


def budget_from_env() -> float | None:
    """Seconds from `HARNESS_TRAIN_BUDGET`, or None when it is not set."""
    raw = os.environ.get(ENV_BUDGET, "").strip()
    return parse_duration(raw, ENV_BUDGET) if raw else None


def carve_validation(
    rows: list[Any], fraction: float, seed: int, group: Callable[[Any], Any] | None = None
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Hold out a seeded share of the training rows for early stopping: `(train, validation, record)`.

    The same rows, fraction and seed always hold out the same rows. With `group` (a row's table, a
    document), whole groups are held out, so the validation score says how the model does on groups
    it never saw. No validation rows when `fraction` is 0 or there are too few groups to spare one.
    `record` says what was held out; it is kept with the learning curve.
    """
    keys = [group(r) if group is not None else i for i, r in enumerate(rows)]
    try:
        distinct = sorted(set(keys))
    except TypeError:  # keys of mixed types
        distinct = sorted(set(keys), key=repr)
    n_held = round(len(distinct) * fraction)
    if fraction <= 0 or n_held < 1 or n_held >= len(distinct):
        return list(rows), [], {"source": "none", "rows": 0}
    held = set(random.Random(seed).sample(distinct, n_held))
    train = [r for r, k in zip(rows, keys, strict=True) if k not in held]
    validation = [r for r, k in zip(rows, keys, strict=True) if k in held]
    record = {"source": "carved from train", "fraction": fraction, "seed": seed, "rows": len(validation)}
    if group is not None:
        record["groups"] = n_held
    return train, validation, record


class EarlyStopping:
    """Evaluate a validation metric every `every` steps, keep the best weights, stop after `patience`
    evaluations without improvement, at `max_steps`, or when the training budget runs out.

    A `fit` loop gets one from `ctx.early_stopping(...)` and calls `update` after each optimiser step::

        stop = ctx.early_stopping("val_loss", higher_is_better=False, every=50, patience=4, max_steps=steps)
        for step in range(stop.step, steps):
            loss = train_one_step()
            if stop.update(step + 1, loss, validate=val_loss, state=net.state_dict):
                break
        net.load_state_dict(stop.best_state)

    `validate()` returns the metric; `state()` the weights to keep when it is the best so far (copied
    here). The learning curve -- step, mean training loss since the previous point, validation
    value -- is kept as data: the runner stores it with the checkpoint and as the run's
    `learning-curve.json` artifact. `state_dict()` / `load_state_dict()` carry it all through a
    training snapshot, so a resumed run stops where an uninterrupted one would.
    """

    def __init__(
        self,
        metric: str,
        higher_is_better: bool,
        every: int,
        patience: int,
        max_steps: int,
        budget_s: float | None = None,
        validation: Mapping[str, Any] | None = None,
        min_delta: float = 0.0,
    ) -> None:
        if every < 1 or patience < 0 or max_steps < 1:
            got = f"every={every}, patience={patience}, max_steps={max_steps}"
            raise ConfigError(f"early stopping needs every >= 1, patience >= 0, max_steps >= 1 (got {got})")
        self.metric, self.higher_is_better = metric, higher_is_better
        self.every, self.patience, self.max_steps = every, patience, max_steps
        self.budget_s, self.min_delta = budget_s, min_delta
        self.validation = dict(validation or {})
        #: The step to continue from (0, or where a restored snapshot left off).
        self.step = 0
        self.curve: list[dict[str, Any]] = []
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.best_state: Any = None
        self.stopped: str | None = None
        #: Which loop this is when `fit` trains several in turn (set by `RunContext.early_stopping`).
        self.stage = ""
        self._bad = 0
        self._losses: list[float] = []
        self._spent = 0.0
        self._started = time.monotonic()
        self._ended: float | None = None  # the training seconds when the loop stopped

    def elapsed(self) -> float:
        """Seconds of training so far, earlier attempts of a resumed run included."""
        return self._spent + time.monotonic() - self._started

    def _better(self, value: float) -> bool:
        if self.best_value is None:
            return True
        if self.higher_is_better:
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def update(
        self,
        step: int,
        loss: float | None,
        validate: Callable[[], float | None],
        state: Callable[[], Any] | None = None,
    ) -> bool:
        """Record step `step`'s training loss; evaluate when due; True when training should stop.

        `validate` may return None (no validation rows): the curve then holds the training loss only,
        no weights are kept and only `max_steps` or the budget stop the loop."""
        self.step = step
        if loss is not None:
            self._losses.append(float(loss))
        over_budget = self.budget_s is not None and self.elapsed() >= self.budget_s
        last = step >= self.max_steps
        if step % self.every == 0 or last or over_budget:
            self.evaluate(step, validate(), state)
            if self.patience and self._bad >= self.patience:
                self.stopped = "patience"
        if self.stopped is None and over_budget:
            self.stopped = "budget"
        if self.stopped is None and last:
            self.stopped = "max_steps"
        if self.stopped is not None and self._ended is None:
            self._ended = self.elapsed()
        return self.stopped is not None

    def evaluate(self, step: int, value: float | None, state: Callable[[], Any] | None = None) -> None:
        """Add a point to the learning curve; keep a copy of `state()` when `value` is the best so far."""
        import copy

        losses, self._losses = self._losses, []
        point = {
            "step": step,
            "train_loss": sum(losses) / len(losses) if losses else None,
            self.metric: None if value is None else float(value),
        }
        self.curve.append(point)
        if value is None:
            return
        if self._better(float(value)):
            self.best_value, self.best_step, self._bad = float(value), step, 0
            if state is not None:
                self.best_state = copy.deepcopy(state())
        else:
            self._bad += 1

    def stop(self, reason: str) -> None:
        """Record why training ended when the loop ends another way (one of `STOP_REASONS`)."""
        if reason not in STOP_REASONS:
            raise ValueError(f"unknown stop reason {reason!r} (one of {', '.join(STOP_REASONS)})")
        self.stopped = reason
        if self._ended is None:
            self._ended = self.elapsed()

    def record(self) -> dict[str, Any]:
        """What the run stores: how training stopped, its best step, and the learning curve."""
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "every": self.every,
            "patience": self.patience,
            "max_steps": self.max_steps,
            "budget_s": self.budget_s,
            "stopped": self.stopped,
            "steps": self.step,
            "best_step": self.best_step,
            "best_value": self.best_value,
            "seconds": round(self._ended if self._ended is not None else self.elapsed(), 3),
            "validation": self.validation,
            "curve": self.curve,
        }

    def state_dict(self) -> dict[str, Any]:
        """Everything `load_state_dict` needs to continue after a resume (for a training snapshot)."""
        keys = ("step", "curve", "best_value", "best_step", "best_state", "stopped", "_bad", "_losses", "_ended")
        return {**{k: getattr(self, k) for k in keys}, "_spent": self.elapsed()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from `state_dict()` as a snapshot restored it: the curve, the best weights, the time spent."""
        for key, value in state.items():
            setattr(self, key, value)
        self._started = time.monotonic()
