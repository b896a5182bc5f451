"""Plugin discovery and the task/model/metric registries.

Plugins come from the entry-point group `harness` (third-party and built-in plugins alike),
from `HARNESS_PLUGINS=module,module` (extra modules, the way `PYTEST_PLUGINS` works), and from
the core's own default plugins. Each plugin is loaded and each of its hooks is called inside its
own try/except: a broken plugin is reported by `harness plugins` and never breaks the rest,
unless `HARNESS_STRICT_PLUGINS=1` asks for a hard failure.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from harness import hookspecs
from harness.api import HarnessError, Metric, Model, Renderer, Task

ENTRY_POINT_GROUP = "harness"
DEFAULT_PLUGINS = {"builtin": "harness.plugins.builtin_metrics", "executors": "harness.sweep.executors.builtin"}


class PluginError(HarnessError):
    """Raised instead of a report when HARNESS_STRICT_PLUGINS=1."""


@dataclass
class PluginInfo:
    name: str
    version: str | None
    distribution: str | None
    module: ModuleType | None
    error: str | None = None

    def hooks(self, pm: pluggy.PluginManager) -> list[str]:
        if self.module is None or pm.get_plugin(self.name) is None:
            return []
        return sorted(caller.name for caller in pm.get_hookcallers(self.module) or [])


@dataclass
class Entry:
    """A registered class and the plugin that registered it."""

    obj: Any
    plugin: str


@dataclass
class Registry:
    pm: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    tasks: dict[str, Entry] = field(default_factory=dict)
    models: dict[str, Entry] = field(default_factory=dict)
    metrics: dict[str, Entry] = field(default_factory=dict)
    renderers: dict[str, Entry] = field(default_factory=dict)
    executors: dict[str, Entry] = field(default_factory=dict)
    leaderboards: list[Entry] = field(default_factory=list)

    def groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for name, entry in sorted(self.tasks.items()):
            if entry.obj.group:
                groups.setdefault(entry.obj.group, []).append(name)
        return groups

    def models_for(self, task: type[Task]) -> list[str]:
        return sorted(name for name, entry in self.models.items() if entry.obj.serves(task))

    def renderers_for(self, task: str) -> list[type[Renderer]]:
        entry = self.tasks.get(task)
        group = entry.obj.group if entry else None
        return [e.obj for e in self.renderers.values() if e.obj.serves(task, group)]

    def broken(self) -> dict[str, str]:
        """Plugins that failed to load or raised in a hook, with the first line of their error."""
        return {name: (info.error.strip().splitlines() or [""])[0] for name, info in sorted(self.plugins.items()) if info.error}

    def broken_hint(self) -> str:
        """For "unknown task/model" errors: the broken plugins that may have provided the name."""
        broken = self.broken()
        if not broken:
            return ""
        return f" (plugin(s) that failed to load and may provide it: {', '.join(broken)}; `harness plugins` shows why)"

    def report(self, plugin: str, error: BaseException | str) -> None:
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if _strict():
            raise PluginError(f"plugin {plugin!r} failed: {message}") from (error if isinstance(error, BaseException) else None)
        info = self.plugins.get(plugin)
        if info is None:
            self.plugins[plugin] = PluginInfo(plugin, None, None, None, message)
        elif info.error is None:
            info.error = message
        else:
            info.error += f"; {message}"


def _strict() -> bool:
    return os.environ.get("HARNESS_STRICT_PLUGINS", "").strip() not in {"", "0", "false"}


def _selected() -> set[str] | None:
    raw = os.environ.get("HARNESS_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("harness")
    pm.add_hookspecs(hookspecs)
    return pm


def _same_module(module: ModuleType) -> ModuleType:
    return module


def _register_module(registry: Registry, name: str, load: Callable[[], ModuleType], dist: Any = None) -> None:
    version = getattr(dist, "version", None)
    dist_name = dist.metadata["Name"] if dist is not None else None
    info = PluginInfo(name, version, dist_name, None)
    try:
        module = load()
    except Exception as exc:  # a broken plugin must not break the CLI
        registry.plugins[name] = info
        registry.report(name, exc)
        return
    if registry.pm.is_registered(module):  # named twice (installed and in HARNESS_PLUGINS too): one plugin
        return
    registry.plugins[name] = info
    try:
        registry.pm.register(module, name=name)
        info.module = module
    except Exception as exc:
        registry.report(name, exc)


def load_registry(extra: dict[str, ModuleType] | None = None, entry_points: bool = True) -> Registry:
    """Discover plugins and build the registries. `extra` registers modules directly (tests)."""
    from harness import __version__

    registry = Registry(new_plugin_manager())
    selected = _selected()
    for name, module_name in DEFAULT_PLUGINS.items():
        _register_module(registry, name, functools.partial(importlib.import_module, module_name))
        registry.plugins[name].version = __version__
        registry.plugins[name].distribution = "kexue-harness"
    if entry_points:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if selected is not None and ep.name not in selected:
                continue
            if ep.name in registry.plugins:
                continue  # the same distribution seen twice on sys.path
            _register_module(registry, ep.name, ep.load, ep.dist)
        for module_name in filter(None, os.environ.get("HARNESS_PLUGINS", "").split(",")):
            module_name = module_name.strip()
            _register_module(registry, module_name, functools.partial(importlib.import_module, module_name))
    for name, module in (extra or {}).items():
        _register_module(registry, name, functools.partial(_same_module, module))
    _collect(registry, "register_tasks", registry.tasks, Task)
    _collect(registry, "register_models", registry.models, Model)
    _collect(registry, "register_metrics", registry.metrics, Metric)
    _collect(registry, "register_renderers", registry.renderers, Renderer)
    from harness.executors import Executor

    _collect(registry, "register_executors", registry.executors, Executor)
    _collect_leaderboards(registry)
    _check_tasks(registry)
    _check_leaderboards(registry)
    return registry


def _collect(registry: Registry, hook: str, into: dict[str, Entry], base: type) -> None:
    for impl in getattr(registry.pm.hook, hook).get_hookimpls():  # registration order: first wins
        plugin = impl.plugin_name

        def register(cls: Any, plugin: str = plugin) -> None:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise TypeError(f"{hook} expects a {base.__name__} subclass, got {cls!r}")
            # renderers are anonymous: several may draw one task, each keyed by where it lives
            name = f"{cls.__module__}.{cls.__qualname__}" if base is Renderer else getattr(cls, "name", None)
            if not isinstance(name, str) or not name:
                raise TypeError(f"{cls.__name__} has no `name`")
            if name in into:
                raise ValueError(f"{base.__name__.lower()} {name!r} is already registered by plugin {into[name].plugin!r}")
            into[name] = Entry(cls, plugin)

        try:
            impl.function(register=register)
        except Exception as exc:
            registry.report(plugin, exc)


def _collect_leaderboards(registry: Registry) -> None:
    for impl in registry.pm.hook.register_leaderboards.get_hookimpls():

        def register(definition: Any, plugin: str = impl.plugin_name) -> None:
            registry.leaderboards.append(Entry(definition, plugin))

        try:
            impl.function(register=register)
        except Exception as exc:
            registry.report(impl.plugin_name, exc)


def _check_tasks(registry: Registry) -> None:
    """A task whose metrics are missing cannot run; report it against its plugin, keep the rest."""
    for name, entry in list(registry.tasks.items()):
        task = entry.obj
        missing = [m for m in (*task.metrics, task.primary_metric) if m not in registry.metrics]
        if task.primary_metric not in task.metrics:
            registry.report(entry.plugin, f"task {name!r}: primary metric {task.primary_metric!r} is not in its metrics")
            del registry.tasks[name]
        elif missing:
            registry.report(entry.plugin, f"task {name!r}: unknown metric(s) {', '.join(missing)}")
            del registry.tasks[name]


def _check_leaderboards(registry: Registry) -> None:
    """Parse each plugin's leaderboard definitions and check the metrics they name: an invalid one
    is that plugin's error (shown by `harness plugins`), never an empty or wrongly ranked board."""
    from harness.leaderboard.definitions import check_names, plugin_definition

    metrics_of = {name: list(entry.obj.metrics) for name, entry in registry.tasks.items()}
    valid = []
    for entry in registry.leaderboards:
        try:
            spec = plugin_definition(entry.obj, entry.plugin)
            check_names(spec, metrics_of)
        except HarnessError as exc:
            registry.report(entry.plugin, f"leaderboard definition: {exc}")
            continue
        valid.append(Entry(spec, entry.plugin))
    registry.leaderboards = valid


