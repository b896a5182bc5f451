"""Pixels by content key, held in this process only, so images never enter a run's sample rows.

Sample rows (stored in DuckDB, shown in the dashboard) hold an image's key, never its pixels: the
key is a digest of the uint8 array, so it identifies exactly what a model saw (and it feeds the
run's data fingerprint), while the pixels stay here. The task puts originals here when it loads a
split; a model puts its reconstructions here and returns their keys; the metrics and the run's
artifacts read both back in the same process. A key that is not here (a sample row read in
another process) cannot be scored again, which the runner never asks for: stored samples keep
their scores.
"""

from __future__ import annotations

import hashlib
from typing import Any

_PIXELS: dict[str, Any] = {}


def key_of(pixels: Any) -> str:
    """Digest of shape and bytes: equal arrays share a key, any changed pixel changes it."""
    digest = hashlib.blake2b(digest_size=10)
    digest.update(repr(tuple(pixels.shape)).encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


def remember(pixels: Any) -> str:
    """Keep a (H, W, 3) uint8 image; return its key."""
    import numpy as np

    array = np.ascontiguousarray(pixels, dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {array.shape}")
    key = key_of(array)
    _PIXELS.setdefault(key, array)
    return key


def recall(key: str) -> Any:
    try:
        return _PIXELS[key]
    except KeyError:
        raise LookupError(
            f"image {key!r} is not held by this process (images live only in the process that "
            "loaded or reconstructed them; re-run the split to score it)"
        ) from None


def recall_many(keys: list[str]) -> Any:
    """Stack images of equal size into (N, H, W, 3) uint8."""
    import numpy as np

    return np.stack([recall(k) for k in keys]) if keys else np.zeros((0, 0, 0, 3), np.uint8)


def held(key: str) -> bool:
    return key in _PIXELS
