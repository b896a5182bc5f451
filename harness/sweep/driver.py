"""`harness sweep`: expand a grid into runs, hand them to an executor, store what comes back.

The driver (this module, in the process that runs `harness sweep`) is the results database's
only writer. It plans every run first (unknown names, bad argument values and unreadable data
fail before anything runs), skips runs already finished (same run key), gives unfinished ones
their stored id back so they are replaced rather than duplicated, then collects the workers'
results and imports them with `harness.store.transfer.import_runs` in batches: one transaction for
every result that arrived in the last `FLUSH_S` seconds, which is what lets one writer keep up
with many workers (docs/site/sweeps.md, for the measured ceiling).

Faults: a run whose model raises comes back `failed` and is stored so; a run whose worker dies
(`WorkerLost`) is resubmitted up to `retries` times, then stored as failed; Ctrl-C stores what
has finished and marks the sweep `interrupted` (raising `SweepInterrupted`, which says how far it
got). Running the same sweep again resumes it. Ctrl-C never cuts a write short: the driver's
transactions hold it until they commit, then take it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.api import ConfigError, Model
from harness.names import resolve_id, suggest
from harness.plugins.registry import Registry
from harness.records import RunRecord
from harness.runner.run import Runner, RunRequest, resolve_model, resolve_tasks
from harness.store import Store, StoreError, utcnow
from harness.sweep.spec import DEFAULT_RETRIES, SweepSpec
from harness.sweep.worker import FORWARDED_ENV, Job, RunResult, spool_dir, write_result

FLUSH_S = 0.5  # how long finished results may wait before the driver writes them (one transaction)
FLUSH_RUNS = 200  # ...or how many


@dataclass
class PlannedRun:
    request: RunRequest
    task: str
    model: str
    config: dict[str, Any]
    seed: int
    run_key: str
    label: str
    prepared: Any = None  # harness.runner.run.Prepared, for a failed record the driver writes itself
    run_id: str | None = None
    status: str = "pending"  # pending, finished, failed
    cached: bool = False
    duration_s: float | None = None
    error: str | None = None
    attempts: int = 0
    resume: RunRecord | None = None
    stored: list[dict[str, Any]] = field(default_factory=list)  # runs of this key in the database at planning
    replaces: list[str] = field(default_factory=list)  # --overwrite: deleted once this run is stored finished

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "task": self.task,
            "model": self.model,
            "model_config": self.config,
            "seed": self.seed,
            "run_key": self.run_key,
            "status": self.status,
            "cached": self.cached,
            "duration_s": self.duration_s,
            "attempts": self.attempts,
        }


@dataclass
class SweepReport:
    sweep_id: str
    name: str | None
    executor: str
    status: str
    runs: list[PlannedRun]
    wall_s: float = 0.0
    plan_s: float = 0.0  # expanding the grid, loading each task's data, looking up finished runs
    start_s: float = 0.0  # executor start-up (workers spawned, Ray started or reached)
    write_s: float = 0.0  # time the driver spent writing results
    writes: int = 0  # write transactions
    resumed: bool = False
    reused: bool = False  # a re-run of a finished sweep: answered from the store, nothing written
    warnings: list[str] = field(default_factory=list)  # from workers' runs and the driver's on_run_end hooks

    @property
    def failures(self) -> list[PlannedRun]:
        return [r for r in self.runs if r.status != "finished"]

    def as_json(self) -> dict[str, Any]:
        counts = {s: sum(r.status == s for r in self.runs) for s in ("finished", "failed", "pending")}
        return {
            "sweep_id": self.sweep_id,
            "name": self.name,
            "executor": self.executor,
            "status": self.status,
            "total": len(self.runs),
            **counts,
            "cached": sum(r.cached for r in self.runs),
            "wall_s": round(self.wall_s, 3),
            "plan_s": round(self.plan_s, 3),
            "executor_start_s": round(self.start_s, 3),
            "write_s": round(self.write_s, 3),
            "writes": self.writes,
            "resumed": self.resumed,
            "reused": self.reused,
            "warnings": self.warnings,
            "runs": [r.as_json() for r in self.runs],
            "failures": [
                {"run_id": r.run_id, "task": r.task, "model": r.model, "model_config": r.config, "seed": r.seed, "error": r.error}
                for r in self.failures
            ],
        }


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, raised once what had finished is stored: which sweep, and how far it got."""

    def __init__(self, sweep_id: str, runs: list[PlannedRun]) -> None:
        super().__init__(sweep_id)
        self.sweep_id = sweep_id
        self.total = len(runs)
        self.stored = sum(r.status in ("finished", "failed") for r in runs)
        self.failed = sum(r.status == "failed" for r in runs)

    def summary(self) -> str:
        failed = f" ({self.failed} failed)" if self.failed else ""
        return f"sweep {self.sweep_id} has {self.stored} of {self.total} runs stored{failed}"


