"""A cache of the embedded datasets' fingerprints, so a cached re-run answers without the data.

The run key hashes the evaluated rows' fingerprint. For `--data-dir` data the files must be read
to know it, but an embedded default is a pure function of the task's code: its fingerprint is
cached per task, task version, plugin version, split and `--limit`, and invalidated whenever a
source file of the task's package changes (its size or modification time), so editing a generator
without bumping the version never serves a stale key. A cached entry is only used to look for a
finished run; any run that evaluates loads the rows and checks the fingerprint again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from harness.api import Task
from harness.paths import default_home


def _source_stamp(task: type[Task]) -> str:
    """A digest of the names, sizes and modification times of the .py files beside the task's module."""
    module = sys.modules.get(task.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return "unknown"
    folder = Path(path).resolve().parent
    digest = hashlib.sha256()
    try:
        for entry in sorted(folder.rglob("*.py")):
            stat = entry.stat()
            digest.update(f"{entry.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    except OSError:
        return "unknown"
    return digest.hexdigest()[:16]


def _path(task: type[Task], plugin_version: str | None, split: str, limit: int | None) -> Path:
    key = json.dumps([task.name, task.version, plugin_version, split, limit, task.__module__, _source_stamp(task)])
    return default_home() / "cache" / "fingerprints" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def lookup(task: type[Task], plugin_version: str | None, split: str, limit: int | None) -> str | None:
    """The cached fingerprint of the embedded split, or None when it must be computed."""
    try:
        data: Any = json.loads(_path(task, plugin_version, split, limit).read_text())
        return str(data["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(task: type[Task], plugin_version: str | None, split: str, limit: int | None, fingerprint: str) -> None:
    """Record a freshly computed fingerprint (atomically: concurrent runs may write the same entry)."""
    target = _path(task, plugin_version, split, limit)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        staging.write_text(json.dumps({"task": task.name, "split": split, "limit": limit, "fingerprint": fingerprint}))
        os.replace(staging, target)
    except OSError:
        pass  # a read-only home only costs the next run the time to recompute it
