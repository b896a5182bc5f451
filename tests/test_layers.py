"""The core's layers (docs/site/development.md#layout) hold, and no import cycle runs through it.

The contracts live in pyproject.toml (`[tool.importlinter]`), so `lint-imports` by hand reports
exactly what these tests do.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cycle_edges(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Each direct import that a chain of imports leads back from: the edges that lie on a cycle."""
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )


def test_no_runtime_import_cycle():
    """Module by module, imports inside functions included and `TYPE_CHECKING` imports left out.

    The `acyclic_siblings` contract compares sibling modules and packages only; this also catches a
    package's `__init__` and one of its own modules importing each other.
    """
    graph = grimp.build_graph("harness", exclude_type_checking_imports=True, cache_dir=None)
    report = [
        f"{importer} -> {imported} (line "
        + ", ".join(str(d["line_number"]) for d in graph.get_import_details(importer=importer, imported=imported))
        + ")"
        for importer, imported in _cycle_edges(graph)
    ]
    assert not report, "import cycles in harness:\n" + "\n".join(report)


def test_cycle_finder_finds_cycles():
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]:
        graph.add_import(importer=importer, imported=imported)
    graph.add_module("f")
    assert _cycle_edges(graph) == [("a", "b"), ("b", "c"), ("c", "a")]
