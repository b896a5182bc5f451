"""The DuckDB store as a public interface: schema, versioning, export/import, read-only errors."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from conftest import copy_into, fill_once

from harness.runner.run import Runner, RunRequest
from harness.store import SCHEMA_VERSION, Store, StoreError
from harness.store.transfer import export_runs, import_runs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "site"

DOCUMENTED = {
    "runs": [
        "run_id",
        "task",
        "task_version",
        "model",
        "model_config",
        "dataset",
        "split",
        "data_fingerprint",
        "seed",
        "sample_limit",
        "run_key",
        "status",
        "error",
        "started_at",
        "finished_at",
        "duration_s",
        "n_samples",
        "harness_version",
        "plugin",
        "plugin_version",
        "model_plugin",
        "model_plugin_version",
        "git_commit",
        "git_dirty",
        "python",
        "platform",
        "packages",
        "train_dataset",
        "train_fingerprint",
        "sweep_id",
        "board",
        "pid",
        "host",
    ],
    "metrics": ["run_id", "metric", "value", "ci_low", "ci_high", "higher_is_better", "is_primary", "description", "version"],
    "samples": ["run_id", "sample_id", "idx", "input", "prediction", "reference", "scores", "versions", "trace"],
    "artifacts": ["run_id", "name", "kind", "path_or_blob"],
    "metric_history": [
        "run_id",
        "metric",
        "version",
        "value",
        "ci_low",
        "ci_high",
        "new_version",
        "new_value",
        "replaced_at",
        "reason",
    ],
    "requests": ["cache_key", "endpoint", "model", "request", "answer", "created_at"],
    "schema_version": ["version", "applied_at"],
    "sweeps": [
        "sweep_id",
        "name",
        "grid_key",
        "grid",
        "plan",
        "executor",
        "status",
        "total",
        "done",
        "failed",
        "cached",
        "started_at",
        "updated_at",
        "finished_at",
    ],
}


def fill(registry, db, seeds=(0, 1)):
    runner = Runner(registry, Store(db))
    return [runner.run(RunRequest(task="doubling", model="noisy", seed=s)).run for s in seeds]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Two runs of the toy doubling task (seeds 0 and 1), recorded once per module."""
    return fill_once(
        tmp_path_factory,
        "store",
        lambda runner: [runner.run(RunRequest(task="doubling", model="noisy", seed=s)).run for s in (0, 1)],
    )


@pytest.fixture
def filled(template, db):
    """The template's two runs in this test's own copy of its database (tests write to it)."""
    copy_into(template[0], db)
    return template[1]


def dump(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in DOCUMENTED
            if t not in ("schema_version", "sweeps", "requests")
        }


def _described_columns() -> dict[str, dict[str, str]]:
    """Column descriptions of docs/site/schema.yml (what the site's schema page shows), read as
    plain text: the top-level keys are tables, the four-space-indented keys under `columns:` their
    columns."""
    described: dict[str, dict[str, str]] = {}
    table = None
    for line in (DOCS / "schema.yml").read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"(\w+):\s*", line):
            table = described.setdefault(match.group(1), {})
        elif table is not None and (match := re.fullmatch(r" {4}(\w+):\s*(.*)", line)):
            table[match.group(1)] = match.group(2).strip().strip('"')
    return described


def test_arrow_columns_are_what_pyarrow_array_makes_of_the_same_values():
    """The store writes samples and exports through `column` (which never imports pandas): each
    type it writes, with missing values, and values it leaves to `pyarrow.array`, come out equal."""
    from datetime import UTC, datetime, timedelta, timezone

    import pyarrow as pa

    from harness.store.arrow import column

    cases = [
        (["a", None, "", "é" * 3], pa.string()),
        ([b"\x00\xff", None, b"", "text"], pa.binary()),
        ([1, None, -5, 2**62], pa.int64()),
        ([1.5, None, 3, -0.0], pa.float64()),
        ([True, False, None] * 3, pa.bool_()),
        ([datetime(2026, 12, 3, 15, 1, 2, 345678), None, datetime(1960, 1, 1)], pa.timestamp("us")),
        ([datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 1, 1, tzinfo=UTC)], pa.timestamp("us")),
        ([], pa.string()),
        ([None, None], pa.int64()),
        ([1.5, 2.0], pa.int64()),  # not plain integers: left to pyarrow.array, which converts them as ever
        ([[1], [2, 3]], pa.list_(pa.int64())),
    ]
    for values, arrow_type in cases:
        built = column(values, arrow_type)
        built.validate(full=True)
        assert built.equals(pa.array(values, arrow_type)), (values, arrow_type)
    with pytest.raises(pa.ArrowTypeError):  # a number where text belongs is refused, as pyarrow.array refuses it
        column([5], pa.string())


