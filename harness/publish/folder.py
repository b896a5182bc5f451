"""Where a site is written: a folder beside OUT that replaces OUT only once it is complete, so a
reader (or a web server) never sees half a site, and a marker that tells a previous publish from a
folder of someone's files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.api import ConfigError

MARKER = ".harness-publish.json"


def check_target(out: Path, force: bool) -> None:
    """OUT may be missing, empty, or a previous publish; anything else only with `--force`."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder; give another OUT")
    if (out / MARKER).is_file() or force or not any(out.iterdir()):
        return
    raise ConfigError(
        f"{out} exists and is not a site `harness publish` wrote (no {MARKER}); "
        "give another OUT, or --force to replace the folder and everything in it"
    )


@contextmanager
def replacing(out: Path, marker: dict[str, Any]) -> Iterator[Path]:
    """Yield a fresh folder beside `out` to write the site into; when the block ends without an
    error, write the marker and swap it in for `out` (two renames on one file system). On an
    error the half-written folder is removed and `out` is left as it was."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.publishing-", dir=out.parent))
    try:
        yield staging
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        (staging / ".nojekyll").write_text("", encoding="utf-8")  # GitHub Pages: serve the files as they are
        os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide the site from a web server's user
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.parent))
            os.rename(out, old / "site")
        os.rename(staging, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


class Files:
    """Writes the site's files; images and other binary files go once each under a name made of
    their content hash, however many samples show them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()

    def text(self, relative: str, body: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")

    def blob(self, data: bytes, extension: str) -> str:
        """The site-relative path of `data` stored under its content hash (written the first time)."""
        relative = f"files/{hashlib.sha256(data).hexdigest()[:20]}{extension}"
        if relative not in self.written:
            self.written.add(relative)
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return relative


def image_extension(data: bytes) -> str:
    """The file extension for image bytes, from their signature."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    return ".bin"


def size_of(folder: Path) -> int:
    """Bytes in every file under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
