"""Kexue Harness plugin: Chinese NL2SQL in the TableQA format (kexue.fm/archives/6771).

Registers the `nl2sql` task, the `bert` and `rules` models, the logic-form / execution metrics,
the dashboard renderer and the `nl2sql` leaderboard definition. Module scope stays light: torch
and transformers are imported only when the `bert` model runs.
"""

from pathlib import Path

from harness import hookimpl
from harness_nl2sql.metrics import METRICS
from harness_nl2sql.models import MODELS
from harness_nl2sql.render import Nl2sqlRenderer
from harness_nl2sql.task import Nl2sqlTask

LEADERBOARD = Path(__file__).with_name("nl2sql.toml")


@hookimpl
def register_tasks(register):
    register(Nl2sqlTask)


@hookimpl
def register_models(register):
    for model in MODELS:
        register(model)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_renderers(register):
    register(Nl2sqlRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