def test_schema_matches_the_docs(filled, db):
    with duckdb.connect(str(db), read_only=True) as con:
        for table, columns in DOCUMENTED.items():
            actual = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert actual == columns, table
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        # JSON columns are queryable with DuckDB's JSON functions, as the schema page shows
        assert con.execute("SELECT model_config->>'every' FROM runs").fetchone()[0] == "4"
    # The schema page (docs/site/schema.md) shows a table per store table, described in schema.yml.
    page = (DOCS / "schema.md").read_text(encoding="utf-8")
    assert f"Schema version {SCHEMA_VERSION}." in page
    described = _described_columns()
    for table, columns in DOCUMENTED.items():
        assert f"<!-- schema: {table} -->" in page, f"docs/site/schema.md has no table {table}"
        assert list(described.get(table, {})) == columns, f"docs/site/schema.yml does not describe {table} as stored"
        for column in columns:
            assert described[table][column], f"docs/site/schema.yml: {table}.{column} has no description"


def test_export_import_is_lossless_and_idempotent(filled, db, tmp_path):
    assert export_runs(Store(db), tmp_path / "out") == 2
    target = tmp_path / "merged.duckdb"
    assert import_runs(Store(target), tmp_path / "out") == 2
    assert import_runs(Store(target), tmp_path / "out") == 0
    assert dump(target) == dump(db)


def test_import_merges_runs_from_two_machines(arith, tmp_path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    fill(arith, first, seeds=(0,))
    fill(arith, second, seeds=(1,))
    export_runs(Store(second), tmp_path / "b")
    import_runs(Store(first), tmp_path / "b")
    assert sorted(r.seed for r in Store(first).runs()) == [0, 1]


def test_export_can_select_runs(filled, db, tmp_path):
    runs = filled
    assert export_runs(Store(db), tmp_path / "one", run_ids=[runs[1].run_id]) == 1
    import_runs(Store(tmp_path / "t.duckdb"), tmp_path / "one")
    assert [r.run_id for r in Store(tmp_path / "t.duckdb").runs()] == [runs[1].run_id]


def test_import_of_a_foreign_directory_is_refused_and_loses_nothing(filled, db, tmp_path):
    before = dump(db)
    (tmp_path / "junk").mkdir()
    with pytest.raises(StoreError, match="not a directory written by `harness export`"):
        import_runs(Store(db), tmp_path / "junk")
    assert dump(db) == before


def test_newer_schema_is_refused(db):
    Store(db).init()
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="newer than this harness knows"):
        Store(db).runs()


def test_missing_database_gives_a_helpful_message(tmp_path):
    with pytest.raises(StoreError, match=r"no results database at .* run `harness run"):
        Store(tmp_path / "nothing.duckdb").get_run("abc")


def test_run_ids_resolve_by_unique_prefix(filled, db):
    runs = filled
    store = Store(db)
    assert store.get_run(runs[0].run_id[:8]).run_id == runs[0].run_id
    with pytest.raises(StoreError, match="no run 'zzz'"):
        store.get_run("zzz")


def test_cli_export_import_round_trip(harness_cli, filled, db, tmp_path):
    harness_cli("export", "--format", "parquet", str(tmp_path / "out"))
    out = harness_cli("import", str(tmp_path / "out"), "--db", str(tmp_path / "copy.duckdb")).stdout
    assert "imported 2 new run(s)" in out
    assert dump(tmp_path / "copy.duckdb") == dump(db)


def version_1_file(db, registry):
    """A database as harness 0.1 with schema version 1 wrote it: one finished run."""
    from harness.store import MIGRATIONS

    Store(db).init()
    fill(registry, db, seeds=(0,))
    with duckdb.connect(str(db)) as con:
        rows = con.execute("SELECT * EXCLUDE (train_dataset, train_fingerprint, sweep_id, board, pid, host) FROM runs").fetchall()
        con.execute("ALTER TABLE metrics DROP COLUMN description")
        con.execute("ALTER TABLE metrics DROP COLUMN version")
        con.execute("ALTER TABLE samples DROP COLUMN versions")
        con.execute("ALTER TABLE samples DROP COLUMN trace")
        con.execute("DROP TABLE metric_history")
        con.execute("DROP TABLE requests")
        con.execute("DROP TABLE runs")
        con.execute("DROP TABLE sweeps")
        con.execute(MIGRATIONS[0].split("CREATE TABLE metrics")[0])  # v1's runs table
        con.execute(f"INSERT INTO runs VALUES ({', '.join('?' * len(rows[0]))})", list(rows[0]))
        con.execute("DELETE FROM schema_version WHERE version > 1")


def test_a_version_1_file_reads_as_is_and_migrates_on_the_first_write(arith, db):
    version_1_file(db, arith)
    before = db.read_bytes()
    run = Store(db).runs()[0]  # a read-only view of the current shape: nothing written
    assert run.status == "finished" and run.train_dataset is None
    assert db.read_bytes() == before
    fill(arith, db, seeds=(1,))  # a write migrates first
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT count(*), count(train_dataset) FROM runs").fetchone() == (2, 0)
        assert con.execute("SELECT count(*), count(trace) FROM samples").fetchone() == (400, 0)
        assert con.execute("SELECT count(*) FROM requests").fetchone() == (0,)


