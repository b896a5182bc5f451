"""A run killed half-way resumes without recomputing; several writers share one database."""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime

import duckdb
import pytest

pytestmark = pytest.mark.slow  # real processes, killed and racing


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def stored_ids(db) -> list[str]:
    for _ in range(200):  # the writer holds the file briefly; readers retry as the store does
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                return [r[0] for r in con.execute("SELECT sample_id FROM samples").fetchall()]
        except duckdb.IOException:
            time.sleep(0.05)
    raise AssertionError("database stayed locked")


def test_sigkilled_run_resumes_without_recomputing(harness_cli, db, tmp_path):
    log = tmp_path / "predicted.log"
    args = ["run", "--task", "doubling", "--model", "slow", "-a", "delay=0.15", "-a", f"log={log}"]
    process = harness_cli.popen(*args)
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 96)  # past the first write (Store.samples_every_s)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = stored_ids(db)
    logged_before = len(log.read_text().splitlines())
    assert 0 < len(before) < 200
    with duckdb.connect(str(db), read_only=True) as con:
        ((run_id, status),) = con.execute("SELECT run_id, status FROM runs").fetchall()
    assert status == "running"
    # its process is gone: readers say so instead of showing it running forever
    (listed,) = harness_cli.json("runs")
    assert listed["run_id"] == run_id and listed["status"] == "interrupted"
    assert [r["run_id"] for r in harness_cli.json("runs", "--status", "interrupted")] == [run_id]
    assert harness_cli.json("runs", "--status", "running") == []
    time.sleep(2.0)  # a gap between the attempts that must not count as compute time

    resumed = harness_cli.json(*args)
    assert resumed["run_id"] == run_id and resumed["status"] == "finished" and resumed["n_samples"] == 200
    span = (datetime.fromisoformat(resumed["finished_at"]) - datetime.fromisoformat(resumed["started_at"])).total_seconds()
    assert resumed["duration_s"] < span - 1.5
    assert resumed["duration_s"] >= 200 / 8 * 0.15 * 0.9  # both attempts' batches, each sleeping 0.15 s
    recomputed = log.read_text().splitlines()[logged_before:]
    assert not set(recomputed) & set(before), "samples stored before the kill were predicted again"
    after = stored_ids(db)
    assert len(after) == len(set(after)) == 200

    # the same run, uninterrupted, in another database, ends with exactly the same metrics
    fresh = harness_cli.json(*args[:-2], "-a", "delay=0", "--db", str(tmp_path / "fresh.duckdb"))
    assert fresh["metrics"] == resumed["metrics"]


def test_four_concurrent_writers_all_succeed(harness_cli, db):
    processes = [
        harness_cli.popen("run", "--task", "doubling", "--model", "slow", "-a", "delay=0.02", "--seed", str(seed), "--json")
        for seed in range(4)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["status"] == "finished"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT seed) FROM runs WHERE status = 'finished'").fetchone() == (4, 4)
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 800
        assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 8
