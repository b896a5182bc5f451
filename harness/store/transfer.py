"""Moving runs between databases as Parquet: how results from many machines are merged."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from harness.api import ConfigError
from harness.store import SCHEMA_VERSION, TABLES, Store, StoreError, first_line, has_table

MANIFEST = "manifest.json"


def _literal(path: Path) -> str:
    """COPY takes its target as a literal, not a parameter: quote it as SQL quotes strings."""
    return "'" + str(path).replace("'", "''") + "'"


def export_runs(
    store: Store,
    directory: Path,
    task: str | None = None,
    run_ids: list[str] | None = None,
    force: bool = False,
    sweep_id: str | None = None,
) -> int:
    """Write the selected runs, with their metrics, samples and artifacts, to DIR/<table>.parquet.

    A folder that already holds an export is refused unless `force`: replacing it silently loses
    the runs it held (the usual slip is exporting two machines' results into one folder).
    """
    ours = [directory / name for name in (MANIFEST, *(f"{t}.parquet" for t in (*TABLES, SWEEPS)))]
    if directory.is_dir() and any(path.exists() for path in ours) and not force:
        raise ConfigError(
            f"{directory} already holds an export: choose another folder (one export per folder; "
            "`harness import` takes several), or pass --force to replace it"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".harness-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(
            f"cannot write the export to {directory}: {exc.strerror or exc}; choose a folder you can write to"
        ) from exc
    clauses: list[str] = []
    params: list[Any] = []
    if task:
        clauses.append("task = ?")
        params.append(task)
    if run_ids:
        clauses.append("list_contains(?, run_id)")
        params.append(run_ids)
    if sweep_id:
        clauses.append("sweep_id = ?")
        params.append(sweep_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.connect(read_only=True) as con:
        for path in ours:  # --force, once the database is open: no file of the old export may pass for the new one's
            path.unlink(missing_ok=True)
        con.execute(f"CREATE TEMP TABLE chosen AS SELECT run_id FROM runs {where}", params)
        count = con.execute("SELECT count(*) FROM chosen").fetchall()[0][0]
        for table in TABLES:
            target = directory / f"{table}.parquet"
            try:
                con.execute(
                    f"COPY (SELECT * FROM {table} WHERE run_id IN (SELECT run_id FROM chosen) ORDER BY ALL) "
                    f"TO {_literal(target)} (FORMAT parquet)"
                )
            except duckdb.IOException as exc:
                raise StoreError(f"cannot write {target}: {first_line(exc)}") from exc
        if has_table(con, SWEEPS):  # the sweeps that computed the chosen runs travel with them
            con.execute(
                f"COPY (SELECT * FROM {SWEEPS} WHERE sweep_id IN (SELECT sweep_id FROM runs WHERE run_id IN "
                f"(SELECT run_id FROM chosen)) ORDER BY ALL) TO {_literal(directory / (SWEEPS + '.parquet'))} "
                "(FORMAT parquet)"
            )
    (directory / MANIFEST).write_text(json.dumps({"schema_version": SCHEMA_VERSION, "runs": count}) + "\n")
    return int(count)


SWEEPS = "sweeps"  # keyed by sweep id, not run id: optional in an export (sweep workers write none)


def import_runs(store: Store, directory: Path | Sequence[Path], replaces: Sequence[str] = ()) -> int:
    """Add the runs in DIR (or in several export directories at once) to the store, in one transaction.

    A run already stored as finished is left as it is, so importing twice changes nothing; so is a
    sweep (the `sweeps` row of the sweep that computed exported runs) already stored. A run
    stored unfinished (running, or failed) is replaced by the incoming one with the same id: that
    is how a sweep's driver stores a resumed run. `replaces` names stored runs deleted in the same
    transaction (a sweep's `--overwrite`). Returns how many runs were added or replaced.
    """
    directories = [directory] if isinstance(directory, Path) else list(directory)
    if not directories:
        return 0
    for folder in directories:
        _check_export(folder)
    files = {table: [str(folder / f"{table}.parquet") for folder in directories] for table in TABLES}
    try:
        return _import(store, directories, files, replaces)
    except duckdb.Error as exc:  # what the file checks could not see (a damaged data page): still one line
        culprit = _unreadable([path for paths in files.values() for path in paths])
        where = f"{culprit} is damaged" if culprit else f"cannot import {', '.join(map(str, directories))}"
        raise StoreError(
            f"{where}: {first_line(exc)}; nothing was imported: export the runs again with `harness export`"
        ) from exc


def exported_runs(directories: Sequence[Path]) -> int:
    """How many runs the exports in `directories` hold (an import reports the ones it skipped)."""
    con = duckdb.connect()
    try:
        files = [str(folder / "runs.parquet") for folder in directories]
        return int(con.execute("SELECT count(*) FROM read_parquet(?, union_by_name = true)", [files]).fetchall()[0][0])
    finally:
        con.close()


def _unreadable(paths: list[str]) -> str | None:
    """The first file that cannot be read whole (only looked for once an import has failed)."""
    con = duckdb.connect()
    try:
        for path in paths:
            try:
                con.execute("SELECT * FROM read_parquet(?)", [path]).fetchall()
            except duckdb.Error:
                return path
    finally:
        con.close()
    return None


def _import(store: Store, directories: list[Path], files: dict[str, list[str]], replaces: Sequence[str]) -> int:
    with store.transaction() as con:
        _check_files(con, directories)
        con.execute("CREATE TEMP TABLE incoming AS SELECT * FROM read_parquet(?, union_by_name = true)", [files["runs"]])
        con.execute("DELETE FROM incoming WHERE run_id IN (SELECT run_id FROM runs WHERE status = 'finished')")
        added = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        for table in (*TABLES, "metric_history"):
            con.execute(
                f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM incoming) OR list_contains(?, run_id)", [list(replaces)]
            )
        con.execute("INSERT INTO runs BY NAME SELECT * FROM incoming")
        for table in TABLES[1:]:
            con.execute(
                f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM read_parquet(?, union_by_name = true) "
                "WHERE run_id IN (SELECT run_id FROM incoming)",
                [files[table]],
            )
        con.execute("DROP TABLE incoming")
        sweeps = [str(folder / f"{SWEEPS}.parquet") for folder in directories if (folder / f"{SWEEPS}.parquet").exists()]
        if sweeps:  # a sweep already here (the same one, merged twice or from two machines) is kept as it is
            con.execute(f"INSERT OR IGNORE INTO {SWEEPS} BY NAME SELECT * FROM read_parquet(?, union_by_name = true)", [sweeps])
    return int(added)


def _check_files(con: duckdb.DuckDBPyConnection, directories: list[Path]) -> None:
    """Each Parquet file must be readable and hold every column its table cannot do without: a
    damaged or hand-edited export is refused naming the file, before anything is written."""
    tables = [*TABLES, SWEEPS]
    # one catalog query for every table: `information_schema.columns` asked table by table cost
    # about 20 ms of CPU per import, which a sweep's driver makes after every few runs
    required: dict[str, list[str]] = {table: [] for table in tables}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' AND NOT is_nullable "
        "AND list_contains(?, table_name) ORDER BY table_name, column_index",
        [tables],
    ).fetchall():
        required[table].append(column)
    for table in tables:
        for folder in directories:
            path = folder / f"{table}.parquet"
            if table == SWEEPS and not path.exists():
                continue
            try:
                columns = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
            except duckdb.Error as exc:
                raise StoreError(
                    f"{path} is not a readable Parquet file ({first_line(exc)}); nothing was imported: "
                    "export the runs again with `harness export`"
                ) from exc
            missing = [column for column in required[table] if column not in columns]
            if missing:
                raise StoreError(
                    f"{path} lacks the column(s) {', '.join(missing)} that {table} requires; nothing was "
                    "imported: export the runs again with `harness export`"
                )


def _check_export(directory: Path) -> None:
    manifest = directory / MANIFEST
    if not manifest.exists():
        raise StoreError(f"{directory} holds no {MANIFEST}: not a directory written by `harness export`")
    try:
        version = json.loads(manifest.read_text())["schema_version"]
    except (ValueError, KeyError) as exc:
        raise StoreError(f"{manifest} is not a valid export manifest: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise StoreError(f"{directory} was exported with schema version {version}; this harness knows {SCHEMA_VERSION}")
    for table in TABLES:
        if not (directory / f"{table}.parquet").exists():
            raise StoreError(f"{directory} is missing {table}.parquet")
