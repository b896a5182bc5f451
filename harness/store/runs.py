"""Runs and their metrics and artifacts: recording a run as it progresses, and reading runs back."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from harness.names import resolve_id
from harness.records import Artifact, MetricValue, RunRecord, to_json
from harness.store.connection import Connections, rows
from harness.store.errors import UnknownRunError
from harness.store.schema import TABLES, current_version

if TYPE_CHECKING:
    import duckdb

#: Columns of `runs` a reader may list the distinct values of (`distinct_values`).
LISTED_COLUMNS = ("run_id", "task", "model", "dataset", "split", "status", "sweep_id")


class Runs(Connections):
    # -- writes ------------------------------------------------------------------------------

    def insert_run(self, run: RunRecord) -> None:
        """Record a new run as owned by this process (pid and host), so readers can tell when it died."""
        row = run_row(run)
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
                for table in (*TABLES, "metric_history"):
                    con.execute(f"DELETE FROM {table} WHERE run_id = ?", [old])
            con.execute("DELETE FROM metrics WHERE run_id = ?", [run.run_id])
            con.execute("DELETE FROM artifacts WHERE run_id = ?", [run.run_id])
            for m in run.metrics:
                con.execute(INSERT_METRIC, metric_row(run.run_id, m, descriptions))
            if board is not None:
                con.execute("UPDATE runs SET board = ? WHERE run_id = ?", [to_json(board), run.run_id])
            for a in artifacts:
                con.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?)", [run.run_id, a.name, a.kind, a.data])
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ?, duration_s = ?, n_samples = ? WHERE run_id = ?",
                [run.status, run.error, run.finished_at, run.duration_s, run.n_samples, run.run_id],
            )

    # -- reads -------------------------------------------------------------------------------

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
        sweep_id: str | Sequence[str] | None = None,
    ) -> list[RunRecord]:
        """Runs matching every given filter (a list means any of), most recent first.

        A `running` run whose process is gone reads as `interrupted` (and filters as such)."""
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return []
            dead = _dead_runs(con)
            where, params = _run_filter(
                task=task,
                status=status,
                run_key=run_key,
                model=model,
                dataset=dataset,
                run_id_prefix=run_id_prefix,
                since=since,
                until=until,
                sweep_id=sweep_id,
                dead=dead,
            )
            sql = f"SELECT * REPLACE ({_STATUS} AS status) FROM runs {where} ORDER BY started_at DESC, run_id"
            if limit is not None:
                sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
            found = rows(con, sql, [dead, *params])
            metrics: dict[str, list[MetricValue]] = {}
            if found:
                ids = [r["run_id"] for r in found]
                for row in con.execute(
                    "SELECT run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary, version FROM metrics "
                    "WHERE list_contains(?, run_id) ORDER BY is_primary DESC, metric",
                    [ids],
                ).fetchall():
                    metrics.setdefault(row[0], []).append(MetricValue(*row[1:]))
        return [_run_record(r, metrics.get(r["run_id"], [])) for r in found]

    def count_runs(self, **filters: Any) -> int:
        """How many runs `runs(**filters)` would return without a limit (for pagination)."""
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return 0
            dead = _dead_runs(con)
            where, params = _run_filter(**filters, dead=dead)
            return int(con.execute(f"SELECT count(*) FROM runs {where}", params).fetchall()[0][0])

    def statuses(self) -> list[str]:
        """The statuses runs have, as `runs()` reports them (with `interrupted` for dead processes)."""
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return []
            dead = _dead_runs(con)
            return [r[0] for r in con.execute(f"SELECT DISTINCT {_STATUS} AS s FROM runs ORDER BY s", [dead]).fetchall()]

    def get_run(self, run_id: str) -> RunRecord:
        """A run by id or unique id prefix (as git does for commits)."""
        by_id = {r.run_id: r for r in (self.runs(run_id_prefix=run_id) if run_id else [])}
        return by_id[
            resolve_id(
                run_id,
                list(by_id),
                kind="run",
                where=self.path,
                known=lambda: self.distinct_values("run_id") if self.exists() else [],
                listing="harness runs",
                error=UnknownRunError,
            )
        ]

    def distinct_values(self, column: str, status: str | None = None) -> list[Any]:
        """The values `column` of `runs` takes (of runs with `status`, if given), sorted: what a
        filter or a name check offers. As stored: a dead `running` run still counts as running."""
        if column not in LISTED_COLUMNS:
            raise ValueError(f"not a listed column of runs: {column!r} (listed: {', '.join(LISTED_COLUMNS)})")
        where, params = ("WHERE status = ?", [status]) if status is not None else ("", [])
        return [r[column] for r in self.query(f"SELECT DISTINCT {column} FROM runs {where} ORDER BY {column}", params)]

    def datasets_and_splits(self, task: str) -> list[dict[str, Any]]:
        """The (dataset, split) pairs the task's runs used, sorted, as rows with those two keys."""
        return self.query("SELECT DISTINCT dataset, split FROM runs WHERE task = ? ORDER BY ALL", [task])

    def runs_by_key(self, run_keys: Sequence[str]) -> list[dict[str, Any]]:
        """The stored runs of these run keys, newest first, in brief (id, key, status, duration,
        error, sweep, finished): what a sweep needs to skip, resume or report each of its runs."""
        if not run_keys:
            return []
        return self.query(
            "SELECT run_id, run_key, status, duration_s, error, sweep_id, finished_at FROM runs "
            "WHERE list_contains(?, run_key) ORDER BY started_at DESC",
            [list(run_keys)],
        )

    def primary_metrics(self, run_ids: Sequence[str]) -> dict[str, tuple[str, float | None]]:
        """Each run's primary metric and its value."""
        if not run_ids:
            return {}
        found = self.query(
            "SELECT run_id, metric, value FROM metrics WHERE is_primary AND list_contains(?, run_id)", [list(run_ids)]
        )
        return {m["run_id"]: (m["metric"], m["value"]) for m in found}

    def metric_descriptions(self, run_id: str) -> dict[str, str]:
        """Each metric's description as stored with the run (for metrics whose plugin is not installed)."""
        found = self.query("SELECT metric, description FROM metrics WHERE run_id = ? AND description IS NOT NULL", [run_id])
        return {r["metric"]: r["description"] for r in found}

    def artifacts(self, run_id: str) -> list[Artifact]:
        found = self.query("SELECT name, kind, path_or_blob FROM artifacts WHERE run_id = ? ORDER BY name", [run_id])
        return [Artifact(r["name"], r["kind"], bytes(r["path_or_blob"] or b"")) for r in found]


