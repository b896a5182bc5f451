"""Dashboard panels: the angle density against the exact law, rope curves against the reference,
projections of the glued solid's edge. Vega-Lite has no 3-D, so the edge is drawn as three
orthographic projections and one oblique (cabinet) view, all as line charts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer
from harness import views as v

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _lines(
    values: list[dict[str, Any]],
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    *,
    width: int = 420,
    height: int = 260,
    log_x: bool = False,
    log_y: bool = False,
    equal: bool = False,
    dash: Mapping[str, list[int]] | None = None,
) -> dict[str, Any]:
    """One line per `series`, drawn in the order of `k` (curves may turn back on themselves)."""
    x_enc: dict[str, Any] = {"field": x, "type": "quantitative", "title": x_title}
    y_enc: dict[str, Any] = {"field": y, "type": "quantitative", "title": y_title}
    if log_x:
        x_enc["scale"] = {"type": "log"}
    if log_y:
        y_enc["scale"] = {"type": "log"}
    if equal and values:
        xs = [r[x] for r in values]
        ys = [r[y] for r in values]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        x_enc["scale"] = {"domain": [cx - span * 0.55, cx + span * 0.55], "nice": False}
        y_enc["scale"] = {"domain": [cy - span * 0.55, cy + span * 0.55], "nice": False}
        height = width
    encoding: dict[str, Any] = {
        "x": x_enc,
        "y": y_enc,
        "order": {"field": "k", "type": "quantitative"},
        "color": {"field": "series", "type": "nominal", "title": None},
        "tooltip": [{"field": "series"}, {"field": x, "format": ".6g"}, {"field": y, "format": ".6g"}],
    }
    if dash:
        encoding["strokeDash"] = {
            "field": "series",
            "type": "nominal",
            "legend": None,
            "scale": {"domain": list(dash), "range": list(dash.values())},
        }
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "width": width,
        "height": height,
        "mark": {"type": "line", "clip": True},
        "encoding": encoding,
    }


def _series(name: str, xs: Sequence[float], ys: Sequence[float], x: str = "x", y: str = "y") -> list[dict[str, Any]]:
    return [{"series": name, "k": k, x: float(a), y: float(b)} for k, (a, b) in enumerate(zip(xs, ys, strict=True))]


# -- random-angles ------------------------------------------------------------------------------


def angle_density_chart(prediction: Mapping[str, Any], n: int) -> dict[str, Any] | None:
    """The method's density (or the Monte Carlo histogram) over the exact density."""
    import numpy as np

    from harness_geometry.angles import density

    if prediction.get("histogram"):
        edges = np.asarray(prediction["histogram"]["edges"])
        centres = (edges[:-1] + edges[1:]) / 2
        model = _series(
            f"{prediction.get('method', 'model')} (histogram)", centres, prediction["histogram"]["density"], "theta", "density"
        )
        low, high = float(edges[0]), float(edges[-1])
    elif prediction.get("density"):
        theta = prediction["density"]["theta"]
        model = _series(prediction.get("method", "model"), theta, prediction["density"]["pdf"], "theta", "density")
        low, high = float(theta[0]), float(theta[-1])
    else:
        return None
    grid = np.linspace(low, high, 241)
    exact = _series("exact", grid, density(grid, n), "theta", "density")
    return _lines(
        exact + model, "theta", "density", "angle theta (rad)", "density", dash={"exact": [4, 3], model[0]["series"]: [1, 0]}
    )


def variance_chart(samples: Sequence[Any]) -> dict[str, Any] | None:
    rows = []
    for sample in samples:
        pred, ref, n = sample.prediction, sample.reference, sample.input.get("n")
        if pred.get("variance") is None:
            continue
        rows.append({"series": "exact", "k": n, "n": n, "variance": ref["variance"]})
        rows.append({"series": pred.get("method", "model"), "k": n, "n": n, "variance": pred["variance"]})
    if not rows:
        return None
    return _lines(rows, "n", "variance", "dimension n", "variance of the angle", log_x=True, log_y=True)


# -- rope-curve ---------------------------------------------------------------------------------


