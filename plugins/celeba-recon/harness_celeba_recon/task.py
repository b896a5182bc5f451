"""The `celeba-recon` tasks: reconstruct face images through a code of a given bit rate.

One task per image size (32 px by default, 64 and 128 as `celeba-recon-64` / `celeba-recon-128`),
because PSNR at different sizes must never be ranked on one leaderboard: the size belongs to the
data, not to a model argument.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from harness import Task
from harness.curves import Curve, Line
from harness_celeba_recon.data import SPLITS, has_partition_split, load_real, load_synthetic

METRICS = (
    "recon-psnr",
    "recon-ssim",
    "recon-mse",
    "recon-bpp",
    "recon-payload-bpp",
    "recon-entropy-bpp",
    "recon-code-usage",
    "recon-perplexity",
    "recon-target-missed",
    "recon-encode-ms",
    "recon-decode-ms",
)
# MS-SSIM's five scales need images of at least 64 px (the coarsest is 1/16 of the side).
MS_SSIM_METRICS = (*METRICS, "recon-ms-ssim")

# Each model's line over the rate: the codecs by quality, the VQ-VAE by codebook size at its default
# latent grid (size / 4; log2 K bits per code: 4..256 codes are 0.125..0.5 bpp at any size). The
# quality grids span about 0.15-1.25 bpp (JPEG) and 0.4-1.5 bpp (WebP, which cannot go lower) at
# 32 px on the embedded faces. Another argument of a model is another Line with a label.
LINES = (
    Line("jpeg", "quality", (3, 5, 10, 20, 30, 50)),
    Line("webp", "quality", (1, 10, 20, 30, 50, 75)),
    Line("vq-vae", "codes", (4, 16, 64, 256)),
    # the latent grid's side (at 32 px: 0.023, 0.094, 0.375, 1.5 bpp with the default 64 codes)
    Line("vq-vae", "grid", (2, 4, 8, 16), label="vq-vae-grid"),
)
# CompressAI's names in its results files (`results/image/kodak/*.json`).
COMPRESSAI = {"recon-bpp": "bpp", "recon-psnr": "psnr-rgb", "recon-ms-ssim": "ms-ssim-rgb"}
RATE_PSNR = Curve(
    "rate-psnr",
    x="recon-bpp",
    y="recon-psnr",
    lines=LINES,
    reference="jpeg",
    description="PSNR against bits per pixel as stored; deltas against JPEG.",
    export_names=COMPRESSAI,
)
RATE_MS_SSIM = Curve(
    "rate-ms-ssim",
    x="recon-bpp",
    y="recon-ms-ssim",
    lines=LINES,
    reference="jpeg",
    y_transform="complement-db",
    description="MS-SSIM in dB, -10 log10(1 - MS-SSIM), against bits per pixel as stored; deltas against JPEG.",
    export_names=COMPRESSAI,
)


class CelebaReconTask(Task):
    name = "celeba-recon"
    version = "1"
    size: ClassVar[int] = 32
    description = (
        "Image reconstruction through a discrete code (the post's VQ-VAE) against JPEG / WebP at equal bits "
        "per pixel: PSNR, SSIM, bpp, codebook usage; 32 x 32 faces."
    )
    source = "https://kexue.fm/archives/6760"
    splits = SPLITS
    default_split = "test"
    train_split = "train"
    #: What a trained model validates on: CelebA's own val partition when the folder has one.
    validation_split = "val"
    metrics = METRICS
    primary_metric = "recon-psnr"
    default_model = "vq-vae"
    embedded_dataset = "faces-synth-v1"
    prediction_schema = {
        "type": "object",
        "required": ["reconstruction", "bits"],
        "description": "reconstruction: the key of the reconstructed image held by the process; bits: its code length",
        "properties": {
            "reconstruction": {"type": "string"},
            "bits": {"type": "number", "minimum": 0},
            "codes": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "codebook_size": {"type": "integer", "minimum": 1},
        },
    }
    real_dataset = "celeba"
    reference_field = "image"
    curves = (RATE_PSNR,)

    def __init__(self) -> None:
        self.skipped: dict[str, list[dict]] = {}

    def has_split(self, split: str, data_dir: Path | None) -> bool:
        """A folder holds `val` or `test` only when CelebA's partition file lists images for it; a
        folder without one (CelebA-HQ) is split by file name for evaluation, and a trained model
        carves its validation rows from train instead."""
        if split not in self.splits:
            return False
        if data_dir is None or split == self.train_split:
            return True
        return has_partition_split(Path(data_dir), split)

    def load(self, split: str, data_dir: Path | None = None) -> list[dict]:
        if data_dir is None:
            return load_synthetic(split, self.size)
        rows, skipped = load_real(Path(data_dir), split, self.size)
        self.skipped[split] = skipped
        return rows

    def input(self, row: dict[str, Any]) -> dict[str, Any]:
        """The image's key and size (and file for real data): the pixels stay in `images`."""
        return {k: row[k] for k in ("id", "image", "size", "file") if k in row}

    def artifacts(self, samples: Sequence[Any]) -> Iterable[Any]:
        from harness import Artifact
        from harness_celeba_recon.artifacts import run_artifacts

        yield from run_artifacts(samples)
        if any(self.skipped.values()):
            body = {
                "skipped": {split: files for split, files in self.skipped.items() if files},
                "counts": {split: len(files) for split, files in self.skipped.items()},
            }
            yield Artifact("skipped-files.json", "application/json", json.dumps(body, indent=1).encode())


class CelebaRecon64Task(CelebaReconTask):
    name = "celeba-recon-64"
    size = 64
    description = CelebaReconTask.description.replace("32 x 32", "64 x 64")
    metrics = MS_SSIM_METRICS
    curves = (RATE_PSNR, RATE_MS_SSIM)


class CelebaRecon128Task(CelebaReconTask):
    name = "celeba-recon-128"
    size = 128
    description = CelebaReconTask.description.replace("32 x 32", "128 x 128")
    metrics = MS_SSIM_METRICS
    curves = (RATE_PSNR, RATE_MS_SSIM)


TASKS = (CelebaReconTask, CelebaRecon64Task, CelebaRecon128Task)
TASK_NAMES = tuple(t.name for t in TASKS)
