"""A cached re-run answers from the store alone: no data regenerated, no scipy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.runner.run import Runner, RunRequest
from harness.store import Store


def test_a_cached_rerun_of_embedded_data_does_not_load_it(arith, db, monkeypatch):
    runner = Runner(arith, Store(db))
    first = runner.run(RunRequest(task="doubling", model="noisy"))
    from toy_plugins.arith import make_rows

    calls = []
    monkeypatch.setattr(
        arith.tasks["doubling"].obj, "load", lambda self, split, data_dir=None: calls.append(split) or make_rows(split, 200)
    )
    again = runner.run(RunRequest(task="doubling", model="noisy"))
    assert again.cached and again.run.run_id == first.run.run_id and calls == []
    # another limit, seed or split is another fingerprint: computed once, from the data
    runner.run(RunRequest(task="doubling", model="noisy", limit=10))
    assert calls == ["test"]


def test_the_fingerprint_cache_follows_the_plugin_source(arith, db, tmp_path, monkeypatch):
    from harness.runner import fingerprints

    task = arith.tasks["doubling"].obj
    fingerprints.remember(task, "0", "test", None, "abc")
    assert fingerprints.lookup(task, "0", "test", None) == "abc"
    assert fingerprints.lookup(task, "1", "test", None) is None  # plugin version is part of the key
    source = Path(arith.plugins["toy_plugins.arith"].module.__file__)
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the generator was edited
        assert fingerprints.lookup(task, "0", "test", None) is None
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_cached_rerun_imports_no_scipy(harness_cli):
    harness_cli("run", "--task", "doubling", "--model", "noisy")
    probe = (
        "import sys\nfrom harness.cli import main\ntry:\n    main(['run', '--task', 'doubling', '--model', 'noisy'])\n"
        "except SystemExit:\n    pass\nprint('scipy' in sys.modules, 'datasets' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=harness_cli.env, timeout=120)
    assert "cached" in result.stdout and result.stdout.strip().splitlines()[-1] == "False False", result.stderr
