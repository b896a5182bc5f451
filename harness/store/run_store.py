"""What computing one run needs from a store: `Store` writes the database, a sweep's worker keeps
the run in memory and hands it back to the sweep's driver (harness.sweep.worker.WorkerStore)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from harness.records import Artifact, RunRecord, SampleRecord


class RunStore(Protocol):
    samples_every_s: float
    """How long predicted samples may wait before `add_samples` (0: every batch is written)."""

    def exists(self) -> bool:
        """Whether earlier runs can be looked up at all (a database file that exists)."""
        ...

    def runs(self, *, run_key: str | None = None) -> list[RunRecord]:
        """The stored runs of a run key, most recent first: a finished one is reused, another resumed."""
        ...

    def insert_run(self, run: RunRecord) -> None: ...

    def mark_running(self, run_id: str) -> None: ...

    def mark_interrupted(self, run_id: str, duration_s: float | None) -> None: ...

    def add_samples(self, run_id: str, samples: Sequence[SampleRecord], duration_s: float | None = None) -> None: ...

    def sample_ids(self, run_id: str) -> set[str]:
        """Samples already computed: a resumed run skips them."""
        ...

    def sample_scores(self, run_id: str) -> list[dict[str, Any]]: ...

    def sample_traces(self, run_id: str) -> list[dict[str, Any]]:
        """The samples' traces (`RunContext.trace`) in dataset order: their usage is summed into run metrics."""
        ...

    def samples(self, run_id: str) -> Sequence[SampleRecord]: ...

    def finish_run(
        self,
        run: RunRecord,
        artifacts: Iterable[Artifact] = (),
        replaces: Sequence[str] = (),
        board: Mapping[str, Any] | None = None,
        descriptions: Mapping[str, str] | None = None,
    ) -> None: ...
