"""A folder in CelebA's exact layout, drawn from faces-synth-v1: the real-data path, runnable anywhere.

    python -m harness_celeba_recon.synth.celeba_folder DIR [COUNT]    # COUNT faces (200) under DIR

No CelebA image may be shipped, so the real format is generated: `img_align_celeba/000001.jpg` ...
(178 x 218 JPEG, quality 95, the face centred as in the aligned crops) and `list_eval_partition.txt`
(`000001.jpg 0`: 0 train, 1 val, 2 test) in CelebA's proportions (about 81 / 10 / 9 %). The loader
reads it as it reads CelebA: crops the central square and resizes it to the task's size.
`partition=False` leaves the partition file out, as CelebA-HQ folders come.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness_celeba_recon.synth.faces import generate

#: CelebA's aligned images, width x height.
WIDTH, HEIGHT = 178, 218
#: Of every 20 images: 16 train, 2 val, 2 test (CelebA: 162,770 / 19,867 / 19,962).
PATTERN = "00000000100000000122"


def write_celeba_folder(root: Path, count: int, partition: bool = True, drawn_at: int = 128) -> list[str]:
    """Write `count` faces under `root` in CelebA's layout; the file names, in order.

    The faces are faces-synth-v1's training faces drawn at `drawn_at` px (64 is 4x quicker, for tests)."""
    from PIL import Image

    faces = generate("train", drawn_at, count=count)
    (root / "img_align_celeba").mkdir(parents=True, exist_ok=True)
    names = []
    top = (HEIGHT - WIDTH) // 2
    for i, face in enumerate(faces):
        name = f"{i + 1:06d}.jpg"
        square = np.asarray(Image.fromarray(face).resize((WIDTH, WIDTH), Image.Resampling.LANCZOS))
        canvas = np.pad(square, ((top, HEIGHT - WIDTH - top), (0, 0), (0, 0)), mode="edge")
        Image.fromarray(canvas).save(root / "img_align_celeba" / name, quality=95)
        names.append(name)
    if partition:
        lines = [f"{name} {PATTERN[i % len(PATTERN)]}" for i, name in enumerate(names)]
        (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return names


if __name__ == "__main__":  # python -m harness_celeba_recon.synth.celeba_folder DIR [COUNT]
    import sys

    target, n = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200
    write_celeba_folder(target, n)
    print(f"{n} faces in CelebA's layout under {target}")
