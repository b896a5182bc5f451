"""Re-scoring stored runs: per-sample scores, values and CIs recomputed from the stored inputs,
predictions and references with the installed metrics, without calling a model or training one.

Which runs and metrics are checked in full before any work (`plan`), so a mistyped run id or
metric name changes nothing. Each run is then scored through the same `Scorer` a run uses and
written in one transaction (`Store.replace_scores`): an interrupted re-score leaves each run either
wholly as it was or wholly re-scored. Replaced values are kept in `metric_history`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.api import ConfigError, ScoreError, Task
from harness.leaderboard.versions import stale_runs
from harness.names import suggest, unknown_name
from harness.plugins.registry import Registry
from harness.progress import progress_bar
from harness.records import MetricValue, RunRecord, SampleRecord
from harness.runner.scoring import Scorer
from harness.store import Store


@dataclass
class Planned:
    """One run to re-score, with its installed task and the metrics to recompute."""

    run: RunRecord
    task: Task
    metrics: list[str]


@dataclass
class Plan:
    """What a re-score will do, and what it leaves: stale runs of tasks not installed here
    (`--all-stale`), and metrics that cannot be recomputed from what is stored."""

    items: list[Planned]
    left: list[RunRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """What a user should know about what the re-score leaves as it is."""
        notes = []
        if self.left:
            tasks = ", ".join(sorted({r.task for r in self.left}))
            notes.append(f"{len(self.left)} stale run(s) of tasks not installed here were left as they are ({tasks})")
        for name in self.skipped:
            notes.append(
                f"metric {name!r} needs more than the stored predictions (its metric says so) and was not re-scored: "
                "`harness run ... --overwrite` recomputes it"
            )
        return notes


@dataclass
class Rescored:
    """What a re-score of one run changed: each metric's value before (None: newly added) and after."""

    run: RunRecord
    before: dict[str, MetricValue | None]
    after: list[MetricValue]
    reasons: dict[str, str]
    duration_s: float
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run.run_id,
            "task": self.run.task,
            "model": self.run.model,
            "duration_s": self.duration_s,
            "metrics": {
                m.name: {
                    "before": None if self.before[m.name] is None else self.before[m.name].as_json(),  # type: ignore[union-attr]
                    "after": m.as_json(),
                    "change": self.reasons.get(m.name),
                }
                for m in self.after
            },
            "notes": self.notes,
        }


def plan(
    store: Store,
    registry: Registry,
    run_ids: Sequence[str] = (),
    task: str | None = None,
    metrics: Sequence[str] = (),
    all_stale: bool = False,
) -> Plan:
    """The runs to re-score and, for each, the metrics: those named, else the stale or missing ones
    (`all_stale`), else all its task's, less those that cannot be recomputed from what is stored.
    Every bad input raises `ConfigError` here, before any work."""
    if not (run_ids or task or all_stale):
        raise ConfigError("say which runs to re-score: --run ID, --task TASK or --all-stale")
    if task is not None and task not in registry.tasks:
        stored = store.distinct_values("task") if store.exists() else []
        if task in stored:
            raise ConfigError(f"task {task!r} is not installed here: install its plugin to compute its metrics")
        raise unknown_name("task", task, sorted(set(registry.tasks) | set(stored)))
    for name in metrics:
        if name not in registry.metrics:
            raise unknown_name("metric", name, sorted(registry.metrics))
    if run_ids:
        candidates = [store.get_run(run_id) for run_id in run_ids]  # an unknown id: UnknownRunError, exit 2
        for run in candidates:
            _check_finished(run)
            if task is not None and run.task != task:
                raise ConfigError(f"run {run.run_id} is a run of task {run.task!r}, not of --task {task!r}")
    else:
        candidates = store.runs(task=task, status="finished") if store.exists() else []
    stale = stale_runs(store, registry, task) if all_stale else {}
    if all_stale:
        candidates = [run for run in candidates if run.run_id in stale]
    planned: list[Planned] = []
    left: list[RunRecord] = []
    matched: set[str] = set()
    skipped: set[str] = set()
    for run in dict((r.run_id, r) for r in candidates).values():
        entry = registry.tasks.get(run.task)
        if entry is None and all_stale and not run_ids:
            left.append(run)
            continue
        if entry is None:
            raise ConfigError(
                f"run {run.run_id}: task {run.task!r} is not installed here: install its plugin "
                f"({run.plugin!r}) to compute its metrics"
            )
        task_obj: Task = entry.obj()
        if metrics:
            names = [name for name in metrics if name in task_obj.metrics]
        elif all_stale:
            names = [s["metric"] for s in stale[run.run_id] if s["metric"] in task_obj.metrics]
        else:
            names = list(task_obj.metrics)
        missing = [name for name in names if name not in registry.metrics]
        if missing:
            raise ConfigError(
                f"run {run.run_id}: task {run.task!r} computes metric {missing[0]!r}, which no installed plugin "
                "provides: install the plugin that registers it"
            )
        matched.update(names)
        skipped.update(name for name in names if not registry.metrics[name].obj.rescorable)
        names = [name for name in names if registry.metrics[name].obj.rescorable]
        if names:
            planned.append(Planned(run, task_obj, names))
    for name in metrics:
        if name not in matched and candidates:
            computed = sorted({m for r in candidates for m in _task_metrics(registry, r)})
            raise ConfigError(
                f"metric {name!r} is not computed by the task of any run chosen{suggest(name, computed)} "
                f"(their tasks' metrics: {', '.join(computed) or 'none'})"
            )
    return Plan(planned, left, sorted(skipped))


