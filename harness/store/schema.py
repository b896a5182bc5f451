"""The results database's tables, and the migrations that bring any older file to them.

A file records the migrations applied to it in `schema_version`; a writer applies the missing
ones in one transaction, and a reader (never writing) sees an older file in the current shape
through temporary views.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.store.errors import StoreError

if TYPE_CHECKING:
    import duckdb

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
    # 3: sweeps: which sweep computed a run, and each sweep's grid and progress.
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
    # 4: what a database needs to describe itself wherever it is read: the leaderboard
    # definition each run was ranked by and each metric's description, so a merged database ranks
    # the same where the plugin is not installed; and the process that owns a running run, so a run
    # whose process died reads as `interrupted` instead of `running` forever.
    """
    ALTER TABLE runs ADD COLUMN board JSON;
    ALTER TABLE runs ADD COLUMN pid BIGINT;
    ALTER TABLE runs ADD COLUMN host VARCHAR;
    ALTER TABLE metrics ADD COLUMN description VARCHAR;
    """,
    # 5: metric versions: the `Metric.version` behind each stored value and per-sample score (null:
    # stored before versions were), and the values `harness rescore` replaced, with when and why.
    """
    ALTER TABLE metrics ADD COLUMN version VARCHAR;
    ALTER TABLE samples ADD COLUMN versions JSON;
    CREATE TABLE metric_history (
        run_id VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        version VARCHAR,
        value DOUBLE,
        ci_low DOUBLE,
        ci_high DOUBLE,
        new_version VARCHAR,
        new_value DOUBLE,
        replaced_at TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL
    );
    """,
    # 6: models that send requests (served LLMs): each sample's exchange (request, completion,
    # tokens, latency, error), and the answers already received, so that no request is sent twice.
    """
    ALTER TABLE samples ADD COLUMN trace JSON;
    CREATE TABLE requests (
        cache_key VARCHAR PRIMARY KEY,
        endpoint VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        request JSON NOT NULL,
        answer JSON NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: Columns each migration added, so a read-only connection to an older file (the dashboard never
#: writes) sees the current shape through temporary views, with nulls where the file has nothing.
ADDED_COLUMNS: dict[int, dict[str, tuple[tuple[str, str], ...]]] = {
    2: {"runs": (("train_dataset", "VARCHAR"), ("train_fingerprint", "VARCHAR"))},
    3: {"runs": (("sweep_id", "VARCHAR"),)},
    4: {"runs": (("board", "JSON"), ("pid", "BIGINT"), ("host", "VARCHAR")), "metrics": (("description", "VARCHAR"),)},
    5: {"metrics": (("version", "VARCHAR"),), "samples": (("versions", "JSON"),)},
    6: {"samples": (("trace", "JSON"),)},
}
TABLES = ("runs", "metrics", "samples", "artifacts")


def utcnow() -> datetime:
    """A timestamp as the tables hold them: UTC, without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


#: The version each open read-only connection checked when it opened (by `id`, with the connection
#: itself, for as long as it is open; see `Connections.connect`): it cannot change while it is held.
CHECKED: dict[int, tuple[Any, int]] = {}


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open file: 0 when nothing was ever written to it."""
    known = CHECKED.get(id(con))
    if known is not None and known[0] is con:
        return known[1]
    import duckdb

    # Asked directly, and the catalog only when that fails: every connection asks, nearly every file
    # has the table, and a catalog lookup costs as much again as the answer. (Never inside a
    # transaction, which the failed statement would abort: callers ask before they begin one.)
    try:
        return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])
    except duckdb.CatalogException:
        if has_table(con, "schema_version"):
            raise
        return 0


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The file's schema version, refused when a newer harness wrote it (its tables may mean other things)."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this harness knows ({SCHEMA_VERSION}): upgrade kexue-harness"
        )
    return version


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Apply the migrations the file lacks, all in one transaction."""
    version = check_version(con, path)
    if version < SCHEMA_VERSION:
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            con.execute(MIGRATIONS[number - 1])
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [number, utcnow()])
        con.execute("COMMIT")


def current_shape(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Temporary views over an older file's tables that add the columns later migrations added."""
    if version == 0:
        return
    added: dict[str, list[tuple[str, str]]] = {}
    for number in range(version + 1, SCHEMA_VERSION + 1):
        for table, columns in ADDED_COLUMNS.get(number, {}).items():
            added.setdefault(table, []).extend(columns)
    if not added:  # the current shape already
        return
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    for table, nulls in added.items():
        extra = ", ".join(f"NULL::{kind} AS {name}" for name, kind in nulls)
        con.execute(f'CREATE TEMP VIEW {table} AS SELECT *, {extra} FROM "{catalog}".main.{table}')


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the file has table `name` (an older file may lack a later migration's tables)."""
    # duckdb_tables() (base tables only) rather than information_schema.tables: the same answer at
    # a third of the cost, and every connection asks it
    return bool(
        con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()", [name]
        ).fetchall()
    )
