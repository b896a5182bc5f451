"""A full disk: the command says in one line which path could not grow, stores nothing half, the
database opens afterwards, and the same command, once there is room, resumes and finishes.

The database's disk fills through a file-size limit (RLIMIT_FSIZE: writes past it fail with EFBIG),
which any machine allows; the harness home (spool, checkpoints) sits on a small tmpfs, where the
machine lets the test mount one (ENOSPC)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import VENV_BIN

#: `harness` with writes limited to files of `argv[1]` bytes, as a disk that is full past them.
LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from harness.cli import main
main(sys.argv[2:])
"""


def limited(env: dict[str, str], size: int, *args: str) -> subprocess.CompletedProcess:
    """`harness ARGS` in a process that can write no file past `size` bytes (workers inherit it)."""
    command = [str(VENV_BIN / "python"), "-c", LIMITED, str(size), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def full_disk_line(result: subprocess.CompletedProcess, where: str, reason: str) -> None:
    """Exit 1; every error line is the full-disk one, naming the path; no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors, result.stderr
    for line in errors:
        assert "the disk is full: could not write" in line and where in line and reason in line, line


def table(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:  # it opens: nothing half-written in it
        return con.execute(sql).fetchall()


def nothing_half(db: Path) -> None:
    """Every finished run has all its samples and its metrics; no run key is stored twice."""
    assert table(db, "SELECT count(*) - count(DISTINCT run_key) FROM runs") == [(0,)]
    assert table(
        db,
        "SELECT count(*) FROM runs r WHERE r.status = 'finished' AND ((SELECT count(*) FROM samples s "
        "WHERE s.run_id = r.run_id) <> 200 OR NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.run_id))",
    ) == [(0,)]


@pytest.mark.slow
def test_a_full_disk_under_the_database_stops_a_run_and_a_sweep_in_one_line_and_both_resume(harness_cli):
    db = Path(harness_cli.env["HARNESS_DB"])
    harness_cli("run", "--task", "doubling", "--model", "noisy")
    size = db.stat().st_size  # the database may not grow: the next run's samples find the disk full

    result = limited(harness_cli.env, size, "run", "--task", "doubling", "--model", "noisy", "--seed", "1")
    full_disk_line(result, str(db), "File too large")
    nothing_half(db)
    # the run stopped short: `interrupted`, or `running` when even that could not be written
    assert table(db, "SELECT seed, status IN ('interrupted', 'running') FROM runs ORDER BY seed") == [(0, False), (1, True)]
    harness_cli("run", "--task", "doubling", "--model", "noisy", "--seed", "1")  # room again: it resumes
    assert table(db, "SELECT seed, status FROM runs ORDER BY seed") == [(0, "finished"), (1, "finished")]

    # a sweep's driver importing its workers' results
    size = db.stat().st_size
    sweep = ("sweep", "-t", "doubling", "-m", "noisy", "--seeds", "2-5", "-e", "processes", "-w", "1")
    full_disk_line(limited(harness_cli.env, size, *sweep), str(db), "File too large")
    nothing_half(db)
    report = harness_cli.json(*sweep)
    assert report["status"] == "finished" and report["finished"] == 4
    nothing_half(db)
    assert table(db, "SELECT count(*), count(DISTINCT seed), min(status) FROM runs") == [(6, 6, "finished")]
    (metrics,) = table(db, "SELECT count(DISTINCT value) FROM metrics WHERE metric = 'exact_match'")
    assert metrics == (1,)  # the noisy model scores alike on every seed: the resumed runs as the others


@contextlib.contextmanager
def small_filesystem(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine lets the test mount no tmpfs ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Fill `folder`'s filesystem to `leave` bytes short of full."""
    ballast = folder / "ballast"
    stat = os.statvfs(folder)
    ballast.write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return ballast


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux's")
def test_a_full_disk_under_the_spool_or_a_checkpoint_is_one_line_and_the_same_command_resumes(harness_cli, tmp_path):
    db = Path(harness_cli.env["HARNESS_DB"])
    with small_filesystem(tmp_path / "small", "2m") as home:
        harness_cli.env["HARNESS_HOME"] = str(home)
        harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.sweep_faults"
        harness_cli("run", "--task", "doubling", "--model", "memorise")  # caches, a first checkpoint

        # a checkpoint saved on a full disk: the run stops, no part of the checkpoint is kept
        ballast = fill(home, 0)
        result = harness_cli("run", "--task", "doubling", "--model", "memorise", "--seed", "1", check=False)
        full_disk_line(result, str(home / "checkpoints" / "memorise"), "No space left on device")
        assert len(list((home / "checkpoints" / "memorise").iterdir())) == 1  # the first one, nothing half
        ballast.unlink()
        harness_cli("run", "--task", "doubling", "--model", "memorise", "--seed", "1")
        assert table(db, "SELECT seed, status FROM runs ORDER BY seed") == [(0, "finished"), (1, "finished")]

        # a sweep's workers spooling samples: room for a few shards, then none
        ballast = fill(home, 24 * 1024)
        sweep = ("sweep", "-t", "doubling", "-m", "slow", "-a", "delay=0", "--seeds", "0-3", "-e", "processes", "-w", "1")
        full_disk_line(harness_cli(*sweep, check=False), str(home / "spool"), "No space left on device")
        nothing_half(db)
        assert not list(home.glob("spool/*/*.tmp"))  # no shard half-written
        ballast.unlink()
        report = harness_cli.json(*sweep)
        assert report["status"] == "finished" and report["finished"] == 4
        nothing_half(db)
        assert table(db, "SELECT count(*), min(status) FROM runs") == [(6, "finished")]
