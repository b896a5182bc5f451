"""The MLflow logger against real MLflow stores in temporary folders, read back with MlflowClient."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import harness_mlflow
import pytest
from harness_mlflow import settings, tracker

from harness.store import Store
from harness.testing import invoke, run_plugin, run_sweep

TESTS = Path(__file__).resolve().parent


def run_parity(toy, *, model_args=None, db=None, overwrite=False):
    """One parity run with the toy task and this plugin loaded, recorded in `db` (default $HARNESS_DB)."""
    return run_plugin((toy, harness_mlflow), "parity", db=db, model_args=model_args, overwrite=overwrite)


def mlflow_client(uri: str):
    """MLflow's client, imported on first use: importing MLflow takes a second or two, which every
    pytest worker would pay while collecting this file, also those that run none of its tests."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def logged(uri: str, experiment: str = "parity") -> list:
    client = mlflow_client(uri)
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


@pytest.fixture(params=["sqlite-default", "file-store"])
def uri(request, tmp_path, monkeypatch) -> str:
    """The default SQLite store under $HARNESS_HOME, and a classic `mlruns/` file store chosen by the user."""
    if request.param == "sqlite-default":
        return settings.tracking_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 refuses file stores without it
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("HARNESS_MLFLOW_URI", uri)
    return uri


def test_a_finished_run_is_logged_with_params_metrics_cis_and_artifacts(toy, uri, tmp_path):
    outcome = run_parity(toy, model_args={"every": "4"})
    run = outcome.run
    assert run.status == "finished" and outcome.warnings == []
    [logged_run] = logged(uri)
    assert logged_run.info.status == "FINISHED"
    tags, params, metrics = logged_run.data.tags, logged_run.data.params, logged_run.data.metrics
    assert tags["harness.run_id"] == run.run_id and tags["harness.status"] == "finished"
    assert tags["harness.primary_metric"] == "exact_match" and tags["harness.higher_is_better"] == "true"
    assert tags["mlflow.runName"] == "lazy-parity · parity-synth-v1/test · seed 0"
    assert params["task"] == "parity" and params["model"] == "lazy-parity"
    assert params["model_config.every"] == "4" and params["model_config.label"] == "plain"
    assert params["dataset"] == "parity-synth-v1" and params["split"] == "test" and params["seed"] == "0"
    assert params["data_fingerprint"] == run.data_fingerprint and params["run_key"] == run.run_key
    assert params["harness_version"] == run.harness_version and params["sample_limit"] == "null"
    assert params["train_dataset"] == "null"  # lazy-parity does not train
    assert params["package.duckdb"] == run.packages["duckdb"]
    # 15 of 60 integers are multiples of 4: exact match 0.75, with a real bootstrap interval around it.
    stored = {m.name: m for m in run.metrics}
    assert metrics["exact_match"] == pytest.approx(0.75) == stored["exact_match"].value
    for name in ("exact_match", "absolute_error"):
        assert metrics[f"{name}.ci_low"] == pytest.approx(stored[name].ci_low)
        assert metrics[f"{name}.ci_high"] == pytest.approx(stored[name].ci_high)
        assert metrics[f"{name}.ci_low"] < metrics[name] < metrics[f"{name}.ci_high"]
    assert metrics["n_samples"] == 60
    client = mlflow_client(uri)
    names = {a.path for a in client.list_artifacts(logged_run.info.run_id)}
    assert names == {"details", "harness", "summary.txt"}
    out = Path(client.download_artifacts(logged_run.info.run_id, "", str(tmp_path / "download")))
    wrong = json.loads((out / "details" / "wrong.json").read_text())
    assert wrong == [f"n{i:03d}" for i in range(0, 60, 4)]
    assert (out / "summary.txt").read_text() == "15 of 60 wrong\n"
    record = json.loads((out / "harness" / "run.json").read_text())
    assert record["run_id"] == run.run_id and record["metrics"]["exact_match"]["value"] == pytest.approx(0.75)


def test_a_cached_rerun_or_a_repeated_hook_does_not_log_twice(toy):
    uri = settings.tracking_uri()
    first = run_parity(toy)
    second = run_parity(toy)
    assert second.cached and second.run.run_id == first.run.run_id
    # Whether or not the runner calls on_run_end for a cached run, the run is logged once.
    assert tracker.log_run(second.run, Store().artifacts(second.run.run_id)) is None
    [logged_run] = logged(uri)
    client = mlflow_client(uri)
    assert len(client.get_metric_history(logged_run.info.run_id, "exact_match")) == 1


