"""The numerical methods, one Model each. They see only the instance (never its reference).

Default model per task is its most exact method: closed-form, analytic, elliptic.
"""

from __future__ import annotations

from typing import Any

from harness import ConfigError, Model


class _PerInstance(Model):
    """Solves one instance at a time (batch_size 1, so the progress bar moves per instance)."""

    batch_size = 1

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[Any]:
        return [self.solve(item, ctx) for item in batch]

    def solve(self, item: dict[str, Any], ctx: Any) -> Any:
        raise NotImplementedError


# -- random-angles ------------------------------------------------------------------------------


class ClosedForm(_PerInstance):
    name = "closed-form"
    tasks = ("random-angles",)
    description = "Exact density, CDF (incomplete beta), mean pi/2 and variance trigamma(n/2)/2."

    def solve(self, item, ctx):
        from harness_geometry import angles

        return angles.closed_form(item["n"])


class Quadrature(_PerInstance):
    name = "quadrature"
    tasks = ("random-angles",)
    description = "Adaptive quadrature (QUADPACK) of sin^(n-2), normalised numerically; reports its error estimate."

    def solve(self, item, ctx):
        from harness_geometry import angles

        return angles.quadrature(item["n"])


class MonteCarlo(_PerInstance):
    name = "monte-carlo"
    tasks = ("random-angles",)
    description = "Draws Gaussian vector pairs, normalises them and measures the angle; reports standard errors."
    defaults = {"draws": 10000}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        if self.config["draws"] < 10:
            raise ConfigError(f"model 'monte-carlo': draws must be at least 10, got {self.config['draws']}")

    def solve(self, item, ctx):
        from harness_geometry import angles

        return angles.monte_carlo(item["n"], self.config["draws"], ctx.seed)


class Laplace(_PerInstance):
    name = "laplace"
    tasks = ("random-angles",)
    description = "The post's normal approximation N(pi/2, 1/(n-2)); undefined at n = 2."

    def solve(self, item, ctx):
        from harness_geometry import angles

        return angles.laplace(item["n"])


# -- rope-curve ---------------------------------------------------------------------------------


def _guarded(method, *args: Any) -> dict[str, Any]:
    from harness_geometry.rope import SolveError

    try:
        return method(*args)
    except SolveError as exc:
        return {"solved": False, "reason": str(exc)}


class Analytic(_PerInstance):
    name = "analytic"
    tasks = ("rope-curve",)
    description = "The troposkein in Jacobi elliptic functions, r = R sn(kappa y | m); g = 0 only."

    def solve(self, item, ctx):
        from harness_geometry import rope

        return _guarded(rope.analytic, item)


class Shooting(_PerInstance):
    name = "shooting"
    tasks = ("rope-curve",)
    description = "Integrates the equilibrium ODE (DOP853) and shoots on its unknown constants to meet the far end."

    def solve(self, item, ctx):
        from harness_geometry import rope

        return _guarded(rope.shooting, item)


class Chain(_PerInstance):
    name = "chain"
    tasks = ("rope-curve",)
    description = "N point masses on inextensible links, relaxed to equilibrium in the rotating frame (Newton on KKT)."
    defaults = {"N": 128}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        links = self.config["N"]
        if links < 8 or links % 8 or links > 1024:
            raise ConfigError(
                f"model 'chain': N must be a multiple of 8 between 8 and 1024 "
                f"(N/8 ... N are compared for convergence), got {links}"
            )

    def solve(self, item, ctx):
        from harness_geometry import rope

        return _guarded(rope.chain, item, self.config["N"])


# -- ellipse-gluing -----------------------------------------------------------------------------


class ArcLength(_PerInstance):
    name = "arc-length"
    tasks = ("ellipse-gluing",)
    description = "The post's construction: arc length inverted by integrating dt/ds, margin 1 - h'(s)^2 - h'(l-s)^2."

    def solve(self, item, ctx):
        from harness_geometry import ellipse

        return ellipse.arc_length_construction(item["a"], item["b"])


class Elliptic(_PerInstance):
    name = "elliptic"
    tasks = ("ellipse-gluing",)
    description = "Second construction: l = a E(e), arc length from incomplete elliptic integrals (Newton inversion)."

    def solve(self, item, ctx):
        from harness_geometry import ellipse

        return ellipse.elliptic_construction(item["a"], item["b"])


MODELS = (ClosedForm, Quadrature, MonteCarlo, Laplace, Analytic, Shooting, Chain, ArcLength, Elliptic)
