"""Speed and memory of this plugin's tests against hyppo and dcor, measured in the same run.

    python plugins/independence/benchmarks/bench_independence.py            # the README's table (~6 min)
    python plugins/independence/benchmarks/bench_independence.py --quick    # n = 200 only, a smoke run
    python plugins/independence/benchmarks/bench_independence.py --compare 9c29c99   # the default run, before / after

`--compare REV` runs the task's default (`hsic`, every embedded instance) twice in this process, through
the runner as `harness run` does: once with the HSIC engine (`hsic.py`) as it was at git revision REV,
once with the installed one. It prints the CPU seconds of each run, their power and type-I error, and
the instances whose decision differs (none is the point: the engine got faster, not different).

Peers: hyppo `Hsic().test(x, y, reps=1000, auto=False)` (permutation) and its fast `auto` mode (chi-square),
and dcor `distance_covariance_test(num_resamples=1000)`. Both JIT-compile with numba on first use, so
each is called once on a tiny input before anything is timed. At n = 2000 hyppo's permutation test
runs with 100 permutations and its time is scaled to 1000 (its cost is linear in the count; the line
says so) unless --hyppo-full is given. Memory is tracemalloc's peak of Python/numpy allocations during
one call (numba's own buffers are not traced), and the process's peak RSS at the end. BLAS runs on one
thread, as in the models (see `models.blas_threads`); hyppo and dcor do their work in numba, not BLAS.

Needs the `bench` extra: pip install -e 'plugins/independence[bench]'.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from harness_independence.dcorr import dcor_permutation_test
from harness_independence.families import generate
from harness_independence.hsic import hsic_test
from harness_independence.models import blas_threads
from harness_independence.rff import rff_hsic_test

PERMUTATIONS = 1000


def measure(fn: Callable[[], Any], repeat: int = 1, traced_separately: bool = True) -> tuple[float, float, Any]:
    """(best wall seconds over `repeat` untraced calls, tracemalloc peak MiB, result).

    tracemalloc slows allocation-heavy Python (scipy.stats objects) a lot, so by default the memory
    comes from one more call of its own; for the slow peers the timed call itself is traced instead.
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        if not traced_separately:
            tracemalloc.start()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    if traced_separately:
        tracemalloc.start()
        fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, result


