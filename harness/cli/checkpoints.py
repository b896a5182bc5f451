"""`harness checkpoints`: the trained models kept on disk, what made them, what uses them; `prune`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from harness.cli.columns import chosen, requested, table_options
from harness.cli.options import db_option, json_option
from harness.cli.output import console, echo_json, table
from harness.cli.resolve import open_store

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SPANS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Size(click.ParamType):
    """`500M`, `2G`, `1.5GiB`, `800MB`: binary units, as `du -h` prints them."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
        if match is None:
            self.fail(f"{value!r} is not a size: give a number with K, M, G or T (500M, 2G)", param, ctx)
        return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


class Age(click.ParamType):
    """`30d`, `12h`, `2w`, `90m`, `45s`."""

    name = "AGE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(value), re.IGNORECASE)
        if match is None:
            self.fail(f"{value!r} is not an age: give a number with s, m, h, d or w (30d, 12h)", param, ctx)
        return float(match.group(1)) * _SPANS[match.group(2).lower()]


def human_size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def human_age(seconds: float) -> str:
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= span:
            return f"{seconds / span:.0f}{unit} ago"
    return "just now"


def _inventory(db: Path | None) -> list[dict[str, Any]]:
    """Every checkpoint folder with the stored runs that trained or loaded it."""
    from harness.runner import checkpoints

    found = checkpoints.scan()
    used = checkpoints.used_by(open_store(db), sorted({c.model for c in found}))
    listed = []
    for c in found:
        made = used.get((c.model, c.key), [])  # the runs of this key, for what it was trained on
        first = made[0] if made else None
        # A folder set aside or a save never finished is used by nothing; the others by the runs of their key.
        runs = made if c.state in ("complete", "training") else []
        listed.append(
            {
                "model": c.model,
                "key": c.key,
                "state": c.state,
                "path": str(c.path),
                "bytes": c.bytes,
                "last_used": c.modified.isoformat(timespec="seconds"),
                "age_s": round(c.age_s, 1),
                "config": c.about.get("config", first.model_config if first else None),
                "task": c.about.get("task", first.task if first else None),
                "seed": c.about.get("seed", first.seed if first else None),
                "train_dataset": c.about.get("train_dataset", first.train_dataset if first else None),
                "train_fingerprint": c.about.get("train_fingerprint", first.train_fingerprint if first else None),
                "runs": [r.run_id for r in runs],
                "running": [r.run_id for r in runs if r.status == "running"],
            }
        )
    return listed


#: The table's columns; by default those that fit a terminal (the folder's key with --wide).
COLUMNS = ("model", "key", "state", "config", "task", "trained-on", "size", "last-used", "runs")
DEFAULT = ("model", "state", "config", "trained-on", "size", "last-used", "runs")


@click.group(invoke_without_command=True)
@db_option
@json_option
@table_options
@click.pass_context
def checkpoints(ctx: click.Context, db: Path | None, as_json: bool, wide: bool, column_names: str | None) -> None:
    """List trained model checkpoints.

    Each with its model, configuration, training data, size, last use and runs. Trained models
    are kept under the harness home (`harness info` prints where) and loaded by every later run
    with the same configuration, training data, seed and task. The table shows the arguments
    that differ from the model's defaults (--json has them all); RUNS counts the stored runs that
    trained or loaded each one (from the database of --db). `harness checkpoints prune` frees
    space.
    """
    if ctx.invoked_subcommand is not None:
        return
    names = requested(column_names, COLUMNS)
    listed = _inventory(db)
    if as_json:
        return echo_json(listed)
    if not listed:
        from harness.runner.checkpoints import root

        click.echo(f"No checkpoints in {root()}.")
        return
    from harness.cli.resolve import open_registry

    models = open_registry().models
    keys = chosen(COLUMNS, DEFAULT, wide, names)
    shown = table(None, keys)
    for c in listed:
        shown_runs = c["runs"] if wide else c["runs"][:1]
        cells = {
            "model": c["model"],
            "key": c["key"],
            "state": c["state"],
            "config": _config_text(c["config"], models[c["model"]].obj.defaults if c["model"] in models else None),
            "task": c["task"] or "-",
            "trained-on": c["train_dataset"] or "-",
            "size": human_size(c["bytes"]),
            "last-used": human_age(c["age_s"]),
            "runs": f"{len(c['runs'])}: {', '.join(shown_runs)}{', ...' if len(c['runs']) > len(shown_runs) else ''}"
            if c["runs"]
            else "0",
        }
        shown.add_row(*(cells[k] for k in keys))
    out = console()
    out.print(shown)
    total = sum(c["bytes"] for c in listed)
    out.print(f"{len(listed)} checkpoint folder(s), {human_size(total)} in all")


