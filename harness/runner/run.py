"""Runs one (task, model + config, dataset split, seed, limit), with caching and resume.

The run key hashes everything that determines a run's result. A finished run with the same
key is returned as is (`cached`); an unfinished one (killed, or failed) is resumed: samples
already stored are skipped, and metrics are computed over all stored samples in dataset
order, so a resumed run ends with exactly the metrics of an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import random
import shutil
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.api import ConfigError, DataError, Model, Row, Task
from harness.context import RunContext
from harness.names import suggest, unknown_name
from harness.plugins.registry import Registry, call_lifecycle
from harness.progress import progress_bar
from harness.records import Artifact, RunRecord, SampleRecord, to_json
from harness.runner import checkpoints, fingerprints, predictions
from harness.runner.provenance import git_state, interpreter, package_versions
from harness.runner.scoring import Scorer
from harness.runner.text import DESCRIPTIONS as USAGE_DESCRIPTIONS
from harness.runner.text import text_context, usage_metrics
from harness.runner.threads import run_blas_threads
from harness.store import RunStore, StoreError, utcnow
from harness.store.errors import disk_full
from harness.training import CURVE_FILE, MANIFEST, budget_from_env, interval_from_env, load_sealed, seal

#: `RunRequest.train_data` value (`--train-data embedded`): train on the task's embedded default.
EMBEDDED = "embedded"


@dataclass
class RunRequest:
    task: str
    model: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)
    split: str | None = None
    limit: int | None = None
    seed: int = 0
    data_dir: Path | None = None
    #: What a model that trains learns from: None (the evaluation data: `data_dir`, or the
    #: embedded default), EMBEDDED, or another directory in the task's real format.
    train_data: Path | str | None = None
    overwrite: bool = False
    #: False (`--no-cache`): a model that sends requests sends them again instead of reading
    #: stored answers (the new answers are stored).
    request_cache: bool = True
    #: `--train-budget` in seconds: the wall time a model's `fit` may take (None: no budget, or
    #: `HARNESS_TRAIN_BUDGET` for models that train). Part of the run and checkpoint keys when set.
    train_budget: float | None = None

    def budget(self, trains: bool) -> float | None:
        """The training budget in force: `train_budget`, else `HARNESS_TRAIN_BUDGET` for a model that trains."""
        if not trains:
            return None
        return self.train_budget if self.train_budget is not None else budget_from_env()

    def train_dir(self) -> Path | None:
        if self.train_data is None:
            return self.data_dir
        return None if self.train_data == EMBEDDED else Path(self.train_data)


@dataclass
class TrainData:
    """The rows a model trains on, with the name and fingerprint recorded on the run."""

    rows: list[dict[str, Any]]
    dataset: str
    #: Of the train rows, and of the validation rows too when there are any (they decide which
    #: weights are kept, so they decide the result as much as the train rows).
    fingerprint: str
    #: The task's validation split (`Task.validation_split`) from the same source, when it has one.
    validation: list[dict[str, Any]] | None = None


@dataclass
class Prepared:
    """A planned request with its data loaded and its run key computed (`Runner.prepare`)."""

    task: Task
    model: Model
    split: str
    rows: list[dict[str, Any]]
    ids: list[str]
    key_fields: dict[str, Any]
    run_key: str
    train: TrainData | None = None


@dataclass
class RunOutcome:
    run: RunRecord
    cached: bool
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = self.run.as_json(cached=self.cached)
        data["warnings"] = self.warnings
        return data


def resolve_tasks(registry: Registry, name: str) -> list[str]:
    """A task name, or a group name standing for all its tasks."""
    if name in registry.tasks:
        return [name]
    groups = registry.groups()
    if name in groups:
        return groups[name]
    raise unknown_name("task", name, sorted(set(registry.tasks) | set(groups)), registry.broken_hint())


def resolve_model(registry: Registry, task: type[Task], name: str | None) -> type[Model]:
    name = name or task.default_model
    serving = registry.models_for(task)
    if name not in registry.models:
        raise ConfigError(f"unknown model {name!r} for task {task.name!r}{suggest(name, serving or list(registry.models))}")
    model = registry.models[name].obj
    if not model.serves(task):
        what = f": it serves {model.serves_what}" if model.serves_what else ""
        raise ConfigError(
            f"model {name!r} does not serve task {task.name!r}{what} (models for it: {', '.join(serving) or 'none'})"
        )
    return model


def parse_model_args(pairs: Sequence[str]) -> dict[str, str]:
    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--model-arg expects key=value, got {pair!r}")
        args[key.strip()] = value
    return args


def fingerprint(rows: Sequence[Row]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(to_json(dict(row)).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _hash(value: Any) -> str:
    return hashlib.sha256(to_json(value).encode()).hexdigest()[:20]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def load_split(task: Task, split: str, data_dir: Path | None, option: str = "--data-dir") -> list[dict[str, Any]]:
    if split not in task.splits:
        raise ConfigError(f"task {task.name!r} has no split {split!r} (splits: {', '.join(task.splits)})")
    if data_dir is not None and not data_dir.is_dir():
        raise DataError(f"{option} {data_dir} is not a directory")
    rows = [dict(row) for row in task.load(split, data_dir)]
    if not rows:
        raise DataError(f"task {task.name!r}: split {split!r} is empty" + (f" in {data_dir}" if data_dir else ""))
    return rows


class Runner:
    def __init__(self, registry: Registry, store: RunStore, run_end_hooks: bool = True) -> None:
        self.registry = registry
        self.store = store
        # A sweep's worker computes a run its driver stores later: the driver calls `on_run_end`
        # then, so that loggers see the run as stored (harness.sweep.driver).
        self.run_end_hooks = run_end_hooks

    def plan(self, request: RunRequest) -> tuple[Task, Model, str]:
        """Check the request without touching data or the store: errors here write nothing."""
        if request.task not in self.registry.tasks:
            resolve_tasks(self.registry, request.task)  # raises with suggestions
            raise ConfigError(f"{request.task!r} is a group: run its tasks one by one")
        task: Task = self.registry.tasks[request.task].obj()
        model = resolve_model(self.registry, type(task), request.model)(**request.model_args)
        model.bind(task)
        split = request.split or task.default_split
        if split not in task.splits:
            raise ConfigError(f"task {task.name!r} has no split {split!r} (splits: {', '.join(task.splits)})")
        if request.limit is not None and request.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {request.limit}")
        if model.trains:
            interval_from_env()  # a bad HARNESS_CHECKPOINT_EVERY fails here, before any work
            request.budget(True)  # and a bad HARNESS_TRAIN_BUDGET
        if request.train_budget is not None:
            if not model.trains:
                raise ConfigError(f"--train-budget: model {model.name!r} does not train (it applies to models that do)")
            if not request.train_budget > 0:
                raise ConfigError(f"--train-budget must be a positive duration, got {request.train_budget} s")
        if request.train_data is not None:
            if not model.trains:
                raise ConfigError(f"--train-data: model {model.name!r} does not train (it applies to models that do)")
            if task.train_split is None:
                raise ConfigError(f"--train-data: task {task.name!r} has no train split")
        if not 0 <= request.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be between 0 and 2^63-1 ({MAX_SEED}), got {request.seed}")
        return task, model, split

    def prepare(self, request: RunRequest) -> Prepared:
        """Plan the request and load its data: everything up to the run key, nothing stored.

        `harness sweep` calls this in the driver to know which runs are already finished
        before it hands the others to workers.
        """
        task, model, split = self.plan(request)
        # A broken schema fails before any work; checked here, not in `plan`, so that a cached
        # re-run answers without importing jsonschema.
        predictions.validator(task.name, type(task).prediction_schema)
        task_entry = self.registry.tasks[task.name]
        plugin_version = self.registry.plugins[task_entry.plugin].version
        rows = load_split(task, split, request.data_dir)
        if request.limit is not None:
            rows = rows[: request.limit]
        ids = [task.sample_id(row, i) for i, row in enumerate(rows)]
        if len(set(ids)) != len(ids):
            dup = Counter(ids).most_common(1)[0][0]
            first, second = [i + 1 for i, sample_id in enumerate(ids) if sample_id == dup][:2]
            where = (
                f"--data-dir {request.data_dir}"
                if request.data_dir is not None
                else f"the embedded dataset {task.embedded_dataset or task.name + '-embedded'}"
            )
            raise DataError(
                f"task {task.name!r}: sample id {dup!r} occurs more than once in split {split!r} of "
                f"{where} (samples {first} and {second}, counting from 1): give each sample its own id"
            )

        train = self._train_data(task, model, request, plugin_version)
        rows_fingerprint = fingerprint(rows)
        if request.data_dir is None:
            fingerprints.remember(type(task), plugin_version, split, request.limit, rows_fingerprint)
        key_fields = self._key_fields(
            task, model, split, request, rows_fingerprint, (train.dataset, train.fingerprint) if train is not None else None
        )
        return Prepared(task, model, split, rows, ids, key_fields, _hash(key_fields), train)

    def cached(self, request: RunRequest) -> RunRecord | None:
        """The finished run a request would return, found from cached fingerprints of embedded data
        without loading it (fingerprints.py); None when the data must be read to know."""
        key = self.quick_key(request)
        return self._finished(key) if key is not None else None

    def quick_key(self, request: RunRequest) -> str | None:
        """The request's run key from cached fingerprints of embedded data, without loading it; None
        when the data must be read to know. Only for finding a finished run: a run that evaluates
        loads its rows and computes the key from them (`prepare`)."""
        task, model, split = self.plan(request)
        plugin_version = self.registry.plugins[self.registry.tasks[task.name].plugin].version
        quick = self._quick_key(task, model, split, request, plugin_version)
        return _hash(quick) if quick is not None else None

    def run(self, request: RunRequest) -> RunOutcome:
        hit = self.cached(request)
        if hit is not None:  # a cached re-run answers without regenerating the embedded data
            return RunOutcome(hit, cached=True)
        prepared = self.prepare(request)
        task, model, rows, ids = prepared.task, prepared.model, prepared.rows, prepared.ids
        run_key, train = prepared.run_key, prepared.train
        previous = self.store.runs(run_key=run_key) if self.store.exists() else []
        finished = [r for r in previous if r.status == "finished"]
        if finished and not request.overwrite:
            return RunOutcome(finished[0], cached=True)

        model.preflight(task)  # a server that cannot answer is a one-line error, before anything is stored
        resumable = [r for r in previous if r.status != "finished"]
        if resumable and not request.overwrite:
            run = resumable[0]
            self.store.mark_running(run.run_id)
            run.status, run.error = "running", None
            clock = _Clock(run.duration_s or 0.0)  # compute time of earlier attempts, not the gap since
        else:
            run = self.new_run(prepared, request)
            self.store.insert_run(run)
            clock = _Clock(0.0)
        warnings = call_lifecycle(self.registry, "on_run_start", run=run)
        replaces = [r.run_id for r in previous if r.run_id != run.run_id] if request.overwrite else []
        artifacts: list[Artifact] = []
        try:
            with run_blas_threads():  # the same numbers under every executor (harness/runner/threads.py)
                training = self._evaluate(task, model, run, rows, ids, request, train, clock, warnings)
                notes, artifacts = self._finish(task, run, replaces, clock, training)
            warnings += notes
        except Exception as exc:
            if (full := disk_full(exc)) is not None:  # not the run's failure: it resumes once there is room
                with contextlib.suppress(StoreError):
                    self.store.mark_interrupted(run.run_id, clock.elapsed())
                raise full from exc
            run.status = "failed"
            run.error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
            run.finished_at = utcnow()
            run.duration_s = clock.elapsed()
            run.metrics = []
            self.store.finish_run(run)
        except BaseException:  # Ctrl-C or SystemExit: resumable, and shown as such rather than `running`
            self.store.mark_interrupted(run.run_id, clock.elapsed())
            raise
        if self.run_end_hooks:
            warnings += call_lifecycle(self.registry, "on_run_end", run=run, artifacts={a.name: a for a in artifacts})
        return RunOutcome(run, cached=False, warnings=warnings)

    def _key_fields(
        self, task: Task, model: Model, split: str, request: RunRequest, rows_fingerprint: str, train: tuple[str, str] | None
    ) -> dict[str, Any]:
        """Everything that determines a run's result; hashed into its run key."""
        from harness import __version__

        plugins = self.registry.plugins
        model_plugin = self.registry.models[type(model).name].plugin
        key_fields: dict[str, Any] = {
            "task": task.name,
            "task_version": task.version,
            "model": type(model).name,
            "config": model.config,
            "dataset": task.dataset_name(request.data_dir),
            "fingerprint": rows_fingerprint,
            "split": split,
            "limit": request.limit,
            "seed": request.seed,
            "harness": __version__,
            "plugin": plugins[self.registry.tasks[task.name].plugin].version,
            "model_plugin": plugins[model_plugin].version,
        }
        if train is not None:  # what a trained model learnt from decides its result too
            key_fields["train"] = {"dataset": train[0], "fingerprint": train[1]}
        budget = request.budget(model.trains)
        if budget is not None:  # a budget-truncated model is another result; absent, keys are as before
            key_fields["train_budget_s"] = budget
        return key_fields

    def _quick_key(
        self, task: Task, model: Model, split: str, request: RunRequest, plugin_version: str | None
    ) -> dict[str, Any] | None:
        """The run key from cached fingerprints of embedded data, or None when data must be read."""
        if request.data_dir is not None or request.overwrite:
            return None
        known = fingerprints.lookup(type(task), plugin_version, split, request.limit)
        train = None
        if model.trains:
            if request.train_dir() is not None or task.train_split is None:
                return None
            train_fingerprint = fingerprints.lookup(type(task), plugin_version, task.train_split, None)
            if train_fingerprint is None:
                return None
            train = (task.dataset_name(None), train_fingerprint)
        return None if known is None else self._key_fields(task, model, split, request, known, train)

    def _finished(self, run_key: str) -> RunRecord | None:
        if not self.store.exists():
            return None
        return next((r for r in self.store.runs(run_key=run_key) if r.status == "finished"), None)

    def new_run(self, prepared: Prepared, request: RunRequest) -> RunRecord:
        """The record of a run of `prepared` starting now (`running`, with its provenance), not yet stored."""
        from harness import __version__

        task, model, split, key_fields = prepared.task, prepared.model, prepared.split, prepared.key_fields
        task_plugin = self.registry.plugins[self.registry.tasks[task.name].plugin]
        model_plugin = self.registry.plugins[self.registry.models[model.name].plugin]
        commit, dirty = git_state(task_plugin.module)
        python, platform = interpreter()
        distributions = tuple(sorted(filter(None, {task_plugin.distribution, model_plugin.distribution})))
        return RunRecord(
            run_id=uuid.uuid4().hex[:12],
            task=task.name,
            task_version=task.version,
            model=model.name,
            model_config=model.config,
            dataset=key_fields["dataset"],
            split=split,
            data_fingerprint=key_fields["fingerprint"],
            seed=request.seed,
            sample_limit=request.limit,
            run_key=prepared.run_key,
            status="running",
            started_at=utcnow(),
            plugin=task_plugin.name,
            plugin_version=task_plugin.version,
            model_plugin=model_plugin.name,
            model_plugin_version=model_plugin.version,
            harness_version=__version__,
            git_commit=commit,
            train_dataset=key_fields.get("train", {}).get("dataset"),
            train_fingerprint=key_fields.get("train", {}).get("fingerprint"),
            git_dirty=dirty,
            python=python,
            platform=platform,
            packages=package_versions(distributions),
        )

    def _evaluate(
        self,
        task: Task,
        model: Model,
        run: RunRecord,
        rows: list[dict],
        ids: list[str],
        request: RunRequest,
        train: TrainData | None,
        clock: _Clock,
        notes: list[str],
    ) -> dict[str, Any] | None:
        """Train or load the model when it trains, then predict and score every sample not yet stored;
        returns how its training ended (`RunContext.training_record`), None for a model that does not train."""
        seed_everything(request.seed)
        reads_train = task.train_split is not None and task.text is not None
        train_rows = functools.partial(load_split, task, str(task.train_split), request.train_dir()) if reads_train else None
        ctx = RunContext(
            task=task.name,
            seed=request.seed,
            train_budget_s=request.budget(model.trains),
            **text_context(task, self.store, request.request_cache, train_rows),
        )
        with ExitStack() as using:
            if train is not None:  # the checkpoint stays in use (safe from prune) until the last prediction
                using.enter_context(checkpoints.in_use(model.name, self._checkpoint_key(task, model, request, train)))
                try:
                    self._fit(task, model, ctx, request, train)
                finally:
                    notes.extend(ctx.notes)
            self._predict(task, model, run, rows, ids, request, ctx, clock)
        return ctx.training_record()

    def _predict(
        self,
        task: Task,
        model: Model,
        run: RunRecord,
        rows: list[dict],
        ids: list[str],
        request: RunRequest,
        ctx: RunContext,
        clock: _Clock,
    ) -> None:
        done = self.store.sample_ids(run.run_id)
        todo = [i for i, sample_id in enumerate(ids) if sample_id not in done]
        scorer = Scorer(self.registry, task)
        checker = predictions.validator(task.name, type(task).prediction_schema)
        unchecked = predictions.CHECKED
        batch_size = max(1, int(type(model).batch_size))
        seed_everything(request.seed)
        pending: list[SampleRecord] = []
        flushed = time.monotonic()

        def flush() -> None:
            nonlocal pending, flushed
            if pending:
                self.store.add_samples(run.run_id, pending, duration_s=clock.elapsed())
            pending, flushed = [], time.monotonic()

        with progress_bar(f"{task.name} · {model.name}", total=len(ids)) as advance:
            advance(len(ids) - len(todo))
            try:
                for start in range(0, len(todo), batch_size):
                    chunk = todo[start : start + batch_size]
                    inputs = [task.input(rows[i]) for i in chunk]
                    outputs = model.predict(inputs, ctx)
                    if len(outputs) != len(chunk):
                        raise RuntimeError(
                            f"model {model.name!r} returned {len(outputs)} predictions for a batch of {len(chunk)}"
                        )
                    if unchecked > 0:
                        predictions.check(
                            checker, task.name, model.name, [ids[i] for i in chunk[:unchecked]], outputs[:unchecked]
                        )
                        unchecked -= len(chunk)
                    traces = ctx.take_traces(len(chunk))
                    for i, inp, pred, trace in zip(chunk, inputs, outputs, traces, strict=True):
                        ref = task.reference(rows[i])
                        scores = scorer.score(pred, ref, inp, ids[i])
                        pending.append(SampleRecord(ids[i], i, inp, pred, ref, scores, dict(scorer.versions), trace))
                    if time.monotonic() - flushed >= self.store.samples_every_s:
                        flush()
                    advance(len(chunk))
            finally:
                flush()  # what was predicted before a failure or an interrupt is kept for the resumption

    def _train_data(self, task: Task, model: Model, request: RunRequest, plugin_version: str | None) -> TrainData | None:
        if not model.trains:
            return None
        if task.train_split is None:
            raise ConfigError(f"model {model.name!r} trains, but task {task.name!r} has no train split")
        directory = request.train_dir()
        option = "--train-data" if request.train_data else "--data-dir"
        rows = load_split(task, task.train_split, directory, option)
        held = task.validation_split
        if held is None or not task.has_split(held, directory):
            train = TrainData(rows, task.dataset_name(directory), fingerprint(rows))
        else:
            validation = load_split(task, held, directory, option)
            both = hashlib.sha256(f"{fingerprint(rows)} {held} {fingerprint(validation)}".encode()).hexdigest()[:16]
            train = TrainData(rows, task.dataset_name(directory), both, validation)
        if directory is None:
            fingerprints.remember(type(task), plugin_version, task.train_split, None, train.fingerprint)
        return train

    def _checkpoint_key(self, task: Task, model: Model, request: RunRequest, train: TrainData) -> str:
        budget = request.budget(model.trains)
        return checkpoints.key(model.name, model.config, train.fingerprint, request.seed, task.name, task.version, budget)

    def _fit(self, task: Task, model: Model, ctx: RunContext, request: RunRequest, train: TrainData) -> None:
        """Load the model's checkpoint, or train and save it; a damaged one is set aside and retrained."""
        key = self._checkpoint_key(task, model, request, train)
        directory = checkpoints.folder(model.name, key)
        ctx.checkpoint_dir = directory
        from filelock import FileLock

        # Runs in other processes (a sweep's workers) may need the same checkpoint: the first
        # trains it under the lock, the others wait and load it instead of training it again.
        with FileLock(str(checkpoints.locks() / f"checkpoint-{model.name}-{key}.lock")):
            then = f"training {model.name} again"
            if (directory / MANIFEST).exists() and load_sealed(directory, model.load, ctx.notes, then):
                if ctx.training is None and (directory / CURVE_FILE).is_file():
                    ctx.training = json.loads((directory / CURVE_FILE).read_text(encoding="utf-8"))
                return
            about = {
                "model": model.name,
                "config": model.config,
                "task": task.name,
                "task_version": task.version,
                "seed": request.seed,
                "train_dataset": train.dataset,
                "train_fingerprint": train.fingerprint,
            }
            if ctx.train_budget_s is not None:
                about["train_budget_s"] = ctx.train_budget_s
            self._train(model, train, ctx, directory, key, about)

    def _train(self, model: Model, train: TrainData, ctx: RunContext, directory: Path, key: str, about: dict[str, Any]) -> None:
        # Snapshots of an unfinished `fit` live beside the final checkpoint until it is saved.
        ctx.training_dir = directory.with_name(f"{key}{checkpoints.PARTIAL}")
        ctx.fit_started = time.monotonic()
        ctx.validation = train.validation
        model.fit(train.rows, ctx)
        staging = directory.with_name(f"{key}{checkpoints.STAGING}{uuid.uuid4().hex[:6]}")
        try:
            staging.mkdir(parents=True)
            model.save(staging)
            record = ctx.training_record()
            if record is not None:  # a later run that loads this checkpoint stores the same curve
                (staging / CURVE_FILE).write_text(json.dumps(record, default=str), encoding="utf-8")
            seal(staging, about)
        except Exception as exc:  # a full disk, most often: keep no part-written checkpoint
            shutil.rmtree(staging, ignore_errors=True)
            if (full := disk_full(exc, staging)) is not None:
                raise full from exc
            raise RuntimeError(f"could not save the checkpoint in {directory}: {type(exc).__name__}: {exc}") from exc
        shutil.rmtree(directory, ignore_errors=True)
        staging.rename(directory)
        shutil.rmtree(ctx.training_dir, ignore_errors=True)

    def _finish(
        self, task: Task, run: RunRecord, replaces: list[str], clock: _Clock, training: dict[str, Any] | None = None
    ) -> tuple[list[str], list[Artifact]]:
        """Metrics, artifacts (the learning curve of a model that trained among them), and what the
        database needs to rank the run anywhere; returns the notes for the user and the artifacts stored."""
        scorer = Scorer(self.registry, task)
        scores = self.store.sample_scores(run.run_id)
        run.metrics, notes = scorer.summarise(scores, run.seed)
        run.metrics += usage_metrics(self.store.sample_traces(run.run_id))
        # Whole samples are read back only for tasks that build run-level artifacts from them.
        wants_samples = type(task).artifacts is not Task.artifacts
        artifacts = list(task.artifacts(self.store.samples(run.run_id))) if wants_samples else []
        if training is not None:
            artifacts.append(Artifact(CURVE_FILE, "application/json", json.dumps(training, default=str).encode()))
        run.status = "finished"
        run.finished_at = utcnow()
        run.duration_s = clock.elapsed()
        run.n_samples = len(scores)
        descriptions = {**scorer.descriptions, **USAGE_DESCRIPTIONS}
        self.store.finish_run(run, artifacts, replaces, board=self._board(task.name), descriptions=descriptions)
        return notes, artifacts

    def _board(self, task: str) -> dict[str, Any] | None:
        """How this machine ranks the task (stored with the run, so other machines rank it the same)."""
        from harness.leaderboard.ranking import resolved_board

        try:
            return resolved_board(self.registry, task)
        except ConfigError:
            return None  # a broken definition file is reported by `harness leaderboard`, not by a run


MAX_SEED = 2**63 - 1  # the seed is stored as a signed 64-bit integer


class _Clock:
    """A run's compute time: what earlier attempts spent plus this attempt's time so far."""

    def __init__(self, before: float) -> None:
        self.before = before
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return self.before + time.monotonic() - self.start
