"""Run-level artifacts, computed once at the end of a run from all its samples.

- `reconstructions.png`: the first 32 test images, originals above their reconstructions.
- `samples.png` + `samples.json`: every sample's original and reconstruction tiled at native size
  (the first 1,024 at 32 px, fewer at larger sizes: at most 8 megapixels), with where each sample
  id sits, for the per-sample view.
- `code-histogram.json`: how often each code was used over the whole test set (VQ models).
- `rate-distortion.json`: JPEG and WebP over a range of qualities on this run's own test images
  (the same mosaic coder as the `jpeg` / `webp` models): PSNR, bpp (file) and payload bpp
  (entropy-coded bytes only) per quality, the curves of the rate-distortion chart (SSIM is left
  out: at ten qualities it would cost more than the run).
Samples whose pixels this process no longer holds (a run resumed in a new process) are left out
and counted in `samples.json`.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from harness_celeba_recon import images

GRID_SAMPLES = 32
MAX_SHEET = 1024
MAX_SHEET_PIXELS = 8_000_000  # 1,024 samples at 32 px, 488 at 64 px, 122 at 128 px
QUALITIES = (1, 3, 5, 8, 12, 20, 30, 50, 75, 95)
_CURVES: dict[tuple[str, ...], dict] = {}


def png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def comparison_grid(
    originals: np.ndarray, reconstructions: np.ndarray, columns: int = 8, min_tile: int = 96, gap: int = 2
) -> np.ndarray:
    """Pairs of rows: originals, then their reconstructions; small images enlarged (nearest) to `min_tile`."""
    n, h, w, _ = originals.shape
    scale = max(1, min_tile // h)
    th, tw = h * scale, w * scale
    pair_rows = math.ceil(n / columns)
    sheet = np.full((pair_rows * (2 * th + 3 * gap), columns * (tw + gap) + gap, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * (2 * th + 3 * gap) + gap, c * (tw + gap) + gap
        for j, image in enumerate((originals[i], reconstructions[i])):
            big = image.repeat(scale, 0).repeat(scale, 1)
            y = top + j * (th + gap)
            sheet[y : y + th, left : left + tw] = big
    return sheet


def run_artifacts(samples: Sequence[Any]) -> Iterator[Any]:
    from harness import Artifact

    held = [
        s
        for s in samples
        if isinstance(s.prediction, dict)
        and images.held(str(s.reference))
        and images.held(str(s.prediction.get("reconstruction")))
    ]
    if held:
        first = held[:GRID_SAMPLES]
        originals = images.recall_many([s.reference for s in first])
        recons = images.recall_many([s.prediction["reconstruction"] for s in first])
        yield Artifact("reconstructions.png", "image/png", png(comparison_grid(originals, recons)))
        h, w, _ = originals.shape[1:]
        limit = max(1, min(MAX_SHEET, MAX_SHEET_PIXELS // (2 * h * w)))
        yield from _sheet(held[:limit], missing=len(samples) - min(len(held), limit))
    histogram = _histogram(samples)
    if histogram is not None:
        yield Artifact("code-histogram.json", "application/json", json.dumps(histogram).encode())
    originals_keys = [str(s.reference) for s in samples if images.held(str(s.reference))]
    if originals_keys:
        curves = reference_curves(originals_keys)
        yield Artifact("rate-distortion.json", "application/json", json.dumps(curves).encode())


def _sheet(samples: Sequence[Any], missing: int) -> Iterator[Any]:
    from harness import Artifact

    originals = images.recall_many([s.reference for s in samples])
    recons = images.recall_many([s.prediction["reconstruction"] for s in samples])
    n, h, w, _ = originals.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    sheet = np.zeros((rows * h, cols * 2 * w, 3), np.uint8)
    where = {}
    for i, s in enumerate(samples):
        r, c = divmod(i, cols)
        sheet[r * h : (r + 1) * h, 2 * c * w : (2 * c + 1) * w] = originals[i]
        sheet[r * h : (r + 1) * h, (2 * c + 1) * w : (2 * c + 2) * w] = recons[i]
        where[s.sample_id] = [r, c]
    index = {
        "tile": [h, w],
        "columns": cols,
        "layout": "original then reconstruction, side by side",
        "samples": where,
        "left_out": missing,
    }
    yield Artifact("samples.png", "image/png", png(sheet))
    yield Artifact("samples.json", "application/json", json.dumps(index).encode())


def _histogram(samples: Sequence[Any]) -> dict | None:
    total = None
    for s in samples:
        p = s.prediction if isinstance(s.prediction, dict) else {}
        if p.get("codes") is None:
            return None
        counts = np.bincount(np.asarray(p["codes"], dtype=np.int64), minlength=int(p["codebook_size"]))
        total = counts if total is None else total + counts
    if total is None:
        return None
    return {"codebook_size": len(total), "counts": [int(c) for c in total], "images": len(samples)}


def reference_curves(keys: list[str], qualities: Sequence[int] = QUALITIES, mosaic_size: int = 256) -> dict:
    """PSNR / SSIM / bpp of JPEG and WebP at each quality on these images, coded in mosaics of
    `mosaic_size` as the codec models do. Cached per set of images within the process."""
    from PIL import features

    from harness_celeba_recon.metrics import psnr
    from harness_celeba_recon.models.jpeg import code_batch

    cache_key = (*keys, str(mosaic_size), *map(str, qualities))
    if cache_key in _CURVES:
        return _CURVES[cache_key]
    originals = images.recall_many(keys)
    n, h, w, _ = originals.shape
    codecs = ["jpeg"] + (["webp"] if features.check("webp") else [])
    curves: dict[str, list[dict]] = {}
    for codec in codecs:
        points = []
        for quality in qualities:
            bits, payload, recons = 0.0, 0.0, []
            for start in range(0, n, mosaic_size):
                chunk = originals[start : start + mosaic_size]
                coded = code_batch(chunk, codec, quality, repeats=1)  # its times are not used
                bits += coded.file_bits * len(chunk)
                payload += coded.payload_bits * len(chunk)
                recons.append(coded.decoded)
            recon = np.concatenate(recons)
            points.append(
                {
                    "quality": quality,
                    "bpp": bits / (n * h * w),
                    "payload_bpp": payload / (n * h * w),
                    "psnr": float(np.mean([psnr(a, b) for a, b in zip(originals, recon, strict=True)])),
                }
            )
        curves[codec] = points
    result = {"images": n, "mosaic": mosaic_size, "curves": curves}
    _CURVES[cache_key] = result
    return result
