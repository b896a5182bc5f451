"""Moving runs between databases as Parquet: how results from many machines are merged."""

from __future__ import annotations

import json
from pathlib import Path

from harness.store import SCHEMA_VERSION, TABLES, Store, StoreError

MANIFEST = "manifest.json"


def _literal(path: Path) -> str:
    """COPY takes its target as a literal, not a parameter: quote it as SQL quotes strings."""
    return "'" + str(path).replace("'", "''") + "'"


def export_runs(store: Store, directory: Path, task: str | None = None, run_ids: list[str] | None = None) -> int:
    """Write the selected runs, with their metrics, samples and artifacts, to DIR/<table>.parquet."""
    directory.mkdir(parents=True, exist_ok=True)
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
            con.execute(
                f"COPY (SELECT * FROM {table} WHERE run_id IN (SELECT run_id FROM chosen) ORDER BY ALL) "
                f"TO {_literal(target)} (FORMAT parquet)"
            )
    (directory / MANIFEST).write_text(json.dumps({"schema_version": SCHEMA_VERSION, "runs": count}) + "\n")
    return count


def import_runs(store: Store, directory: Path) -> int:
    """Add the runs in DIR to the store; runs already present are left as they are (idempotent)."""
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
    with store.transaction() as con:
        con.execute("CREATE TEMP TABLE incoming AS SELECT * FROM read_parquet(?)", [str(directory / "runs.parquet")])
        con.execute("DELETE FROM incoming WHERE run_id IN (SELECT run_id FROM runs)")
        added = con.execute("SELECT count(*) FROM incoming").fetchone()[0]
        con.execute("INSERT INTO runs BY NAME SELECT * FROM incoming")
        for table in TABLES[1:]:
            con.execute(
                f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM read_parquet(?) "
                "WHERE run_id IN (SELECT run_id FROM incoming)",
                [str(directory / f"{table}.parquet")],
            )
        con.execute("DROP TABLE incoming")
    return added
