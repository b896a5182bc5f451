"""How the dashboard draws celeba-recon runs and samples (as `harness.views` panels; no Streamlit here).

Run view: a warning first when a codec could not reach its target rate, the
originals-vs-reconstructions grid, the rate-distortion chart (JPEG and WebP curves
over quality from the run's `rate-distortion.json`, this run as a point, and every other finished
run of the same task, dataset and split as points when the results database can be read), the
code-usage histogram, and any files skipped while reading a real image folder.
Sample view: the sample's original and reconstruction, cut from the run's `samples.png`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer, views
from harness_celeba_recon.task import TASK_NAMES

VEGA = "https://vega.github.io/schema/vega-lite/v5.json"


def _json(artifact: Any) -> Any:
    try:
        return json.loads(artifact.data.decode("utf-8"))
    except (ValueError, AttributeError):
        return None


def _metric(run: Any, name: str) -> float | None:
    return next((m.value for m in run.metrics if m.name == name), None)


def _label(run: Any) -> str:
    config = run.model_config or {}
    if run.model == "vq-vae":
        parts = [config.get("variant", "")] + [f"{k}={config[k]}" for k in ("codebook", "init", "restart_dead") if k in config]
        parts += [f"{k}={config[k]}" for k, usual in (("grid", 0), ("codes", 64)) if config.get(k, usual) != usual]  # the rate
        return f"vq-vae {' '.join(parts)}"
    if run.model in ("jpeg", "webp"):
        if config.get("quality"):
            return f"{run.model} (quality {config['quality']})"
        missed = ", not reached" if _target_missed(run) else ""
        return f"{run.model} (target {config.get('bpp', 0):.3g} bpp, {config.get('rate', 'file')} rate{missed})"
    return run.model


def _target_missed(run: Any) -> bool:
    return (_metric(run, "recon-target-missed") or 0.0) > 0


def target_warning(run: Any) -> views.Panel | None:
    """A codec that could not reach its target rate says so first: its point is not at the target."""
    if not _target_missed(run):
        return None
    config = run.model_config or {}
    missed = _metric(run, "recon-target-missed") or 0.0
    bpp, payload = _metric(run, "recon-bpp"), _metric(run, "recon-payload-bpp")
    body = (
        f"{run.model} could not code {missed:.0%} of the images within its target of {config.get('bpp', 0):.3g} bpp "
        f"({config.get('rate', 'file')} rate) even at quality 1, so it ran at quality 1: its rate is "
        f"{views.fmt(bpp)} bpp (file) and {views.fmt(payload)} bpp (entropy-coded payload). Compare it at that "
        "rate, not at the target. On a small test split the headers and tables of the mosaic weigh most; "
        "`--model-arg rate=payload` counts only the entropy-coded bytes."
    )
    return views.text(body, title="Target rate not reached")


def rd_points(runs: Sequence[Any]) -> list[dict]:
    points = []
    for run in runs:
        psnr, bpp = _metric(run, "recon-psnr"), _metric(run, "recon-bpp")
        if psnr is not None and bpp is not None:
            points.append(
                {
                    "run": run.run_id,
                    "label": _label(run),
                    "model": run.model,
                    "bpp": bpp,
                    "psnr": psnr,
                    "payload_bpp": _metric(run, "recon-payload-bpp"),
                    "target_missed": _metric(run, "recon-target-missed"),
                    "ssim": _metric(run, "recon-ssim"),
                    "usage": _metric(run, "recon-code-usage"),
                }
            )
    return points


def rd_chart(curves: Mapping[str, Any] | None, points: list[dict]) -> dict:
    """PSNR against bpp: codec curves over quality (lines), runs (points). Log x: rates span 0.1-10 bpp."""
    lines = [{"codec": codec, **p} for codec, series in ((curves or {}).get("curves") or {}).items() for p in series]
    layers: list[dict] = []
    if lines:
        layers.append(
            {
                "data": {"values": lines},
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "bpp", "type": "quantitative", "scale": {"type": "log"}, "title": "bits per pixel"},
                    "y": {"field": "psnr", "type": "quantitative", "scale": {"zero": False}, "title": "PSNR (dB)"},
                    "color": {"field": "codec", "type": "nominal"},
                    "order": {"field": "quality"},
                    "tooltip": [
                        {"field": "codec"},
                        {"field": "quality"},
                        {"field": "bpp", "format": ".3f"},
                        {"field": "psnr", "format": ".2f"},
                    ],
                },
            }
        )
    if points:
        layers.append(
            {
                "data": {"values": points},
                "mark": {"type": "point", "filled": True, "size": 90},
                "encoding": {
                    "x": {"field": "bpp", "type": "quantitative", "scale": {"type": "log"}},
                    "y": {"field": "psnr", "type": "quantitative", "scale": {"zero": False}},
                    "shape": {"field": "model", "type": "nominal"},
                    "tooltip": [
                        {"field": "label"},
                        {"field": "run"},
                        {"field": "bpp", "format": ".3f"},
                        {"field": "payload_bpp", "format": ".3f"},
                        {"field": "target_missed", "format": ".2f"},
                        {"field": "psnr", "format": ".2f"},
                        {"field": "ssim", "format": ".3f"},
                        {"field": "usage", "format": ".2f"},
                    ],
                },
            }
        )
    return {"$schema": VEGA, "layer": layers, "width": "container"}


def crop_sample(sheet_png: bytes, index: Mapping[str, Any], sample_id: str, scale_to: int = 160) -> bytes | None:
    """Original and reconstruction of one sample, side by side, enlarged for viewing."""
    from PIL import Image

    if (index.get("samples") or {}).get(sample_id) is None:
        return None
    with Image.open(io.BytesIO(sheet_png)) as sheet:
        return _crop(sheet.convert("RGB"), index, sample_id, scale_to)


def _crop(sheet: Any, index: Mapping[str, Any], sample_id: str, scale_to: int = 160) -> bytes | None:
    from PIL import Image

    where = (index.get("samples") or {}).get(sample_id)
    if where is None:
        return None
    h, w = index["tile"]
    r, c = where
    pair = sheet.crop((2 * c * w, r * h, (2 * c + 2) * w, (r + 1) * h))
    scale = max(1, scale_to // h)
    pair = pair.resize((2 * w * scale, h * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    pair.save(buffer, format="PNG")
    return buffer.getvalue()


class CelebaReconRenderer(Renderer):
    tasks = TASK_NAMES

    def run_panels(
        self, run: Any, samples: Sequence[Any], artifacts: Mapping[str, Any], peers: Sequence[Any] = ()
    ) -> list[views.Panel]:
        panels: list[views.Panel] = []
        warning = target_warning(run)
        if warning is not None:
            panels.append(warning)
        grid = artifacts.get("reconstructions.png")
        if grid is not None:
            panels.append(
                views.image(
                    grid.data,
                    title="Originals (upper row) vs reconstructions (lower row)",
                    caption=f"first test images of the run · {_label(run)}",
                )
            )
        curves = _json(artifacts["rate-distortion.json"]) if "rate-distortion.json" in artifacts else None
        points = rd_points([run, *peers])
        if curves or points:
            caption = (
                (
                    f"lines: JPEG / WebP over quality on this run's {curves.get('images')} test images (mosaics of "
                    f"{curves.get('mosaic')}); points: this run and {len(points) - 1} other finished run(s) on "
                    f"{run.dataset}/{run.split}"
                )
                if curves
                else "points: finished runs"
            )
            panels.append(views.chart(rd_chart(curves, points), title="Rate-distortion: PSNR vs bits per pixel", caption=caption))
        histogram = _json(artifacts["code-histogram.json"]) if "code-histogram.json" in artifacts else None
        if histogram:
            counts = histogram["counts"]
            used = sum(1 for c in counts if c)
            rows = [{"code": i, "uses": c} for i, c in enumerate(counts)]
            panels.append(
                views.chart(
                    {
                        "$schema": VEGA,
                        "data": {"values": rows},
                        "mark": "bar",
                        "width": "container",
                        "encoding": {
                            "x": {
                                "field": "code",
                                "type": "ordinal",
                                "sort": {"field": "uses", "order": "descending"},
                                "axis": {"labels": len(counts) <= 128},
                            },
                            "y": {"field": "uses", "type": "quantitative"},
                            "tooltip": [{"field": "code"}, {"field": "uses"}],
                        },
                    },
                    title="Code usage over the whole test set",
                    caption=f"{used} of {len(counts)} codes used over {histogram.get('images')} images; sorted by use",
                )
            )
        skipped = _json(artifacts["skipped-files.json"]) if "skipped-files.json" in artifacts else None
        if skipped:
            rows = [
                {"split": split, "file": f["file"], "reason": f["reason"]}
                for split, files in skipped.get("skipped", {}).items()
                for f in files
            ]
            panels.append(
                views.table(
                    rows[:500],
                    title=f"Files skipped while reading the data ({len(rows)})",
                    caption="unusable files are never filled in; see skipped-files.json",
                )
            )
        return panels

    def static_sample(self, sample: Any, run: Any, artifacts: Mapping[str, Any] | None = None) -> list[views.Panel]:
        """The original and its reconstruction side by side, with the sample's scores. A site shows
        every sample, so the run's contact sheet is decoded once, not once per sample."""
        sheet, index = (artifacts or {}).get("samples.png"), (artifacts or {}).get("samples.json")
        if sheet is None or index is None:
            return self.sample_panels(sample, run, artifacts)
        cached = getattr(self, "_sheet", None)
        if cached is None or cached[0] is not sheet.data:
            from PIL import Image

            with Image.open(io.BytesIO(sheet.data)) as opened:
                cached = (sheet.data, opened.convert("RGB"), json.loads(index.data.decode("utf-8")))
            self._sheet = cached
        picture = _crop(cached[1], cached[2], sample.sample_id)
        if picture is None:
            return self.sample_panels(sample, run, artifacts)
        return [views.image(picture, title="Original (left) vs reconstruction (right)", caption=_caption(sample))]

    def sample_panels(self, sample: Any, run: Any, artifacts: Mapping[str, Any] | None = None) -> list[views.Panel]:
        sheet, index = (artifacts or {}).get("samples.png"), (artifacts or {}).get("samples.json")
        if sheet is not None and index is not None:
            picture = crop_sample(sheet.data, json.loads(index.data.decode("utf-8")), sample.sample_id)
            if picture is not None:
                return [views.image(picture, title="Original (left) vs reconstruction (right)", caption=_caption(sample))]
        return [
            views.text(
                "The run's samples.png artifact does not hold this sample (a run still in progress has no artifacts yet).",
                title="Original vs reconstruction",
                caption=_caption(sample),
            )
        ]


def _caption(sample: Any) -> str:
    """A sample's scores (and the codec's quality setting) in one line."""
    scores = sample.scores or {}
    parts = [
        f"{name.removeprefix('recon-')} {scores[name]:.4g}"
        for name in ("recon-psnr", "recon-ssim", "recon-mse")
        if isinstance(scores.get(name), (int, float))
    ]
    prediction = sample.prediction if isinstance(sample.prediction, Mapping) else {}
    if "quality" in prediction:
        parts.append(f"quality {prediction['quality']}")
    if prediction.get("target_reached") is False:
        parts.append("target rate not reached")
    return " · ".join(parts)
