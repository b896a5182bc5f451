"""`jpeg` and `webp`: PIL codecs at the largest quality whose bits per pixel stay within a target.

Small images cannot be coded alone at VQ-VAE rates: one 32 x 32 JPEG costs ~2.5 bpp in headers
and tables even at quality 1. So each batch of images is tiled into one mosaic (tiles aligned to
JPEG's 16-pixel macroblocks) and coded as one file; its bytes are shared out evenly over the
images, and the quality is the largest in 1..100 whose mosaic stays within the target rate
(default: the post's 0.375 bpp, the rate of an 8 x 8 grid of 64 codes on 32 x 32 images). The
rate-distortion curves in each run's artifacts come from the same mosaic coder.
"""

from __future__ import annotations

import io
import math
from typing import Any, ClassVar

from harness import ConfigError, Model
from harness_celeba_recon import images
from harness_celeba_recon.task import TASK_NAMES

DEFAULT_BPP = 8 * 8 * math.log2(64) / (32 * 32)  # 0.375


def mosaic(pixels: Any) -> tuple[Any, int]:
    """Tile (N, H, W, 3) images into one near-square image; returns it and the column count."""
    import numpy as np

    n, h, w, _ = pixels.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    sheet = np.zeros((rows * h, cols * w, 3), np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = pixels[i]
    return sheet, cols


def untile(sheet: Any, n: int, h: int, w: int, cols: int) -> Any:
    import numpy as np

    return np.stack([sheet[(i // cols) * h : (i // cols + 1) * h, (i % cols) * w : (i % cols + 1) * w] for i in range(n)])


def encode(sheet: Any, codec: str, quality: int) -> tuple[bytes, Any]:
    """Code one mosaic; returns the file bytes and the decoded pixels."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    img = Image.fromarray(sheet)
    if codec == "jpeg":
        img.save(buffer, format="JPEG", quality=quality, optimize=True)
    elif codec == "webp":
        img.save(buffer, format="WEBP", quality=quality, method=6)
    else:
        raise ValueError(f"unknown codec {codec!r}")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as decoded:
        return data, np.asarray(decoded.convert("RGB"), dtype=np.uint8)


def code_batch(pixels: Any, codec: str, quality: int) -> tuple[Any, float]:
    """Reconstructions of a batch coded as one mosaic, and bits per image (an equal share)."""
    n, h, w, _ = pixels.shape
    sheet, cols = mosaic(pixels)
    data, decoded = encode(sheet, codec, quality)
    return untile(decoded, n, h, w, cols), len(data) * 8 / n


def best_quality(pixels: Any, codec: str, target_bpp: float) -> int | None:
    """Largest quality in 1..100 whose mosaic of `pixels` is within `target_bpp` (bisection: file size
    grows with quality), or None when even quality 1 is above it."""
    n, h, w, _ = pixels.shape
    sheet, _ = mosaic(pixels)

    def bpp(q: int) -> float:
        return len(encode(sheet, codec, q)[0]) * 8 / (n * h * w)

    if bpp(1) > target_bpp:
        return None
    low, high = 1, 100
    while low < high:
        mid = (low + high + 1) // 2
        if bpp(mid) <= target_bpp:
            low = mid
        else:
            high = mid - 1
    return low


class _CodecModel(Model):
    codec: ClassVar[str]
    tasks = TASK_NAMES
    batch_size = 256  # images per mosaic: 16 x 16 tiles of 32 px
    defaults = {"bpp": DEFAULT_BPP, "quality": 0}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        if c["bpp"] <= 0 or not 0 <= c["quality"] <= 100:
            raise ConfigError(f"model {self.name!r}: need bpp > 0 and 0 <= quality <= 100 (0 = largest within bpp)")

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:
        pixels = images.recall_many([item["image"] for item in batch])
        quality = self.config["quality"] or best_quality(pixels, self.codec, self.config["bpp"]) or 1
        decoded, bits = code_batch(pixels, self.codec, quality)
        return [{"reconstruction": images.remember(p), "bits": bits, "quality": quality, "mosaic": len(batch)} for p in decoded]


class JpegModel(_CodecModel):
    name = "jpeg"
    codec = "jpeg"
    description = (
        "PIL JPEG (optimised Huffman tables, 4:2:0) at the largest quality within a target bpp, coded on a "
        "mosaic of up to 256 test images so headers do not dominate."
    )


class WebpModel(_CodecModel):
    name = "webp"
    codec = "webp"
    description = (
        "PIL WebP (lossy, method 6) at the largest quality within a target bpp, coded on a mosaic of up to "
        "256 test images so headers do not dominate."
    )
