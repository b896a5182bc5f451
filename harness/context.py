"""`RunContext`: what the runner hands every `Model.fit` and `Model.predict`.

A plugin's models receive it as their `ctx` argument; import it from `harness`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.progress import progress_bar
from harness.text import TextInterface
from harness.training import EarlyStopping, TrainingCheckpoint, carve_validation


class RequestCache(Protocol):
    """Answers to requests already sent, kept in the results store: a model that pays per request
    (a served LLM) looks a batch of requests up before sending them and stores the answers it gets,
    so a re-run or a resumed run never sends a request twice."""

    def get(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The answers stored under any of `keys`, by key."""
        ...

    def put(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Keep answers, each entry {key, endpoint, model, request, answer} (JSON data): `endpoint`,
        `model` and `request` say what `answer` answers. One write for all of them."""
        ...


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
    #: The task's `Task.text` interface, ready to use; None when the task cannot be posed as text.
    text: TextInterface | None = None
    #: Reads the task's train split (the run's data folder, else the embedded default), for models
    #: that draw few-shot examples from it without training; None when the task has no train split.
    train: Callable[[], Sequence[Mapping[str, Any]]] | None = None
    #: The request cache of the results store; None where there is none (a sweep's worker). Under
    #: `harness run --no-cache` it answers nothing and still stores every new answer.
    cache: RequestCache | None = None
    _traces: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    #: `--train-budget` in seconds: the wall time `fit` may take, counted from `fit_started`
    #: (None: no budget). `early_stopping` enforces it; a model that trains without it should check it.
    train_budget_s: float | None = None
    #: When `fit` began (`time.monotonic()`), set by the runner.
    fit_started: float = field(default_factory=time.monotonic)
    #: How the training of the model in hand ended, for a model that loads a network from a cache of
    #: its own (not the runner's checkpoint) and so trains nothing here: set it to the record saved
    #: with that network, and the run stores it as it would its own (see `training_record`).
    training: dict[str, Any] | None = None
    _stoppers: list[EarlyStopping] = field(default_factory=list, repr=False)
    #: The task's validation split (`Task.validation_split`) from the training data's source, set by
    #: the runner before `fit` when the data has one; None otherwise. Read it through `split_validation`.
    validation: Sequence[Mapping[str, Any]] | None = None

    def training_checkpoint(self, every_steps: int | None = None, every_s: float | None = 60.0) -> TrainingCheckpoint:
        """Periodic snapshots for `fit` to resume from after an interruption (harness.training)."""
        return TrainingCheckpoint(self.training_dir, every_steps=every_steps, every_s=every_s, notes=self.notes)

    def trace(self, position: int, record: Mapping[str, Any]) -> None:
        """Keep how the prediction at `position` of the current batch was made (the request sent,
        the completion, tokens, latency, an error), as JSON data: it is stored with the sample and
        shown beside it. Numeric `usage` entries (prompt_tokens, completion_tokens, latency_s,
        cost) are summed into the run's metrics. Never put a secret here."""
        self._traces[position] = dict(record)

    def take_traces(self, count: int) -> list[dict[str, Any] | None]:
        """The traces of the batch just predicted, by position (the runner calls this after each batch)."""
        traces = [self._traces.get(i) for i in range(count)]
        self._traces.clear()
        return traces

    def early_stopping(
        self,
        metric: str,
        higher_is_better: bool,
        every: int,
        patience: int,
        max_steps: int,
        validation: Mapping[str, Any] | None = None,
        stage: str = "",
    ) -> EarlyStopping:
        """An `EarlyStopping` for one training loop (harness.training), held to this run's
        `--train-budget`; its record (stop reason, best step, learning curve) is stored with the run.

        `validation` says where the validation rows came from (`carve_validation`'s record); `stage`
        names the loop when `fit` trains several in turn (each gets its own curve)."""
        stopper = EarlyStopping(
            metric, higher_is_better, every, patience, max_steps, budget_s=self.train_budget_s, validation=validation
        )
        stopper._started = self.fit_started  # the budget counts all of `fit`, its data preparation too
        stopper.stage = stage
        self._stoppers.append(stopper)
        return stopper

    def split_validation(
        self,
        rows: Sequence[Any],
        fraction: float,
        group: Callable[[Any], Any] | None = None,
        limit: int | None = None,
    ) -> tuple[list[Any], list[Any], dict[str, Any]]:
        """The rows to train on and to validate on, with a record of where the validation rows came
        from (pass it to `early_stopping`): the task's own validation split when the data has one
        (the train rows stay whole), else a seeded `fraction` of the train rows, whole `group`s at a
        time (`harness.training.carve_validation`). `fraction` 0 turns validation off either way.

        `limit` caps the validation rows (a seeded sample) so that validating stays cheap next to training.
        """
        if fraction <= 0:
            return list(rows), [], {"source": "none", "rows": 0}
        if self.validation:
            held = list(self.validation)
            record: dict[str, Any] = {"source": "validation split", "rows": len(held)}
        else:
            train, held, record = carve_validation(list(rows), fraction, self.seed, group)
            rows = train
        if limit is not None and len(held) > limit:
            kept = sorted(random.Random(self.seed).sample(range(len(held)), limit))
            held = [held[i] for i in kept]
            record = {**record, "rows": limit, "of": record["rows"]}
        return list(rows), held, record

    def budget_left(self) -> float | None:
        """Seconds of `--train-budget` left (never below 0), or None without a budget."""
        if self.train_budget_s is None:
            return None
        return max(0.0, self.train_budget_s - (time.monotonic() - self.fit_started))

    def training_record(self) -> dict[str, Any] | None:
        """How `fit` ended: the stop reason, best step and learning curve of its early-stopping loops
        (`stages` when there were several), or `training` when the model set it; None when neither."""
        if not self._stoppers:
            return self.training
        records = [{**s.record(), "stage": s.stage} for s in self._stoppers]
        if len(records) == 1:
            return records[0]
        last = records[-1]
        return {
            "stopped": "budget" if any(r["stopped"] == "budget" for r in records) else last["stopped"],
            "steps": sum(r["steps"] or 0 for r in records),
            "best_step": last["best_step"],
            "metric": last["metric"],
            "best_value": last["best_value"],
            "budget_s": self.train_budget_s,
            "seconds": max(r["seconds"] for r in records),
            "stages": records,
        }