INSERT_METRIC = (
    "INSERT INTO metrics (run_id, metric, value, ci_low, ci_high, higher_is_better, is_primary, description, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def metric_row(run_id: str, m: MetricValue, descriptions: Mapping[str, str] | None) -> list[Any]:
    """A metric as the values of its `metrics` row, in the column order of `INSERT_METRIC`."""
    description = (descriptions or {}).get(m.name)
    return [run_id, m.name, m.value, m.ci_low, m.ci_high, m.higher_is_better, m.primary, description, m.version]


def run_row(run: RunRecord) -> dict[str, Any]:
    """A run as its row of `runs` (JSON columns as text), without the columns only the store sets."""
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


# The status a reader reports: `running` becomes `interrupted` for the run ids bound to the `?`.
_STATUS = "CASE WHEN status = 'running' AND list_contains(?::VARCHAR[], run_id) THEN 'interrupted' ELSE status END"


def _run_filter(dead: Sequence[str] = (), **filters: Any) -> tuple[str, list[Any]]:
    """A WHERE clause over `runs` with every value bound as a parameter (`dead`: see `_STATUS`)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("task", "status", "run_key", "model", "dataset", "sweep_id"):
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


def _dead_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Runs marked `running` whose owning process on this host no longer exists."""
    found = con.execute("SELECT run_id, pid, host FROM runs WHERE status = 'running'").fetchall()
    return [run_id for run_id, pid, host in found if not _alive(pid, host)]


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
