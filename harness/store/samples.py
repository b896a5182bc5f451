"""Samples: each run's per-sample inputs, predictions, references and scores."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, overload

from harness.records import SampleRecord, to_json
from harness.store.connection import Connections


def sample_table(samples: Sequence[SampleRecord], run_id: str | None = None) -> Any:
    """The `samples` table's rows as an Arrow table, for the store to insert and for a sweep's
    worker to write into its shards and exports (without `run_id`, which a shard leaves to the
    driver)."""
    import pyarrow as pa

    from harness.store.arrow import column, table

    text = pa.string()
    columns = {
        "sample_id": column([s.sample_id for s in samples], text),
        "idx": column([s.idx for s in samples], pa.int64()),
        "input": column([to_json(s.input) for s in samples], text),
        "prediction": column([to_json(s.prediction) for s in samples], text),
        "reference": column([to_json(s.reference) for s in samples], text),
        "scores": column([to_json(s.scores) for s in samples], text),
        "versions": column([to_json(s.versions) for s in samples], text),
        "trace": column([None if s.trace is None else to_json(s.trace) for s in samples], text),
    }
    if run_id is not None:
        columns = {"run_id": column([run_id] * len(samples), text), **columns}
    return table(columns)


class Samples(Connections):
    # Each write opens the database (about 16 ms of CPU on a 2-core machine), more than a fast model
    # takes to predict a batch: the runner gathers batches for this long before writing them, and a
    # run killed between writes recomputes at most this much work when it resumes.
    samples_every_s: float = 1.0

    def add_samples(self, run_id: str, samples: Sequence[SampleRecord], duration_s: float | None = None) -> None:
        """Store a batch; a sample already stored (a resumed run) is kept, never duplicated.

        `duration_s` is the run's compute time so far, stored with the batch: a run that is killed
        keeps the time it had spent, and its resumption adds to it instead of counting the gap.
        """
        if not samples:
            return
        incoming = sample_table(samples, run_id)
        with self.transaction() as con:
            con.register("incoming_samples", incoming)
            con.execute("INSERT OR IGNORE INTO samples BY NAME SELECT * FROM incoming_samples")
            con.unregister("incoming_samples")
            if duration_s is not None:
                con.execute("UPDATE runs SET duration_s = ? WHERE run_id = ?", [duration_s, run_id])

    def sample_ids(self, run_id: str) -> set[str]:
        return {r["sample_id"] for r in self.query("SELECT sample_id FROM samples WHERE run_id = ?", [run_id])}

    def samples(self, run_id: str, limit: int | None = None, offset: int = 0, search: str | None = None) -> list[SampleRecord]:
        """Samples in dataset order; `search` keeps those whose id, input, prediction or reference
        contains the text (case-insensitive, matched as a plain substring, never as a pattern)."""
        where, params = _sample_filter(run_id, search)
        sql = f"SELECT * FROM samples {where} ORDER BY idx"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return [
            SampleRecord(
                sample_id=r["sample_id"],
                idx=r["idx"],
                input=json.loads(r["input"]),
                prediction=json.loads(r["prediction"]),
                reference=json.loads(r["reference"]),
                scores=json.loads(r["scores"]),
                versions=json.loads(r["versions"]) if r["versions"] else {},
                trace=json.loads(r["trace"]) if r["trace"] else None,
            )
            for r in self.query(sql, params)
        ]

    def sample_pages(self, run_id: str, page_size: int = 1000) -> StoredSamples:
        """Every sample of a run as a sequence read page by page: renderers see the whole run
        without the page loading it all up front."""
        return StoredSamples(self, run_id, page_size)

    def count_samples(self, run_id: str, search: str | None = None) -> int:
        where, params = _sample_filter(run_id, search)
        found = self.query(f"SELECT count(*) AS n FROM samples {where}", params)
        return found[0]["n"] if found else 0

    def sample_scores(self, run_id: str) -> list[dict[str, Any]]:
        """Only the scores, in dataset order: what aggregation needs, without inputs and predictions."""
        found = self.query("SELECT scores FROM samples WHERE run_id = ? ORDER BY idx", [run_id])
        return [json.loads(r["scores"]) for r in found]

    def sample_traces(self, run_id: str) -> list[dict[str, Any]]:
        """The traces a model left on the run's samples (`RunContext.trace`), in dataset order."""
        found = self.query("SELECT trace FROM samples WHERE run_id = ? AND trace IS NOT NULL ORDER BY idx", [run_id])
        return [json.loads(r["trace"]) for r in found]

    def paired_samples(self, run_a: str, run_b: str) -> list[dict[str, Any]]:
        """The samples two runs share, in run A's dataset order, each as one row: `sample_id`,
        `input`, `reference`, `prediction_a`/`_b` and `scores_a`/`_b` (JSON text, as stored)."""
        return self.query(
            "SELECT x.sample_id, x.input, x.reference, x.prediction AS prediction_a, y.prediction AS prediction_b, "
            "x.scores AS scores_a, y.scores AS scores_b FROM samples x JOIN samples y USING (sample_id) "
            "WHERE x.run_id = ? AND y.run_id = ? ORDER BY x.idx",
            [run_a, run_b],
        )


class StoredSamples(Sequence[SampleRecord]):
    """A run's samples in dataset order, fetched from the store a page at a time.

    `len()` is one count query; iterating reads page after page; an index or a slice reads just
    what it covers. The most recent page is kept, so walking the samples in order reads each once.
    """

    def __init__(self, store: Samples, run_id: str, page_size: int = 1000) -> None:
        self._store, self._run_id, self._page_size = store, run_id, max(1, page_size)
        self._length = store.count_samples(run_id)
        self._page: tuple[int, list[SampleRecord]] = (-1, [])

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> SampleRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[SampleRecord]: ...

    def __getitem__(self, index: int | slice) -> SampleRecord | list[SampleRecord]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._store.samples(self._run_id, limit=max(0, stop - start), offset=start) if stop > start else []
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        number = index // self._page_size
        if self._page[0] != number:
            self._page = (number, self._store.samples(self._run_id, limit=self._page_size, offset=number * self._page_size))
        return self._page[1][index - number * self._page_size]

    def __iter__(self) -> Iterator[SampleRecord]:
        for start in range(0, self._length, self._page_size):
            yield from self._store.samples(self._run_id, limit=self._page_size, offset=start)


def _sample_filter(run_id: str, search: str | None) -> tuple[str, list[Any]]:
    if not search:
        return "WHERE run_id = ?", [run_id]
    haystack = "lower(concat_ws(' ', sample_id, input::VARCHAR, prediction::VARCHAR, reference::VARCHAR))"
    return f"WHERE run_id = ? AND contains({haystack}, lower(?))", [run_id, search]
