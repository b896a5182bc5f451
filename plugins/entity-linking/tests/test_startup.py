"""Listing must stay fast: importing the plugin pulls in neither torch, transformers nor the matcher."""

import json
import subprocess
import sys


def test_plugin_import_is_light():
    probe = (
        "import json, sys, harness_entity_linking\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'ahocorasick_rs', 'datasets') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