def _config_text(config: dict[str, Any] | None, defaults: dict[str, Any] | None) -> str:
    """The arguments that differ from the model's defaults (all of them when it is not installed)."""
    if config is None:
        return "-"
    if defaults is not None:
        changed = {k: v for k, v in config.items() if k not in defaults or str(defaults[k]) != str(v)}
        return ", ".join(f"{k}={v}" for k, v in sorted(changed.items())) or "defaults"
    return ", ".join(f"{k}={v}" for k, v in sorted(config.items())) or "-"


@checkpoints.command()
@click.option("--older-than", type=Age(), help="Only checkpoints last used longer ago than this (30d, 12h).")
@click.option("--unused", is_flag=True, help="Only checkpoints no run stored in the database used.")
@click.option(
    "--max-size",
    type=Size(),
    help="Remove the least recently used first until all checkpoints fit this size (500M, 2G).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@db_option
@json_option
def prune(older_than: float | None, unused: bool, max_size: int | None, dry_run: bool, db: Path | None, as_json: bool) -> None:
    """Remove checkpoints to free space.

    A checkpoint is removed when it matches every filter given (--older-than, --unused); with
    --max-size, only as many of those as it takes to fit the budget, least recently used first.
    Damaged folders set aside and leftovers of interrupted saves count as unused. A checkpoint
    in use by a run in progress (here, or a sweep's worker on this machine) is never removed.
    """
    from harness.api import ConfigError
    from harness.runner import checkpoints as stored

    if older_than is None and not unused and max_size is None:
        raise ConfigError("say what to prune: --older-than AGE, --unused, or --max-size SIZE (--dry-run to look first)")
    listed = _inventory(db)
    candidates = [c for c in listed if (older_than is None or c["age_s"] > older_than) and (not unused or not c["runs"])]
    if max_size is not None:
        total, chosen = sum(c["bytes"] for c in listed), []
        for c in sorted(candidates, key=lambda c: c["age_s"], reverse=True):  # least recently used first
            if total <= max_size:
                break
            chosen.append(c)
            total -= c["bytes"]
        candidates = chosen
    removed, kept = [], []
    for c in candidates:
        if c["running"]:
            kept.append({**c, "why": f"run {c['running'][0]} is in progress"})
            continue
        path = Path(c["path"])
        with stored.claim(c["model"], c["key"]) as free:
            if not free:
                kept.append({**c, "why": "a run in progress is using it"})
                continue
            if not dry_run and path.exists():
                stored.remove(path)
        removed.append(c)
    freed = sum(c["bytes"] for c in removed)
    if as_json:
        return echo_json({"dry_run": dry_run, "removed": removed, "kept": kept, "freed_bytes": freed})
    verb = "would remove" if dry_run else "removed"
    for c in removed:
        click.echo(f"{verb} {c['path']} ({human_size(c['bytes'])}, {c['state']}, last used {human_age(c['age_s'])})")
    for c in kept:
        click.echo(f"kept {c['path']}: {c['why']}")
    click.echo(f"{verb} {len(removed)} checkpoint folder(s), {human_size(freed)}" + (" (dry run)" if dry_run else ""))
