"""The worker side of a sweep: compute one run without the results database.

A sweep's workers (a thread of the driver, a local process, a Ray task on another machine)
never open the DuckDB file. `execute(job)` runs the ordinary `Runner` against a `WorkerStore`,
which keeps the run in memory and mirrors each batch of samples to Parquet shards in a spool
folder (`$HARNESS_HOME/spool/RUN_KEY/`, each shard written as `*.tmp` then renamed). The result
comes back to the driver as the files of a `harness export` directory (Parquet bytes), which the
driver, the only writer, imports with `harness.store.transfer.import_runs`.

If the worker is killed mid-run, the shards already written survive; a retry on the same machine
(or a re-run of the sweep) reads them back and computes only the missing samples, exactly as
`harness run` resumes from the database. On another machine the retry recomputes them: results
are deterministic, so the spool is a saving, never a dependency.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.api import HarnessError
from harness.records import Artifact, RunRecord, SampleRecord, to_json

#: Environment a worker takes from the driver, so that a process or Ray task on another
#: machine loads the same plugins, reads the same checkpoints and stays offline.
FORWARDED_ENV = (
    "HARNESS_HOME",
    "HARNESS_LOAD_PLUGINS",
    "HARNESS_PLUGINS",
    "HARNESS_STRICT_PLUGINS",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
)


@dataclass
class Job:
    """One run of a sweep, as handed to an executor (plain data: it is pickled to workers)."""

    request: Any  # harness.runner.run.RunRequest
    run_key: str
    sweep_id: str
    label: str
    resume: RunRecord | None = None  # an unfinished run of the same key in the database: keep its id
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=dict)
    # The driver sees this worker's files (same machine): it removes the spool once the run is
    # stored, so a result lost between worker and database is not recomputed either.
    keep_spool: bool = False

    def run(self) -> RunResult:
        """Compute this job here, in the worker's process: what an executor calls where its worker runs."""
        return execute(self)


@dataclass
class RunResult:
    """What a worker sends back: the run's summary and its records as export files."""

    run_key: str
    run_id: str | None
    status: str  # finished, failed, or error (the run could not even start: no record to store)
    error: str | None
    duration_s: float | None
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    host: str = ""
    pid: int = 0
    compute_s: float = 0.0
    resumed_samples: int = 0


def spool_dir(run_key: str) -> Path:
    """Where a worker keeps the sample shards of the run with this key until it is stored."""
    from harness.paths import default_home

    return default_home() / "spool" / run_key


_REGISTRIES: dict[tuple[str | None, ...], Any] = {}


def _registry() -> Any:
    """One registry per plugin selection per worker process (Ray reuses its worker processes)."""
    from harness.plugins.registry import load_registry

    key = tuple(os.environ.get(name) for name in ("HARNESS_LOAD_PLUGINS", "HARNESS_PLUGINS"))
    if key not in _REGISTRIES:
        _REGISTRIES[key] = load_registry()
    return _REGISTRIES[key]


def execute(job: Job, registry: Any = None) -> RunResult:
    """Compute `job` and return its records; never raises for a run's own failure.

    `registry` is the driver's when the run happens in the driver's process (local executor);
    elsewhere the worker builds its own from the forwarded environment.
    """
    # The driver's environment (home, plugins, offline), and no progress bar but the driver's; put
    # back afterwards, since the local executor runs this in the driver's own process.
    changes = {**job.env, "HARNESS_PROGRESS": "0"}
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        return _execute(job, registry)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _execute(job: Job, registry: Any) -> RunResult:
    from harness.runner.run import Runner

    started = time.perf_counter()
    store = WorkerStore(spool_dir(job.run_key), job.resume, job.sweep_id)
    try:
        outcome = Runner(registry or _registry(), store, run_end_hooks=False).run(job.request)
    except HarnessError as exc:  # the data or config turned out unusable here: nothing to store
        return RunResult(
            job.run_key,
            None,
            "error",
            f"{type(exc).__name__}: {exc}",
            None,
            host=socket.gethostname(),
            pid=os.getpid(),
            compute_s=time.perf_counter() - started,
        )
    except Exception as exc:
        return RunResult(
            job.run_key,
            None,
            "error",
            f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}",
            None,
            host=socket.gethostname(),
            pid=os.getpid(),
            compute_s=time.perf_counter() - started,
        )
    run = outcome.run
    files = store.export_files()
    if run.status == "finished" and not job.keep_spool:
        store.discard()  # a failed run keeps its shards: retried, it computes only what is missing
    return RunResult(
        job.run_key,
        run.run_id,
        run.status,
        run.error,
        run.duration_s,
        files,
        outcome.warnings,
        socket.gethostname(),
        os.getpid(),
        time.perf_counter() - started,
        store.resumed,
    )


