"""Where runs are logged: the tracking URI, the experiment, and bounds on a slow tracker.

Read from the environment on every run, so one process can log to different trackers (the
tests do) and nothing here imports MLflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from harness import home as default_home

#: Environment variables MLflow reads, with the values this plugin uses unless the user set them.
#: MLflow's own defaults retry a dead HTTP tracker 7 times with exponential backoff and wait up
#: to 120 s per request: minutes at the end of every run for a server that is down. Telemetry
#: is off because a harness that runs offline should not try to send usage data anywhere.
MLFLOW_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}


def default_uri() -> str:
    """`$HARNESS_HOME/mlruns/mlflow.db`: beside the results database, whatever the working directory.

    A SQLite store, not a bare `mlruns/` file store: MLflow 3 refuses file stores unless
    `MLFLOW_ALLOW_FILE_STORE=true` is set (they are in maintenance mode), and `mlflow ui`
    opens a SQLite file directly.
    """
    return "sqlite:///" + str((default_home() / "mlruns" / "mlflow.db").resolve())


def tracking_uri() -> str:
    """`HARNESS_MLFLOW_URI`, else `MLFLOW_TRACKING_URI` (a tracker the user already uses), else the default."""
    return os.environ.get("HARNESS_MLFLOW_URI") or os.environ.get("MLFLOW_TRACKING_URI") or default_uri()


def experiment_name(task: str) -> str:
    """One experiment per task (their metrics differ), unless `HARNESS_MLFLOW_EXPERIMENT` names one for all."""
    return os.environ.get("HARNESS_MLFLOW_EXPERIMENT") or task


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (None for other stores and in-memory SQLite)."""
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite" or not parsed.path or parsed.path == "/:memory:":
        return None
    # SQLAlchemy's form: `sqlite:///relative.db`, `sqlite:////absolute.db`.
    return Path(unquote(parsed.path[1:]))


def artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: beside a SQLite database, else the tracker's choice.

    MLflow's own default for SQLite stores is `./mlruns` relative to the working directory at
    the time, which would scatter artifacts over every folder `harness run` was started from.
    """
    path = sqlite_path(uri)
    return (path.parent / "artifacts").resolve().as_uri() if path is not None else None


@contextmanager
def bounded_mlflow() -> Iterator[None]:
    """Apply `MLFLOW_DEFAULTS` where the user set nothing, keep MLflow's INFO chatter off stderr,
    and send what MLflow prints to stdout (the "View run ... at: URL" lines it writes for a
    tracking server) to stderr, where it cannot corrupt `harness run --json`."""
    import logging
    import sys
    from contextlib import redirect_stdout

    added = {key: value for key, value in MLFLOW_DEFAULTS.items() if key not in os.environ}
    if "DO_NOT_TRACK" in os.environ:
        added.pop("MLFLOW_DISABLE_TELEMETRY", None)
    os.environ.update(added)
    import mlflow  # noqa: F401  (its import configures its loggers: quieten them after, not before)

    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        for key in added:
            os.environ.pop(key, None)
