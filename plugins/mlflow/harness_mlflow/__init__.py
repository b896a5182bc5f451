"""Kexue Harness plugin: logs every finished or failed run to an MLflow tracker.

Implements `on_run_end` only. MLflow is imported inside the hook, never at module scope, so
`harness tasks` and every other listing stay as fast as without this plugin.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness import Artifact, RunRecord, hookimpl


@hookimpl
def on_run_end(run: RunRecord, artifacts: Mapping[str, Artifact]) -> None:
    """Log `run` and the artifacts stored with it to MLflow (see harness_mlflow.tracker); a failure
    raises and the harness warns. The harness passes the artifacts, so a run stored with
    `--db OTHER` or by a sweep's driver is logged whole."""
    from harness_mlflow.tracker import log_run

    log_run(run, list(artifacts.values()))