class WorkerStore:
    """A `harness.store.RunStore` (what `Runner.run` needs of a store) in memory plus a spool folder."""

    samples_every_s = 0.0  # a shard per batch: a killed worker's retry loses at most the batch in flight

    def __init__(self, spool: Path, resume: RunRecord | None, sweep_id: str | None) -> None:
        self.spool = spool
        self.resume = resume
        self.sweep_id = sweep_id
        self.run: RunRecord | None = None
        self.artifacts: list[Artifact] = []
        self.board: Any = None
        self.descriptions: dict[str, str] = {}
        self._samples: dict[str, SampleRecord] = {}
        self._shards = 0
        for shard in sorted(spool.glob("samples-*.parquet")) if spool.is_dir() else []:
            for record in _read_samples(shard):
                self._samples.setdefault(record.sample_id, record)
            self._shards += 1
        self.resumed = len(self._samples)

    def exists(self) -> bool:
        """Always: the runner looks up earlier runs of its key here."""
        return True

    def runs(self, run_key: str | None = None, **_: Any) -> list[RunRecord]:
        """The unfinished run the driver found for this key, if any (so it keeps its id)."""
        return [self.resume] if self.resume is not None else []

    def insert_run(self, run: RunRecord) -> None:
        """Hold a new run, tagged with the sweep that computes it."""
        run.sweep_id = self.sweep_id
        self.run = run

    def mark_running(self, run_id: str) -> None:
        """Resume the unfinished run handed over by the driver."""
        assert self.resume is not None and self.resume.run_id == run_id
        self.resume.sweep_id = self.sweep_id
        self.run = self.resume

    def add_samples(self, run_id: str, samples: Sequence[SampleRecord], duration_s: float | None = None) -> None:
        """Keep a batch in memory and as one more spool shard; samples already held are skipped."""
        from harness.store.samples import sample_table

        fresh = [s for s in samples if s.sample_id not in self._samples]
        if not fresh:
            return
        for s in fresh:
            self._samples[s.sample_id] = s
        self.spool.mkdir(parents=True, exist_ok=True)
        self._shards += 1
        _write_atomic(self.spool / f"samples-{self._shards:06d}-{uuid.uuid4().hex[:6]}.parquet", _parquet(sample_table(fresh)))

    def sample_ids(self, run_id: str) -> set[str]:
        """Ids of the samples held (read back from the spool on a retry): the runner skips them."""
        return set(self._samples)

    def _ordered(self) -> list[SampleRecord]:
        return sorted(self._samples.values(), key=lambda s: s.idx)

    def sample_scores(self, run_id: str) -> list[dict[str, Any]]:
        """Scores in dataset order, for the run's metrics."""
        return [s.scores for s in self._ordered()]

    def sample_traces(self, run_id: str) -> list[dict[str, Any]]:
        """The samples' traces in dataset order, for the run's usage metrics."""
        return [s.trace for s in self._ordered() if s.trace is not None]

    def samples(self, run_id: str, **_: Any) -> list[SampleRecord]:
        """Every sample in dataset order, for `Task.artifacts`."""
        return self._ordered()

    def finish_run(
        self,
        run: RunRecord,
        artifacts: Iterable[Artifact] = (),
        replaces: Sequence[str] = (),
        board: Any = None,
        descriptions: Any = None,
    ) -> None:
        """Hold the finished (or failed) run, its artifacts, how this worker's plugins rank the task
        and each metric's description, for `export_files`: the driver stores all of them."""
        self.run = run
        self.artifacts = list(artifacts)
        self.board = board
        self.descriptions = dict(descriptions or {})

    def mark_interrupted(self, run_id: str, duration_s: float | None) -> None:
        """A worker stopped mid-run: the driver's retry resumes it from the spool."""
        if self.run is not None:
            self.run.duration_s = duration_s

    # -- handing the run back ------------------------------------------------------------------

    def export_files(self) -> dict[str, bytes]:
        """The run as the files of a `harness export` directory (manifest plus one Parquet per table)."""
        import pyarrow as pa

        from harness.store import SCHEMA_VERSION, run_row
        from harness.store.arrow import column, table
        from harness.store.samples import sample_table

        assert self.run is not None
        run = self.run
        samples = self._ordered()  # a failed run keeps the samples it computed, as `harness run` does
        metrics = table(
            {
                "run_id": column([run.run_id] * len(run.metrics), pa.string()),
                "metric": column([m.name for m in run.metrics], pa.string()),
                "value": column([m.value for m in run.metrics], pa.float64()),
                "ci_low": column([m.ci_low for m in run.metrics], pa.float64()),
                "ci_high": column([m.ci_high for m in run.metrics], pa.float64()),
                "higher_is_better": column([m.higher_is_better for m in run.metrics], pa.bool_()),
                "is_primary": column([m.primary for m in run.metrics], pa.bool_()),
                "description": column([self.descriptions.get(m.name) for m in run.metrics], pa.string()),
                "version": column([m.version for m in run.metrics], pa.string()),
            }
        )
        artifacts = table(
            {
                "run_id": column([run.run_id] * len(self.artifacts), pa.string()),
                "name": column([a.name for a in self.artifacts], pa.string()),
                "kind": column([a.kind for a in self.artifacts], pa.string()),
                "path_or_blob": column([a.data for a in self.artifacts], pa.binary()),
            }
        )
        types = _run_types()
        row = {**run_row(run), "board": to_json(self.board) if self.board is not None else None}
        runs = table({name: column([value], types.get(name, pa.string())) for name, value in row.items()})
        return {
            "manifest.json": (json.dumps({"schema_version": SCHEMA_VERSION, "runs": 1}) + "\n").encode(),
            "runs.parquet": _parquet(runs),
            "metrics.parquet": _parquet(metrics),
            "samples.parquet": _parquet(sample_table(samples, run.run_id)),
            "artifacts.parquet": _parquet(artifacts),
        }

    def discard(self) -> None:
        """The run is complete in memory: its partial shards are no longer needed."""
        shutil.rmtree(self.spool, ignore_errors=True)


