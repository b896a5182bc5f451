"""The tests evaluated on the task: HSIC (the post's and the unbiased estimator, gamma or permutation
null), HSIC with random Fourier features for large n, and the classical and distance baselines.

Every prediction is {"statistic", "p_value", "reject", "alpha", "runtime_s", ...}: runtime covers the
test only, not regenerating the instance's data.
"""

from __future__ import annotations

import contextlib
import math
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from harness import ConfigError, Model

TASKS = ("independence",)
#: O(n^2)-time tests refuse larger samples with advice instead of running for hours.
MAX_EXACT_N = 30_000


def _alpha(config: Mapping[str, Any], name: str) -> float:
    alpha = config["alpha"]
    if not 0 < alpha < 1:
        raise ConfigError(f"model {name!r}: alpha must lie in (0, 1), got {alpha}")
    return alpha


def _choice(config: Mapping[str, Any], key: str, choices: tuple[str, ...], name: str) -> str:
    value = str(config[key]).strip().lower()
    if value not in choices:
        raise ConfigError(f"model {name!r}: {key} must be one of {', '.join(choices)}, got {config[key]!r}")
    return value


def _positive_int(config: Mapping[str, Any], key: str, name: str, minimum: int = 1) -> int:
    if config[key] < minimum:
        raise ConfigError(f"model {name!r}: {key} must be at least {minimum}, got {config[key]}")
    return int(config[key])


def _sigma(config: Mapping[str, Any], name: str) -> float | str:
    raw = str(config["sigma"]).strip().lower()
    if raw == "median":
        return "median"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"model {name!r}: sigma must be 'median' or a positive number, got {config['sigma']!r}")
    return value


