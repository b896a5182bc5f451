"""The simulated (x, y) families: the standard dependence benchmark plus independent look-alikes.

Each family is a 1-D generator of a pair (a, b) driven by a noise scale. The formulas follow the
benchmark of Vogelstein et al. (2019, MGC) / hyppo's `sims` in spirit, rewritten so the plugin does
not depend on hyppo. The d-dimensional version of a family standardises a and b, appends d - 1
independent N(0, 1) nuisance coordinates to each, and rotates each by a fixed orthogonal matrix:
the dependence lives in one hidden direction, which is what makes higher dimensions harder.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness_independence.names import DEPENDENT, INDEPENDENT, POST_FAMILIES

__all__ = ["DEPENDENT", "FAMILIES", "INDEPENDENT", "POST_FAMILIES", "Family", "generate"]

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _u(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, n)


def _additive(f: Callable[[np.ndarray], np.ndarray], x_law: str = "uniform") -> Generator:
    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        a = _u(rng, n) if x_law == "uniform" else rng.normal(size=n)
        return a, f(a) + noise * rng.normal(size=n)

    return generate


def _rotated_square(theta: float) -> Generator:
    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        u, v = _u(rng, n), _u(rng, n)
        a = u * math.cos(theta) + v * math.sin(theta)
        b = -u * math.sin(theta) + v * math.cos(theta)
        return a + noise * rng.normal(size=n), b + noise * rng.normal(size=n)

    return generate


def _ring(width: float) -> Generator:
    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = rng.uniform(-math.pi, math.pi, n)
        return width * np.cos(t) + noise * rng.normal(size=n), np.sin(t) + noise * rng.normal(size=n)

    return generate


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r = rng.uniform(0.0, 5.0, n)
    return r * np.cos(math.pi * r), r * np.sin(math.pi * r) + noise * rng.normal(size=n)


def _two_parabolas(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a = _u(rng, n)
    sign = rng.integers(0, 2, n) - 0.5
    return a, (a * a + noise * rng.uniform(0.0, 1.0, n)) * sign


def _multiplicative(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a = rng.normal(size=n)
    return a, a * rng.normal(size=n) + noise * rng.normal(size=n)


def _checkerboard(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a = rng.uniform(0.0, 4.0, n)
    b = rng.uniform(0.0, 1.0, n) + 2 * rng.integers(0, 2, n) + np.floor(a) % 2
    return a + noise * rng.normal(size=n), b + noise * rng.normal(size=n)


def _cubic(a: np.ndarray) -> np.ndarray:
    c = a - 1.0 / 3.0
    return 128 * c**3 + 48 * c**2 - 12 * c


# -- independent families ------------------------------------------------------------------------


def _independent_normal(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=n), rng.normal(size=n)


def _heavy_tailed(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.standard_t(2, n), rng.standard_t(2, n)


def _multimodal(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # four tight clusters on a grid look like structure, yet a and b are drawn independently
    a = rng.normal(size=n) / 3 + 2 * rng.integers(0, 2, n) - 1
    b = rng.normal(size=n) / 3 + 2 * rng.integers(0, 2, n) - 1
    return a, b


def _skewed(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.lognormal(0.0, 1.0, n), rng.exponential(1.0, n)


def _discrete(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # many exact ties: rank tests and permutation tests must cope with them
    return rng.poisson(2.0, n).astype(float), rng.integers(0, 3, n).astype(float)


@dataclass(frozen=True)
class Family:
    name: str
    dependent: bool
    generate: Generator
    #: noise scales (low, high) of the embedded grid; () for independent families. High is where the
    #: reference HSIC test (median sigma, gamma null) has power ~1/2 at n = 200 in 1-D, low is half of it
    #: (benchmarks/calibrate_noise.py). Spiral, sine-16pi and checkerboard stay hard even without noise
    #: (power < 1/2 at n = 200), so their levels were set by hand.
    noise: tuple[float, ...]
    formula: str


_F = Family
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        _F("linear", True, _additive(lambda a: a), (1.75, 3.5), "x ~ U(-1,1), y = x + s e"),
        _F("exponential", True, _additive(lambda a: np.exp(3 * a)), (11.5, 23.0), "x ~ U(-1,1), y = exp(3x) + s e"),
        _F("cubic", True, _additive(_cubic), (125.0, 250.0), "y = 128(x-1/3)^3 + 48(x-1/3)^2 - 12(x-1/3) + s e"),
        _F("joint-normal", True, _additive(lambda a: a, "normal"), (2.75, 5.5), "x ~ N(0,1), y = x + s e"),
        _F("step", True, _additive(lambda a: (a > 0).astype(float)), (1.5, 3.0), "y = 1[x > 0] + s e"),
        _F("quadratic", True, _additive(lambda a: a * a), (0.55, 1.1), "y = x^2 + s e"),
        _F("w-shaped", True, _additive(lambda a: 4 * (a * a - 0.5) ** 2), (0.45, 0.9), "y = 4 (x^2 - 1/2)^2 + s e"),
        _F("spiral", True, _spiral, (0.25, 0.5), "r ~ U(0,5), x = r cos(pi r), y = r sin(pi r) + s e"),
        _F("logarithmic", True, _additive(lambda a: np.log(np.abs(a)), "normal"), (1.9, 3.8), "x ~ N(0,1), y = log|x| + s e"),
        _F("fourth-root", True, _additive(lambda a: np.abs(a) ** 0.25), (0.28, 0.56), "y = |x|^(1/4) + s e"),
        _F("sine-4pi", True, _additive(lambda a: np.sin(4 * math.pi * a)), (0.16, 0.33), "y = sin(4 pi x) + s e"),
        _F("sine-16pi", True, _additive(lambda a: np.sin(16 * math.pi * a)), (0.02, 0.05), "y = sin(16 pi x) + s e"),
        _F("square", True, _rotated_square(-math.pi / 8), (0.1, 0.2), "U(-1,1)^2 rotated by -pi/8, + s e on both"),
        _F("two-parabolas", True, _two_parabolas, (1.05, 2.1), "y = (x^2 + s U(0,1)) * (B - 1/2), B ~ Bernoulli"),
        _F("circle", True, _ring(1.0), (0.2, 0.4), "t ~ U(-pi,pi), (cos t, sin t) + s e on both"),
        _F("ellipse", True, _ring(5.0), (0.3, 0.6), "t ~ U(-pi,pi), (5 cos t, sin t) + s e on both"),
        _F("diamond", True, _rotated_square(-math.pi / 4), (0.155, 0.31), "U(-1,1)^2 rotated by -pi/4, + s e on both"),
        _F("multiplicative-noise", True, _multiplicative, (0.62, 1.24), "x ~ N(0,1), y = x e1 + s e2"),
        _F("checkerboard", True, _checkerboard, (0.1, 0.25), "x ~ U(0,4), y on alternating unit cells, + s e on both"),
        _F("independent-normal", False, _independent_normal, (), "x, y ~ N(0,1) independent"),
        _F("independent-heavy-tailed", False, _heavy_tailed, (), "x, y ~ Student t(2) independent (infinite variance)"),
        _F("multimodal-independence", False, _multimodal, (), "x, y each N(0,1)/3 + (2B - 1), independent"),
        _F("independent-skewed", False, _skewed, (), "x ~ LogNormal(0,1), y ~ Exp(1) independent"),
        _F("independent-discrete", False, _discrete, (), "x ~ Poisson(2), y ~ U{0,1,2} independent (ties)"),
    ]
}

assert tuple(n for n, f in FAMILIES.items() if f.dependent) == DEPENDENT, "names.py and FAMILIES disagree"
assert tuple(n for n, f in FAMILIES.items() if not f.dependent) == INDEPENDENT, "names.py and FAMILIES disagree"


@functools.lru_cache(maxsize=256)
def rotation(name: str, dim: int) -> np.ndarray:
    """A fixed orthogonal matrix per (family, dim, side): the same hidden direction on every machine.

    Cached (read-only): every generated instance asks for two, and a seeded generator plus a QR
    factorisation cost more than drawing a small sample."""
    rng = np.random.default_rng(zlib.crc32(f"{name}/{dim}".encode()))
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    out = q * np.sign(np.diag(r))
    out.flags.writeable = False
    return out


def _lift(a: np.ndarray, dim: int, rng: np.random.Generator, rot: np.ndarray) -> np.ndarray:
    if dim == 1:
        return a[:, None]
    sd = a.std()
    core = (a - a.mean()) / (sd if sd > 0 else 1.0)
    return np.column_stack([core, rng.normal(size=(a.shape[0], dim - 1))]) @ rot


def generate(family: str, n: int, dim: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) sample of one instance, both (n, dim), a pure function of its arguments."""
    rng = np.random.default_rng(seed)
    if family in POST_FAMILIES:
        a = rng.normal(size=n)
        b = a + noise * rng.normal(size=n) if POST_FAMILIES[family] else rng.normal(size=n)
    else:
        a, b = FAMILIES[family].generate(n, noise, rng)
    return _lift(a, dim, rng, rotation(family + "/x", dim)), _lift(b, dim, rng, rotation(family + "/y", dim))
