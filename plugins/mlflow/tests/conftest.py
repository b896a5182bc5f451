# Every test gets its own harness home and results database, offline, and sees no other installed plugin.
import importlib.util
import sys
from pathlib import Path

import pytest

from harness.testing import harness_isolation  # noqa: F401

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