def machine() -> dict[str, Any]:
    import scipy

    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    for name in ("hyppo", "dcor", "numba"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    cpu = (
        next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
        if os.path.exists("/proc/cpuinfo")
        else platform.processor()
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        **versions,
    }


def row(label: str, seconds: float, mib: float | None = None, note: str = "") -> dict[str, Any]:
    mem = f"{mib:8.1f} MiB" if mib is not None else " " * 12
    print(f"  {label:58s} {seconds:9.3f} s {mem}  {note}", flush=True)
    return {"label": label, "seconds": seconds, "peak_mib": mib, "note": note}


def bench_n(n: int, hyppo_full: bool) -> list[dict[str, Any]]:
    from dcor.independence import distance_covariance_test
    from hyppo.independence import Hsic

    x, y = generate("independent-normal", n, 1, 0.0, seed=n)  # independent: every permutation runs
    out = []
    print(f"\nn = {n}", flush=True)
    t_mine, m_mine, r = measure(
        lambda: hsic_test(x, y, "unbiased", "median", "permutation", PERMUTATIONS, rng=np.random.default_rng(0))
    )
    out.append(row(f"this plugin: HSIC permutation ({PERMUTATIONS}, unbiased)", t_mine, m_mine, f"p = {r.p_value:.3f}"))
    t_post, m_post, r = measure(
        lambda: hsic_test(x, y, "post", "median", "permutation", PERMUTATIONS, rng=np.random.default_rng(0))
    )
    out.append(row(f"this plugin: HSIC permutation ({PERMUTATIONS}, post)", t_post, m_post, f"p = {r.p_value:.3f}"))
    t_gamma, m_gamma, r = measure(lambda: hsic_test(x, y), repeat=3)
    out.append(row("this plugin: HSIC gamma", t_gamma, m_gamma, f"p = {r.p_value:.3f}"))

    reps = PERMUTATIONS if (n <= 1000 or hyppo_full) else 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(0)
        t_hyppo, m_hyppo, r = measure(lambda: Hsic().test(x[:, 0], y[:, 0], reps=reps, auto=False), traced_separately=False)
    scaled = t_hyppo * PERMUTATIONS / reps
    note = f"p = {r.pvalue:.3f}" + ("" if reps == PERMUTATIONS else f"; ran {reps} reps, time x{PERMUTATIONS // reps}")
    out.append(row(f"hyppo Hsic permutation (reps={PERMUTATIONS}, auto=False)", scaled, m_hyppo, note))
    t_auto, m_auto, r = measure(lambda: Hsic().test(x[:, 0], y[:, 0], auto=True), repeat=3)
    out.append(row("hyppo Hsic auto (chi-square)", t_auto, m_auto, f"p = {r.pvalue:.3f}"))

    t_dcor, m_dcor, r = measure(
        lambda: distance_covariance_test(x, y, num_resamples=PERMUTATIONS, random_state=0), traced_separately=False
    )
    out.append(row(f"dcor distance_covariance_test({PERMUTATIONS})", t_dcor, m_dcor, f"p = {r.pvalue:.3f}"))
    t_mydcor, m_mydcor, r = measure(lambda: dcor_permutation_test(x, y, PERMUTATIONS, np.random.default_rng(0)))
    out.append(row(f"this plugin: dCor permutation ({PERMUTATIONS})", t_mydcor, m_mydcor, f"p = {r[1]:.3f}"))

    print(
        f"  -> HSIC permutation: {scaled / t_mine:6.1f}x faster than hyppo's; "
        f"dCor permutation: {t_dcor / t_mydcor:5.1f}x dcor's speed; "
        f"gamma vs hyppo auto: {t_auto / t_gamma:5.1f}x",
        flush=True,
    )
    out.append(
        {
            "ratios": {
                "hsic_perm_vs_hyppo": scaled / t_mine,
                "dcor_perm_vs_dcor": t_dcor / t_mydcor,
                "gamma_vs_hyppo_auto": t_auto / t_gamma,
            },
            "n": n,
        }
    )
    return out


def bench_large() -> list[dict[str, Any]]:
    out = []
    print("\nlarge n", flush=True)
    x, y = generate("circle", 10_000, 1, 0.4, seed=1)
    t, m, r = measure(lambda: hsic_test(x, y), traced_separately=False)
    out.append(row("this plugin: HSIC gamma, n = 10,000 (blockwise)", t, m, f"p = {r.p_value:.2g}"))
    x, y = generate("circle", 100_000, 1, 0.4, seed=2)
    t, m, r = measure(lambda: rff_hsic_test(x, y, count=100, seed=0))
    out.append(row("this plugin: hsic-rff (100 features), n = 100,000", t, m, f"p = {r.p_value:.2g}"))

    print("\n  hsic-rff power at n = 100,000 (alpha = 0.05; dataset's high noise level, 1-D and 3-D):", flush=True)
    power: dict[str, Any] = {}
    cases = [
        ("linear", 3.5),
        ("circle", 0.4),
        ("checkerboard", 0.25),
        ("sine-4pi", 0.33),
        ("sine-16pi", 0.05),
        ("independent-normal", 0.0),
        ("multimodal-independence", 0.0),
    ]
    reps = 5
    for family, noise in cases:
        for dim in (1, 3):
            times, rejected = [], 0
            for rep in range(reps):
                xx, yy = generate(family, 100_000, dim, noise, seed=90_000 + rep)
                start = time.perf_counter()
                res = rff_hsic_test(xx, yy, count=100, seed=rep)
                times.append(time.perf_counter() - start)
                rejected += res.p_value <= 0.05
            power[f"{family} {dim}-D"] = rejected / reps
            print(f"  {family:26s} {dim}-D  rejected {rejected}/{reps}  median {np.median(times):.2f} s/test", flush=True)
    out.append({"rff_power_n100000": power, "reps": reps})
    return out


def compare(rev: str) -> None:
    """The default run with the engine at `rev` and with the installed one, in one process (same load)."""
    import subprocess
    import tempfile
    import types
    from pathlib import Path

    import harness_independence
    from harness_independence import hsic

    from harness.testing import run_plugin

    root = Path(__file__).resolve().parents[3]
    path = "plugins/independence/harness_independence/hsic.py"
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True, check=True).stdout
    before = types.ModuleType("hsic_before")
    sys.modules[before.__name__] = before  # dataclasses look their module up
    exec(compile(source, f"{rev}:{path}", "exec"), before.__dict__)
    installed = hsic.hsic_test
    print(f"load average at start: {os.getloadavg()}", flush=True)
    decisions = {}
    for label, engine in (("before", before.hsic_test), ("after", installed)):
        hsic.hsic_test = engine  # the model looks it up at each call
        with tempfile.TemporaryDirectory() as home:
            os.environ["HARNESS_HOME"] = home
            started, wall = time.process_time(), time.perf_counter()
            outcome = run_plugin(harness_independence, "independence", db=Path(home) / "r.duckdb", model="hsic")
            cpu, wall = time.process_time() - started, time.perf_counter() - wall
        hsic.hsic_test = installed
        run = outcome.run
        values = {m.name: m.value for m in run.metrics}
        decisions[label] = {s.sample_id: s.prediction["reject"] for s in outcome.samples}
        print(
            f"{label:6s} ({rev if label == 'before' else 'installed'}): {cpu:6.1f} CPU s, {wall:6.1f} s wall, "
            f"{run.n_samples} instances, power {values['power']:.4f}, type-I error {values['type1-error']:.4f}, "
            f"median s/test {values['median-runtime-s']:.4f}",
            flush=True,
        )
    differ = sorted(k for k, v in decisions["before"].items() if decisions["after"].get(k) != v)
    print(f"decisions that differ: {len(differ)}{' ' + ', '.join(differ[:10]) if differ else ''}")
    print(f"load average at end: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 200 only, no large-n section")
    parser.add_argument("--hyppo-full", action="store_true", help="run hyppo's 1000 permutations at n = 2000 too")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--compare", metavar="REV", help="the default run with the HSIC engine at git revision REV, then now")
    args = parser.parse_args()
    if args.compare:
        with blas_threads(1):
            compare(args.compare)
        return

    info = machine()
    print("machine:", json.dumps(info), flush=True)
    # warm up the numba JIT of both peers (20-30 s on first use) so it is not timed
    from dcor.independence import distance_covariance_test
    from hyppo.independence import Hsic

    start = time.perf_counter()
    xw, yw = generate("independent-normal", 30, 1, 0.0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Hsic().test(xw[:, 0], yw[:, 0], reps=10, auto=False)
        Hsic().test(xw[:, 0], yw[:, 0])
    distance_covariance_test(xw, yw, num_resamples=10)
    hsic_test(xw, yw)
    print(f"peer warm-up (numba JIT, or its on-disk cache): {time.perf_counter() - start:.1f} s", flush=True)

    results: dict[str, Any] = {"machine": info, "sizes": {}}
    # as the models run: BLAS on one thread (threaded OpenBLAS thrashes on a busy machine)
    with blas_threads(1):
        for n in (200,) if args.quick else (200, 1000, 2000):
            results["sizes"][n] = bench_n(n, args.hyppo_full)
        if not args.quick:
            results["large"] = bench_large()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_mib"] = peak_rss
    results["load_average_at_end"] = os.getloadavg()
    print(
        f"\nprocess peak RSS: {peak_rss:.0f} MiB; load average at start {info['load_average_at_start']}, "
        f"at end {results['load_average_at_end']}",
        flush=True,
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1, default=float)


if __name__ == "__main__":
    sys.exit(main())
