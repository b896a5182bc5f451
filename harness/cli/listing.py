"""`harness tasks`, `models` and `plugins`: what is installed. They read plugin classes, never run them."""

from __future__ import annotations

import json
from typing import Any

import click

from harness.api import ConfigError
from harness.cli.options import json_option
from harness.cli.output import console, echo_json, table
from harness.cli.resolve import open_registry
from harness.names import suggest
from harness.views import config


def task_listing(registry) -> list[dict[str, Any]]:
    rows = []
    for name, entry in sorted(registry.tasks.items()):
        task = entry.obj
        primary = registry.metrics[task.primary_metric].obj
        rows.append(
            {
                "name": name,
                "plugin": entry.plugin,
                "version": task.version,
                "description": task.description,
                "source": task.source,
                "group": task.group,
                "splits": list(task.splits),
                "default_split": task.default_split,
                "metrics": list(task.metrics),
                "primary_metric": task.primary_metric,
                "higher_is_better": primary.higher_is_better,
                "default_model": task.default_model,
                "models": registry.models_for(task),
                "dataset": task.embedded_dataset or f"{name}-embedded",
                "prediction_schema": task.prediction_schema,
                "metric_info": {
                    metric: _metric_info(registry.metrics[metric].obj) for metric in task.metrics if metric in registry.metrics
                },
            }
        )
    return rows


def _metric_info(metric) -> dict[str, Any]:
    """What a metric says of itself (class attributes: nothing is imported to read them)."""
    return {
        "description": metric.description,
        "citation": metric.citation,
        "expects": metric.expects,
        "higher_is_better": metric.higher_is_better,
        "bounds": list(getattr(metric, "bounds", (None, None))),
        "version": str(metric.version),
    }


@click.command()
@click.argument("name", required=False)
@json_option
def tasks(name: str | None, as_json: bool) -> None:
    """List installed tasks, or describe one.

    With NAME, a task's splits, metrics, models and prediction shape, or a group's tasks.
    """
    registry = open_registry()
    rows = task_listing(registry)
    if name is not None:
        chosen = [r for r in rows if r["name"] == name]
        groups = registry.groups()
        if not chosen and name in groups:  # `run --task GROUP` runs them all: say what they are
            members = [r for r in rows if r["name"] in groups[name]]
            if as_json:
                return echo_json({"group": name, "tasks": members})
            return _describe_group(name, members)
        if not chosen:
            known = sorted({r["name"] for r in rows} | set(groups))
            raise ConfigError(f"unknown task {name!r}{suggest(name, known)}{registry.broken_hint()}")
        if as_json:
            return echo_json(chosen[0])
        return _describe_task(chosen[0])
    if as_json:
        return echo_json(rows)
    listed = table(None, ["task", "group", "plugin", "primary metric", "default model", "description"])
    for r in rows:
        arrow = "↑" if r["higher_is_better"] else "↓"
        listed.add_row(
            r["name"], r["group"] or "", r["plugin"], f"{r['primary_metric']} {arrow}", r["default_model"], r["description"]
        )
    console().print(listed if rows else "No tasks installed. Try `harness new-plugin NAME`.")


def _describe_group(name: str, members: list[dict]) -> None:
    click.echo(
        f"group {name}: {len(members)} tasks; `harness run --task {name}` runs them all, `harness tasks TASK` describes one"
    )
    listed = table(None, ["task", "primary metric", "default model", "splits", "description"])
    for r in members:
        listed.add_row(
            r["name"],
            f"{r['primary_metric']} {'↑' if r['higher_is_better'] else '↓'}",
            r["default_model"],
            ", ".join(r["splits"]),
            r["description"],
        )
    console().print(listed)


def _describe_task(row: dict) -> None:
    arrow = "higher is better" if row["higher_is_better"] else "lower is better"
    fields = [
        ("task", row["name"]),
        ("description", row["description"]),
        ("source", row["source"]),
        ("plugin", f"{row['plugin']} (task version {row['version']})"),
        ("group", row["group"] or "—"),
        ("splits", f"{', '.join(row['splits'])} (default {row['default_split']})"),
        ("metrics", ", ".join(row["metrics"])),
        ("primary metric", f"{row['primary_metric']} ({arrow})"),
        ("models", ", ".join(row["models"]) + f" (default {row['default_model']})"),
        ("embedded dataset", row["dataset"]),
    ]
    for key, value in fields:
        click.echo(f"{key:17} {value}")
    for metric, info in row["metric_info"].items():
        arrow = "↑" if info["higher_is_better"] else "↓"
        click.echo(f"  {metric} ({arrow}, version {info['version']}): {info['description'] or 'no description'}")
        if info["citation"]:
            click.echo(f"    cite: {info['citation']}")
    schema = row["prediction_schema"]
    click.echo("prediction shape  " + ("not declared" if schema is None else ""))
    if schema is not None:
        click.echo(json.dumps(schema, ensure_ascii=False, indent=2))


@click.command()
@json_option
def models(as_json: bool) -> None:
    """List models and the tasks they serve.

    Each with its plugin, its arguments and their defaults.
    """
    registry = open_registry()
    rows = [
        {
            "name": name,
            "plugin": e.plugin,
            # declared names, else the tasks the model's own `serves` accepts (text models serve
            # every task posed as text, which no fixed list can name)
            "tasks": list(e.obj.tasks) or [t for t, task in sorted(registry.tasks.items()) if e.obj.serves(task.obj)],
            "description": e.obj.description,
            "defaults": dict(e.obj.defaults),
        }
        for name, e in sorted(registry.models.items())
    ]
    if as_json:
        return echo_json(rows)
    listed = table(None, ["model", "plugin", "tasks", "arguments (defaults)", "description"])
    for r in rows:
        listed.add_row(r["name"], r["plugin"], ", ".join(r["tasks"]), config(r["defaults"]), r["description"])
    console().print(listed)


@click.command()
@json_option
def plugins(as_json: bool) -> None:
    """List loaded plugins and their load errors.

    Each with its version, the hooks it implements, and any error raised while loading it.
    """
    from harness.plugins.registry import get_registry

    registry = get_registry()  # no warning lines: this table shows every error in full
    rows: list[dict[str, Any]] = [
        {"name": p.name, "version": p.version, "distribution": p.distribution, "hooks": p.hooks(registry.pm), "error": p.error}
        for p in sorted(registry.plugins.values(), key=lambda p: p.name)
    ]
    if as_json:
        return echo_json(rows)
    listed = table(None, ["plugin", "version", "hooks", "error"])
    for r in rows:
        listed.add_row(r["name"], r["version"] or "", ", ".join(r["hooks"]), r["error"] or "")
    console().print(listed)
