# Every test gets its own harness home and results database, offline, and sees no other installed
# plugin: the harness's pytest plugin (harness.testing) provides `harness_isolation`.
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def toy():
    """The parity toy task (tests/mlflow_toy.py) as an importable module."""
    if "mlflow_toy" not in sys.modules:
        spec = importlib.util.spec_from_file_location("mlflow_toy", TESTS / "mlflow_toy.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["mlflow_toy"] = module
        spec.loader.exec_module(module)
    return sys.modules["mlflow_toy"]


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory) -> Path:
    """An empty MLflow SQLite store with its schema created once (MLflow's migrations take seconds)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(autouse=True)
def default_store(monkeypatch, harness_isolation, migrated_store):
    """No tracker of the developer's (MLFLOW_TRACKING_URI, ...) is ever used, and each test's default
    store starts as a copy of the migrated empty one, as after a first run.

    The subprocess test, with a home of its own, exercises creation.
    """
    import os

    for name in [n for n in os.environ if n.startswith(("MLFLOW_", "HARNESS_MLFLOW_"))]:
        monkeypatch.delenv(name)
    target = Path(os.environ["HARNESS_HOME"]) / "mlruns" / "mlflow.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_store, target)
