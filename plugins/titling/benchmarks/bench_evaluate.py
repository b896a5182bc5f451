"""What serving ROUGE through a local evaluate module costs: imports, per title, per run.

    python plugins/titling/benchmarks/bench_evaluate.py                       # imports and per-title costs
    python plugins/titling/benchmarks/bench_evaluate.py --baseline a7ac64a    # + whole runs against that commit's plugin

Peers measured in the same run: `rouge-score` called directly with the same tokenizer (what the
plugin did before), evaluate's public `compute()` on one title (what a naive wrapper would call
per sample) and on all titles at once; `import evaluate` plainly against
`harness.evaluate_metrics.import_evaluate`. With `--baseline REV`, `harness run --task titling
--model lead` (no training: decoding is trivial, so scoring and imports are most of the run) runs
alternately with this checkout's plugin and with the plugin as it was at REV (rouge-score, no
evaluate), each in a fresh process and scratch database, and the scores are compared.
CPU seconds are printed beside wall seconds: on a loaded machine the wall clock measures the
other processes too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HARNESS = Path(sys.executable).with_name("harness")


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds of one child process, and its stdout."""
    wall, cpu = time.perf_counter(), child_cpu()
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return time.perf_counter() - wall, child_cpu() - cpu, out


def import_costs(repeat: int) -> None:
    probes = {
        "import rouge_score.rouge_scorer (peer)": "import rouge_score.rouge_scorer",
        "import evaluate": "import evaluate",
        "harness.evaluate_metrics.import_evaluate()": "from harness.evaluate_metrics import import_evaluate; import_evaluate()",
        "python startup (subtracted)": "pass",
    }
    results = {}
    for label, code in probes.items():
        runs = [timed_process([sys.executable, "-c", code]) for _ in range(repeat)]
        results[label] = (min(r[0] for r in runs), min(r[1] for r in runs))
    base_wall, base_cpu = results.pop("python startup (subtracted)")
    plain = results["import evaluate"][1] - base_cpu
    for label, (wall, cpu) in results.items():
        print(
            f"{label:48s}: {wall - base_wall:5.2f} s wall, {cpu - base_cpu:5.2f} s CPU "
            f"({(cpu - base_cpu) / plain:.2f}x import evaluate), best of {repeat}"
        )


def per_title_costs(pairs: list[tuple[str, str]]) -> None:
    from harness_titling.metrics import CharTokenizer, RougeL
    from rouge_score.rouge_scorer import RougeScorer

    def cpu_per_title(fn, items) -> float:
        start = time.process_time()
        for item in items:
            fn(*item)
        return (time.process_time() - start) / len(items)

    scorer = RougeScorer(["rougeL"], tokenizer=CharTokenizer())
    metric = RougeL()
    metric.score({"title": "预热"}, "预热", {})  # loads the module and runs the one-sample cross-check
    module = metric.evaluation_module()
    peer = cpu_per_title(lambda p, r: scorer.score(r, p), pairs)
    rows = {
        "rouge-score directly (peer)": peer,
        "titling-rouge-l (EvaluateMetric.score)": cpu_per_title(lambda p, r: metric.score({"title": p}, r, {}), pairs),
        "evaluate compute() on one title": cpu_per_title(
            lambda p, r: module.compute(predictions=[p], references=[r], rouge_types=["rougeL"]), pairs[:300]
        ),
    }
    start = time.process_time()
    module.compute(predictions=[p for p, _ in pairs], references=[r for _, r in pairs], rouge_types=["rougeL"])
    rows[f"evaluate compute() on all {len(pairs)} titles, per title"] = (time.process_time() - start) / len(pairs)
    for label, seconds in rows.items():
        print(f"{label:48s}: {1e6 * seconds:8.1f} µs per title CPU ({seconds / peer:6.1f}x rouge-score)")


def baseline_plugin(rev: str, into: Path) -> Path:
    """The titling package as it was at `rev`, extracted from git (nothing installed)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "plugins/titling/harness_titling"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "plugins" / "titling"


def whole_runs(rev: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        old_path = baseline_plugin(rev, Path(scratch))
        variants = {f"baseline {rev} (rouge-score)": str(old_path), "this checkout (evaluate)": None}
        times: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
        metrics: dict[str, dict] = {}
        samples: dict[str, dict] = {}
        for i in range(repeat):
            for label, pythonpath in variants.items():
                env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_") and k != "PYTHONPATH"}
                home = Path(scratch) / f"{i}-{len(times[label])}-{pythonpath is None}"
                env |= {
                    "HARNESS_HOME": str(home),
                    "HARNESS_DB": str(home / "db.duckdb"),
                    "HARNESS_LOAD_PLUGINS": "",
                    "HARNESS_PLUGINS": "harness_titling",
                    "HF_HUB_OFFLINE": "1",
                }
                if pythonpath:
                    env["PYTHONPATH"] = pythonpath
                wall, cpu, out = timed_process([str(HARNESS), "run", "--task", "titling", "--model", "lead", "--json"], env)
                times[label].append((wall, cpu))
                run = json.loads(out)
                metrics[label] = run["metrics"]
                shown = subprocess.run(
                    [str(HARNESS), "show", run["run_id"], "--samples", "--limit", "0", "--json"],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                ).stdout
                samples[label] = {s["sample_id"]: s["scores"] for s in json.loads(shown)["samples"]}
        base = statistics.median(c for _, c in times[next(iter(variants))])
        for label, rows in times.items():
            wall, cpu = statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows)
            print(
                f"harness run --task titling --model lead, {label:30s}: {wall:5.2f} s wall, {cpu:5.2f} s CPU "
                f"(median of {repeat}; {cpu - base:+.2f} s CPU)"
            )
        first, second = metrics.values()
        same = first.keys() == second.keys() and all(first[k] == second[k] for k in first)
        old_scores, new_scores = samples.values()
        print(
            f"metric values and intervals identical between the two: {same}; every one of the {len(new_scores)} "
            f"titles' scores identical: {old_scores == new_scores}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a git revision whose titling plugin scored ROUGE with rouge-score")
    parser.add_argument("--repeat", type=int, default=3, help="processes per import probe / runs per variant")
    parser.add_argument("--pairs", type=int, default=2000, help="title pairs scored per per-title figure")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    os.environ["HARNESS_HOME"] = scratch.name  # the in-process module keeps its bookkeeping there, not in ~/
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (start)")
    from harness_titling.data import load_synthetic

    refs = [r["title"] for r in load_synthetic("test")]
    pairs = [(refs[(i * 7 + 1) % len(refs)], refs[i % len(refs)]) for i in range(args.pairs)]
    import_costs(args.repeat)
    per_title_costs(pairs)
    if args.baseline:
        whole_runs(args.baseline, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} (end)")


if __name__ == "__main__":
    main()