def test_each_new_database_of_one_process_is_whole_and_its_own(arith, tmp_path):
    """A process writes its later empty databases as copies of its first: each is complete at the
    current schema, and what one stores never shows in another."""
    first, second = tmp_path / "a" / "first.duckdb", tmp_path / "b" / "second.duckdb"
    fill(arith, first, seeds=(0,))
    Store(second).init()
    fill(arith, second, seeds=(1, 2))
    assert [r.seed for r in Store(first).runs()] == [0]
    assert sorted(r.seed for r in Store(second).runs()) == [1, 2]
    for path in (first, second):
        assert Store(path).version() == SCHEMA_VERSION
        with duckdb.connect(str(path), read_only=True) as con:  # DuckDB's own reading of the file
            assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 200 * (1 if path == first else 2)
    assert sorted(p.name for p in tmp_path.rglob("*duckdb*")) == ["first.duckdb", "second.duckdb"]  # no private copy left


def test_a_file_without_the_harness_tables_reads_as_empty(tmp_path):
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:  # a DuckDB file of someone else's: no schema_version table
        con.execute("CREATE TABLE notes (x INTEGER)")
    assert Store(db).version() == 0 and Store(db).runs() == [] and Store(db).query("SELECT 1") == []


def test_renderers_reach_every_sample_page_by_page(filled, db):
    run = filled[0]
    store = Store(db)
    every = store.sample_pages(run.run_id, page_size=13)
    whole = store.samples(run.run_id)
    assert len(every) == len(whole) == 200
    assert list(every) == whole
    assert every[0] == whole[0] and every[-1] == whole[-1] and every[150] == whole[150]
    assert every[10:25] == whole[10:25] and every[190:500] == whole[190:] and every[::50] == whole[::50]
    with pytest.raises(IndexError):
        every[200]


def test_reads_inside_reading_share_one_connection_and_it_closes_after(arith, filled, db, monkeypatch):
    store = Store(db)
    from harness.store import connection

    opened = []
    real_open = connection._ATTACHED.open
    monkeypatch.setattr(connection._ATTACHED, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with store.reading():
        runs = store.runs()
        assert store.query("SELECT count(*) AS n FROM runs") == [{"n": len(runs)}]
        from harness.leaderboard.ranking import rank

        assert rank(store, "doubling", registry=arith)[0].standings
    assert len(opened) == 1
    with store.transaction() as con:  # the file is free again for a writer
        con.execute("SELECT 1")


def test_a_file_another_process_is_still_creating_is_waited_for_not_called_damaged(db):
    """DuckDB creates a new file before locking it: a writer that opens it in that instant reads no
    header. The store waits for the file to settle instead of reporting it damaged."""
    import threading
    import time

    import duckdb

    db.write_bytes(b"")  # what a second writer sees while the first is creating the file
    made = db.with_name("made.duckdb")
    duckdb.connect(str(made)).close()

    def create() -> None:  # the other process's file, complete 0.3 s later
        time.sleep(0.3)
        made.replace(db)

    creator = threading.Thread(target=create)
    creator.start()
    with Store(db).transaction() as con:
        con.execute("SELECT 1")
    creator.join()
    assert Store(db).runs() == []


def test_a_connection_of_the_users_own_in_this_process_shares_the_file(arith, filled, db):
    import duckdb

    with duckdb.connect(str(db), read_only=True) as mine:  # a notebook's own connection, left open
        assert Store(db).runs() and mine.execute("SELECT count(*) FROM runs").fetchall()[0][0] >= 1


def test_a_file_that_stays_damaged_is_reported_as_damaged(db, monkeypatch):
    monkeypatch.setattr("harness.store.connection.SETTLE_S", 0.1)  # how long damage must last to be believed
    db.write_bytes(b"not a database" * 1000)
    with pytest.raises(StoreError, match="is damaged"):
        Store(db).runs()


def test_the_request_cache_keeps_the_latest_answer_per_key(db):
    """A batch stored in one statement: new keys are added, a key asked again (`--no-cache`) is
    replaced, and a key answered twice within one batch keeps its last answer."""
    store = Store(db)
    store.init()

    def entry(key: str, text: str) -> dict:
        return {"key": key, "endpoint": "http://127.0.0.1:1/v1", "model": "m", "request": {"q": key}, "answer": {"text": text}}

    store.cache_answers([entry("a", "1"), entry("b", "2")])
    store.cache_answers([entry("b", "3"), entry("c", "4"), entry("c", "5")])
    assert store.count_requests() == 3
    assert store.cached_answers(["a", "b", "c", "unknown"]) == {"a": {"text": "1"}, "b": {"text": "3"}, "c": {"text": "5"}}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT request, typeof(created_at) FROM requests WHERE cache_key = 'c'").fetchall() == [
            ('{"q": "c"}', "TIMESTAMP")
        ]
