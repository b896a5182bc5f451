"""Rows of the task: the embedded `faces-synth-v1` or a CelebA / CelebA-HQ image folder (`--data-dir`).

A row is `{"id", "image", "size"}` (plus `"file"` for real data): `image` is the content key of the
decoded, centre-cropped, resized pixels held in `harness_celeba_recon.images`, never the pixels.

Real folders are read the way people keep CelebA: images anywhere below the folder (jpg / jpeg /
png in any case), the splits from CelebA's `list_eval_partition.txt` when it is there (0 train,
1 val, 2 test, matched by file name), else a deterministic split by file name (a CRC of the
relative path: 80 % train, 10 % val, 10 % test, stable when files are added). Files that are not
usable images (empty, truncated, not an image, decompression bombs) are skipped and reported by
name; odd but valid ones (CMYK, palette, 16-bit, RGBA, grayscale, EXIF-rotated) are converted.
"""

from __future__ import annotations

import sys
import warnings
import zlib
from pathlib import Path
from typing import Any

from harness import DataError
from harness_celeba_recon import images

SPLITS = ("train", "val", "test")
EXTENSIONS = {".jpg", ".jpeg", ".png"}
PARTITION_FILE = "list_eval_partition.txt"
PARTITION_CODES = {"0": "train", "1": "val", "2": "test"}
#: An image above this many pixels is refused unread (a decompression bomb). CelebA-HQ's largest are
#: 1024 x 1024 and CelebA's in-the-wild originals a few megapixels; 64 MP leaves room for any real photo.
MAX_PIXELS = 64_000_000

_SYNTH: dict[tuple[str, int], list[dict]] = {}
_REAL: dict[tuple[str, str, int], tuple[list[dict], list[dict]]] = {}


def load_synthetic(split: str, size: int) -> list[dict]:
    """The embedded default at `size` px; generated once per process (a few seconds for train)."""
    if (split, size) not in _SYNTH:
        from harness_celeba_recon.synth.faces import generate

        pixels = generate(split, size)
        _SYNTH[split, size] = [
            {"id": f"{split}-{i:05d}", "image": images.remember(p), "size": size} for i, p in enumerate(pixels)
        ]
    return [dict(row) for row in _SYNTH[split, size]]


def load_real(data_dir: Path, split: str, size: int) -> tuple[list[dict], list[dict]]:
    """Rows of one split and the files skipped on the way as `{"file", "reason"}` (relative paths)."""
    root = Path(data_dir)
    cache_key = (str(root.resolve()), split, size)
    if cache_key not in _REAL:
        _REAL[cache_key] = _read_split(root, split, size)
    rows, skipped = _REAL[cache_key]
    return [dict(row) for row in rows], list(skipped)


def image_files(root: Path) -> list[Path]:
    """Every jpg / jpeg / png below `root` in any case of extension, sorted; hidden entries are not images."""
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in EXTENSIONS and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def find_partition(root: Path) -> Path | None:
    """CelebA ships `Eval/list_eval_partition.txt`; accept it at the top or anywhere below."""
    top = root / PARTITION_FILE
    if top.is_file():
        return top
    nested = sorted(p for p in root.rglob(PARTITION_FILE) if p.is_file())
    return nested[0] if nested else None


def read_partition(path: Path) -> dict[str, str]:
    """`000001.jpg 0` per line (file name, 0/1/2); blank lines are allowed, anything else is an error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the partition file ({type(exc).__name__}: {exc})") from None
    splits: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in PARTITION_CODES:
            raise DataError(f"{path}:{number}: expected '<image file name> <0|1|2>', got {line.strip()!r}")
        name = fields[0]
        if name in splits and splits[name] != PARTITION_CODES[fields[1]]:
            raise DataError(f"{path}:{number}: {name!r} is listed twice with different splits")
        splits[name] = PARTITION_CODES[fields[1]]
    if not splits:
        raise DataError(f"{path}: the partition file lists no images")
    return splits


def has_partition_split(root: Path, split: str) -> bool:
    """Whether CelebA's partition file below `root` assigns any image to `split`."""
    path = find_partition(root) if root.is_dir() else None
    return path is not None and split in read_partition(path).values()


def split_by_name(relative: str) -> str:
    """Deterministic and local: a file's split depends on its own path only."""
    bucket = zlib.crc32(relative.encode("utf-8")) % 100
    return "train" if bucket < 80 else "val" if bucket < 90 else "test"


def _read_split(root: Path, split: str, size: int) -> tuple[list[dict], list[dict]]:
    files = image_files(root)
    if not files:
        raise DataError(f"{root}: no .jpg, .jpeg or .png images found (searched every folder below it)")
    partition_path = find_partition(root)
    skipped: list[dict] = []
    if partition_path is not None:
        partition = read_partition(partition_path)
        chosen = []
        for path in files:
            assigned = partition.get(path.name)
            if assigned is None:
                skipped.append(
                    {
                        "file": path.relative_to(root).as_posix(),
                        "reason": f"not listed in {partition_path.relative_to(root).as_posix()}",
                    }
                )
            elif assigned == split:
                chosen.append(path)
    else:
        chosen = [p for p in files if split_by_name(p.relative_to(root).as_posix()) == split]
    rows = []
    for path in chosen:
        relative = path.relative_to(root).as_posix()
        try:
            pixels = decode(path, size)
        except UnusableImage as exc:
            skipped.append({"file": relative, "reason": str(exc)})
            continue
        rows.append({"id": relative, "image": images.remember(pixels), "size": size, "file": relative})
    bad = [s for s in skipped if not s["reason"].startswith("not listed")]
    if bad:
        names = ", ".join(s["file"] for s in bad[:5]) + (" ..." if len(bad) > 5 else "")
        print(
            f"warning: celeba-recon: skipped {len(bad)} unusable file(s) of split {split!r} in {root}: {names} "
            "(every name and reason is in the run's skipped-files.json artifact)",
            file=sys.stderr,
        )
    if not rows:
        where = f" (split from {partition_path})" if partition_path else " (split by file name)"
        raise DataError(f"{root}: split {split!r} has no usable images{where}; {len(skipped)} file(s) skipped")
    return rows, skipped


class UnusableImage(Exception):
    """A file that cannot become an image; the message is the reason shown to the user."""


def decode(path: Path, size: int) -> Any:
    """Read one file as (size, size, 3) uint8: EXIF orientation applied, converted to RGB (alpha over
    white, 16-bit scaled down), the central square cropped and resized with Lanczos."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        if path.stat().st_size == 0:
            raise UnusableImage("empty file (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise UnusableImage(f"decompression bomb: {width} x {height} pixels (limit {MAX_PIXELS:,})")
                opened.load()
                img = ImageOps.exif_transpose(opened)
    except UnusableImage:
        raise
    except UnidentifiedImageError:
        raise UnusableImage("not an image PIL can read") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UnusableImage(f"decompression bomb: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data, unreadable file
        raise UnusableImage(f"corrupt or truncated image ({type(exc).__name__}: {exc})") from None
    img = to_rgb(img, np)
    width, height = img.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    img = img.resize((size, size), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side), reducing_gap=3.0)
    return np.asarray(img, dtype=np.uint8).copy()


def to_rgb(img: Any, np: Any) -> Any:
    from PIL import Image

    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        array = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        gray = np.clip(np.rint(array / top * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if img.mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return img