def warn_broken(registry: Registry, echo: Callable[[str], Any]) -> None:
    """One line per broken plugin, for every command that uses the registry: never silent."""
    for name, error in registry.broken().items():
        echo(f"warning: plugin {name!r} failed to load: {error}; `harness plugins` shows more")


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


def set_registry(registry: Registry | None) -> None:
    global _REGISTRY
    _REGISTRY = registry


@contextmanager
def use_plugins(*modules: ModuleType, entry_points: bool = False) -> Iterator[Registry]:
    """Run code against exactly these plugin modules (plus the built-ins): for tests."""
    previous = _REGISTRY
    registry = load_registry({m.__name__: m for m in modules}, entry_points=entry_points)
    set_registry(registry)
    try:
        yield registry
    finally:
        set_registry(previous)


def call_lifecycle(registry: Registry, hook: str, **kwargs: Any) -> list[str]:
    """Call a lifecycle hook on every plugin; return warnings for those that raised.

    Each implementation gets only the arguments it names (as pluggy's own calls do), so a hook
    gaining an argument never breaks plugins written before it.
    """
    warnings = []
    for impl in getattr(registry.pm.hook, hook).get_hookimpls():
        try:
            impl.function(**{name: kwargs[name] for name in impl.argnames if name in kwargs})
        except Exception as exc:
            if _strict():
                raise
            warnings.append(f"plugin {impl.plugin_name!r} failed in {hook}: {type(exc).__name__}: {exc}")
    return warnings
