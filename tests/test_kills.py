"""SIGKILL at the worst moments, each several times at seeded random moments: a sweep's worker in the
middle of a run, the sweep's driver while it writes its workers' results into the database, and
`harness run` while DuckDB commits. Each time the same command, run again, finishes the work; no run
is stored twice or lost, and every stored number equals an uninterrupted run's.

"While it writes" is read from the kernel: the moment the process holds the write lock on the
database file (`/proc/locks`), so the kill lands inside a transaction rather than near one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import VENV_BIN, cli_env, stored

from harness.testing import invoke

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]

SWEEP = ("sweep", "-t", "doubling", "-m", "slow", "-a", "delay=0.04", "--seeds", "0-5", "-e", "processes", "-w", "2")
RUN = ("run", "--task", "doubling", "--model", "slow", "-a", "delay=0.03")


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "harness"), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def write_lock_holder(db: Path) -> int | None:
    """The process holding the database file's write lock now, if any."""
    try:
        inode = str(db.stat().st_ino)
    except FileNotFoundError:
        return None
    locks = Path("/proc/locks").read_text()
    if f":{inode} " not in locks:  # most polls, thousands a second: no lock on the file, nothing to parse
        return None
    for line in locks.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "POSIX" and fields[3] == "WRITE" and fields[5].rsplit(":", 1)[-1] == inode:
            return int(fields[4])
    return None


def kill_while_writing(process: subprocess.Popen, db: Path, rng: random.Random, after: float) -> bool:
    """SIGKILL `process` inside one of its write transactions begun `after` seconds or more from
    now (a random instant into it); False if it ended first."""
    time.sleep(after)
    while process.poll() is None:
        if write_lock_holder(db) == process.pid:
            time.sleep(rng.uniform(0, 0.004))
            process.kill()
            process.wait()
            return True
        time.sleep(0.0005)
    return False


def uninterrupted(folder: Path, *args: str) -> dict[str, tuple]:
    """What `harness ARGS` stores when nothing interrupts it (called in-process: no kill to aim at)."""
    env = cli_env(folder)
    result = invoke(*args, env=env)
    assert result.returncode == 0, result.stderr
    return stored(Path(env["HARNESS_DB"]))


@pytest.fixture(scope="module")
def sweep_reference(tmp_path_factory) -> dict[str, tuple]:
    """SWEEP uninterrupted, once for the module's sweep tests."""
    return uninterrupted(tmp_path_factory.mktemp("reference"), *SWEEP)


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command and b"resource_tracker" not in command:
            workers.append(child)
    return workers


def test_sigkilled_workers_mid_run_are_retried_and_the_sweep_equals_an_uninterrupted_one(harness_cli, sweep_reference):
    db = Path(harness_cli.env["HARNESS_DB"])
    rng = random.Random(41)
    process = start(harness_cli.env, *SWEEP, "--retries", "10")
    while process.poll() is None and not workers_of(process.pid):  # planning: seconds on a busy machine
        time.sleep(0.01)
    killed = 0
    for pause in (rng.uniform(0.3, 1.5) for _ in range(3)):
        time.sleep(pause)
        busy = workers_of(process.pid) if process.poll() is None else []
        if busy:
            os.kill(rng.choice(busy), signal.SIGKILL)
            killed += 1
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert killed >= 2, "the sweep ended before the faults could be injected"
    assert stored(db) == sweep_reference


def test_a_driver_killed_while_it_stores_results_resumes_and_equals_an_uninterrupted_sweep(harness_cli, sweep_reference):
    db = Path(harness_cli.env["HARNESS_DB"])
    rng = random.Random(42)
    kills = 0
    for _ in range(3):
        process = start(harness_cli.env, *SWEEP)
        if kill_while_writing(process, db, rng, after=rng.uniform(0.5, 2.5)):
            kills += 1
        else:
            assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert kills >= 2
    report = harness_cli.json(*SWEEP)
    assert report["status"] == "finished" and report["finished"] == 6
    assert stored(db) == sweep_reference


def test_harness_run_killed_while_duckdb_commits_resumes_and_equals_an_uninterrupted_run(harness_cli, tmp_path):
    db = Path(harness_cli.env["HARNESS_DB"])
    rng = random.Random(43)
    kills = 0
    for _ in range(4):
        process = start(harness_cli.env, *RUN)
        if kill_while_writing(process, db, rng, after=rng.uniform(0.0, 1.5)):
            kills += 1
    assert kills >= 3
    harness_cli(*RUN)
    assert stored(db) == uninterrupted(tmp_path / "reference", *RUN)
