"""The DuckDB results store: schema, migrations, and short, retried transactions.

DuckDB lets one process hold a database file for writing, and a second process that opens
it at the same time, even read-only, fails with "Could not set lock on file". So every
connection here is short-lived (open, one transaction, close) and every open retries with
jittered exponential backoff on that error until `timeout` seconds have passed.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from harness.api import ConfigError, HarnessError
from harness.paths import default_home
from harness.records import Artifact, MetricValue, RunRecord, SampleRecord, to_json

MIGRATIONS: list[str] = [
    # 1: the initial schema (docs/site/schema.md).
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        task VARCHAR NOT NULL,
        task_version VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        model_config JSON NOT NULL,
        dataset VARCHAR NOT NULL,
        split VARCHAR NOT NULL,
        data_fingerprint VARCHAR NOT NULL,
        seed BIGINT NOT NULL,
        sample_limit BIGINT,
        run_key VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        error VARCHAR,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        duration_s DOUBLE,
        n_samples BIGINT,
        harness_version VARCHAR NOT NULL,
        plugin VARCHAR NOT NULL,
        plugin_version VARCHAR,
        model_plugin VARCHAR NOT NULL,
        model_plugin_version VARCHAR,
        git_commit VARCHAR,
        git_dirty BOOLEAN,
        python VARCHAR,
        platform VARCHAR,
        packages JSON
    );
    CREATE INDEX runs_key ON runs (run_key);
    CREATE TABLE metrics (
        run_id VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        ci_low DOUBLE,
        ci_high DOUBLE,
        higher_is_better BOOLEAN NOT NULL,
        is_primary BOOLEAN NOT NULL,
        PRIMARY KEY (run_id, metric)
    );
    CREATE TABLE samples (
        run_id VARCHAR NOT NULL,
        sample_id VARCHAR NOT NULL,
        idx BIGINT NOT NULL,
        input JSON,
        prediction JSON,
        reference JSON,
        scores JSON,
        PRIMARY KEY (run_id, sample_id)
    );
    CREATE TABLE artifacts (
        run_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        path_or_blob BLOB,
        PRIMARY KEY (run_id, name)
    );
    """,
    # 2: what a trained model learnt from, so training and evaluation data can differ.
    """
    ALTER TABLE runs ADD COLUMN train_dataset VARCHAR;
    ALTER TABLE runs ADD COLUMN train_fingerprint VARCHAR;
    """,
    # 3: sweeps (harness/sweep/driver.py): which sweep computed a run, and each sweep's grid and progress.
    """
    ALTER TABLE runs ADD COLUMN sweep_id VARCHAR;
    CREATE TABLE sweeps (
        sweep_id VARCHAR PRIMARY KEY,
        name VARCHAR,
        grid_key VARCHAR NOT NULL,
        grid JSON NOT NULL,
        plan JSON NOT NULL,
        executor VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        total BIGINT NOT NULL,
        done BIGINT NOT NULL,
        failed BIGINT NOT NULL,
        cached BIGINT NOT NULL,
        started_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP
    );
    """,
    # 4: what a database needs to describe itself wherever it is read (issue 14): the leaderboard
    # definition each run was ranked by and each metric's description, so a merged database ranks
    # the same where the plugin is not installed; and the process that owns a running run, so a run
    # whose process died reads as `interrupted` instead of `running` forever.
    """
    ALTER TABLE runs ADD COLUMN board JSON;
    ALTER TABLE runs ADD COLUMN pid BIGINT;
    ALTER TABLE runs ADD COLUMN host VARCHAR;
    ALTER TABLE metrics ADD COLUMN description VARCHAR;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: Columns each migration added, so a read-only connection to an older file (the dashboard never
#: writes) sees the current shape through temporary views, with nulls where the file has nothing.
ADDED_COLUMNS: dict[int, dict[str, tuple[tuple[str, str], ...]]] = {
    2: {"runs": (("train_dataset", "VARCHAR"), ("train_fingerprint", "VARCHAR"))},
    3: {"runs": (("sweep_id", "VARCHAR"),)},
    4: {"runs": (("board", "JSON"), ("pid", "BIGINT"), ("host", "VARCHAR")), "metrics": (("description", "VARCHAR"),)},
}
TABLES = ("runs", "metrics", "samples", "artifacts")


class StoreError(HarnessError):
    pass


class UnknownRunError(StoreError, ConfigError):
    """A run id (or prefix) that names no run, or several: a usage error (exit 2), with suggestions."""


def default_db_path() -> Path:
    env = os.environ.get("HARNESS_DB")
    return Path(env) if env else default_home() / "harness.duckdb"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_corruption(exc: Exception) -> bool:
    text = str(exc)
    return any(
        mark in text
        for mark in (
            "Corrupt database",
            "checksum",
            "not a valid DuckDB database",
            "IO Error: Could not read",
            "INTERNAL Error: Failed to load metadata",
        )
    )


def first_line(exc: Exception) -> str:
    """The first line of a DuckDB error (its message; the rest is context), for one-line errors."""
    return str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the file has table `name` (an older file may lack a later migration's tables)."""
    return bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_type = 'BASE TABLE'", [name]
        ).fetchall()
    )


