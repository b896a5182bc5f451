"""`harness new-plugin NAME`: write a complete plugin distribution from harness/templates/plugin."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

from harness.api import ConfigError

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def names(name: str) -> dict[str, str]:
    if not NAME_RE.match(name):
        raise ConfigError(f"plugin name {name!r} must be kebab-case: lowercase letters, digits and single dashes")
    package = "harness_" + name.replace("-", "_")
    return {
        "name": name,
        "package": package,
        "title": name.replace("-", " ").title(),
        "classname": "".join(part.title() for part in name.split("-")),
    }


def write_plugin(name: str, parent: Path, force: bool = False) -> Path:
    """Render every template file; paths and contents substitute $name, $package, $title, $classname."""
    values = names(name)
    target = parent / f"harness-{name}"
    if target.exists() and any(target.iterdir()) and not force:
        raise ConfigError(f"{target} already exists and is not empty (use --force to overwrite)")
    root = resources.files("harness") / "templates" / "plugin"
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
