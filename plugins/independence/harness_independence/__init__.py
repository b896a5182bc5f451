"""Kexue Harness plugin: independence testing with HSIC (kexue.fm/archives/6910) and its peers.

Registers the `independence` task, the models (hsic, hsic-rff, pearson, spearman, kendall, dcor),
the power / type-I metrics, the dashboard renderer and the `independence` leaderboard definition.
Module scope stays free of numpy and scipy so that `harness tasks` stays fast.
"""

from pathlib import Path

from harness import hookimpl
from harness_independence.metrics import METRICS
from harness_independence.models import MODELS
from harness_independence.render import IndependenceRenderer
from harness_independence.task import IndependenceTask

LEADERBOARD = Path(__file__).with_name("independence.toml")


@hookimpl
def register_tasks(register):
    register(IndependenceTask)


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
    register(IndependenceRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
