"""Kexue Harness plugin: logs every finished or failed run to an MLflow tracker.

Implements `on_run_end` only. MLflow is imported inside the hook, never at module scope, so
`harness tasks` and every other listing stay as fast as without this plugin.
"""

from __future__ import annotations

from harness import Artifact, RunRecord, hookimpl


@hookimpl
def on_run_end(run: RunRecord) -> None:
    """Log `run` to MLflow (see harness_mlflow.tracker); a failure raises and the harness warns."""
    from harness_mlflow.tracker import log_run

    log_run(run, stored_artifacts(run))


def stored_artifacts(run: RunRecord) -> list[Artifact] | None:
    """The run's artifacts as the runner stored them, or None if the run is not in `$HARNESS_DB`.

    The hook receives the run but not the database it was written to; the default database
    (`$HARNESS_DB`, else the one under `$HARNESS_HOME`) is where `harness run` writes unless
    `--db` points elsewhere.
    """
    if run.status != "finished":
        return []
    from harness.store import Store

    store = Store()
    if not store.exists() or not store.query("SELECT 1 FROM runs WHERE run_id = ?", [run.run_id]):
        return None
    return store.artifacts(run.run_id)
