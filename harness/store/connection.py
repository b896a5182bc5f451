"""Opening the results database: short connections, retried while another process holds the file.

DuckDB lets one process hold a database file for writing, and a second process that opens
it at the same time, even read-only, fails with "Could not set lock on file". So every
connection here is short-lived (open, one transaction, close) and every open retries with
jittered exponential backoff on that error until `timeout` seconds have passed.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.paths import default_home
from harness.store.errors import StoreError, damaged, disk_full
from harness.store.schema import CHECKED, check_version, current_shape, current_version, migrate

if TYPE_CHECKING:  # imported where a file is opened: a sweep's worker processes never open one
    import duckdb


def default_db_path() -> Path:
    env = os.environ.get("HARNESS_DB")
    return Path(env) if env else default_home() / "harness.duckdb"


#: What DuckDB raises (as a RuntimeError) when Ctrl-C reaches it in the middle of a query.
INTERRUPTED = "Query interrupted"

#: How long damage seen while opening must persist before it is reported (see `Connections._open`).
SETTLE_S = 1.0


class Connections:
    """A database file, opened for one read or one transaction at a time (the base of `Store`)."""

    def __init__(self, path: Path | str | None = None, timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.timeout = timeout if timeout is not None else float(os.environ.get("HARNESS_DB_TIMEOUT", "120"))
        self._migrated = False
        self._held = threading.local()  # the connection `reading()` holds, per thread (the dashboard's are many)

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
        import duckdb

        held = getattr(self._held, "con", None)
        if read_only and held is not None:
            yield held
            return
        if read_only and not self.path.exists():
            raise StoreError(f"no results database at {self.path} yet: run `harness run --task TASK` first")
        if not read_only and not self.path.exists():
            self._create()
        con = self._open(read_only)
        try:
            if read_only:
                version = check_version(con, self.path)
                CHECKED[id(con)] = (con, version)
                current_shape(con, version)
            yield con
        except duckdb.Error as exc:
            if (full := disk_full(exc, self.path)) is not None:  # the transaction is rolled back whole
                raise full from exc
            if _is_corruption(exc):
                raise damaged(self.path, exc) from exc
            raise
        except RuntimeError as exc:
            if str(exc) == INTERRUPTED:  # Ctrl-C while DuckDB ran a query: the interrupt it is
                raise KeyboardInterrupt from None
            raise
        finally:
            CHECKED.pop(id(con), None)
            _ATTACHED.close(con)

    def _create(self) -> None:
        """Create the file whole under a private name, then link it into place. DuckDB creates a
        file before it locks it, so processes that create one file at the same moment could each
        start writing their own: one's first transactions were lost (a finished run short of a
        batch of samples). A hard link never replaces a file another process put there first.

        A process builds its first empty database with DuckDB (a new instance and every migration:
        about 60 ms of CPU) and writes the later ones as copies of its bytes (under a millisecond):
        a closed, checkpointed file is the whole database."""
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        private = self.path.with_name(f".{self.path.name}.{os.getpid()}-{threading.get_ident()}.new")
        try:
            try:
                if _EMPTY:
                    private.write_bytes(_EMPTY[0])
                else:
                    con = duckdb.connect(str(private))
                    try:
                        migrate(con, private)
                        con.execute("CHECKPOINT")
                    finally:
                        con.close()
                    _EMPTY[:] = [private.read_bytes()]
            except (OSError, duckdb.Error) as exc:
                if (full := disk_full(exc, self.path)) is not None:
                    raise full from exc
                raise
            try:
                os.link(private, self.path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            except OSError:  # a filesystem without hard links
                if not self.path.exists():
                    os.replace(private, self.path)
        finally:
            for leftover in (private, private.with_name(private.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        import duckdb

        deadline = time.monotonic() + self.timeout
        # DuckDB creates a new file before it locks it, so a process opening it in that instant reads
        # a file without its header; what reads as damage on opening is only believed if it lasts.
        settled = time.monotonic() + SETTLE_S
        delay = 0.02
        while True:
            try:
                return _ATTACHED.open(self.path, read_only)
            except duckdb.Error as exc:
                if (full := disk_full(exc, self.path)) is not None:
                    raise full from exc
                if _is_corruption(exc) and time.monotonic() > settled:
                    raise damaged(self.path, exc) from exc
                if not _is_corruption(exc) and not _is_lock_error(exc):
                    raise StoreError(f"cannot open results database {self.path}: {exc}") from exc
                if time.monotonic() > deadline:
                    # DuckDB names the holder: say which process to look for
                    found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
                    holder = f" (PID {found.group(2)}: {_command_line(int(found.group(2)), found.group(1))})" if found else ""
                    raise StoreError(
                        f"results database {self.path} stayed locked by another process{holder} for "
                        f"{self.timeout:.0f} s: usually a Python session, notebook or `duckdb` shell that keeps the file "
                        "open (harness commands hold it only while they read or write); close that connection, or set "
                        "HARNESS_DB_TIMEOUT=SECONDS to wait longer"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on a fresh connection; rolled back whole on any error."""
        import duckdb

        with self.connect() as con:
            if not self._migrated:
                migrate(con, self.path)
                self._migrated = True
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except (duckdb.Error, RuntimeError):  # e.g. a second Ctrl-C: closing the connection rolls back
                    pass
                raise
            con.execute("COMMIT")
            # Merge the write-ahead log into the file while this process still holds the lock:
            # left for the close, a WAL raced the next process's open, and a finished run's
            # samples went missing under load (the four-writers test, about 1 round in 12).
            con.execute(f"CHECKPOINT {_ATTACHED.alias(con)}")

    def init(self) -> None:
        with self.transaction():
            pass

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> int:
        """The schema version of the database file (0 when it does not exist or is empty)."""
        if not self.exists():
            return 0
        with self.connect(read_only=True) as con:
            return current_version(con)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts from a short read-only connection; parameters are always bound, never formatted in."""
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return []
            return rows(con, sql, params)


class _Attachments:
    """Database files attached to one in-memory DuckDB per process, each for as long as a connection uses it.

    Creating a DuckDB instance costs about 20 ms of CPU (its catalog of functions), and a command
    opens the file several times: attaching the file to an instance kept for the process costs a
    tenth of that. Detaching releases the file's lock exactly as closing a connection did, so other
    processes see the same short holds. Threads share an attachment (each gets its own cursor, as
    DuckDB's own instance cache shared one instance between connections to one file); a file is
    attached read-only or for writing, never both at once, which fails like another process's lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._base: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        self._count = 0
        self._files: dict[Path, list[Any]] = {}  # path -> [alias, read_only, users]
        self._cursors: dict[int, Path] = {}

    def open(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        import duckdb

        key = path.resolve()
        with self._lock:
            if self._base is None or self._pid != os.getpid():  # a forked child cannot use its parent's
                self._base, self._pid, self._files, self._cursors = duckdb.connect(":memory:"), os.getpid(), {}, {}
            entry = self._files.get(key)
            if entry is not None and entry[1] != read_only:
                raise duckdb.IOException(f"Could not set lock on file {path}: open in this process for another mode")
            if entry is None:
                self._count += 1
                alias = f"results_{self._count}"
                mode = " (READ_ONLY)" if read_only else ""
                try:
                    self._base.execute(f"ATTACH {_quoted(str(path))} AS {alias}{mode}")
                except duckdb.Error as exc:
                    if "Unique file handle conflict" not in str(exc):
                        raise
                    # Code in this process (a notebook's own `duckdb.connect`) has the file open: a
                    # connection of the same kind shares that instance, as it always did.
                    return duckdb.connect(str(path), read_only=read_only)
                entry = self._files[key] = [alias, read_only, 0]
            entry[2] += 1
            try:
                con = self._base.cursor()
                con.execute(f"USE {entry[0]}")
            except BaseException:
                self._release(key)
                raise
            self._cursors[id(con)] = key
            return con

    def alias(self, con: duckdb.DuckDBPyConnection) -> str:
        key = self._cursors.get(id(con))
        return str(self._files[key][0]) if key is not None else ""

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            key = self._cursors.pop(id(con), None)
            con.close()
            if key is not None:
                self._release(key)

    def _release(self, key: Path) -> None:
        entry = self._files[key]
        entry[2] -= 1
        if entry[2] == 0:
            del self._files[key]
            assert self._base is not None
            self._base.execute(f"DETACH {entry[0]}")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ATTACHED = _Attachments()

#: The bytes of an empty database at this harness's schema, once this process has created one.
_EMPTY: list[bytes] = []


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _command_line(pid: int, program: str) -> str:
    """What the process holding the lock runs (`python -m harness sweep ...`, `jupyter ...`), where
    the system shows it (Linux's /proc); else the program DuckDB names."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return program
    line = " ".join(word for word in words if word) or program
    return line if len(line) <= 160 else line[:157] + "..."


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


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Could not set lock" in text or "Conflicting lock" in text)