@contextmanager
def held_interrupts(reraise: bool = True) -> Iterator[list[int]]:
    """Hold Ctrl-C (SIGINT) until the block ends, then raise it (`reraise`) or only report it (the
    list holds the signals caught). A write inside commits whole instead of being cut short by
    DuckDB's "Query interrupted". Outside the main thread signals cannot be handled: no-op."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if caught and reraise:
        raise KeyboardInterrupt


# -- planning ---------------------------------------------------------------------------------


def expand(registry: Registry, spec: SweepSpec, notes: list[str] | None = None) -> list[RunRequest]:
    """The grid's requests in a stable order; unknown names fail here, with the closest suggested.

    A name in `tasks` that no selected model serves is refused; a task of a group that none
    serves is left out with a line in `notes`, so the grid never shrinks silently."""
    tasks: list[str] = []
    named: dict[str, list[str]] = {}  # each name given -> its tasks
    where = "runs" if spec.runs else "tasks"
    for name in [name for name, _ in spec.runs] if spec.runs else spec.tasks:
        try:
            named[name] = resolve_tasks(registry, name)
        except ConfigError as exc:
            raise ConfigError(spec.located(where, str(exc))) from None
        tasks += [t for t in named[name] if t not in tasks]
    task_classes = {t: registry.tasks[t].obj for t in tasks}
    if spec.runs:  # listed, in order: a group stands for each of its tasks, no model for the default
        pairs = []
        for name, model in spec.runs:
            for task in named[name]:
                try:
                    pair = (task, resolve_model(registry, task_classes[task], model).name)
                except ConfigError as exc:
                    raise ConfigError(spec.located("runs", str(exc))) from None
                pairs += [pair] if pair not in pairs else []
    elif spec.models is None:
        pairs = [(t, m) for t in tasks for m in registry.models_for(task_classes[t]) if _given_requirements(spec, registry, m)]
    else:
        for model in spec.models:
            if model not in registry.models:
                raise ConfigError(spec.located("models", f"unknown model {model!r}{suggest(model, sorted(registry.models))}"))
            if not any(registry.models[model].obj.serves(cls) for cls in task_classes.values()):
                serves_none = f"model {model!r} serves none of the sweep's tasks ({', '.join(tasks)})"
                raise ConfigError(spec.located("models", serves_none))
        pairs = [(t, m) for t in tasks for m in spec.models if registry.models[m].obj.serves(task_classes[t])]
    if not pairs:
        raise ConfigError(spec.located("tasks", f"no model serves the sweep's tasks ({', '.join(tasks)})"))
    served = {t for t, _ in pairs}
    given = "the installed models" if spec.models is None else ", ".join(spec.models)
    for name, members in named.items() if not spec.runs else ():  # a listed run names its model
        left_out = [t for t in members if t not in served]
        if len(left_out) == len(members):
            serving = sorted({m for t in members for m in registry.models_for(task_classes[t])})
            what = f"task {name!r}" if members == [name] else f"group {name!r} ({', '.join(members)})"
            raise ConfigError(
                spec.located(
                    "tasks",
                    f"{what} is served by none of {given}: drop it, or add a model for it "
                    f"({', '.join(serving) or 'none installed'})",
                )
            )
        if left_out and notes is not None:
            notes.append(f"left out of the grid: {', '.join(left_out)} of group {name!r} (served by none of {given})")
    chosen = sorted({m for _, m in pairs})
    arguments = sorted({k for m in chosen for k in registry.models[m].obj.defaults})
    for key in spec.model_args:
        if key not in arguments:
            raise ConfigError(
                spec.located(
                    f"model_args.{key}",
                    f"no model in the sweep has the argument {key!r}{suggest(key, arguments)} (models: {', '.join(chosen)})",
                )
            )
    for model, args in spec.model_args_for.items():
        if model not in chosen:
            raise ConfigError(spec.located(f"model_args.{model}", f"model {model!r} is not in the sweep{suggest(model, chosen)}"))
        defaults = registry.models[model].obj.defaults
        for key in args:
            if key not in defaults:
                raise ConfigError(
                    spec.located(
                        f"model_args.{model}.{key}",
                        f"model {model!r} has no argument {key!r}{suggest(key, sorted(defaults))} "
                        f"(accepted: {', '.join(sorted(defaults)) or 'none'})",
                    )
                )
    requests = []
    for task, model in pairs:
        model_cls = registry.models[model].obj
        defaults = model_cls.defaults
        # --train-data concerns models that train; the others in the grid evaluate as they are
        trains = model_cls.fit is not Model.fit and task_classes[task].train_split is not None
        axes = {k: v for k, v in spec.model_args.items() if k in defaults} | spec.model_args_for.get(model, {})
        for values in itertools.product(*axes.values()):
            for seed in spec.seeds:
                requests.append(
                    RunRequest(
                        task=task,
                        model=model,
                        model_args=dict(zip(axes, values, strict=True)),
                        split=spec.split,
                        limit=spec.limit,
                        seed=seed,
                        data_dir=spec.data_dir,
                        train_data=spec.train_data if trains else None,
                        train_budget=spec.train_budget if trains else None,
                    )
                )
    if spec.train_budget is not None and not any(r.train_budget is not None for r in requests):
        models = ", ".join(chosen)
        raise ConfigError(spec.located("train_budget", f"no model in the sweep trains ({models}): drop the training budget"))
    return requests


def plan(
    registry: Registry, store: Store, spec: SweepSpec, notes: list[str] | None = None, overwrite: bool = False
) -> list[PlannedRun]:
    """Every run of the grid, checked and keyed; finished ones marked cached, unfinished ones resumable.

    A run whose key is known from cached fingerprints of embedded data (`Runner.quick_key`) and
    that is stored finished is planned without loading its data, so a re-run of a finished sweep
    answers from the store; every other run is prepared (its data loaded, its key computed from it)."""
    runner = Runner(registry, store)
    requests = expand(registry, spec, notes)
    checked = []
    for request in requests:  # argument values and splits, before any data is loaded
        try:
            checked.append(runner.plan(request))
        except ConfigError as exc:
            raise ConfigError(spec.located(_key_of(spec, request, str(exc)), str(exc))) from None
    done: dict[str, dict[str, Any]] = {}
    quick: dict[int, str] = {}
    if store.exists() and not overwrite:
        quick = {i: key for i, request in enumerate(requests) if (key := runner.quick_key(request)) is not None}
        for row in store.runs_by_key(sorted(set(quick.values()))):  # newest first
            if row["status"] == "finished":
                done.setdefault(row["run_key"], row)
    planned: dict[str, PlannedRun] = {}
    for i, request in enumerate(requests):
        key = quick.get(i)
        if key is not None and key in done:
            model, prepared = checked[i][1], None
        else:
            prepared = runner.prepare(request)
            model, key = prepared.model, prepared.run_key
        label = f"{request.task} · {model.name} {_short(model.config, request.model_args)} · seed {request.seed}"
        planned.setdefault(
            key,
            PlannedRun(request, request.task, model.name, model.config, request.seed, key, label.replace("  ", " "), prepared),
        )
    runs = list(planned.values())
    if store.exists() and runs:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for row in store.runs_by_key([r.run_key for r in runs if r.run_key not in done]):
            by_key.setdefault(row["run_key"], []).append(row)
        for run in runs:
            if run.run_key in done:
                row = done[run.run_key]
                run.stored = [row]
                run.status, run.cached, run.run_id, run.duration_s = "finished", True, row["run_id"], row["duration_s"]
                continue
            rows = run.stored = by_key.get(run.run_key, [])
            finished = [r for r in rows if r["status"] == "finished"]
            if finished:
                run.status, run.cached, run.run_id = "finished", True, finished[0]["run_id"]
                run.duration_s = finished[0]["duration_s"]
            elif rows:
                run.resume = store.get_run(rows[0]["run_id"])
                run.run_id = run.resume.run_id
    return runs


def _key_of(spec: SweepSpec, request: RunRequest, message: str) -> str:
    """The sweep-file key a request's error comes from: the model argument it names, else the split."""
    for key in request.model_args:
        if f"argument {key}=" in message:
            own = key in spec.model_args_for.get(request.model or "", {})
            return f"model_args.{request.model}.{key}" if own else f"model_args.{key}"
    return "split" if "split" in message else "tasks"