def _run_types() -> dict[str, Any]:
    """Arrow types of the `runs` columns that are not text (JSON columns travel as text)."""
    import pyarrow as pa

    return {
        "seed": pa.int64(),
        "sample_limit": pa.int64(),
        "n_samples": pa.int64(),
        "duration_s": pa.float64(),
        "started_at": pa.timestamp("us"),
        "finished_at": pa.timestamp("us"),
        "git_dirty": pa.bool_(),
    }


def _read_samples(path: Path) -> list[SampleRecord]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path).read()  # not `read_table`: that imports pandas
    except Exception:  # a shard cut short cannot exist (rename is atomic), but a foreign file might
        return []
    return [
        SampleRecord(
            r["sample_id"],
            r["idx"],
            json.loads(r["input"]),
            json.loads(r["prediction"]),
            json.loads(r["reference"]),
            json.loads(r["scores"]),
            json.loads(r.get("versions") or "{}"),
            json.loads(r["trace"]) if r.get("trace") else None,
        )
        for r in table.to_pylist()
    ]


def _parquet(table: Any) -> bytes:
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_bytes(data)
    except OSError as exc:  # a full disk: leave no part-written file behind, and name it
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, exc.filename or str(temporary)) from exc
    os.replace(temporary, path)


def write_result(result: RunResult, directory: Path) -> Path:
    """Write a worker's files as an export directory (each file `*.tmp`, then renamed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in result.files.items():
        _write_atomic(directory / name, data)
    return directory