def rope_chart(prediction: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    ref = _series("reference", reference["curve"]["x"], reference["curve"]["y"])
    rows = ref
    dash = {"reference": [4, 3]}
    if prediction.get("solved"):
        name = prediction.get("method", "model")
        rows = rows + _series(name, prediction["curve"]["x"], prediction["curve"]["y"])
        dash[name] = [1, 0]
    return _lines(rows, "x", "y", "distance from the axis x", "along the axis y", equal=True, width=320, dash=dash)


def convergence_chart(prediction: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any] | None:
    from harness_geometry.metrics import _xy, curve_deviation

    levels = prediction.get("levels")
    if not levels:
        return None
    ref = _xy(reference["curve"])[::2]
    rows = [
        {"series": "chain", "k": i, "N": level["N"], "deviation": curve_deviation(_xy(level), ref, reference["length"])}
        for i, level in enumerate(levels)
    ]
    return _lines(rows, "N", "deviation", "links N", "max deviation / L", log_x=True, log_y=True, width=320)


# -- ellipse-gluing -----------------------------------------------------------------------------


def full_edge(edge: Mapping[str, Sequence[float]]) -> tuple[list[float], list[float], list[float]]:
    """The closed edge from its first quarter (x(s), h(s), h(l-s)), s in [0, l], by the symmetries
    derived in the README: (x(l-u), h(l-u), -h(u)), then the point reflection of both."""
    x, y, z = (list(edge[k]) for k in ("x", "y", "z"))
    first = list(zip(x, y, z, strict=True))
    second = [(px, py, -pz) for px, py, pz in reversed(first)]
    half = first + second[1:]
    whole = half + [(-px, -py, -pz) for px, py, pz in half[1:]]
    return [p[0] for p in whole], [p[1] for p in whole], [p[2] for p in whole]


def edge_charts(prediction: Mapping[str, Any]) -> list[dict[str, Any]]:
    x, y, z = full_edge(prediction["edge"])
    angle = math.radians(30)
    oblique_u = [b - 0.5 * a * math.cos(angle) for a, b in zip(x, y, strict=True)]
    oblique_v = [c - 0.5 * a * math.sin(angle) for a, c in zip(x, z, strict=True)]
    return [
        _lines(_series("edge", y, z, "y", "z"), "y", "z", "y (first ellipse)", "z (second ellipse)", equal=True, width=240),
        _lines(_series("edge", x, y, "x", "y"), "x", "y", "x (gluing direction)", "y", equal=True, width=240),
        _lines(_series("edge", x, z, "x", "z"), "x", "z", "x (gluing direction)", "z", equal=True, width=240),
        _lines(_series("edge", oblique_u, oblique_v, "u", "v"), "u", "v", "oblique view", "", equal=True, width=240),
    ]


def margin_chart(prediction: Mapping[str, Any]) -> dict[str, Any]:
    margin = prediction["margin"]
    quarter = prediction["quarter_perimeter"]
    rows = _series("1 - h'(s)^2 - h'(l-s)^2", [s / quarter for s in margin["s"]], margin["value"], "s_over_l", "margin")
    return _lines(rows, "s_over_l", "margin", "s / l", "gluing margin", width=320)


class GeometryRenderer(Renderer):
    tasks = ("geometry",)

    def run_panels(self, run, samples, artifacts):
        if run.task == "random-angles":
            chart = variance_chart(samples)
            panels = (
                [
                    v.chart(
                        chart,
                        "Variance of the angle against n",
                        "Exact psi_1(n/2)/2 against the method; Laplace's 1/(n-2) converges as n grows.",
                    )
                ]
                if chart
                else []
            )
            rows = [
                {
                    "n": s.input["n"],
                    "mean": s.prediction.get("mean"),
                    "variance": s.prediction.get("variance"),
                    "exact variance": s.reference["variance"],
                    **_applicable_scores(s.scores),
                }
                for s in samples
            ]
            return [*panels, v.table(rows, "Per dimension")]
        if run.task == "rope-curve":
            panels = []
            for sample in samples[:12]:
                panels.append(v.chart(rope_chart(sample.prediction, sample.reference), sample.sample_id, _rope_caption(sample)))
            return panels
        if run.task == "ellipse-gluing":
            rows = [
                {
                    "instance": s.sample_id,
                    "a": s.input["a"],
                    "b": s.input["b"],
                    "l (model)": s.prediction["quarter_perimeter"],
                    "a E(e)": s.reference["quarter_perimeter"],
                    "x(l)": s.prediction["closing_x"],
                    "min margin": s.prediction["margin_min"],
                    "holds (>= -1e-9)": s.prediction["margin_min"] >= -s.prediction.get("tolerance", 1e-9),
                }
                for s in samples
            ]
            panels = [v.table(rows, "Gluing margin, quarter perimeter and closing point per ellipse")]
            for sample in samples[:3]:
                panels.append(v.chart(edge_charts(sample.prediction)[0], f"{sample.sample_id}: edge seen along x"))
            return panels
        return []

    def sample_panels(self, sample, run):
        if run.task == "random-angles":
            chart = angle_density_chart(sample.prediction, int(sample.input["n"]))
            if chart is None:
                return [v.text(sample.prediction.get("note", "this method gives no distribution here"), "No density")]
            return [
                v.chart(
                    chart,
                    f"Angle density, n = {sample.input['n']}",
                    "Dashed: exact Gamma(n/2)/(Gamma((n-1)/2) sqrt(pi)) sin^(n-2).",
                )
            ]
        if run.task == "rope-curve":
            panels = [v.chart(rope_chart(sample.prediction, sample.reference), "Rope curve", _rope_caption(sample))]
            chart = convergence_chart(sample.prediction, sample.reference)
            if chart:
                panels.append(v.chart(chart, "Chain convergence", "Max deviation from the reference at N/8 ... N links."))
            if not sample.prediction.get("solved"):
                panels.append(v.text(sample.prediction.get("reason", ""), "Not solved"))
            return panels
        if run.task == "ellipse-gluing":
            titles = ("Seen along x (y-z plane)", "Top (x-y)", "Side (x-z)", "Oblique view")
            return [v.chart(spec, title) for spec, title in zip(edge_charts(sample.prediction), titles, strict=True)] + [
                v.chart(
                    margin_chart(sample.prediction),
                    "Gluing margin along the quarter edge",
                    "Zero at both ends by construction; the post proves it is >= 0 in between.",
                )
            ]
        return []


def _applicable_scores(scores: Mapping[str, Any]) -> dict[str, float]:
    """Per-sample scores worth a column: plain numbers, and the applicable {"value", "applies"} ones."""
    out = {}
    for name, score in scores.items():
        if isinstance(score, dict):
            if score.get("applies"):
                out[name] = score["value"]
        else:
            out[name] = score
    return out


def _rope_caption(sample: Any) -> str:
    pred, ref = sample.prediction, sample.reference
    if not pred.get("solved"):
        return f"reference only: {pred.get('reason', 'not solved')}"
    return f"L = {pred['length']:.10g} (reference {ref['length']:.10g}); dashed: reference"
