"""Dashboard panels: power curves per family, type-I error with exact CIs, runtime, the post's example,
and per instance the (x, y) scatter regenerated from its seed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer
from harness_independence.names import DEPENDENT, INDEPENDENT

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def load_curves(artifacts: Mapping[str, Any]) -> dict[str, Any] | None:
    from harness_independence.curves import ARTIFACT

    artifact = artifacts.get(ARTIFACT)
    if artifact is None:
        return None
    return json.loads(bytes(artifact.data).decode())


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def power_curves_chart(curves: dict[str, Any]) -> dict[str, Any]:
    """Small multiples: one panel per dependent family, power against n (log axis), a line per dimension."""
    rows = [r for r in curves["power"] if r["n"] != "all" and r["noise_level"] == "all" and r["family"] in DEPENDENT]
    values = [{**r, "series": "all dims" if r["dim"] == "all" else f"{r['dim']}-D"} for r in rows]
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "facet": {"field": "family", "type": "nominal", "sort": list(DEPENDENT), "title": None},
        "columns": 5,
        "spec": {
            "width": 140,
            "height": 100,
            "layer": [
                {
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": {"field": "n", "type": "quantitative", "scale": {"type": "log"}, "title": "n"},
                        "y": {"field": "rate", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "power"},
                        "color": {"field": "series", "type": "nominal", "title": None},
                        "tooltip": [
                            {"field": "family"},
                            {"field": "n"},
                            {"field": "series"},
                            {"field": "rate", "format": ".3f", "title": "power"},
                            {"field": "ci_low", "format": ".3f"},
                            {"field": "ci_high", "format": ".3f"},
                            {"field": "total", "title": "instances"},
                        ],
                    },
                },
                {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "gray"}, "encoding": {"y": {"datum": curves["alpha"]}}},
            ],
        },
    }


def type1_chart(curves: dict[str, Any]) -> dict[str, Any]:
    values = [r for r in curves["type1"] if r["n"] != "all" and r["dim"] == "all" and r["noise_level"] == "all"]
    encoding_x = {"field": "n", "type": "quantitative", "scale": {"type": "log"}, "title": "n"}
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "width": 420,
        "height": 220,
        "layer": [
            {
                "mark": {"type": "errorbar"},
                "encoding": {
                    "x": encoding_x,
                    "y": {"field": "ci_low", "type": "quantitative", "title": "type-I error"},
                    "y2": {"field": "ci_high"},
                    "color": {"field": "family", "type": "nominal"},
                },
            },
            {
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": encoding_x,
                    "y": {"field": "rate", "type": "quantitative"},
                    "color": {"field": "family", "type": "nominal", "sort": list(INDEPENDENT)},
                    "tooltip": [
                        {"field": "family"},
                        {"field": "n"},
                        {"field": "rate", "format": ".3f"},
                        {"field": "ci_low", "format": ".3f"},
                        {"field": "ci_high", "format": ".3f"},
                        {"field": "total", "title": "instances"},
                    ],
                },
            },
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "gray"}, "encoding": {"y": {"datum": curves["alpha"]}}},
        ],
    }


def runtime_chart(curves: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "data": {"values": curves["runtime"]},
        "width": 420,
        "height": 200,
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "n", "type": "quantitative", "scale": {"type": "log"}},
            "y": {"field": "median_s", "type": "quantitative", "scale": {"type": "log"}, "title": "median seconds per test"},
            "tooltip": [{"field": "n"}, {"field": "median_s", "format": ".4f"}, {"field": "count"}],
        },
    }


def family_table(rows: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """One line per family: pooled rate with its exact CI, and the rate per dimension."""
    pooled = {r["family"]: r for r in rows if r["n"] == "all"}
    by_dim = {(r["family"], r["dim"]): r for r in rows if r["n"] != "all" and r["dim"] != "all"}
    dims = sorted({d for _, d in by_dim}, key=str)
    out = []
    for family, r in pooled.items():
        line = {
            "family": family,
            label: _fmt(r["rate"]),
            "95% CI": f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
            "instances": r["total"],
        }
        for dim in dims:
            cells = [v for (f, d), v in by_dim.items() if f == family and d == dim]
            rej, tot = sum(c["rejected"] for c in cells), sum(c["total"] for c in cells)
            line[f"{label} ({dim}-D)"] = _fmt(rej / tot) if tot else ""
        out.append(line)
    return out


class IndependenceRenderer(Renderer):
    tasks = ("independence",)

    def run_panels(self, run: Any, samples: Sequence[Any], artifacts: Mapping[str, Any]) -> list[Any]:
        from harness import views

        curves = load_curves(artifacts)
        if curves is None:
            return [views.text("This run has no curves.json artifact (it did not finish).", title="Power curves")]
        panels = []
        if any(r["n"] != "all" for r in curves["power"]):
            panels.append(
                views.chart(
                    power_curves_chart(curves),
                    title="Power vs n per family",
                    caption=f"Rejection rate of dependent instances at alpha = {curves['alpha']}; "
                    "dashed line: alpha. Hover for exact (Clopper-Pearson) 95% CIs.",
                )
            )
            panels.append(views.table(family_table(curves["power"], "power"), title="Power per family"))
        if curves["type1"]:
            panels.append(
                views.chart(
                    type1_chart(curves),
                    title="Type-I error vs n",
                    caption="Independent families: should stay at alpha (dashed); bars are exact 95% CIs.",
                )
            )
            panels.append(views.table(family_table(curves["type1"], "type-I error"), title="Type-I error per independent family"))
        if curves["post_example"]:
            panels.append(
                views.table(
                    [
                        {
                            "instance": r["id"],
                            "truth": "dependent" if r["dependent"] else "independent",
                            "statistic": r["statistic"],
                            "p-value": r["p_value"],
                            "reject": r["reject"],
                            "sigma_x": _fmt(r["sigma_x"]),
                            "sigma_y": _fmt(r["sigma_y"]),
                        }
                        for r in curves["post_example"]
                    ],
                    title="The post's example (n = 1000)",
                    caption="x ~ N(0,1); y = x + 0.1 N(0,1) (dependent) or y ~ N(0,1) (independent). The post used sigma = 1: "
                    "run `--model-arg sigma=1` to reproduce its setting exactly.",
                )
            )
        if curves["runtime"]:
            panels.append(views.chart(runtime_chart(curves), title="Runtime vs n"))
        return panels

    def sample_panels(self, sample: Any, run: Any) -> list[Any]:
        from harness import DataError, views

        try:
            points = scatter_points(sample.input)
        except (DataError, KeyError, OSError, ValueError) as exc:
            return [
                views.text(f"cannot regenerate this instance's data: {exc}", title="Data"),
                views.json_panel(sample.prediction, title="Prediction"),
            ]
        spec = {
            "$schema": SCHEMA,
            "data": {"values": points},
            "width": 360,
            "height": 300,
            "mark": {"type": "circle", "size": 12, "opacity": 0.6},
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
        }
        truth = {True: "dependent", False: "independent"}.get(sample.reference, "unknown")
        pred = sample.prediction if isinstance(sample.prediction, Mapping) else {}
        caption = (
            f"{sample.input.get('family')} (truth: {truth}), n = {sample.input.get('n')}; "
            f"p = {_fmt(pred.get('p_value'), 4)}, {'rejected' if pred.get('reject') else 'not rejected'}"
        )
        if int(sample.input.get("dim", 1)) > 1:
            caption += (
                "; multi-dimensional: drawn along the hidden dependent direction"
                if sample.input.get("source") != "file"
                else "; multi-dimensional: first coordinates"
            )
        return [
            views.chart(spec, title="The instance's data", caption=caption),
            views.json_panel(sample.prediction, title="Prediction"),
        ]


def scatter_points(inp: Mapping[str, Any], limit: int = 1000) -> list[dict[str, float]]:
    """(x, y) points of an instance; d > 1 simulated data is projected back onto its hidden direction."""
    from harness_independence.data import instance_arrays
    from harness_independence.families import rotation

    x, y = instance_arrays(dict(inp))
    if inp.get("source") != "file" and x.shape[1] > 1:
        dim = x.shape[1]
        x = x @ rotation(inp["family"] + "/x", dim).T
        y = y @ rotation(inp["family"] + "/y", dim).T
    step = max(1, x.shape[0] // limit)
    return [{"x": float(a), "y": float(b)} for a, b in zip(x[::step, 0], y[::step, 0], strict=True)]
