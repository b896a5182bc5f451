"""Listing and help must not import the heavy libraries: that is what keeps them fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "datasets", "evaluate", "streamlit", "scipy", "pandas")

PROBE = """
import json, sys
from harness.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["tasks", "--json"], ["models", "--json"], ["plugins", "--json"],
                                  ["info", "--json"]])
def test_listing_imports_no_heavy_library(harness_cli, args):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True,
                            text=True, env=harness_cli.env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