def damaged(path: Path, exc: Exception) -> StoreError:
    """One line saying what failed and how to recover, for a database file with a damaged block."""
    return StoreError(
        f"results database {path} is damaged ({first_line(exc)}). To recover: restore a copy of the file if you have one; "
        f"otherwise save what is still readable with `harness export DIR --db {path} --task TASK` (task by task, "
        "or --run ID), move the damaged file aside, and `harness import DIR` into a fresh database"
    )


def _alive(pid: int | None, host: str | None) -> bool:
    """Whether the process that owns a running run still exists (only knowable on its own host)."""
    if pid is None or host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Could not set lock" in text or "Conflicting lock" in text)


class Store:
    """The results database (DuckDB): runs, their metrics, samples and artifacts, and sweeps.

    Plugins and scripts read results through it (`get_run`, `runs`, `samples`, `artifacts`, `query`);
    `Store()` opens `$HARNESS_DB`, or `harness.duckdb` in the harness home.
    """

    def __init__(self, path: Path | str | None = None, timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.timeout = timeout if timeout is not None else float(os.environ.get("HARNESS_DB_TIMEOUT", "120"))
        self._migrated = False
        self._held = threading.local()  # the connection `reading()` holds, per thread (the dashboard's are many)

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Serve every read inside from one read-only connection: opening one (and checking the
        schema) costs tens of milliseconds, and a leaderboard asks several questions. Hold it
        briefly: while it is open, another process cannot write the file."""
        if getattr(self._held, "con", None) is not None:
            yield
            return
        with self.connect(read_only=True) as con:
            self._held.con = con
            try:
                yield
            finally:
                self._held.con = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        held = getattr(self._held, "con", None)
        if read_only and held is not None:
            yield held
            return
        if read_only and not self.path.exists():
            raise StoreError(f"no results database at {self.path} yet: run `harness run --task TASK` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.Error as exc:
                if _is_corruption(exc):
                    raise damaged(self.path, exc) from exc
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open results database {self.path}: {exc}") from exc
                if time.monotonic() > deadline:
                    # DuckDB names the holder: say which process to look for
                    found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
                    holder = f" (PID {found.group(2)}: {found.group(1)})" if found else ""
                    raise StoreError(
                        f"results database {self.path} stayed locked by another process{holder} for "
                        f"{self.timeout:.0f} s: usually a Python session, notebook or `duckdb` shell that keeps the file "
                        "open (harness commands hold it only while they read or write); close that connection, or set "
                        "HARNESS_DB_TIMEOUT=SECONDS to wait longer"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)
        try:
            if read_only:
                _current_shape(con, self._check_version(con))
            yield con
        except duckdb.Error as exc:
            if _is_corruption(exc):
                raise damaged(self.path, exc) from exc
            raise
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on a fresh connection; rolled back whole on any error."""
        with self.connect() as con:
            if not self._migrated:
                self._migrate(con)
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _current_version(self, con: duckdb.DuckDBPyConnection) -> int:
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'").fetchone()[0]
        if not exists:
            return 0
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def _check_version(self, con: duckdb.DuckDBPyConnection) -> int:
        version = self._current_version(con)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this harness knows "
                f"({SCHEMA_VERSION}): upgrade kexue-harness"
            )
        return version

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        version = self._check_version(con)
        if version < SCHEMA_VERSION:
            con.execute("BEGIN TRANSACTION")
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
            for number in range(version + 1, SCHEMA_VERSION + 1):
                con.execute(MIGRATIONS[number - 1])
                con.execute("INSERT INTO schema_version VALUES (?, ?)", [number, utcnow()])
            con.execute("COMMIT")
        self._migrated = True

    def init(self) -> None:
        with self.transaction():
            pass

    # -- writes ------------------------------------------------------------------------------

    def insert_run(self, run: RunRecord) -> None:
        """Record a new run as owned by this process (pid and host), so readers can tell when it died."""
        row = _run_row(run)
        with self.transaction() as con:
            con.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            con.execute("UPDATE runs SET pid = ?, host = ? WHERE run_id = ?", [os.getpid(), socket.gethostname(), run.run_id])

    def mark_running(self, run_id: str) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = 'running', error = NULL, pid = ?, host = ? WHERE run_id = ?",
                [os.getpid(), socket.gethostname(), run_id],
            )

    def mark_interrupted(self, run_id: str, duration_s: float | None) -> None:
        """A run this process stopped (Ctrl-C, SIGTERM): resumable, and shown as `interrupted`."""
        with self.transaction() as con:
            con.execute("UPDATE runs SET status = 'interrupted', duration_s = ? WHERE run_id = ?", [duration_s, run_id])

    def add_samples(self, run_id: str, samples: Sequence[SampleRecord], duration_s: float | None = None) -> None:
        """Store a batch; a sample already stored (a resumed run) is kept, never duplicated.

        `duration_s` is the run's compute time so far, stored with the batch: a run that is killed
        keeps the time it had spent, and its resumption adds to it instead of counting the gap.
        """
        if not samples:
            return
        import pyarrow as pa

        table = pa.table(
            {
                "run_id": [run_id] * len(samples),
                "sample_id": [s.sample_id for s in samples],
                "idx": [s.idx for s in samples],
                "input": [to_json(s.input) for s in samples],
                "prediction": [to_json(s.prediction) for s in samples],
                "reference": [to_json(s.reference) for s in samples],
                "scores": [to_json(s.scores) for s in samples],
            }
        )
        with self.transaction() as con:
            con.register("incoming_samples", table)
            con.execute("INSERT OR IGNORE INTO samples BY NAME SELECT * FROM incoming_samples")
            con.unregister("incoming_samples")
            if duration_s is not None:
                con.execute("UPDATE runs SET duration_s = ? WHERE run_id = ?", [duration_s, run_id])

    def finish_run(
        self,
        run: RunRecord,
        artifacts: Iterable[Artifact] = (),
        replaces: Sequence[str] = (),
        board: Mapping[str, Any] | None = None,
        descriptions: Mapping[str, str] | None = None,
    ) -> None:
        """Store metrics, artifacts and the finished status in one transaction.

        `replaces` names runs this one supersedes (`--overwrite`); they are deleted in the
        same transaction, so an overwrite that fails loses nothing. `board` (how the task is
        ranked here) and `descriptions` (each metric's) are stored so that the database ranks and
        explains its runs the same wherever it is read.
        """
        with self.transaction() as con:
            for old in replaces:
                for table in TABLES:
                    con.execute(f"DELETE FROM {table} WHERE run_id = ?", [old])
            con.execute("DELETE FROM metrics WHERE run_id = ?", [run.run_id])
            con.execute("DELETE FROM artifacts WHERE run_id = ?", [run.run_id])
            for m in run.metrics:
                con.execute(
                    "INSERT INTO metrics (run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary, "
                    "description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run.run_id,
                        m.name,
                        m.value,
                        m.ci_low,
                        m.ci_high,
                        m.higher_is_better,
                        m.primary,
                        (descriptions or {}).get(m.name),
                    ],
                )
            if board is not None:
                con.execute("UPDATE runs SET board = ? WHERE run_id = ?", [to_json(board), run.run_id])
            for a in artifacts:
                con.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?)", [run.run_id, a.name, a.kind, a.data])
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ?, duration_s = ?, n_samples = ? WHERE run_id = ?",
                [run.status, run.error, run.finished_at, run.duration_s, run.n_samples, run.run_id],
            )

    # -- reads -------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts from a short read-only connection; parameters are always bound, never formatted in."""
        with self.connect(read_only=True) as con:
            if self._current_version(con) == 0:
                return []
            return _rows(con, sql, params)

    def runs(
        self,
        task: str | Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        run_key: str | None = None,
        run_id_prefix: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        model: str | Sequence[str] | None = None,
        dataset: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RunRecord]:
        """Runs matching every given filter (a list means any of), most recent first.

        A `running` run whose process is gone reads as `interrupted` (and filters as such)."""
        with self.connect(read_only=True) as con:
            if self._current_version(con) == 0:
                return []
            dead = self._dead_runs(con)
            where, params = _run_filter(
                task=task,
                status=status,
                run_key=run_key,
                model=model,
                dataset=dataset,
                run_id_prefix=run_id_prefix,
                since=since,
                until=until,
                dead=dead,
            )
            sql = f"SELECT * REPLACE ({_STATUS} AS status) FROM runs {where} ORDER BY started_at DESC, run_id"
            if limit is not None:
                sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
            rows = _rows(con, sql, [dead, *params])
            metrics: dict[str, list[MetricValue]] = {}
            if rows:
                ids = [r["run_id"] for r in rows]
                for row in con.execute(
                    "SELECT run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary FROM metrics "
                    "WHERE list_contains(?, run_id) ORDER BY is_primary DESC, metric",
                    [ids],
                ).fetchall():
                    metrics.setdefault(row[0], []).append(MetricValue(*row[1:]))
        return [_run_record(r, metrics.get(r["run_id"], [])) for r in rows]

    def count_runs(self, **filters: Any) -> int:
        """How many runs `runs(**filters)` would return without a limit (for pagination)."""
        with self.connect(read_only=True) as con:
            if self._current_version(con) == 0:
                return 0
            dead = self._dead_runs(con)
            where, params = _run_filter(**filters, dead=dead)
            return con.execute(f"SELECT count(*) FROM runs {where}", params).fetchone()[0]

    def statuses(self) -> list[str]:
        """The statuses runs have, as `runs()` reports them (with `interrupted` for dead processes)."""
        with self.connect(read_only=True) as con:
            if self._current_version(con) == 0:
                return []
            dead = self._dead_runs(con)
            return [r[0] for r in con.execute(f"SELECT DISTINCT {_STATUS} AS s FROM runs ORDER BY s", [dead]).fetchall()]

    def _dead_runs(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Runs marked `running` whose owning process on this host no longer exists."""
        rows = con.execute("SELECT run_id, pid, host FROM runs WHERE status = 'running'").fetchall()
        return [run_id for run_id, pid, host in rows if not _alive(pid, host)]

    def version(self) -> int:
        """The schema version of the database file (0 when it does not exist or is empty)."""
        if not self.exists():
            return 0
        with self.connect(read_only=True) as con:
            return self._current_version(con)

    def get_run(self, run_id: str) -> RunRecord:
        """A run by id or unique id prefix (as git does for commits)."""
        matches = self.runs(run_id_prefix=run_id) if run_id else []
        exact = [r for r in matches if r.run_id == run_id]
        if exact:
            return exact[0]
        if not matches:
            import difflib

            ids = [r["run_id"] for r in self.query("SELECT run_id FROM runs")] if self.exists() else []
            close = difflib.get_close_matches(run_id, ids, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else " (`harness runs` lists them)"
            raise UnknownRunError(f"no run {run_id!r} in {self.path}{hint}")
        if len(matches) > 1:
            raise UnknownRunError(f"run id prefix {run_id!r} is ambiguous: {', '.join(r.run_id for r in matches[:5])}")
        return matches[0]

    def metric_descriptions(self, run_id: str) -> dict[str, str]:
        """Each metric's description as stored with the run (for metrics whose plugin is not installed)."""
        rows = self.query("SELECT metric, description FROM metrics WHERE run_id = ? AND description IS NOT NULL", [run_id])
        return {r["metric"]: r["description"] for r in rows}

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
            )
            for r in self.query(sql, params)
        ]

    def sample_pages(self, run_id: str, page_size: int = 1000) -> StoredSamples:
        """Every sample of a run as a sequence read page by page: renderers see the whole run
        without the page loading it all up front."""
        return StoredSamples(self, run_id, page_size)

    def count_samples(self, run_id: str, search: str | None = None) -> int:
        where, params = _sample_filter(run_id, search)
        rows = self.query(f"SELECT count(*) AS n FROM samples {where}", params)
        return rows[0]["n"] if rows else 0

    def sample_scores(self, run_id: str) -> list[dict[str, Any]]:
        """Only the scores, in dataset order: what aggregation needs, without inputs and predictions."""
        rows = self.query("SELECT scores FROM samples WHERE run_id = ? ORDER BY idx", [run_id])
        return [json.loads(r["scores"]) for r in rows]

    def artifacts(self, run_id: str) -> list[Artifact]:
        rows = self.query("SELECT name, kind, path_or_blob FROM artifacts WHERE run_id = ? ORDER BY name", [run_id])
        return [Artifact(r["name"], r["kind"], bytes(r["path_or_blob"] or b"")) for r in rows]

    def counts(self) -> dict[str, int]:
        if not self.exists():
            return dict.fromkeys(TABLES, 0)
        with self.connect(read_only=True) as con:
            if self._current_version(con) == 0:
                return dict.fromkeys(TABLES, 0)
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


