"""`harness sweep`: grid, validation, executors agreeing, faults (failed runs, SIGKILLed workers), resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import copy_into

from harness.api import ConfigError
from harness.plugins.registry import get_registry, set_registry
from harness.store import MIGRATIONS, Store
from harness.sweep.driver import expand, list_sweeps, run_sweep
from harness.sweep.spec import SweepSpec, parse_model_args, read_sweep_file

PLUGINS = "toy_plugins.arith,toy_plugins.sweep_faults"


@pytest.fixture
def toys(monkeypatch):
    """The toy plugins by environment, as worker processes load them."""
    monkeypatch.setenv("HARNESS_PLUGINS", PLUGINS)
    set_registry(None)
    return get_registry()


def metrics(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT r.task, r.model, r.model_config::VARCHAR, r.seed, r.run_key, m.metric, m.value, "
            "m.ci_low, m.ci_high FROM runs r JOIN metrics m USING (run_id) ORDER BY ALL"
        ).fetchall()


def table(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


GRID = SweepSpec(tasks=["arith"], models=["exact", "noisy"], model_args={"every": ["3", "5"]}, seeds=[0, 1])


def swept_once(folder: Path, env: dict[str, str], *args) -> object:
    """GRID swept into `folder`/sweep.duckdb (`run_sweep(registry, store, GRID, *args)`) with the toy
    plugins and `env` as worker processes see them, for a module's tests to share."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "HARNESS_HOME": str(folder / "harness-home"),
            "HARNESS_LOAD_PLUGINS": "",
            "HARNESS_PLUGINS": PLUGINS,
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            **env,
        }.items():
            patch.setenv(name, value)
        patch.delenv("HARNESS_STRICT_PLUGINS", raising=False)
        set_registry(None)
        try:
            return run_sweep(get_registry(), Store(folder / "sweep.duckdb"), GRID, *args)
        finally:
            set_registry(None)


@pytest.fixture(scope="module")
def grid_by_processes(tmp_path_factory):
    """GRID swept once by two worker processes (seconds: each worker starts an interpreter), with a
    logger plugin loaded (`toy_plugins.run_log`: each `on_run_end` call, one JSON line); tests that
    build on that sweep work on their own copy of its database (`copy_into`)."""
    folder = tmp_path_factory.mktemp("grid-by-processes")
    log = folder / "run-log.jsonl"
    env = {"HARNESS_PLUGINS": PLUGINS + ",toy_plugins.run_log", "TOY_RUN_LOG": str(log)}
    return folder / "sweep.duckdb", swept_once(folder, env, "processes", 2), log


@pytest.fixture(scope="module")
def grid_locally(tmp_path_factory):
    """GRID swept once by the local executor (in this process); tests read its database in place or
    work on their own copy (`copy_into`)."""
    folder = tmp_path_factory.mktemp("grid-locally")
    return folder / "sweep.duckdb", swept_once(folder, {})


def test_grid_crosses_tasks_models_serving_them_values_and_seeds(toys):
    requests = expand(toys, GRID)
    got = sorted((r.task, r.model, tuple(sorted(r.model_args.items())), r.seed) for r in requests)
    # exact serves both tasks of the group and has no `every`; noisy serves doubling only
    assert got == sorted(
        [("doubling", "exact", (), s) for s in (0, 1)]
        + [("squaring", "exact", (), s) for s in (0, 1)]
        + [("doubling", "noisy", (("every", v),), s) for v in ("3", "5") for s in (0, 1)]
    )
    every = expand(toys, SweepSpec(tasks=["squaring"], models=None))
    assert [r.model for r in every] == ["exact"]


def test_every_model_leaves_out_a_model_whose_required_arguments_the_sweep_does_not_give(toys, monkeypatch):
    """A served model has no usable default endpoint: "every model" must not plan runs doomed to fail."""
    monkeypatch.setattr(toys.models["noisy"].obj, "requires", ("every",))
    planned = {r.model for r in expand(toys, SweepSpec(tasks=["doubling"], models=None))}
    assert "exact" in planned and "noisy" not in planned
    given = SweepSpec(tasks=["doubling"], models=None, model_args={"every": ["3"]})
    assert {r.model for r in expand(toys, given)} == planned | {"noisy"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SweepSpec(tasks=["dubling"]), "unknown task 'dubling'; did you mean 'doubling'?"),
        (SweepSpec(tasks=["arith"], models=["nosy"]), "unknown model 'nosy'; did you mean 'noisy'?"),
        (SweepSpec(tasks=["squaring"], models=["noisy"]), "model 'noisy' serves none of the sweep's tasks (squaring)"),
        (SweepSpec(tasks=["arith"], models=["noisy"], model_args={"evry": ["2"]}), "did you mean 'every'?"),
        (SweepSpec(tasks=["arith"], models=["noisy"], model_args={"every": ["two"]}), "every='two' is not a valid int"),
    ],
)
def test_bad_grids_fail_before_any_run(toys, db, spec, message):
    with pytest.raises(ConfigError) as error:
        run_sweep(toys, Store(db), spec)
    assert message in str(error.value)
    assert not db.exists() or table(db, "SELECT count(*) FROM runs") == [(0,)]


