"""What commands read from: the plugin registry, the results store, and checks of the names given."""

from __future__ import annotations

from pathlib import Path

import click

from harness.names import unknown_name

_warned = False
_noted = False


def forget_warnings() -> None:
    """The next `open_registry` warns about broken plugins again, and the next `open_store` notes results
    in an earlier release's home again (a fresh CLI process's state)."""
    global _warned, _noted
    _warned = _noted = False


def open_store(db: Path | None):
    """The results store; the first call notes (one line) results left in an earlier release's home."""
    global _noted
    from harness.paths import legacy_note
    from harness.store import Store

    if not _noted:
        _noted = True
        note = legacy_note()
        if note is not None:
            click.echo(note, err=True)
    return Store(db)


def open_registry():
    """The plugin registry; the first call prints one warning line per plugin that failed to load."""
    global _warned
    from harness.plugins.registry import get_registry, warn_broken

    registry = get_registry()
    if not _warned:
        _warned = True
        warn_broken(registry, lambda line: click.echo(line, err=True))
    return registry


def check_name(kind: str, name: str | None, known: list[str], extra: str = "") -> None:
    """Read-side commands treat an unknown name as `run` does: an error with suggestions (exit 2)."""
    if name is None or name in known:
        return
    raise unknown_name(kind, name, known, extra, shown=20)


def known_tasks(store, registry=None) -> list[str]:
    """Tasks that are installed or have runs in the database."""
    stored = store.distinct_values("task") if store.exists() else []
    return sorted(set(stored) | set(registry.tasks if registry is not None else {}))


def resolve_sweep(store, sweep_id: str | None) -> str | None:
    """The whole id of the sweep `sweep_id` names (an id or a unique prefix); an unknown one is a usage error."""
    if sweep_id is None:
        return None
    from harness.sweep.driver import get_sweep

    return str(get_sweep(store, sweep_id)["sweep_id"])