def test_overwrite_logs_the_new_run_beside_the_old_one_with_the_same_run_key(toy):
    first = run_parity(toy)
    second = run_parity(toy, overwrite=True)
    runs = logged(settings.tracking_uri())
    assert {r.data.tags["harness.run_id"] for r in runs} == {first.run.run_id, second.run.run_id}
    assert {r.data.tags["harness.run_key"] for r in runs} == {first.run.run_key}


def test_a_failed_run_is_logged_as_failed_and_completed_in_place_when_it_resumes(toy, monkeypatch, tmp_path):
    uri = settings.tracking_uri()
    monkeypatch.setenv("MLFLOW_TOY_FAIL", "1")
    failed = run_parity(toy)
    assert failed.run.status == "failed" and failed.warnings == []
    [logged_run] = logged(uri)
    assert logged_run.info.status == "FAILED"
    assert logged_run.data.tags["harness.status"] == "failed"
    assert logged_run.data.tags["harness.error"] == "RuntimeError: toy model crashed on purpose"
    assert set(logged_run.data.metrics) == {"duration_s"}  # no metric values: the run produced none
    assert logged_run.data.params["model"] == "lazy-parity"
    client = mlflow_client(uri)
    error = Path(client.download_artifacts(logged_run.info.run_id, "harness/error.txt", str(tmp_path)))
    assert "Traceback" in error.read_text() and "toy model crashed on purpose" in error.read_text()

    monkeypatch.delenv("MLFLOW_TOY_FAIL")
    resumed = run_parity(toy)
    assert resumed.run.run_id == failed.run.run_id and resumed.run.status == "finished"
    [again] = logged(uri)
    assert again.info.run_id == logged_run.info.run_id and again.info.status == "FINISHED"
    assert again.data.tags["harness.status"] == "finished" and "harness.error" not in again.data.tags
    assert again.data.metrics["exact_match"] == pytest.approx(48 / 60)


def test_what_mlflow_prints_for_a_tracking_server_goes_to_stderr_not_into_json_output(toy, monkeypatch, capsys):
    """MLflow writes "View run ... at: URL" to stdout when a run on a tracking server ends."""
    from mlflow.tracking._tracking_service.client import TrackingServiceClient

    monkeypatch.setattr(TrackingServiceClient, "_log_url", lambda self, run_id: sys.stdout.write(f"View run {run_id}\n"))
    capsys.readouterr()
    run_parity(toy)
    out, err = capsys.readouterr()
    assert "View run" not in out and "View run" in err


def test_a_half_logged_run_is_completed_rather_than_duplicated(toy):
    """An earlier attempt that died after creating the MLflow run (no harness.status tag yet)."""
    uri = settings.tracking_uri()
    run = run_parity(toy).run
    client = mlflow_client(uri)
    [logged_run] = logged(uri)
    client.delete_tag(logged_run.info.run_id, "harness.status")
    client.set_terminated(logged_run.info.run_id, "KILLED")
    assert tracker.log_run(run, Store().artifacts(run.run_id)) == logged_run.info.run_id
    [again] = logged(uri)
    assert again.info.status == "FINISHED" and again.data.tags["harness.status"] == "finished"


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["server-down", "unknown-scheme", "file-store-refused", "not-a-folder"])
def test_a_tracker_that_is_down_or_misconfigured_costs_a_warning_never_the_run(toy, kind, tmp_path, monkeypatch):
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    bad = {
        "server-down": f"http://127.0.0.1:{_refused_port()}",
        "unknown-scheme": "nosuchtracker://somewhere",
        "file-store-refused": (tmp_path / "mlruns").as_uri(),  # MLflow 3 without MLFLOW_ALLOW_FILE_STORE
        "not-a-folder": f"sqlite:///{blocker}/mlflow.db",
    }[kind]
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.setenv("HARNESS_MLFLOW_URI", bad)
    # retry the dead server without the seconds of backoff, nor MLflow's random extra wait of up to 1 s
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0")
    outcome = run_parity(toy)
    assert outcome.run.status == "finished"
    assert Store().get_run(outcome.run.run_id).status == "finished"
    [warning] = outcome.warnings
    assert warning.startswith("plugin 'harness_mlflow' failed in on_run_end: TrackerError: ")
    assert f"run {outcome.run.run_id} not logged to MLflow at {bad}" in warning


def test_a_run_recorded_in_another_database_is_logged_with_its_artifacts(toy, tmp_path):
    outcome = run_parity(toy, db=tmp_path / "elsewhere.duckdb")
    assert outcome.warnings == []
    [logged_run] = logged(settings.tracking_uri())
    assert logged_run.data.metrics["exact_match"] == pytest.approx(48 / 60)
    client = mlflow_client(settings.tracking_uri())
    names = {a.path for a in client.list_artifacts(logged_run.info.run_id)}
    assert "summary.txt" in names