def _task_metrics(registry: Registry, run: RunRecord) -> tuple[str, ...]:
    entry = registry.tasks.get(run.task)
    return tuple(entry.obj.metrics) if entry is not None else ()


def _check_finished(run: RunRecord) -> None:
    if run.status == "running":
        raise ConfigError(
            f"run {run.run_id} is still running (started {run.started_at:%Y-%m-%d %H:%M:%S} UTC): "
            "re-score it once it has finished"
        )
    if run.status != "finished":
        raise ConfigError(
            f"run {run.run_id} is {run.status}: only a finished run's scores can be recomputed "
            "(the `harness run` that started it resumes it)"
        )


def rescore(store: Store, registry: Registry, item: Planned) -> Rescored:
    """Recompute `item`'s metrics from its stored samples and store them in one transaction."""
    start = time.monotonic()
    run = item.run
    scorer = Scorer(registry, item.task, item.metrics)
    samples = store.sample_pages(run.run_id)
    # whole samples are kept only for tasks that build run-level artifacts from them (as a run does)
    keep = type(item.task).artifacts is not Task.artifacts
    updated: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    rescored: list[SampleRecord] = []
    with progress_bar(f"rescore {run.task} · {run.model} · {run.run_id}", total=len(samples)) as advance:
        for sample in samples:
            try:
                new = scorer.score(sample.prediction, sample.reference, sample.input, sample.sample_id)
            except ScoreError as exc:
                raise ScoreError(f"run {run.run_id} ({run.task} · {run.model}): {exc}") from exc
            sample.scores, sample.versions = {**sample.scores, **new}, {**sample.versions, **scorer.versions}
            updated.append((sample.sample_id, sample.scores, sample.versions))
            if keep:
                rescored.append(sample)
            advance()
    after, notes = scorer.summarise([scores for _, scores, _ in updated], run.seed)
    # artifacts drawn from the scores are drawn again; those the task does not make again are kept
    artifacts = list(item.task.artifacts(rescored)) if keep else []
    stored = {m.name: m for m in run.metrics}
    before = {m.name: stored.get(m.name) for m in after}
    reasons = {m.name: _change(before[m.name], m) for m in after}
    replaced = [(old, m, reasons[m.name]) for m in after if (old := before[m.name]) is not None and reasons[m.name] != UNCHANGED]
    store.replace_scores(run.run_id, updated, after, replaced, scorer.descriptions, artifacts)
    return Rescored(run, before, after, reasons, time.monotonic() - start, notes)


UNCHANGED = "unchanged"


def _change(old: MetricValue | None, new: MetricValue) -> str:
    """Why a value changed, as `metric_history.reason` records it."""
    if old is None:
        return "added"
    if old.version != new.version:
        return f"version {old.version or 'unknown'} -> {new.version}"
    if (old.value, old.ci_low, old.ci_high) != (new.value, new.ci_low, new.ci_high):
        return f"recomputed by version {new.version}: the value changed"
    return UNCHANGED


def rescore_all(
    store: Store, registry: Registry, planned: Sequence[Planned], done: Callable[[Rescored], None] = lambda _: None
) -> list[Rescored]:
    """Re-score each planned run in turn; a sample a metric cannot read stops the re-score there,
    with the runs before it re-scored and that run unchanged."""
    results: list[Rescored] = []
    for item in planned:
        try:
            result = rescore(store, registry, item)
        except ScoreError as exc:
            before = f"; the {len(results)} run(s) before it were re-scored" if results else ""
            raise ScoreError(f"{exc} (run {item.run.run_id} is unchanged{before})") from exc
        results.append(result)
        done(result)
    return results
