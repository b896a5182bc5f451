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
from harness_celeba_recon.data import SPLITS, load_real, load_synthetic

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

    def __init__(self) -> None:
        self.skipped: dict[str, list[dict]] = {}

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


class CelebaRecon128Task(CelebaReconTask):
    name = "celeba-recon-128"
    size = 128
    description = CelebaReconTask.description.replace("32 x 32", "128 x 128")


TASKS = (CelebaReconTask, CelebaRecon64Task, CelebaRecon128Task)
TASK_NAMES = tuple(t.name for t in TASKS)
