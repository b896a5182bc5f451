"""Moving runs between databases as Parquet: how results from many machines are merged."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from harness.store import SCHEMA_VERSION, TABLES, Store, StoreError

MANIFEST = "manifest.json"


def _literal(path: Path) -> str:
    """COPY takes its target as a literal, not a parameter: quote it as SQL quotes strings."""
    return "'" + str(path).replace("'", "''") + "'"


def export_runs(store: Store, directory: Path, task: str | None = None, run_ids: list[str] | None = None) -> int:
    """Write the selected runs, with their metrics, samples and artifacts, to DIR/<table>.parquet."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".harness-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"cannot write the export to {directory}: {exc.strerror or exc}; "
                         "choose a folder you can write to") from exc
    clauses, params = [], []
    if task:
        clauses.append("task = ?")
        params.append(task)
    if run_ids:
        clauses.append("list_contains(?, run_id)")
        params.append(run_ids)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.connect(read_only=True) as con:
        con.execute(f"CREATE TEMP TABLE chosen AS SELECT run_id FROM runs {where}", params)
        count = con.execute("SELECT count(*) FROM chosen").fetchone()[0]
        for table in TABLES:
            target = directory / f"{table}.parquet"
            try:
                con.execute(
                    f"COPY (SELECT * FROM {table} WHERE run_id IN (SELECT run_id FROM chosen) ORDER BY ALL) "
                    f"TO {_literal(target)} (FORMAT parquet)"
                )
            except duckdb.IOException as exc:
                raise StoreError(f"cannot write {target}: {str(exc).splitlines()[0]}") from exc
        if _has_table(con, SWEEPS):  # the sweeps that computed the chosen runs travel with them
            con.execute(f"COPY (SELECT * FROM {SWEEPS} WHERE sweep_id IN (SELECT sweep_id FROM runs WHERE run_id IN "
                        f"(SELECT run_id FROM chosen)) ORDER BY ALL) TO {_literal(directory / (SWEEPS + '.parquet'))} "
                        "(FORMAT parquet)")
    (directory / MANIFEST).write_text(json.dumps({"schema_version": SCHEMA_VERSION, "runs": count}) + "\n")
    return count


SWEEPS = "sweeps"  # keyed by sweep id, not run id: optional in an export (sweep workers write none)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_type = 'BASE TABLE'",
                            [name]).fetchall())


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
    with store.transaction() as con:
        con.execute("CREATE TEMP TABLE incoming AS SELECT * FROM read_parquet(?, union_by_name = true)", [files["runs"]])
        con.execute("DELETE FROM incoming WHERE run_id IN (SELECT run_id FROM runs WHERE status = 'finished')")
        added = con.execute("SELECT count(*) FROM incoming").fetchone()[0]
        for table in TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM incoming) OR list_contains(?, run_id)",
                        [list(replaces)])
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
            con.execute(f"INSERT OR IGNORE INTO {SWEEPS} BY NAME SELECT * FROM read_parquet(?, union_by_name = true)",
                        [sweeps])
    return added


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