class StoredSamples(Sequence[SampleRecord]):
    """A run's samples in dataset order, fetched from the store a page at a time.

    `len()` is one count query; iterating reads page after page; an index or a slice reads just
    what it covers. The most recent page is kept, so walking the samples in order reads each once.
    """

    def __init__(self, store: Store, run_id: str, page_size: int = 1000) -> None:
        self._store, self._run_id, self._page_size = store, run_id, max(1, page_size)
        self._length = store.count_samples(run_id)
        self._page: tuple[int, list[SampleRecord]] = (-1, [])

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[override]
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


# The status a reader reports: `running` becomes `interrupted` for the run ids bound to the `?`.
_STATUS = "CASE WHEN status = 'running' AND list_contains(?::VARCHAR[], run_id) THEN 'interrupted' ELSE status END"


def _run_filter(dead: Sequence[str] = (), **filters: Any) -> tuple[str, list[Any]]:
    """A WHERE clause over `runs` with every value bound as a parameter (`dead`: see `_STATUS`)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("task", "status", "run_key", "model", "dataset"):
        value = filters.get(column)
        if value is None:
            continue
        expression = f"({_STATUS})" if column == "status" else column
        status_params = [list(dead)] if column == "status" else []
        if isinstance(value, str):
            clauses.append(f"{expression} = ?")
            params += [*status_params, value]
        else:
            clauses.append(f"list_contains(?, {expression})")
            params += [list(value), *status_params]
    if filters.get("run_id_prefix") is not None:
        clauses.append("starts_with(run_id, ?)")
        params.append(filters["run_id_prefix"])
    if filters.get("since") is not None:
        clauses.append("started_at >= ?")
        params.append(filters["since"])
    if filters.get("until") is not None:
        clauses.append("started_at < ?")
        params.append(filters["until"])
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _sample_filter(run_id: str, search: str | None) -> tuple[str, list[Any]]:
    if not search:
        return "WHERE run_id = ?", [run_id]
    haystack = "lower(concat_ws(' ', sample_id, input::VARCHAR, prediction::VARCHAR, reference::VARCHAR))"
    return f"WHERE run_id = ? AND contains({haystack}, lower(?))", [run_id, search]


def _current_shape(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Temporary views over an older file's tables that add the columns later migrations added."""
    if version == 0:
        return
    added: dict[str, list[tuple[str, str]]] = {}
    for number in range(version + 1, SCHEMA_VERSION + 1):
        for table, columns in ADDED_COLUMNS.get(number, {}).items():
            added.setdefault(table, []).extend(columns)
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    for table, columns in added.items():
        extra = ", ".join(f"NULL::{kind} AS {name}" for name, kind in columns)
        con.execute(f'CREATE TEMP VIEW {table} AS SELECT *, {extra} FROM "{catalog}".main.{table}')


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _run_row(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "task": run.task,
        "task_version": run.task_version,
        "model": run.model,
        "model_config": to_json(run.model_config),
        "dataset": run.dataset,
        "split": run.split,
        "data_fingerprint": run.data_fingerprint,
        "seed": run.seed,
        "sample_limit": run.sample_limit,
        "run_key": run.run_key,
        "status": run.status,
        "error": run.error,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "n_samples": run.n_samples,
        "harness_version": run.harness_version,
        "plugin": run.plugin,
        "plugin_version": run.plugin_version,
        "model_plugin": run.model_plugin,
        "model_plugin_version": run.model_plugin_version,
        "git_commit": run.git_commit,
        "git_dirty": run.git_dirty,
        "python": run.python,
        "platform": run.platform,
        "packages": to_json(run.packages),
        "train_dataset": run.train_dataset,
        "train_fingerprint": run.train_fingerprint,
        "sweep_id": run.sweep_id,
    }


_NOT_IN_RECORD = ("board", "pid", "host")  # read by the leaderboard and the status check, not part of a run's record


def _run_record(row: dict[str, Any], metrics: list[MetricValue]) -> RunRecord:
    row = {k: v for k, v in row.items() if k not in _NOT_IN_RECORD}
    row["model_config"] = json.loads(row["model_config"])
    row["packages"] = json.loads(row["packages"]) if row["packages"] else {}
    return RunRecord(**row, metrics=metrics)
