"""Logs one harness run to MLflow: params, metrics with their CIs, artifacts, and the outcome.

Idempotent by the harness run id: every MLflow run this plugin creates carries the tag
`harness.run_id`, and `harness.status` is written last, once everything else is logged. A run
whose MLflow counterpart already has that status is skipped; one that has another status (a
failed run that was resumed and finished, or an earlier attempt that died half-way) is
completed in place instead of being logged again.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from harness import Artifact, RunRecord, to_json
from harness_mlflow import settings

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

RUN_ID_TAG = "harness.run_id"
STATUS_TAG = "harness.status"
ERROR_TAG = "harness.error"
#: MLflow's limits (mlflow.utils.validation): longer values are refused, not truncated.
MAX_PARAM_LENGTH = 6000
MAX_TAG_LENGTH = 5000
BATCH = 100  # log_batch accepts at most 100 params or tags per call
STATUSES = {"finished": "FINISHED", "failed": "FAILED"}
_UNSAFE_KEY = re.compile(r"[^\w\-. /:]")


class TrackerError(RuntimeError):
    """Logging to MLflow failed; the harness reports it as a warning and keeps the run."""


def log_run(run: RunRecord, artifacts: Sequence[Artifact], uri: str | None = None) -> str | None:
    """Log `run` to the MLflow tracker at `uri` (default `settings.tracking_uri()`).

    Returns the MLflow run id, or None when the run was already logged with this outcome.
    Any failure of MLflow (unreachable server, bad URI, refused value) becomes a `TrackerError`
    naming the run and the tracker.
    """
    if run.status not in STATUSES:
        return None  # still running: only outcomes are logged
    uri = uri or settings.tracking_uri()
    try:
        with settings.bounded_mlflow():
            return _log(run, artifacts, uri)
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise TrackerError(f"run {run.run_id} not logged to MLflow at {uri}: {type(exc).__name__}: {detail[:600]}") from exc


def _log(run: RunRecord, artifacts: Sequence[Artifact], uri: str) -> str | None:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    database = settings.sqlite_path(uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=uri)
    experiment_id = _experiment(client, settings.experiment_name(run.task), settings.artifact_location(uri))
    existing = find_run(client, experiment_id, run.run_id)
    if existing is not None and existing.data.tags.get(STATUS_TAG) == run.status:
        return None
    if existing is None:
        mlflow_run_id = client.create_run(
            experiment_id,
            start_time=_millis(run.started_at),
            tags={RUN_ID_TAG: run.run_id},
            run_name=f"{run.model} · {run.dataset}/{run.split} · seed {run.seed}",
        ).info.run_id
    else:
        mlflow_run_id = existing.info.run_id
    timestamp = _millis(run.finished_at or run.started_at)
    params = [Param(key, value) for key, value in params_of(run).items()]
    tags = [RunTag(key, value) for key, value in tags_of(run).items()]
    metrics = [Metric(key, value, timestamp, 0) for key, value in metrics_of(run).items()]
    for start in range(0, max(len(params), len(tags)), BATCH):
        client.log_batch(mlflow_run_id, params=params[start : start + BATCH], tags=tags[start : start + BATCH])
    if metrics:
        client.log_batch(mlflow_run_id, metrics=metrics)
    if run.status == "finished" and existing is not None and ERROR_TAG in existing.data.tags:
        client.delete_tag(mlflow_run_id, ERROR_TAG)  # the earlier failure was resumed and finished
    _log_artifacts(client, mlflow_run_id, run, artifacts)
    client.set_terminated(mlflow_run_id, STATUSES[run.status], end_time=timestamp)
    client.set_tag(mlflow_run_id, STATUS_TAG, run.status)
    return mlflow_run_id


def find_run(client: MlflowClient, experiment_id: str, harness_run_id: str) -> Any | None:
    """The MLflow run tagged with this harness run id in the experiment, if any (the oldest one)."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{RUN_ID_TAG}` = '{harness_run_id}'",
        order_by=["attributes.start_time ASC"],
        max_results=10,
    )
    return runs[0] if runs else None


