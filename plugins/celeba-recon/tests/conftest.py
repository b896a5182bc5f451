"""One tiny VQ-VAE training per session, shared by the tests that only read what it stored."""

from dataclasses import dataclass
from pathlib import Path

import harness_celeba_recon
import pytest

from harness.testing import PluginRun, run_plugin

#: The tiny configuration the end-to-end tests train (seconds on one thread).
TINY = {"dim": "16", "steps": "12", "batch": "16", "val_rows": "32"}
#: Test images the shared run evaluates.
LIMIT = 30


@dataclass
class TinyRun:
    outcome: PluginRun
    db: Path
    home: Path

    def again(self, **kwargs) -> PluginRun:
        """The same run once more, in the same home (so its checkpoint is found), stored in another
        database (the shared one keeps one run per model for the tests that read it)."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HARNESS_HOME", str(self.home))
            db = self.db.with_name("again.duckdb")
            return run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="vq-vae", model_args=TINY, limit=LIMIT, **kwargs)


@pytest.fixture(scope="session")
def tiny_vq_run(tmp_path_factory) -> TinyRun:
    """`vq-vae` trained on the embedded faces in TINY and evaluated on LIMIT test images, in a
    temporary home and database of its own (the per-test isolation has not started at session scope)."""
    root = tmp_path_factory.mktemp("tiny-vq")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HARNESS_HOME": root / "home", "HARNESS_DB": root / "r.duckdb"}.items():
            patch.setenv(name, str(value))
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            patch.setenv(name, "1")
        patch.setenv("HARNESS_LOAD_PLUGINS", "")
        outcome = run_plugin(
            harness_celeba_recon, "celeba-recon", db=root / "r.duckdb", model="vq-vae", model_args=TINY, limit=LIMIT
        )
    return TinyRun(outcome, root / "r.duckdb", root / "home")
