"""The ray executor on a real 2-CPU local Ray cluster (one per module, as CI runs it)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import duckdb
import pytest
from conftest import stored
from toy_plugins import arith

from harness.plugins.registry import get_registry, set_registry
from harness.store import Store
from harness.sweep.driver import run_sweep
from harness.sweep.spec import SweepSpec

pytestmark = [pytest.mark.ray, pytest.mark.slow]  # a real local Ray cluster

TESTS = os.path.dirname(os.path.abspath(__file__))
PLUGINS = "toy_plugins.arith,toy_plugins.sweep_faults"


@pytest.fixture(scope="module")
def ray_cluster():
    """A 2-CPU Ray for this module. Ray writes an auth token under $HOME/.ray and its session
    files in its temp folder: both live in throwaway folders, never the user's home."""
    if not os.environ.get("CI"):
        pytest.importorskip("ray", reason="Ray is the optional [ray] extra")
    import ray

    saved = {k: os.environ.get(k) for k in ("HOME", "PYTHONPATH")}
    home = tempfile.mkdtemp(prefix="ray-home-")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    os.environ["HOME"] = home
    # Ray's worker processes inherit this environment: they must import the toy plugins
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [TESTS, saved["PYTHONPATH"]]))
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100_000_000, _temp_dir=temp, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def toys(monkeypatch):
    monkeypatch.setenv("HARNESS_PLUGINS", PLUGINS)
    set_registry(None)
    return get_registry()


def metrics(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT r.task, r.model, r.model_config::VARCHAR, r.seed, r.run_key, m.metric, m.value, "
            "m.ci_low, m.ci_high FROM runs r JOIN metrics m USING (run_id) ORDER BY ALL"
        ).fetchall()


GRID = SweepSpec(tasks=["arith"], models=["exact", "noisy"], model_args={"every": ["3", "5"]}, seeds=[0, 1])


def test_ray_sweep_stores_what_the_local_executor_stores(ray_cluster, toys, tmp_path):
    on_ray, local = tmp_path / "ray.duckdb", tmp_path / "local.duckdb"
    report = run_sweep(toys, Store(on_ray), GRID, "ray")
    run_sweep(toys, Store(local), GRID, "local")
    assert report.status == "finished" and len(report.runs) == 8
    assert metrics(on_ray) == metrics(local) and len(metrics(local)) == 14
    with duckdb.connect(str(on_ray), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 2 * 200 + 2 * 50 + 4 * 200
        assert con.execute("SELECT executor, status, done FROM sweeps").fetchall() == [("ray", "finished", 8)]
    assert ray_cluster.is_initialized(), "the executor must leave a cluster it did not start running"


def test_sigkilled_ray_worker_is_retried(ray_cluster, toys, tmp_path):
    db, marker, log = tmp_path / "r.duckdb", tmp_path / "killed-once", tmp_path / "predicted.log"
    spec = SweepSpec(
        tasks=["doubling"], models=["suicidal"], model_args={"marker": [str(marker)], "kill_at": ["105"], "log": [str(log)]}
    )
    report = run_sweep(toys, Store(db), spec, "ray")
    assert marker.exists(), "the Ray worker was never killed"
    (run,) = report.runs
    assert run.status == "finished" and run.attempts == 2
    # the retry ran on this machine, so it resumed from the shards the killed worker had written
    predicted = log.read_text().split()
    assert len(predicted) == len(set(predicted)) == 200
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status, n_samples FROM runs").fetchall() == [("finished", 200)]


def busy_ray_workers() -> list[int]:
    """This process's Ray workers executing a run now: Ray titles a worker `ray::<function>` while
    it runs a task (`ray::IDLE` between tasks), and the local cluster descends from this process."""
    busy, parents = [], [os.getpid()]
    while parents:
        parent = parents.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(pid) for pid in (task / "children").read_text().split()]
            except OSError:  # gone meanwhile
                continue
            for child in children:
                parents.append(child)
                try:
                    if Path(f"/proc/{child}/cmdline").read_bytes().startswith(b"ray::_ray_execute"):
                        busy.append(child)
                except OSError:
                    pass
    return busy


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ray_workers_sigkilled_mid_run_are_retried_and_the_sweep_equals_an_uninterrupted_one(ray_cluster, toys, tmp_path):
    db, reference = tmp_path / "ray.duckdb", tmp_path / "local.duckdb"
    spec = SweepSpec(tasks=["doubling"], models=["slow"], model_args={"delay": ["0.04"]}, seeds=list(range(6)))
    rng, sweeping, kills = random.Random(44), threading.Event(), []

    def kill_three() -> None:
        while sweeping.is_set() and not busy_ray_workers():  # planning, then a worker's start
            time.sleep(0.01)
        for pause in [rng.uniform(0.3, 1.2) for _ in range(3)]:
            time.sleep(pause)
            busy = []
            while sweeping.is_set() and not (busy := busy_ray_workers()):  # a loaded machine: between runs
                time.sleep(0.01)
            if busy:
                os.kill(rng.choice(busy), signal.SIGKILL)
                kills.append(pause)

    killer = threading.Thread(target=kill_three)
    sweeping.set()
    killer.start()
    try:
        report = run_sweep(toys, Store(db), spec, "ray", retries=10)
    finally:
        sweeping.clear()
        killer.join()
    assert len(kills) >= 2, "the sweep ended before the faults could be injected"
    assert report.status == "finished" and [run.status for run in report.runs] == ["finished"] * 6
    assert sum(run.attempts for run in report.runs) > 6, "no run was retried"
    again = run_sweep(toys, Store(db), spec, "ray")  # the same command again: nothing left to compute
    assert again.status == "finished" and again.reused
    with pytest.MonkeyPatch.context() as patch:  # the same predictions without the waits that made room for kills
        patch.setattr(arith, "time", types.SimpleNamespace(sleep=lambda seconds: None))
        run_sweep(toys, Store(reference), spec, "local")
    assert stored(db) == stored(reference)
