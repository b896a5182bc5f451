"""Every task plugin has one shape: the one `harness new-plugin` writes.

    harness_NAME/__init__.py   the hook implementations
    harness_NAME/task.py       the task(s)
    harness_NAME/data.py       the embedded data and the real formats' readers
    harness_NAME/models.py     the models (or a models/ package when there are many)
    harness_NAME/metrics.py    the metrics
    harness_NAME/render.py     the dashboard renderer
    harness_NAME/NAME.toml     the leaderboard definition (package data; NAME is the plugin's name)

Other modules may sit beside these; alternative names for the same pieces may not.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harness.plugins.scaffold import write_plugin

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("__init__.py", "task.py", "data.py", "metrics.py", "render.py")
ALTERNATIVES = ("tasks.py", "model.py", "metric.py", "renderer.py", "renderers.py", "leaderboard.toml", "leaderboards")
#: Plugins that register no task (a run logger, models that serve other plugins' tasks), so have no
#: task, data, metrics or board of their own.
NOT_TASK_PLUGINS = {"mlflow", "llm"}


def layout(package: Path, name: str) -> dict[str, object]:
    """What a reader of the package finds where: required modules, models, leaderboard file, strays."""
    return {
        "modules": [f for f in REQUIRED if (package / f).is_file()],
        "models": [p for p in ("models.py", "models/__init__.py") if (package / p).is_file()],
        "leaderboard": sorted(p.name for p in package.glob("*.toml")),
        "strays": sorted(p.name for p in package.iterdir() if p.name in ALTERNATIVES),
    }


def expected(name: str, models: str) -> dict[str, object]:
    return {"modules": list(REQUIRED), "models": [models], "leaderboard": [f"{name}.toml"], "strays": []}


def distribution(root: Path) -> tuple[str, Path, dict]:
    """(plugin name, package folder, pyproject) of a plugin distribution's folder."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    ((name, module),) = pyproject["project"]["entry-points"]["harness"].items()
    return name, root / module, pyproject


def task_plugins() -> list[Path]:
    roots = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
    assert {r.name for r in roots} >= NOT_TASK_PLUGINS
    return [r for r in roots if r.name not in NOT_TASK_PLUGINS]


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory) -> Path:
    return write_plugin("movie-reviews", tmp_path_factory.mktemp("scaffold"))


def test_the_scaffold_writes_the_plugin_shape(scaffold):
    name, package, pyproject = distribution(scaffold)
    assert layout(package, name) == expected(name, "models.py")
    assert pyproject["tool"]["setuptools"]["package-data"] == {package.name: ["*.toml"]}
    assert not (scaffold / "tests" / "conftest.py").exists()  # the harness's pytest plugin isolates tests


@pytest.mark.parametrize("root", task_plugins(), ids=lambda r: r.name)
def test_each_built_in_plugin_has_the_scaffolds_shape(root, scaffold):
    name, package, pyproject = distribution(root)
    shape = layout(package, name)
    models = shape["models"][0] if len(shape["models"]) == 1 else "models.py"
    assert shape == expected(name, models)
    scaffold_shape = layout(distribution(scaffold)[1], "movie-reviews")
    assert {**shape, "models": None, "leaderboard": None} == {**scaffold_shape, "models": None, "leaderboard": None}
    # The leaderboard travels as package data, so a non-editable install keeps it.
    assert pyproject["tool"]["setuptools"]["package-data"] == {package.name: ["*.toml"]}
    assert not (root / "tests" / "conftest.py").exists()


def test_a_plugin_that_registers_no_task_has_no_task_modules():
    for root in sorted(ROOT / "plugins" / n for n in NOT_TASK_PLUGINS):
        name, package, _ = distribution(root)
        assert "register_tasks" not in (package / "__init__.py").read_text(encoding="utf-8")
        shape = layout(package, name)
        # models that serve other plugins' tasks, and a renderer drawing on their pages, may be there
        assert shape["modules"] in (["__init__.py"], ["__init__.py", "render.py"])
        assert {**shape, "modules": None, "models": None} == {"modules": None, "models": None, "leaderboard": [], "strays": []}
