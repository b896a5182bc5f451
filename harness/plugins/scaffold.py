"""`harness new-plugin NAME`: write a complete plugin distribution from harness/plugins/templates/plugin."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

from harness.api import ConfigError

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def names(name: str, task: str | None = None) -> dict[str, str]:
    """Template values; `task` (default: the plugin's name) names the task, its model and metric."""
    name = name.removeprefix("harness-")
    task = task or name
    for label, value in (("plugin", name), ("task", task)):
        if not NAME_RE.match(value):
            raise ConfigError(
                f"{label} name {value!r} must be kebab-case (a lowercase letter, then lowercase letters, "
                f"digits and single dashes): {_name_problem(value)}"
            )
    package = "harness_" + name.replace("-", "_")
    return {
        "name": name,
        "task": task,
        "package": package,
        "title": task.replace("-", " ").title(),
        "classname": "".join(part.title() for part in task.split("-")),
    }


def _name_problem(value: str) -> str:
    """Exactly what keeps a name from being kebab-case, and a name that would do, when there is one."""
    bad = sorted({c for c in value if c not in "abcdefghijklmnopqrstuvwxyz0123456789-"}, key=value.index)
    if not value:
        problem = "it is empty"
    elif bad:
        problem = f"{', '.join(repr(c) for c in bad)} {'is' if len(bad) == 1 else 'are'} not allowed"
    elif not value[0].isalpha():
        problem = f"it starts with {value[0]!r}"
    elif value.endswith("-"):
        problem = "it ends with a dash"
    else:
        problem = "it has a double dash"
    fixed = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-").lstrip("0123456789-")
    return problem + (f" (try {fixed!r})" if fixed and NAME_RE.match(fixed) else "")


def refuse_installed(values: dict[str, str]) -> None:
    """A scaffold named like an installed plugin would shadow it or be shadowed: refuse it."""
    from importlib import metadata, util

    try:
        metadata.distribution(f"harness-{values['name']}")
    except metadata.PackageNotFoundError:
        pass
    else:
        raise ConfigError(f"a distribution named harness-{values['name']} is already installed; choose another name")
    if util.find_spec(values["package"]) is not None:
        raise ConfigError(f"a package named {values['package']} is already importable; choose another name")


def write_plugin(name: str, parent: Path, force: bool = False, task: str | None = None) -> Path:
    """Render every template file; paths and contents substitute $name, $task, $package, $title, $classname."""
    values = names(name, task)
    refuse_installed(values)
    target = parent / f"harness-{values['name']}"
    if target.exists() and any(target.iterdir()) and not force:
        raise ConfigError(f"{target} already exists and is not empty (use --force to overwrite)")
    root = resources.files("harness.plugins") / "templates" / "plugin"
    for source, relative in _walk(root, ""):
        destination = target / Template(relative.removesuffix(".tmpl")).substitute(values)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return target


def _walk(node, prefix: str):
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        relative = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, relative + "/")
        elif child.name.endswith(".tmpl"):
            yield child, relative
