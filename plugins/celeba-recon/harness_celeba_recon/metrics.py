"""Distortion (MSE, PSNR, SSIM), rate (bpp, entropy bound) and codebook use of a reconstruction.

A prediction is `{"reconstruction": KEY, "bits": B, ["codes": [...], "codebook_size": K]}`; the
reference is the original's key. Pixels are read from `harness_celeba_recon.images`.

- MSE and PSNR are per image (pixels in [0, 1]; PSNR capped at 100 dB for an exact copy), averaged.
- SSIM is pytorch-msssim's (Gaussian window 11, sigma 1.5, data range 255, channel mean), per image.
- MS-SSIM is pytorch-msssim's five-scale MS-SSIM (the standard weights, data range 255) with the
  largest odd Gaussian window up to 11 that five scales allow (3 at 64 px, 7 at 128 px); it does
  not apply below 64 px.
- Rates are corpus metrics: sum of bits over sum of pixels. `recon-bpp` is the code as stored
  (fixed length for a VQ code, the file share for a codec, float16 for autoencoder latents);
  `recon-entropy-bpp` is the bound an entropy coder could reach on a VQ code, from the histogram
  of codes over the whole test set (for codecs and the autoencoder it equals `recon-bpp`);
  `recon-payload-bpp` counts a codec's entropy-coded bytes without headers and tables (equal to
  `recon-bpp` for the others), and `recon-target-missed` is the share of images whose codec missed
  its target rate (never a silent comparison at another rate).
- Encode and decode times are wall-clock milliseconds per image (a batch's time over its images).
- Codebook usage (distinct codes used / K) and perplexity (exp of the code entropy) are over the
  whole test set too, from per-image code histograms: per batch they would depend on batch size.
The metric libraries (numpy, torch, pytorch-msssim) are imported on first use, never at listing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from harness import Metric
from harness.training import torch_threads
from harness_celeba_recon import images

if TYPE_CHECKING:
    import numpy as np

CITATION = "苏剑林. VQ-VAE的简明介绍：量子化自编码器. https://kexue.fm/archives/6760 (2019)"
SSIM_CITATION = (
    "Wang, Bovik, Sheikh, Simoncelli. Image quality assessment: from error visibility to structural "
    "similarity. IEEE TIP 13(4), 2004."
)
MAX_PSNR = 100.0


def pair(prediction: Mapping[str, Any], reference: str) -> tuple[np.ndarray, np.ndarray]:
    original = images.recall(reference)
    reconstruction = images.recall(prediction["reconstruction"])
    if original.shape != reconstruction.shape:
        raise ValueError(f"reconstruction shape {reconstruction.shape} differs from the original's {original.shape}")
    return original, reconstruction


def mse(original: np.ndarray, reconstruction: np.ndarray) -> float:
    import numpy as np

    diff = original.astype(np.float64) / 255.0 - reconstruction.astype(np.float64) / 255.0
    return float(np.mean(diff * diff))


def psnr(original: np.ndarray, reconstruction: np.ndarray) -> float:
    error = mse(original, reconstruction)
    return MAX_PSNR if error <= 10 ** (-MAX_PSNR / 10) else float(-10 * math.log10(error))


@lru_cache(maxsize=1)
def _ssim_fn() -> Any:
    from pytorch_msssim import ssim

    return ssim


def ssim_batch(originals: np.ndarray, reconstructions: np.ndarray, double: bool = True) -> np.ndarray:
    """SSIM per image of (N, H, W, 3) uint8 pairs (Gaussian window 11, sigma 1.5). The metric computes
    in float64; the codec curves use float32 (3x faster, within 1e-5)."""
    import numpy as np
    import torch

    dtype = torch.float64 if double else torch.float32
    a = torch.from_numpy(np.ascontiguousarray(originals)).permute(0, 3, 1, 2).to(dtype)
    b = torch.from_numpy(np.ascontiguousarray(reconstructions)).permute(0, 3, 1, 2).to(dtype)
    # One thread: on a loaded 2-core machine, OpenMP threads spin-waiting on tiny convolutions made
    # one 32 x 32 SSIM take 0.1 s instead of a millisecond.
    with torch_threads(1), torch.inference_mode():
        values = _ssim_fn()(a, b, data_range=255.0, size_average=False, win_size=11, win_sigma=1.5)
    return values.numpy().astype(np.float64)


def ms_ssim_window(size: int) -> int | None:
    """The largest odd window up to 11 whose five scales fit `size` (pytorch-msssim needs the side
    above (window - 1) * 16), or None when even a 3-pixel window does not."""
    window = min(11, (size - 1) // 16 + 1)
    window -= 1 - window % 2
    return window if window >= 3 else None


@lru_cache(maxsize=1)
def _ms_ssim_fn() -> Any:
    from pytorch_msssim import ms_ssim

    return ms_ssim


def ms_ssim(original: np.ndarray, reconstruction: np.ndarray) -> float | None:
    """MS-SSIM of one (H, W, 3) uint8 pair (mean over RGB), None for images under 64 px."""
    import numpy as np
    import torch

    window = ms_ssim_window(min(original.shape[:2]))
    if window is None:
        return None
    a = torch.from_numpy(np.ascontiguousarray(original)).permute(2, 0, 1)[None].to(torch.float64)
    b = torch.from_numpy(np.ascontiguousarray(reconstruction)).permute(2, 0, 1)[None].to(torch.float64)
    with torch_threads(1), torch.inference_mode():
        value = _ms_ssim_fn()(a, b, data_range=255.0, size_average=True, win_size=window, win_sigma=1.5)
    return float(value)


def code_histogram(prediction: Mapping[str, Any]) -> np.ndarray | None:
    import numpy as np

    codes = prediction.get("codes")
    if codes is None:
        return None
    k = int(prediction["codebook_size"])
    return np.bincount(np.asarray(codes, dtype=np.int64), minlength=k)[:k]


class _Recon(Metric):
    citation = CITATION


class Psnr(_Recon):
    bounds = (0.0, 100.0)
    name = "recon-psnr"
    version = "1"
    rescorable = False  # the images live only in the process that loaded and reconstructed them
    description = "Peak signal-to-noise ratio in dB per image (8-bit pixels; 100 dB for an exact copy), averaged."

    def score(self, prediction, reference, input):
        return psnr(*pair(prediction, reference))


class Mse(_Recon):
    bounds = (0.0, 1.0)
    name = "recon-mse"
    version = "1"
    rescorable = False  # the images live only in the process that loaded and reconstructed them
    description = "Mean squared error per image, pixels scaled to [0, 1], averaged over images."
    higher_is_better = False

    def score(self, prediction, reference, input):
        return mse(*pair(prediction, reference))


class Ssim(_Recon):
    bounds = (-1.0, 1.0)
    name = "recon-ssim"
    version = "1"
    rescorable = False  # the images live only in the process that loaded and reconstructed them
    description = "SSIM per image (pytorch-msssim: Gaussian window 11, sigma 1.5, data range 255, mean over RGB), averaged."
    citation = SSIM_CITATION

    def score(self, prediction, reference, input):
        original, reconstruction = pair(prediction, reference)
        return float(ssim_batch(original[None], reconstruction[None])[0])


class MsSsim(_Recon):
    bounds = (0.0, 1.0)
    name = "recon-ms-ssim"
    version = "1"
    rescorable = False  # the images live only in the process that loaded and reconstructed them
    description = (
        "MS-SSIM per image (pytorch-msssim: five scales, standard weights, data range 255, Gaussian sigma 1.5 "
        "with the largest odd window the size allows: 3 at 64 px, 7 at 128 px), averaged; none below 64 px."
    )
    citation = "Wang, Simoncelli, Bovik. Multiscale structural similarity for image quality assessment. Asilomar 2003."

    def score(self, prediction, reference, input):
        return ms_ssim(*pair(prediction, reference))


def _pixels(input: Mapping[str, Any]) -> float:
    size = int(input["size"])
    return float(size * size)


class Bpp(_Recon):
    bounds = (0.0, None)
    name = "recon-bpp"
    version = "1"
    description = (
        "Bits per pixel of the stored code: fixed-length VQ indices (grid^2 log2 K), a codec's file bytes "
        "(JPEG/WebP coded on a mosaic of up to 256 images so headers are shared), float16 latents for the "
        "autoencoder; total bits over total pixels."
    )
    higher_is_better = False

    def score(self, prediction, reference, input):
        return {"bits": float(prediction["bits"]), "pixels": _pixels(input)}

    def aggregate(self, stats):
        # the arrays' own sum (np.sum's value, without its dispatch): this runs once per bootstrap resample
        return float(stats["bits"].sum() / stats["pixels"].sum())


class PayloadBpp(Bpp):
    name = "recon-payload-bpp"
    version = "1"
    description = (
        "Bits per pixel of the entropy-coded data alone: a codec's file less its headers and tables (which a "
        "decoder holding a data set's tables would not need per image), the stored code for the VQ models and "
        "the autoencoder (no headers); total bits over total pixels."
    )

    def score(self, prediction, reference, input):
        return {"bits": float(prediction.get("payload_bits", prediction["bits"])), "pixels": _pixels(input)}


class TargetMissed(_Recon):
    bounds = (0.0, 1.0)
    name = "recon-target-missed"
    version = "1"
    higher_is_better = False
    description = (
        "Share of images whose codec mosaic could not be coded within the model's target bpp (counted as its "
        "`rate` argument says) even at quality 1, so the run's rate is above its target: 0 when the target "
        "was met; the leaderboard flags a run above 0. Undefined for models without a target (VQ models, "
        "codecs at a fixed quality)."
    )

    def score(self, prediction, reference, input):
        reached = prediction.get("target_reached")
        return {"targeted": 0.0, "missed": 0.0} if reached is None else {"targeted": 1.0, "missed": float(not reached)}

    def aggregate(self, stats):
        targeted = float(stats["targeted"].sum())  # np.sum's value, without its dispatch (per resample)
        return float("nan") if targeted == 0 else float(stats["missed"].sum() / targeted)


class _CodingTime(_Recon):
    """Milliseconds per image from the prediction (a batch's time shared over its images)."""

    bounds = (0.0, None)
    higher_is_better = False
    field: ClassVar[str]

    def score(self, prediction, reference, input):
        value = prediction.get(self.field)
        return None if value is None else float(value)


class EncodeMs(_CodingTime):
    name = "recon-encode-ms"
    version = "1"
    field = "encode_ms"
    description = (
        "Wall-clock milliseconds to encode one image, averaged: a codec's mosaic encode at the chosen quality "
        "(the fastest of 3; its quality search not counted), a VQ model's encoder and quantiser; per batch, "
        "shared over its images. Depends on the machine and its load."
    )


class DecodeMs(_CodingTime):
    name = "recon-decode-ms"
    version = "1"
    field = "decode_ms"
    description = (
        "Wall-clock milliseconds to decode one image back to pixels, averaged: a codec's mosaic decode (the "
        "fastest of 3), a VQ model's decoder; per batch, shared over its images. Depends on the machine and "
        "its load."
    )


@lru_cache(maxsize=8)
def _code_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """The histogram keys c0..cK-1 among a score's keys, in code order (asked once per bootstrap resample)."""
    return tuple(sorted((k for k in names if k.startswith("c") and k[1:].isdigit()), key=lambda k: int(k[1:])))


class _CodeCorpus(_Recon):
    """Per-image code histograms (keys c0..cK-1), summed over the test set by `aggregate`."""

    def score(self, prediction, reference, input):
        hist = code_histogram(prediction)
        base = {"bits": float(prediction["bits"]), "pixels": _pixels(input)}
        if hist is None:
            return {**base, "coded": 0.0}
        return {**base, "coded": 1.0, **{f"c{i}": float(v) for i, v in enumerate(hist)}}

    @staticmethod
    def totals(stats: Mapping[str, np.ndarray]) -> np.ndarray | None:
        import numpy as np

        keys = _code_keys(tuple(stats))
        if not keys or not np.all(stats["coded"]):
            return None
        # one reduction over all K codes rather than K: this runs once per bootstrap resample
        return np.stack([stats[k] for k in keys]).sum(axis=1)

    @staticmethod
    def entropy_bits(totals: np.ndarray) -> float:
        import numpy as np

        p = totals[totals > 0] / totals.sum()
        return float(-(p * np.log2(p)).sum())


class EntropyBpp(_CodeCorpus):
    bounds = (0.0, None)
    name = "recon-entropy-bpp"
    version = "1"
    description = (
        "Bits per pixel an entropy coder could reach on the VQ code: code entropy of the whole test set's code "
        "histogram x codes per image / pixels; equals recon-bpp for codecs and the autoencoder."
    )
    higher_is_better = False

    def aggregate(self, stats):
        import numpy as np

        totals = self.totals(stats)
        if totals is None:
            return float(np.sum(stats["bits"]) / np.sum(stats["pixels"]))
        return float(self.entropy_bits(totals) * totals.sum() / np.sum(stats["pixels"]))


class CodeUsage(_CodeCorpus):
    bounds = (0.0, 1.0)
    name = "recon-code-usage"
    version = "1"
    description = "Share of the K codes used at least once over the whole test set (undefined without a codebook)."

    def aggregate(self, stats):
        import numpy as np

        totals = self.totals(stats)
        return float("nan") if totals is None else float(np.count_nonzero(totals) / len(totals))


class Perplexity(_CodeCorpus):
    bounds = (1.0, None)
    name = "recon-perplexity"
    version = "1"
    description = "2 ** (entropy of the test set's code histogram): the effective number of codes (K at best)."

    def aggregate(self, stats):
        totals = self.totals(stats)
        return float("nan") if totals is None else float(2 ** self.entropy_bits(totals))


METRICS = [Psnr, Ssim, MsSsim, Mse, Bpp, PayloadBpp, EntropyBpp, CodeUsage, Perplexity, TargetMissed, EncodeMs, DecodeMs]
