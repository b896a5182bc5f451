"""Ctrl-C: a sweep interrupted at any moment exits 130 with one line naming the sweep and what is
stored, no traceback from the driver or its workers, no half-written run; a re-run finishes it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import VENV_BIN

from harness.store import Store

RUNS = 16
SWEEP = ["sweep", "-t", "doubling", "-m", "slow", "-a", "delay=0.05", "--seeds", f"0-{RUNS - 1}", "-e", "processes", "-w", "2"]


def table(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def ctrl_c_not_ignored():
    """A shell ignores Ctrl-C in what it starts in the background without job control (`pytest &` in
    a script), and a process started with it ignored never sees one: as in a terminal's foreground
    job, the sweeps started here get it (a handler is not inherited through exec; being ignored is)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_ctrl_c_at_any_moment_ends_a_sweep_cleanly_and_it_resumes(harness_cli, ctrl_c_not_ignored):
    db = Path(harness_cli.env["HARNESS_DB"])
    # five moments, from the planning of the grid through workers starting to results being written
    # (the first ~0.2 s, Python loading the command, are the interpreter's own)
    rng = random.Random(26)
    moments = [rng.uniform(0.4, 4.0) for _ in range(5)]
    for moment in moments:
        process = subprocess.Popen(
            [str(VENV_BIN / "harness"), *SWEEP],
            env=harness_cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches driver and workers
        )
        time.sleep(moment)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, f"at {moment:.2f} s: {stderr}"
        assert "Traceback" not in stderr, f"at {moment:.2f} s: {stderr}"
        said = [line for line in stderr.splitlines() if "Interrupted" in line]
        assert len(said) == 1, f"at {moment:.2f} s: {stderr}"
        sweeps = table(db, "SELECT sweep_id, status FROM sweeps") if db.exists() else []
        if not sweeps or any(when in said[0] for when in ("before the sweep started", "while the command was starting")):
            assert "nothing was stored" in said[0]
            continue
        ((sweep_id, status),) = sweeps
        stored = table(db, "SELECT count(*) FROM runs WHERE status = 'finished'")[0][0]
        assert status == "interrupted" and f"sweep {sweep_id} has {stored} of {RUNS} runs stored" in said[0], stderr
        # no half run: every stored run has all its samples and its metrics
        assert table(
            db,
            "SELECT count(*) FROM runs r WHERE r.status = 'finished' AND ((SELECT count(*) FROM samples s "
            "WHERE s.run_id = r.run_id) <> 200 OR NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.run_id))",
        ) == [(0,)]
    report = json.loads(harness_cli(*SWEEP, "--json").stdout)
    assert report["status"] == "finished" and [r["status"] for r in report["runs"]] == ["finished"] * RUNS
    assert table(db, "SELECT count(*), count(DISTINCT run_key) FROM runs") == [(RUNS, RUNS)]
    assert table(db, "SELECT count(*), min(status) FROM sweeps") == [(1, "finished")]


def test_ctrl_c_while_duckdb_writes_rolls_the_transaction_back(tmp_path):
    """DuckDB answers Ctrl-C in the middle of a query with "Query interrupted" (a RuntimeError): the
    store takes it for the KeyboardInterrupt it is, and nothing of the transaction stays."""
    store = Store(tmp_path / "results.duckdb")
    store.init()
    with pytest.raises(KeyboardInterrupt):
        with store.transaction() as con:
            con.execute("CREATE TABLE half (x INTEGER)")
            con.execute("INSERT INTO half VALUES (1)")
            raise RuntimeError("Query interrupted")  # what DuckDB raises when SIGINT reaches a running query
    assert table(store.path, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == [(0,)]


def test_a_driver_write_holds_ctrl_c_until_it_commits():
    from harness.sweep.driver import held_interrupts

    done = []
    with pytest.raises(KeyboardInterrupt):
        with held_interrupts():
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
            time.sleep(0.2)  # the signal arrives here, in the middle of "the write"
            done.append(True)
    assert done == [True]
    with held_interrupts(reraise=False) as caught:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    assert caught == [signal.SIGINT]


def test_ctrl_c_before_a_worker_process_exists_still_ends_the_sweep_as_an_interrupt(monkeypatch):
    """A Ctrl-C can land while the executor prepares a worker, before its process exists (the
    resource tracker still importing): the sweep ends as interrupted, not with a crash while
    killing a process that never started."""
    from multiprocessing import resource_tracker

    from harness.sweep.executors.processes import ProcessesExecutor

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(resource_tracker, "ensure_running", interrupted)
    executor = ProcessesExecutor(workers=1)
    with pytest.raises(KeyboardInterrupt):
        executor.start()
    assert executor._slots == []
    executor.shutdown()


def test_a_ctrl_c_that_lands_where_python_drops_exceptions_is_delivered_again(monkeypatch, ctrl_c_not_ignored):
    """Ctrl-C arriving while a weakref callback runs (an import lock's, as a command loads) raises in
    the callback, where Python prints and drops it: the command's hook raises it again in the code
    the callback interrupted, so the command ends as interrupted instead of running on."""
    import sys
    import weakref

    from harness.cli import _interrupts_never_ignored

    monkeypatch.setattr(sys, "unraisablehook", _interrupts_never_ignored(sys.unraisablehook))

    class Held:
        pass

    def callback(ref):
        raise KeyboardInterrupt  # what the default SIGINT handler raises at that instant

    held = Held()
    ref = weakref.ref(held, callback)
    reached = []
    with pytest.raises(KeyboardInterrupt):
        del held  # the callback runs here
        time.sleep(5)  # the interrupt arrives again meanwhile (after 0.05 s)
        reached.append(ref)
    assert reached == []
