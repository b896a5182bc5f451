"""Run-level summaries computed once from every sample: power-vs-n curves per family, type-I error
per independent family with exact binomial CIs, runtime by n, and the post-example statistics.

Stored as the run's `curves.json` artifact, because the dashboard only sees a prefix of samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from harness_independence.metrics import ALPHA, clopper_pearson
from harness_independence.names import POST_FAMILIES

ARTIFACT = "curves.json"


def _cell(rejected: int, total: int) -> dict[str, Any]:
    low, high = clopper_pearson(rejected, total)
    return {
        "rejected": rejected,
        "total": total,
        "rate": rejected / total if total else None,
        "ci_low": low if total else None,
        "ci_high": high if total else None,
    }


def summarise(samples: Iterable[Any]) -> dict[str, Any]:
    """`samples`: SampleRecords (input, prediction, reference) of one run."""
    power: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    type1: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    runtimes: dict[int, list[float]] = defaultdict(list)
    post: list[dict[str, Any]] = []
    alphas: set[float] = set()
    for sample in samples:
        inp, pred, truth = sample.input, sample.prediction, sample.reference
        if not isinstance(pred, Mapping):
            continue
        alphas.add(float(pred.get("alpha", ALPHA)))
        rejected = int(bool(pred.get("reject")))
        family, n = inp.get("family", "?"), int(inp.get("n", 0))
        if pred.get("runtime_s") is not None:
            runtimes[n].append(float(pred["runtime_s"]))
        if family in POST_FAMILIES:
            post.append(
                {
                    "id": sample.sample_id,
                    "family": family,
                    "dependent": truth,
                    "n": n,
                    "statistic": pred.get("statistic"),
                    "p_value": pred.get("p_value"),
                    "reject": bool(pred.get("reject")),
                    "sigma_x": pred.get("sigma_x"),
                    "sigma_y": pred.get("sigma_y"),
                }
            )
            continue
        if truth is None:
            continue
        table = power if truth else type1
        dim, level = inp.get("dim", 1), inp.get("noise_level", "")
        for key in ((family, n, "all", "all"), (family, n, dim, "all"), (family, n, "all", level), (family, "all", "all", "all")):
            table[key][0] += rejected
            table[key][1] += 1

    def rows(table: dict[tuple, list[int]]) -> list[dict[str, Any]]:
        out = []
        for (family, n, dim, level), (rej, tot) in sorted(table.items(), key=lambda kv: tuple(map(str, kv[0]))):
            out.append({"family": family, "n": n, "dim": dim, "noise_level": level, **_cell(rej, tot)})
        return out

    return {
        "alpha": max(alphas) if alphas else ALPHA,
        "power": rows(power),
        "type1": rows(type1),
        "runtime": [
            {"n": n, "median_s": float(np.median(v)), "mean_s": float(np.mean(v)), "count": len(v)}
            for n, v in sorted(runtimes.items())
        ],
        "post_example": sorted(post, key=lambda r: r["id"]),
    }
