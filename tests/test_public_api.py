"""Plugins see the harness only through its public face.

Every module under plugins/ (packages, tests, benchmarks) and every Python file the scaffold
writes may import from `harness` only the public modules, and from each only its public names:
what a plugin author can rely on is exactly what the API pages document.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from string import Template

import pytest

import harness
from harness.plugins.scaffold import names

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "harness" / "plugins" / "templates"

#: The public modules, and the names each one offers (None: every name not starting with "_").
PUBLIC: dict[str, set[str] | None] = {
    "harness": set(harness.__all__),
    "harness.views": None,
    "harness.training": None,
    "harness.jsonl": None,
    "harness.stats": None,
    "harness.evaluate_metrics": None,
    "harness.executors": None,
    "harness.text": None,
    "harness.curves": None,
    "harness.store": {"Store"},
    "harness.testing": set(importlib.import_module("harness.testing").__all__),
}


def sources() -> list[tuple[Path, str]]:
    """(file, Python source) for every plugin module and scaffold template that is Python."""
    found = [(path, path.read_text(encoding="utf-8")) for path in sorted((ROOT / "plugins").rglob("*.py"))]
    values = names("movie-reviews")
    for path in sorted(TEMPLATES.rglob("*.py.tmpl")):
        found.append((path, Template(path.read_text(encoding="utf-8")).substitute(values)))
    return [(path, text) for path, text in found if "__pycache__" not in path.parts]


def problems(text: str) -> list[tuple[int, str]]:
    """(line, what) for each import of a non-public harness module or name in `text`."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "harness" and alias.name not in PUBLIC:
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module.split(".")[0] != "harness":
                continue
            if module not in PUBLIC:
                found.append((node.lineno, f"from {module} import ..."))
                continue
            allowed = PUBLIC[module]
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if submodule in PUBLIC:
                    continue
                if alias.name.startswith("_") or (allowed is not None and alias.name not in allowed):
                    found.append((node.lineno, f"from {module} import {alias.name}"))
    return found


def test_the_public_modules_offer_what_they_list():
    for module, allowed in PUBLIC.items():
        imported = importlib.import_module(module)
        missing = sorted(name for name in allowed or () if not hasattr(imported, name))
        assert not missing, f"{module} does not define {missing}"


def test_plugins_and_the_scaffold_import_only_public_harness_names():
    files = sources()
    assert any(path.suffix == ".tmpl" for path, _ in files) and any("tests" in path.parts for path, _ in files)
    found = [f"{path.relative_to(ROOT)}:{line}: {what}" for path, text in files for line, what in problems(text)]
    assert not found, "non-public harness imports (use harness, harness.testing, ...):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("from harness.runner.run import RunContext", "from harness.runner.run import ..."),
        ("import harness.records", "import harness.records"),
        ("from harness import views, Task, registry", "from harness import registry"),
        ("from harness.store import Store, default_home", "from harness.store import default_home"),
        ("def f():\n    from harness.testing import _modules", "from harness.testing import _modules"),
    ],
)
def test_a_non_public_import_is_named_with_its_line(source, bad):
    assert [what for _, what in problems(source)] == [bad]
    assert problems("from harness import RunContext, views\nimport harness.testing\nfrom harness.store import Store") == []


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("harness.runner", "RunContext", "harness.RunContext"),
        ("harness.store", "default_home", "harness.home"),
        ("harness.worker", "execute", "harness.sweep.worker.execute"),
    ],
)
def test_a_moved_public_name_still_imports_from_its_old_place_with_a_deprecation_warning(old, name, new):
    import sys

    if old == "harness.worker":  # its warning fires when the module is first imported
        sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=old.replace(".", r"\.")):
        value = getattr(importlib.import_module(old), name)
    module, _, attribute = new.rpartition(".")
    assert value is getattr(importlib.import_module(module), attribute)