def _short(config: dict[str, Any], given: dict[str, str]) -> str:
    return " ".join(f"{k}={config[k]}" for k in given)


# -- the sweeps table -----------------------------------------------------------------------------


def _record(store: Store, spec: SweepSpec, runs: list[PlannedRun], executor: str, overwrite: bool) -> tuple[str, str]:
    """Start the sweep's row, or resume the same grid's unfinished sweep; returns (id, how): `new`,
    `resumed`, or `reused` when the grid's latest sweep finished and nothing is left to compute
    (a re-run of a finished sweep writes nothing and answers with that sweep)."""
    grid_key = spec.grid_key()
    previous = store.unfinished_sweep(grid_key)
    if previous is None and not overwrite and all(r.status == "finished" for r in runs):
        latest = store.latest_sweep(grid_key)
        if latest is not None:
            return latest, "reused"
    plan_rows = [{"run_key": r.run_key, "task": r.task, "model": r.model, "model_config": r.config, "seed": r.seed} for r in runs]
    if previous is not None:
        store.resume_sweep(previous, plan_rows, executor, _counts(runs))
        return previous, "resumed"
    sweep_id = uuid.uuid4().hex[:12]
    store.add_sweep(sweep_id, spec.name, grid_key, spec.grid(), plan_rows, executor, _counts(runs))
    return sweep_id, "new"