def test_a_sweep_logs_each_run_once_from_its_driver_after_storing_it(toy, tmp_path):
    """Workers never log: the driver calls on_run_end once the run is in its database, artifacts included."""
    report = run_sweep((toy, harness_mlflow), ["parity"], db=tmp_path / "sweep.duckdb", seeds=[0, 1])
    assert report.status == "finished" and report.warnings == []
    runs = logged(settings.tracking_uri())
    assert sorted(r.data.tags["harness.run_id"] for r in runs) == sorted(r.run_id for r in report.runs)
    client = mlflow_client(settings.tracking_uri())
    for r in runs:
        assert "summary.txt" in {a.path for a in client.list_artifacts(r.info.run_id)}


def test_one_experiment_for_every_task_when_named(toy, monkeypatch):
    monkeypatch.setenv("HARNESS_MLFLOW_EXPERIMENT", "my-evals")
    run_parity(toy)
    assert len(logged(settings.tracking_uri(), "my-evals")) == 1
    assert logged(settings.tracking_uri(), "parity") == []


def test_uri_precedence(monkeypatch):
    monkeypatch.delenv("HARNESS_MLFLOW_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    home = Path(os.environ["HARNESS_HOME"]).resolve()
    assert settings.tracking_uri() == f"sqlite:///{home}/mlruns/mlflow.db"
    assert settings.artifact_location(settings.tracking_uri()) == (home / "mlruns" / "artifacts").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracker.example:5000")
    assert settings.tracking_uri() == "http://tracker.example:5000"
    assert settings.artifact_location(settings.tracking_uri()) is None
    monkeypatch.setenv("HARNESS_MLFLOW_URI", "sqlite:///relative.db")
    assert settings.tracking_uri() == "sqlite:///relative.db"
    assert settings.sqlite_path("sqlite:///relative.db") == Path("relative.db")


def test_keys_and_artifact_names_are_made_safe():
    assert tracker._key("f1 (macro)/类") == "f1 _macro_/类"
    assert tracker._artifact_path("../../etc/passwd") == "etc/passwd"
    assert tracker._artifact_path("/abs/x.png") == "abs/x.png"
    assert tracker._artifact_path("harness/run.json") == "task/harness/run.json"
    assert len(tracker._text("x" * 7000, tracker.MAX_PARAM_LENGTH)) == tracker.MAX_PARAM_LENGTH


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "MLFLOW_"))}
    env.update(
        HARNESS_HOME=str(tmp_path / "home"),
        HARNESS_DB=str(tmp_path / "cli.duckdb"),
        HARNESS_LOAD_PLUGINS="mlflow",
        HARNESS_PLUGINS="mlflow_toy",
        PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")])),
        **extra,
    )
    return env


@pytest.mark.slow
def test_the_installed_entry_point_logs_a_cli_run_and_warns_on_a_dead_tracker(tmp_path):
    """A real `harness` process, which imports MLflow itself and creates the default store with its
    artifacts under a HARNESS_HOME where there is none yet."""
    harness = Path(sys.executable).parent / "harness"
    env = _cli_env(tmp_path)
    plugins = json.loads(invoke("plugins", "--json", env=env).stdout)
    entry = next(p for p in plugins if p["name"] == "mlflow")
    assert entry["distribution"] == "harness-mlflow" and entry["hooks"] == ["on_run_end"] and entry["error"] is None
    result = subprocess.run(
        [str(harness), "run", "--task", "parity", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["warnings"] == []
    home = tmp_path / "home"
    assert (home / "mlruns" / "mlflow.db").is_file()
    assert list((home / "mlruns" / "artifacts").rglob("summary.txt"))
    [logged_run] = logged(f"sqlite:///{(home / 'mlruns' / 'mlflow.db').resolve()}")
    assert logged_run.data.tags["harness.run_id"] == run["run_id"]

    down = _cli_env(
        tmp_path,
        HARNESS_MLFLOW_URI=f"http://127.0.0.1:{_refused_port()}",
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR="0",
        MLFLOW_HTTP_REQUEST_BACKOFF_JITTER="0",
    )
    result = invoke("run", "--task", "parity", "--overwrite", env=down)  # in this process: only the warning matters
    assert result.returncode == 0, result.stderr
    assert "warning: plugin 'mlflow' failed in on_run_end: TrackerError" in " ".join(result.stdout.split())


def test_importing_the_plugin_does_not_import_mlflow():
    probe = "import sys, harness_mlflow; print('mlflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        == "False"
    )
