"""Models for the sweep tests: one whose worker SIGKILLs itself once, one that trains slowly, and one whose
score depends on the seed (for leaderboards over seeds)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from harness import Model, hookimpl
from harness.sweep.executors.local import LocalExecutor


class Suicidal(Model):
    """Logs every input it predicts; at x == kill_at it SIGKILLs its own process, once (a marker file)."""

    name = "suicidal"
    tasks = ("doubling",)
    defaults = {"marker": "", "kill_at": 100, "log": "", "delay": 0.0}
    batch_size = 10

    def predict(self, batch, ctx):
        if self.config["delay"]:
            time.sleep(self.config["delay"])
        marker = Path(self.config["marker"]) if self.config["marker"] else None
        if marker and any(item["x"] == self.config["kill_at"] for item in batch) and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        if self.config["log"]:
            with open(self.config["log"], "a") as handle:
                handle.writelines(f"{item['id']}\n" for item in batch)
        return [2 * item["x"] for item in batch]


class SlowLearner(Model):
    """Training takes `fit_delay` seconds and is counted in the `fits` file: proves it happens once."""

    name = "slow-learner"
    tasks = ("doubling",)
    defaults = {"fits": "", "fit_delay": 1.0}

    def fit(self, train, ctx):
        time.sleep(self.config["fit_delay"])
        if self.config["fits"]:
            with open(self.config["fits"], "a") as handle:
                handle.write(f"{os.getpid()}\n")
        self.ratio = sum(r["reference"] for r in train) / sum(r["x"] for r in train)

    def save(self, directory):
        (directory / "ratio.json").write_text(json.dumps(self.ratio))

    def load(self, directory):
        self.ratio = json.loads((directory / "ratio.json").read_text())

    def predict(self, batch, ctx):
        return [round(self.ratio * item["x"]) for item in batch]


class Coin(Model):
    """Right with probability `accuracy`, drawn from the generator the runner seeds: a seed-dependent score."""

    name = "coin"
    tasks = ("doubling",)
    defaults = {"accuracy": 0.7, "label": ""}

    def predict(self, batch, ctx):
        import random

        return [2 * item["x"] + (0 if random.random() < self.config["accuracy"] else 1) for item in batch]


class Threads(Model):
    """Predicts the OpenMP thread count its process was given (`OMP_NUM_THREADS`, 0 when unset)."""

    name = "threads"
    tasks = ("doubling",)
    defaults: dict = {}

    def predict(self, batch, ctx):
        return [int(os.environ.get("OMP_NUM_THREADS", "0")) for _ in batch]


class Imports(Model):
    """Predicts which of the libraries a worker has no use for (`UNUSED`) its process has imported so
    far, as bits of a number (bit i for UNUSED[i]); one sample a batch, so that the second prediction
    comes after the first batch was written."""

    name = "imports"
    tasks = ("doubling",)
    defaults: dict = {}
    batch_size = 1
    UNUSED = ("duckdb", "pandas", "click", "rich")

    def predict(self, batch, ctx):
        return [sum(1 << i for i, name in enumerate(self.UNUSED) if name in sys.modules) for _ in batch]


class BlasThreads(Model):
    """Predicts the size of numpy's BLAS thread pool while it runs."""

    name = "blas-threads"
    tasks = ("doubling",)
    defaults: dict = {}

    def predict(self, batch, ctx):
        import numpy  # noqa: F401  (its BLAS is what threadpoolctl reports)
        from threadpoolctl import threadpool_info

        return [max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas") for _ in batch]


class CountingExecutor(LocalExecutor):
    """A third-party executor: the local one, counting the jobs it was given (in a file)."""

    name = "counting"
    description = "local, counting jobs"

    def submit(self, job):
        path = Path(os.environ["HARNESS_HOME"]) / "counted.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            handle.write(f"{job.label}\n")
        return super().submit(job)


@hookimpl
def register_executors(register):
    register(CountingExecutor)


@hookimpl
def register_models(register):
    register(Suicidal)
    register(SlowLearner)
    register(Coin)
    register(Threads)
    register(Imports)
    register(BlasThreads)