def _counts(runs: list[PlannedRun]) -> tuple[int, int, int]:
    return (sum(r.status == "finished" for r in runs), sum(r.status == "failed" for r in runs), sum(r.cached for r in runs))


def list_sweeps(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    return store.sweeps(limit)


class UnknownSweepError(StoreError, ConfigError):
    """A sweep id (or prefix) that names no sweep, or several: a usage error (exit 2), with suggestions."""


def get_sweep(store: Store, sweep_id: str) -> dict[str, Any]:
    """A sweep by id or unique prefix, with its grid and plan decoded."""
    import json

    rows = store.sweeps_by_prefix(sweep_id)
    by_id = {r["sweep_id"]: r for r in rows}
    row = by_id[
        resolve_id(
            sweep_id,
            list(by_id),
            kind="sweep",
            where=store.path,
            known=lambda: [r["sweep_id"] for r in list_sweeps(store)],
            listing="harness sweeps",
            error=UnknownSweepError,
        )
    ]
    row["grid"], row["plan"] = json.loads(row["grid"]), json.loads(row["plan"])
    return row


def sweep_runs(store: Store, sweep: dict[str, Any]) -> list[dict[str, Any]]:
    """The sweep's planned runs, each with its stored run (the latest for its key) or `pending`."""
    latest: dict[str, dict[str, Any]] = {}
    for row in store.runs_by_key([p["run_key"] for p in sweep["plan"]]):  # newest first
        latest.setdefault(row["run_key"], row)
    primary = store.primary_metrics([r["run_id"] for r in latest.values()])
    result = []
    for p in sweep["plan"]:
        row = latest.get(p["run_key"], {})
        metric, value = primary[row["run_id"]] if row.get("run_id") in primary else (None, None)
        result.append(
            {
                **p,
                "run_id": row.get("run_id"),
                "status": row.get("status", "pending"),
                "duration_s": row.get("duration_s"),
                "error": (row.get("error") or "").split("\n")[0] or None,
                "computed_here": row.get("sweep_id") == sweep["sweep_id"],
                "metric": metric,
                "value": value,
            }
        )
    return result


# -- running ----------------------------------------------------------------------------------


def executor_for(registry: Registry, name: str, workers: int | None, address: str | None) -> Any:
    if name not in registry.executors:
        known = sorted(registry.executors)
        raise ConfigError(f"unknown executor {name!r}{suggest(name, known)} (executors: {', '.join(known)})")
    return registry.executors[name].obj(workers=workers, address=address)


def run_sweep(
    registry: Registry,
    store: Store,
    spec: SweepSpec,
    executor_name: str | None = None,
    workers: int | None = None,
    address: str | None = None,
    retries: int | None = None,
    on_plan: Callable[[list[PlannedRun], Any], None] | None = None,
    overwrite: bool = False,
) -> SweepReport:
    """Plan, record and execute a sweep; returns when every run is finished or failed.

    `overwrite` recomputes every run of the grid, as `harness run --overwrite` does one: a stored
    run of the same key is deleted in the transaction that stores its finished replacement (a
    replacement that fails leaves it in place). Runs this sweep itself already recomputed before an
    interruption are kept when it resumes."""
    from harness.progress import progress_bar
    from harness.store.transfer import import_runs

    started = time.perf_counter()
    name = executor_name or spec.executor or "local"
    try:
        executor = executor_for(registry, name, workers if workers is not None else spec.workers, address or spec.address)
    except ConfigError as exc:
        raise (ConfigError(spec.located("executor", str(exc))) if executor_name is None else exc) from None
    retries = retries if retries is not None else (spec.retries if spec.retries is not None else DEFAULT_RETRIES)
    notes: list[str] = []
    runs = plan(registry, store, spec, notes, overwrite)
    with held_interrupts(reraise=False) as interrupted:  # a sweep row is written whole, then Ctrl-C is taken
        sweep_id, how = _record(store, spec, runs, name, overwrite)
    if overwrite:
        _plan_overwrite(runs, sweep_id)
    report = SweepReport(
        sweep_id,
        spec.name,
        name,
        "running",
        runs,
        resumed=how == "resumed",
        reused=how == "reused",
        plan_s=time.perf_counter() - started,
        warnings=notes,
    )
    if report.reused:  # every run is stored finished: nothing to start, nothing to write
        if on_plan is not None:
            on_plan(runs, executor)
        report.status, report.wall_s = "finished", time.perf_counter() - started
        return report
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    todo = [r for r in runs if r.status != "finished"]
    for run in todo:
        run.status, run.error = "pending", None
    staging = Path(tempfile.mkdtemp(prefix=f"harness-sweep-{sweep_id}-"))
    waiting: list[tuple[PlannedRun, RunResult]] = []
    last_flush = time.monotonic()

    def flush(status: str | None = None) -> None:
        with held_interrupts(reraise=status != "interrupted"):
            _flush(status)

    def _flush(status: str | None) -> None:
        nonlocal last_flush
        t0 = time.perf_counter()
        directories, replaced = [], []
        for run, result in waiting:
            if result.files:
                directories.append(write_result(result, staging / f"{run.run_key}-{run.attempts}"))
                if result.status == "finished":
                    replaced += run.replaces
        if directories:
            import_runs(store, directories, replaces=replaced)
            report.warnings += _run_end_hooks(registry, store, [result for _, result in waiting if result.files])
        if executor.shares_filesystem:
            for run, result in waiting:
                if result.status == "finished":
                    shutil.rmtree(spool_dir(run.run_key), ignore_errors=True)
        store.update_sweep(sweep_id, _counts(runs), status)
        for directory in directories:
            shutil.rmtree(directory, ignore_errors=True)
        waiting.clear()
        report.write_s += time.perf_counter() - t0
        report.writes += 1
        last_flush = time.monotonic()

    pending: dict[Any, tuple[PlannedRun, Job]] = {}
    try:
        if interrupted:
            raise KeyboardInterrupt
        t0 = time.perf_counter()
        if todo:
            executor.start()
        report.start_s = time.perf_counter() - t0
        if on_plan is not None:
            on_plan(runs, executor)

        def submit(run: PlannedRun, job: Job) -> None:
            run.attempts += 1
            pending[executor.submit(job)] = (run, job)

        for run in todo:
            submit(
                run,
                Job(
                    request=run.request,
                    run_key=run.run_key,
                    sweep_id=sweep_id,
                    label=run.label,
                    resume=run.resume,
                    env=env,
                    resources=spec.resources_for(run.model),
                    keep_spool=executor.shares_filesystem,
                ),
            )
        with progress_bar(f"sweep {sweep_id}", total=len(runs)) as advance:
            advance(len(runs) - len(todo))
            while pending:
                for handle, outcome in executor.wait(list(pending), timeout=FLUSH_S):
                    run, job = pending.pop(handle)
                    if isinstance(outcome, Exception):  # WorkerLost: the worker died under this run
                        if run.attempts <= retries:
                            submit(run, job)
                            continue
                        _store_lost(registry, store, run, sweep_id, outcome, retries)
                        advance(1)
                        continue
                    run.status = "finished" if outcome.status == "finished" else "failed"
                    run.run_id, run.duration_s, run.error = outcome.run_id, outcome.duration_s, outcome.error
                    report.warnings += [f"run {outcome.run_id} ({run.label}): {w}" for w in outcome.warnings]
                    waiting.append((run, outcome))
                    advance(1)
                if waiting and (len(waiting) >= FLUSH_RUNS or time.monotonic() - last_flush >= FLUSH_S):
                    flush()
        report.status = "failed" if report.failures else "finished"
        flush(report.status)
    except BaseException as exc:
        report.status = "interrupted"
        try:
            flush("interrupted")  # what finished is kept; the rest resumes when the sweep is run again
        finally:
            with held_interrupts(reraise=False):  # a second Ctrl-C must not leave workers behind
                executor.shutdown()
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise SweepInterrupted(sweep_id, runs) from None
        raise
    executor.shutdown()
    shutil.rmtree(staging, ignore_errors=True)
    report.wall_s = time.perf_counter() - started
    return report


def _plan_overwrite(runs: list[PlannedRun], sweep_id: str) -> None:
    """Mark every stored run for recomputation, but those this sweep finished before it was interrupted."""
    for run in runs:
        if any(r["sweep_id"] == sweep_id and r["status"] == "finished" for r in run.stored) or not run.stored:
            continue
        run.replaces = [r["run_id"] for r in run.stored]
        run.status, run.cached, run.run_id, run.duration_s, run.resume = "pending", False, None, None, None


def _run_end_hooks(registry: Registry, store: Store, results: Sequence[RunResult]) -> list[str]:
    """`on_run_end` for runs the workers computed, once they are in the database (as `harness run`
    calls it after storing), with the stored artifacts."""
    from harness.plugins.registry import call_lifecycle

    if not registry.pm.hook.on_run_end.get_hookimpls():
        return []
    warnings = []
    for result in results:
        if result.run_id is None:  # nothing was stored for it
            continue
        with store.reading():  # the run and its artifacts through one connection, released before the hook
            run = store.get_run(result.run_id)
            artifacts = {a.name: a for a in store.artifacts(run.run_id)} if run.status == "finished" else {}
        warnings += call_lifecycle(registry, "on_run_end", run=run, artifacts=artifacts)
    return warnings


def _store_lost(registry: Registry, store: Store, run: PlannedRun, sweep_id: str, lost: Exception, retries: int) -> None:
    """A run whose worker died on every attempt: recorded as failed, so `harness runs` shows why."""
    record = run.resume
    if record is None:
        p = run.prepared
        record = Runner(registry, store).new_run(p, run.request)
        record.sweep_id = sweep_id
        store.insert_run(record)
    record.status = "failed"
    record.error = f"WorkerLost: the worker died on all {retries + 1} attempts; last: {lost}"
    record.finished_at = utcnow()
    record.duration_s = (record.finished_at - record.started_at).total_seconds()
    record.metrics = []
    store.finish_run(record)
    run.status, run.run_id, run.error, run.duration_s = "failed", record.run_id, record.error, record.duration_s


__all__ = [
    "PlannedRun",
    "SweepInterrupted",
    "SweepReport",
    "UnknownSweepError",
    "expand",
    "get_sweep",
    "list_sweeps",
    "plan",
    "run_sweep",
    "sweep_runs",
]


def _given_requirements(spec: SweepSpec, registry: Registry, model: str) -> bool:
    """Whether the sweep gives every argument `model` cannot run without (`Model.requires`)."""
    given = set(spec.model_args) | set(spec.model_args_for.get(model, {}))
    return set(registry.models[model].obj.requires) <= given