def test_sweep_file_is_validated_with_file_and_key(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(
        'name = "s"\ntasks = "arith"\nmodels = ["noisy"]\nseeds = "0-2"\nretries = 1\n'
        "[model_args]\nevery = [3, 5]\n[model_args.noisy]\noffset = 2\n[resources.noisy]\ncpus = 0.5\n"
    )
    spec = read_sweep_file(path)
    assert (spec.tasks, spec.models, spec.seeds, spec.retries) == (["arith"], ["noisy"], [0, 1, 2], 1)
    assert spec.model_args == {"every": ["3", "5"]} and spec.model_args_for == {"noisy": {"offset": ["2"]}}
    assert spec.resources_for("noisy") == {"cpus": 0.5, "gpus": 0.0}
    for text, expected in [
        ('tasks = "arith"\nseed = 1\n', f"{path}: unknown key `seed`; did you mean 'seeds'?"),
        ('models = "all"\n', f"{path}: key `tasks` is required"),
        ('tasks = "arith"\nseeds = "0-x"\n', f"{path}: key `seeds`: '0-x' is not a seed"),
        ('tasks = "arith"\nworkers = 0\n', f"{path}: key `workers`: expected an integer of at least 1"),
        ('tasks = "arith"\n[model_args]\nevery = [[1]]\n', f"{path}: key `model_args.every`: expected a number"),
        ('tasks = "arith"\n[resources.noisy]\nmemory = 1\n', f"{path}: key `resources.noisy.memory`: unknown"),
        ("tasks = [\n", f"{path}: not valid TOML"),
        ('runs = [{ task = "arith", model = "exact" }]\ntasks = "arith"\n', f"{path}: key `runs` lists the runs: drop `tasks`"),
        ('runs = [{ task = "arith", modle = "x" }]\n', "key `runs` (entry 1): unknown key `modle`; did you mean 'model'?"),
        ('runs = [{ model = "exact" }]\n', f"{path}: key `runs` (entry 1): `task` is required"),
        ("runs = []\n", f"{path}: key `runs`: expected a non-empty list"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError) as error:
            read_sweep_file(path)
        assert expected in str(error.value), text
    assert parse_model_args(["every=3,5", "offset=1"]) == {"every": ["3", "5"], "offset": ["1"]}


def test_listed_runs_keep_their_order_groups_expand_and_no_model_is_the_default(toys, tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text('runs = [{ task = "doubling", model = "noisy" }, { task = "arith" }, { task = "doubling" }]\nseeds = 1\n')
    spec = read_sweep_file(path)
    assert [(r.task, r.model, r.seed) for r in expand(toys, spec)] == [
        ("doubling", "noisy", 1),
        ("doubling", "exact", 1),
        ("squaring", "exact", 1),
    ]
    assert spec.grid()["runs"] == [["doubling", "noisy"], ["arith", None], ["doubling", None]]
    assert "runs" not in GRID.grid()  # a grid of tasks x models keeps the key it had before
    with pytest.raises(ConfigError, match="model 'noisy' does not serve task 'squaring'"):
        expand(toys, SweepSpec(tasks=[], runs=[("squaring", "noisy")]))


def test_a_rerun_of_a_finished_sweep_loads_no_data_and_records_no_new_sweep(toys, db, monkeypatch):
    from toy_plugins import arith

    spec = SweepSpec(tasks=["arith"], models=["exact", "noisy"], seeds=[0, 1])
    first = run_sweep(toys, Store(db), spec)
    before = table(db, "SELECT * FROM sweeps")

    def no_data(self, split, data_dir=None):
        raise AssertionError(f"{self.name} loaded its {split} split to plan a finished sweep")

    monkeypatch.setattr(arith.Doubling, "load", no_data)
    again = run_sweep(toys, Store(db), spec)
    assert again.reused and again.sweep_id == first.sweep_id and again.status == "finished"
    assert [(r.run_id, r.status, r.cached) for r in again.runs] == [(r.run_id, "finished", True) for r in first.runs]
    assert table(db, "SELECT * FROM sweeps") == before  # not a row more, not a field changed
    monkeypatch.undo()
    toys = get_registry()
    grown = run_sweep(toys, Store(db), SweepSpec(tasks=["arith"], models=["exact", "noisy"], seeds=[0, 1, 2]))
    assert not grown.reused and sum(r.cached for r in grown.runs) == 6 and len(list_sweeps(Store(db))) == 2


@pytest.mark.slow
@pytest.mark.parametrize(("given", "expected"), [(None, max(1, (os.cpu_count() or 1) // 2)), ("3", 3)])
def test_each_worker_process_gets_its_share_of_the_cores_unless_the_environment_says(toys, db, monkeypatch, given, expected):
    if given is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", given)
    spec = SweepSpec(tasks=["doubling"], models=["threads", "imports"], limit=2)
    report = run_sweep(toys, Store(db), spec, "processes", workers=2)
    runs = {run.model: run.run_id for run in report.runs}
    assert [s.prediction for s in Store(db).samples(runs["threads"])] == [expected, expected]
    # a worker process starts light: it never opens the database, nor writes its samples through pandas
    assert [s.prediction for s in Store(db).samples(runs["imports"])] == [0, 0], "bits of Imports.UNUSED"


@pytest.mark.slow
def test_every_run_computes_with_one_blas_thread_whatever_the_executor(toys, tmp_path, monkeypatch):
    """LAPACK's sums follow the BLAS pool's size: one size everywhere keeps results equal to the last digit."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # what a worker with two cores of its own would have
    spec = SweepSpec(tasks=["doubling"], models=["blas-threads"], limit=1)
    for executor in ("local", "processes"):
        db = tmp_path / f"{executor}.duckdb"
        (run,) = run_sweep(toys, Store(db), spec, executor, workers=1).runs
        assert [s.prediction for s in Store(db).samples(run.run_id)] == [1], executor


@pytest.mark.slow
def test_every_executor_stores_the_same_results(toys, tmp_path, grid_locally, grid_by_processes):
    processes = tmp_path / "processes.duckdb"
    local, first = grid_locally
    template, second, _ = grid_by_processes
    copy_into(template, processes)
    assert first.status == second.status == "finished" and len(first.runs) == 8
    assert metrics(local) == metrics(processes) and len(metrics(local)) == 14
    # samples and artifacts too, and every run carries its sweep's id
    query = (
        "SELECT r.run_key, s.sample_id, s.prediction::VARCHAR, s.scores::VARCHAR "
        "FROM runs r JOIN samples s USING (run_id) ORDER BY ALL"
    )
    assert table(local, query) == table(processes, query)
    assert table(processes, "SELECT DISTINCT sweep_id FROM runs") == [(second.sweep_id,)]
    assert table(processes, "SELECT status, total, done, failed, executor FROM sweeps") == [("finished", 8, 8, 0, "processes")]
    # a second sweep over the same grid recomputes nothing
    again = run_sweep(toys, Store(processes), GRID, "processes", workers=2)
    assert all(r.cached for r in again.runs) and metrics(processes) == metrics(local)


@pytest.mark.slow
def test_the_driver_stores_what_workers_ranked_by_and_calls_on_run_end_once_per_stored_run(grid_by_processes):
    """Worker processes load the same plugins; only the driver, after storing a run, tells loggers."""
    db, report, log = grid_by_processes
    assert report.status == "finished" and report.warnings == []
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(c["run_id"] for c in calls) == sorted(r.run_id for r in report.runs)
    assert {c["pid"] for c in calls} == {os.getpid()} and {c["status"] for c in calls} == {"finished"}
    # the stored leaderboard definition and metric descriptions travel back with each run
    assert table(db, "SELECT count(*) FROM runs WHERE board IS NULL") == [(0,)]
    assert table(db, "SELECT DISTINCT task, board->>'$.definition', board->>'$.source' FROM runs ORDER BY 1") == [
        ("doubling", "arith", "plugin toy_plugins.arith"),
        ("squaring", "arith", "plugin toy_plugins.arith"),
    ]
    assert table(db, "SELECT DISTINCT metric, description FROM metrics ORDER BY 1") == [
        ("absolute_error", "|prediction - reference| for numeric predictions, averaged over samples."),
        ("exact_match", "1 when the prediction equals the reference (compared as canonical JSON), else 0."),
    ]


@pytest.mark.slow
def test_overwrite_recomputes_the_grid_and_replaces_each_stored_run_once_its_new_one_is_stored(toys, tmp_path, grid_by_processes):
    db = tmp_path / "sweep.duckdb"
    template, first, _ = grid_by_processes
    copy_into(template, db)
    before = metrics(db)
    again = run_sweep(toys, Store(db), GRID, "processes", workers=2, overwrite=True)
    assert again.status == "finished" and not any(r.cached for r in again.runs)
    old, new = {r.run_id for r in first.runs}, {r.run_id for r in again.runs}
    assert not old & new
    # one run per key, the new ones, with the same results (deterministic), and nothing of the old left
    assert sorted(r for (r,) in table(db, "SELECT run_id FROM runs")) == sorted(new)
    assert metrics(db) == before
    assert Store(db).query("SELECT count(*) AS n FROM samples WHERE list_contains(?, run_id)", [sorted(old)]) == [{"n": 0}]


def test_an_export_carries_the_sweeps_of_its_runs_and_importing_twice_adds_none(toys, tmp_path, grid_locally):
    from harness.store.transfer import export_runs, import_runs

    template, report = grid_locally
    copy_into(template, tmp_path / "source.duckdb")
    source, target = Store(tmp_path / "source.duckdb"), Store(tmp_path / "target.duckdb")
    export_runs(source, tmp_path / "out")
    import_runs(target, tmp_path / "out")
    import_runs(target, tmp_path / "out")
    assert [(s["sweep_id"], s["status"], s["done"]) for s in list_sweeps(target)] == [(report.sweep_id, "finished", 8)]
    assert list_sweeps(target) == list_sweeps(source)
    # an export of other runs carries no sweep
    from harness.runner.run import Runner, RunRequest

    other = Runner(toys, source).run(RunRequest(task="doubling", model="exact", seed=9)).run
    export_runs(source, tmp_path / "one", run_ids=[other.run_id])
    with duckdb.connect() as con:
        assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "one" / "sweeps.parquet")]).fetchone() == (0,)


def test_a_failing_run_is_stored_failed_and_the_sweep_goes_on(harness_cli, tmp_path):
    result = harness_cli(
        "sweep", "-t", "doubling", "-m", "slow,noisy", "-a", "crash_at=5,-1", "-a", "delay=0", "--json", check=False
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["total"], report["finished"], report["failed"]) == (3, 2, 1)
    (failure,) = report["failures"]
    assert failure["model"] == "slow" and failure["model_config"]["crash_at"] == 5
    assert "RuntimeError: boom at x=5" in failure["error"]
    assert {r["status"] for r in report["runs"]} == {"finished", "failed"}
    assert f"Error: run {failure['run_id']}" in result.stderr
    runs = harness_cli.json("runs")
    assert sorted(r["status"] for r in runs) == ["failed", "finished", "finished"]
    assert {r["sweep_id"] for r in runs} == {report["sweep_id"]}
    listed = harness_cli.json("sweeps")
    assert [(s["sweep_id"], s["status"], s["done"], s["failed"]) for s in listed] == [(report["sweep_id"], "failed", 2, 1)]


@pytest.mark.slow
def test_sigkilled_worker_is_retried_and_resumes_from_its_shards(toys, db, tmp_path):
    log, marker = tmp_path / "predicted.log", tmp_path / "killed-once"
    spec = SweepSpec(
        tasks=["doubling"],
        models=["suicidal", "exact"],
        seeds=[0],
        model_args_for={"suicidal": {"marker": [str(marker)], "kill_at": ["105"], "log": [str(log)]}},
    )
    report = run_sweep(toys, Store(db), spec, "processes", workers=2)
    assert marker.exists(), "the worker was never killed"
    assert report.status == "finished"
    (suicidal,) = [r for r in report.runs if r.model == "suicidal"]
    assert suicidal.attempts == 2 and suicidal.status == "finished"
    logged = log.read_text().split()
    assert len(logged) == len(set(logged)) == 200, "samples stored before the kill were predicted again"
    fresh = tmp_path / "fresh.duckdb"
    run_sweep(
        toys,
        Store(fresh),
        SweepSpec(
            tasks=["doubling"],
            models=["suicidal", "exact"],
            seeds=[0],
            model_args_for={"suicidal": {"marker": [str(marker)], "kill_at": ["105"], "log": [str(log)]}},
        ),
    )
    assert metrics(fresh) == metrics(db)


def test_a_run_whose_worker_always_dies_fails_after_bounded_retries(toys, db, tmp_path):
    marker = tmp_path / "marker"
    spec = SweepSpec(tasks=["doubling"], models=["suicidal"], model_args={"marker": [str(marker)], "kill_at": ["3"]})
    attempts = []

    def rearm(runs, executor):
        original = executor.wait

        def wait(handles, timeout):
            done = original(handles, timeout)
            for _, outcome in done:
                attempts.append(type(outcome).__name__)
                marker.unlink(missing_ok=True)
            return done

        executor.wait = wait

    report = run_sweep(toys, Store(db), spec, "processes", workers=1, retries=1, on_plan=rearm)
    assert attempts == ["WorkerLost", "WorkerLost"]
    (run,) = report.runs
    assert run.status == "failed" and run.attempts == 2 and "died on all 2 attempts" in run.error
    assert "signal 9 (SIGKILL)" in run.error
    assert table(db, "SELECT status, sweep_id FROM runs") == [("failed", report.sweep_id)]


@pytest.mark.slow
def test_killed_sweep_resumes_where_it_stopped(harness_cli, tmp_path):
    log = tmp_path / "predicted.log"
    args = [
        "sweep",
        "-t",
        "doubling",
        "-m",
        "slow",
        "-a",
        "delay=0.04",
        "-a",
        f"log={log}",
        "--seeds",
        "0-3",
        "-e",
        "processes",
        "-w",
        "1",
        "--json",
    ]
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "harness"), *args],
        env=harness_cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.exists() and len(log.read_text().split()) >= 300):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker at once, as a lost machine would
    process.wait()
    before = len(log.read_text().split())
    db = Path(harness_cli.env["HARNESS_DB"])
    stored = table(db, "SELECT count(*) FROM runs WHERE status = 'finished'")[0][0]
    assert 1 <= stored < 4 and table(db, "SELECT status FROM sweeps") == [("running",)]

    report = json.loads(harness_cli(*args).stdout)
    assert report["resumed"] and report["status"] == "finished" and report["cached"] == stored
    assert [r["status"] for r in report["runs"]] == ["finished"] * 4
    # finished runs were skipped and the run cut short resumed from its shards: at most the batch
    # in flight at the kill (8 samples) was predicted twice
    assert before + len(log.read_text().split()[before:]) <= 4 * 200 + 8
    assert table(db, "SELECT count(*), min(status), min(done) FROM sweeps") == [(1, "finished", 4)]
    assert table(db, "SELECT count(*), count(DISTINCT run_key) FROM runs") == [(4, 4)]


@pytest.mark.slow
def test_two_runs_needing_one_checkpoint_train_it_once(harness_cli, tmp_path):
    fits = tmp_path / "fits.log"
    harness_cli.env["HARNESS_PLUGINS"] = PLUGINS
    base = ["run", "-t", "doubling", "-m", "slow-learner", "-a", f"fits={fits}", "-a", "fit_delay=1.5", "--json"]
    processes = [harness_cli.popen(*base, "--limit", str(limit)) for limit in (50, 100)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["metrics"]["exact_match"]["value"] == 1.0
    assert len(fits.read_text().split()) == 1


def test_migrates_a_version_1_database(arith, tmp_path):
    from harness.runner.run import Runner, RunRequest

    path = tmp_path / "v1.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
        con.execute(MIGRATIONS[0])
        con.execute("INSERT INTO schema_version VALUES (1, now())")
        con.execute(
            "INSERT INTO runs (run_id, task, task_version, model, model_config, dataset, split, data_fingerprint, "
            "seed, run_key, status, started_at, harness_version, plugin, model_plugin) VALUES ('old', 'doubling', "
            "'1', 'exact', '{}', 'd', 'test', 'f', 0, 'k', 'finished', now(), '0.1.0', 'arith', 'arith')"
        )
    store = Store(path)
    before = path.read_bytes()
    assert list_sweeps(store) == [] and store.get_run("old").sweep_id is None  # read-only: the file is untouched
    assert path.read_bytes() == before
    Runner(arith, store).run(RunRequest(task="doubling", model="exact"))
    assert table(path, "SELECT max(version) FROM schema_version") == [(len(MIGRATIONS),)]
    assert table(path, "SELECT run_id, sweep_id FROM runs WHERE run_id = 'old'") == [("old", None)]
    assert table(path, "SELECT count(*) FROM sweeps") == [(0,)]
    assert store.get_run("old").sweep_id is None


def test_executors_are_plugins(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = PLUGINS
    plugins = {p["name"]: p for p in harness_cli.json("plugins")}
    assert "register_executors" in plugins["toy_plugins.sweep_faults"]["hooks"]
    report = harness_cli.json("sweep", "-t", "squaring", "-e", "counting", "--seeds", "0-1")
    assert report["executor"] == "counting" and report["finished"] == 2
    counted = (Path(harness_cli.env["HARNESS_HOME"]) / "counted.txt").read_text().splitlines()
    assert counted == ["squaring · exact · seed 0", "squaring · exact · seed 1"]
    wrong = harness_cli("sweep", "-t", "squaring", "-e", "procesess", check=False)
    assert wrong.returncode == 2
    assert "unknown executor 'procesess'; did you mean 'processes'?" in wrong.stderr
    assert "counting, local, processes, ray" in wrong.stderr


def test_ray_executor_without_ray_says_how_to_install(toys, db, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ConfigError, match=r"needs Ray: pip install 'kexue-harness\[ray\]'"):
        run_sweep(toys, Store(db), SweepSpec(tasks=["squaring"]), "ray")


def test_sweep_resumes_a_run_left_unfinished_by_harness_run(toys, db):
    from harness.runner.run import Runner, RunRequest

    store = Store(db)
    old = Runner(toys, store).run(RunRequest(task="squaring", model="exact", seed=3)).run
    with duckdb.connect(str(db)) as con:  # as if `harness run` had been killed: running, no metrics
        con.execute("UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?", [old.run_id])
        con.execute("DELETE FROM metrics WHERE run_id = ?", [old.run_id])
    report = run_sweep(toys, store, SweepSpec(tasks=["squaring"], seeds=[3]), "processes", workers=1)
    (run,) = report.runs
    assert run.run_id == old.run_id and run.status == "finished" and not run.cached
    assert table(db, "SELECT run_id, status, sweep_id FROM runs") == [(old.run_id, "finished", report.sweep_id)]
    assert table(db, "SELECT count(*) FROM samples") == [(50,)] and table(db, "SELECT count(*) FROM metrics") == [(1,)]


def test_sweeps_command_shows_one_sweep(harness_cli):
    report = harness_cli.json("sweep", "-t", "arith", "-m", "exact", "--name", "exact twice")
    detail = harness_cli.json("sweeps", report["sweep_id"][:6])
    assert detail["sweep_id"] == report["sweep_id"] and detail["name"] == "exact twice"
    assert detail["grid"]["tasks"] == ["arith"] and detail["status"] == "finished"
    assert sorted((r["task"], r["status"]) for r in detail["runs"]) == [("doubling", "finished"), ("squaring", "finished")]
    text = harness_cli("sweeps", report["sweep_id"]).stdout
    assert "exact_match 1" in text and "2/2 finished" in text


def test_import_merges_several_exports_and_replaces_unfinished_runs(harness_cli, tmp_path):
    for seed in (0, 1):
        harness_cli("sweep", "-t", "doubling", "-m", "noisy", "--seeds", str(seed), "--db", str(tmp_path / f"{seed}.duckdb"))
        harness_cli("export", str(tmp_path / f"out{seed}"), "--db", str(tmp_path / f"{seed}.duckdb"))
    merged = tmp_path / "merged.duckdb"
    out = harness_cli("import", str(tmp_path / "out0"), str(tmp_path / "out1"), "--db", str(merged)).stdout
    assert "imported 2 new run(s)" in out
    assert "imported 0 new run(s)" in harness_cli("import", str(tmp_path / "out0"), "--db", str(merged)).stdout
    with duckdb.connect(str(merged)) as con:  # a run left unfinished here is replaced by the finished export
        con.execute("UPDATE runs SET status = 'running' WHERE seed = 0")
        con.execute("DELETE FROM samples WHERE idx >= 100 AND run_id IN (SELECT run_id FROM runs WHERE seed = 0)")
    assert "imported 1 new run(s)" in harness_cli("import", str(tmp_path / "out0"), "--db", str(merged)).stdout
    assert table(merged, "SELECT seed, status, n_samples FROM runs ORDER BY seed") == [(0, "finished", 200), (1, "finished", 200)]
    assert table(merged, "SELECT count(*) FROM samples") == [(400,)]
    assert len(table(merged, "SELECT DISTINCT sweep_id FROM runs")) == 2