@contextlib.contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Cap BLAS threads (0: leave the library's default).

    The tests make many small matrix products, where threaded OpenBLAS gains nothing and, on a busy
    machine, loses a lot: on a loaded 2-core machine a (100 x 1000) @ (1000 x 100) product took
    0.4 ms on one thread and 76-114 ms on two contended ones.
    """
    if count <= 0:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=count, user_api="blas"):
        yield


def instance_seed(inp: Mapping[str, Any]) -> int:
    if "seed" in inp:
        return int(inp["seed"])
    return zlib.crc32(str(inp.get("sha256", inp.get("id", ""))).encode())


class IndependenceModel(Model):
    """Shared predict loop: regenerate (x, y), time the test, report the decision at alpha."""

    tasks = TASKS
    batch_size = 32
    #: largest n the test accepts (memory or time); None for no limit
    max_n: int | None = MAX_EXACT_N
    #: BLAS threads while testing (see `blas_threads`)
    threads: int = 1

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.alpha = _alpha(self.config, self.name)
        self.validate()

    def validate(self) -> None:
        """Check model arguments at construction, so a bad one fails before any data is read."""

    def test(self, x, y, seed: int):  # -> hsic.TestResult
        raise NotImplementedError

    def predict(self, batch: list[dict[str, Any]], ctx) -> list[dict[str, Any]]:
        from harness_independence.data import instance_arrays

        out = []
        with blas_threads(self.threads):
            for inp in batch:
                out.append(self._predict_one(inp, ctx, instance_arrays))
        return out

    def _predict_one(self, inp: dict[str, Any], ctx, instance_arrays) -> dict[str, Any]:
        x, y = instance_arrays(inp)
        if self.max_n is not None and x.shape[0] > self.max_n:
            raise ConfigError(
                f"model {self.name!r} with {self.config} is O(n^2): instance {inp.get('id')!r} has "
                f"n = {x.shape[0]} > {self.max_n}; use the hsic-rff model for large samples"
            )
        seed = (instance_seed(inp) * 1_000_003 + int(ctx.seed)) % 2**63
        start = time.perf_counter()
        try:
            result = self.test(x, y, seed)
        except ValueError as exc:
            raise ConfigError(f"model {self.name!r} on instance {inp.get('id')!r}: {exc}") from None
        return result.as_prediction(self.alpha, time.perf_counter() - start)


class HSIC(IndependenceModel):
    name = "hsic"
    description = (
        "HSIC with the post's Gaussian kernel exp(-|x-x'|^2/sigma^2). estimator=post (Tr(KJLJ)/(n-1)^2) "
        "| unbiased; sigma=median | <number> (the post used 1); null=gamma | permutation."
    )
    defaults = {"estimator": "post", "sigma": "median", "null": "gamma", "permutations": 200, "alpha": 0.05}

    def validate(self) -> None:
        self.estimator = _choice(self.config, "estimator", ("post", "unbiased"), self.name)
        self.null = _choice(self.config, "null", ("gamma", "permutation"), self.name)
        self.sigma = _sigma(self.config, self.name)
        self.permutations = _positive_int(self.config, "permutations", self.name, minimum=19)
        if self.null == "permutation":
            from harness_independence.hsic import MAX_PERMUTATION_N

            self.max_n = MAX_PERMUTATION_N

    def test(self, x, y, seed: int):
        import numpy as np

        from harness_independence.hsic import hsic_test

        return hsic_test(
            x, y, self.estimator, self.sigma, self.null, self.permutations, rng=np.random.default_rng(seed), seed=seed
        )


class HSICRandomFeatures(IndependenceModel):
    name = "hsic-rff"
    description = (
        "Large-n HSIC: random Fourier features of the post's kernel, O(n D^2), gamma null from the "
        "feature covariances; runs at n = 100,000. threads: BLAS threads (0 = library default)."
    )
    defaults = {"features": 100, "sigma": "median", "threads": 1, "alpha": 0.05}
    max_n = None

    def validate(self) -> None:
        self.features = _positive_int(self.config, "features", self.name, minimum=2)
        self.threads = _positive_int(self.config, "threads", self.name, minimum=0)
        self.sigma = _sigma(self.config, self.name)

    def test(self, x, y, seed: int):
        from harness_independence.rff import rff_hsic_test

        return rff_hsic_test(x, y, self.sigma, self.features, seed=seed)


class Pearson(IndependenceModel):
    name = "pearson"
    description = "Pearson correlation t-test; multivariate data: every coordinate pair, Bonferroni-corrected."
    defaults = {"alpha": 0.05}
    max_n = None

    def test(self, x, y, seed: int):
        from harness_independence.classical import pearson_test

        return pearson_test(x, y)


class Spearman(IndependenceModel):
    name = "spearman"
    description = "Spearman rank correlation (t approximation); multivariate: coordinate pairs, Bonferroni."
    defaults = {"alpha": 0.05}
    max_n = None

    def test(self, x, y, seed: int):
        from harness_independence.classical import spearman_test

        return spearman_test(x, y)


class Kendall(IndependenceModel):
    name = "kendall"
    description = "Kendall's tau-b (scipy); multivariate: coordinate pairs, Bonferroni."
    defaults = {"alpha": 0.05}
    max_n = None

    def test(self, x, y, seed: int):
        from harness_independence.classical import kendall_test

        return kendall_test(x, y)


class DistanceCorrelation(IndependenceModel):
    name = "dcor"
    description = (
        "Distance correlation (Szekely et al. 2007), this plugin's implementation; null=permutation "
        "(of dCov^2) | t (Szekely-Rizzo t-test of the bias-corrected dCor^2)."
    )
    defaults = {"null": "permutation", "permutations": 200, "alpha": 0.05}

    def validate(self) -> None:
        self.null = _choice(self.config, "null", ("permutation", "t"), self.name)
        self.permutations = _positive_int(self.config, "permutations", self.name, minimum=19)
        if self.null == "permutation":
            from harness_independence.hsic import MAX_PERMUTATION_N

            self.max_n = MAX_PERMUTATION_N

    def test(self, x, y, seed: int):
        import numpy as np

        from harness_independence.dcorr import dcor_permutation_test, dcor_t_test
        from harness_independence.hsic import TestResult

        if self.null == "t":
            stat, p = dcor_t_test(x, y)
            return TestResult(stat, p, {"statistic_kind": "bias-corrected dCor^2"})
        stat, p = dcor_permutation_test(x, y, self.permutations, np.random.default_rng(seed))
        return TestResult(stat, p, {"statistic_kind": "dCor", "permutations": self.permutations})


MODELS = (HSIC, HSICRandomFeatures, Pearson, Spearman, Kendall, DistanceCorrelation)