def _experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage != "active":
            raise TrackerError(f"MLflow experiment {name!r} is deleted; restore it or set HARNESS_MLFLOW_EXPERIMENT")
        return found.experiment_id
    try:
        return client.create_experiment(name, artifact_location=artifact_location, tags={"harness.task": name})
    except MlflowException:  # another process created it meanwhile
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def params_of(run: RunRecord) -> dict[str, str]:
    """What determined the run: task, model and each model argument, data (evaluated and trained on), seed, versions."""
    params: dict[str, Any] = {
        "task": run.task,
        "task_version": run.task_version,
        "model": run.model,
        "dataset": run.dataset,
        "split": run.split,
        "data_fingerprint": run.data_fingerprint,
        "seed": run.seed,
        "sample_limit": run.sample_limit,
        "run_key": run.run_key,
        # What a model that trains learnt from (null for models that do not train).
        "train_dataset": getattr(run, "train_dataset", None),
        "train_fingerprint": getattr(run, "train_fingerprint", None),
        "harness_version": run.harness_version,
        "plugin": run.plugin,
        "plugin_version": run.plugin_version,
        "model_plugin": run.model_plugin,
        "model_plugin_version": run.model_plugin_version,
        "python": run.python,
        "platform": run.platform,
    }
    params.update({f"model_config.{key}": value for key, value in sorted(run.model_config.items())})
    params.update({f"package.{name}": version for name, version in sorted(run.packages.items())})
    return {_key(key): _text(value, MAX_PARAM_LENGTH) for key, value in params.items()}


def metrics_of(run: RunRecord) -> dict[str, float]:
    """Each metric's value and 95% CI bounds (`NAME`, `NAME.ci_low`, `NAME.ci_high`), plus run size and time.

    A metric without a value (undefined on this run) is left out rather than logged as NaN.
    """
    metrics: dict[str, float] = {}
    for m in run.metrics:
        name = _key(m.name)
        for key, value in ((name, m.value), (f"{name}.ci_low", m.ci_low), (f"{name}.ci_high", m.ci_high)):
            if value is not None:
                metrics[key] = float(value)
    for key, value in (("n_samples", run.n_samples), ("duration_s", run.duration_s)):
        if value is not None:
            metrics.setdefault(key, float(value))
    return metrics


def tags_of(run: RunRecord) -> dict[str, str]:
    """Searchable facts that are not inputs: ids, the primary metric, the error of a failed run."""
    primary = run.primary()
    tags = {
        RUN_ID_TAG: run.run_id,
        "harness.run_key": run.run_key,
        "harness.task": run.task,
        "mlflow.source.name": "kexue-harness",
        "mlflow.source.type": "LOCAL",
    }
    if primary is not None:
        tags["harness.primary_metric"] = _key(primary.name)
        tags["harness.higher_is_better"] = "true" if primary.higher_is_better else "false"
    if run.git_commit:
        tags["mlflow.source.git.commit"] = run.git_commit
        tags["harness.git_dirty"] = "true" if run.git_dirty else "false"
    if run.status == "failed":
        tags[ERROR_TAG] = _text((run.error or "").strip().splitlines()[0] if run.error else "", MAX_TAG_LENGTH)
    return tags


def _log_artifacts(client: MlflowClient, mlflow_run_id: str, run: RunRecord, artifacts: Sequence[Artifact]) -> None:
    """The task's artifacts under their own names, and the harness's record under `harness/`."""
    with tempfile.TemporaryDirectory(prefix="harness-mlflow-") as tmp:
        root = Path(tmp)
        files = {"harness/run.json": json.dumps(run.as_json(), ensure_ascii=False, indent=2, default=str).encode()}
        if run.status == "failed" and run.error:
            files["harness/error.txt"] = run.error.encode()
        for artifact in artifacts:
            files[_artifact_path(artifact.name)] = artifact.data
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        client.log_artifacts(mlflow_run_id, str(root))


def _artifact_path(name: str) -> str:
    """A task artifact's name as a relative path that cannot leave the run's folder or hide under `harness/`."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", "..", ".")]
    path = "/".join(parts) or "artifact"
    return f"task/{path}" if path.split("/")[0] == "harness" else path


def _key(name: str) -> str:
    """MLflow accepts letters, digits and `_-. /:` in keys; anything else becomes `_`."""
    return _UNSAFE_KEY.sub("_", name)


def _text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else to_json(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _millis(moment: datetime) -> int:
    """Harness times are naive UTC; MLflow wants milliseconds since the epoch."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)
