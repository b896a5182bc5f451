"""Kexue Harness plugin: the geometry group (random-angles, rope-curve, ellipse-gluing).

Numerical methods checked against references the plugin derives itself: closed forms, high-
accuracy quadrature and collocation (kexue.fm/archives/7076, 6784, 6818). numpy and scipy only;
module scope imports neither, so `harness tasks` stays fast.
"""

from pathlib import Path

from harness import hookimpl
from harness_geometry.metrics import METRICS
from harness_geometry.models import MODELS
from harness_geometry.render import GeometryRenderer
from harness_geometry.task import TASKS

LEADERBOARD = Path(__file__).with_name("geometry.toml")


@hookimpl
def register_tasks(register):
    for task in TASKS:
        register(task)


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
    register(GeometryRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
