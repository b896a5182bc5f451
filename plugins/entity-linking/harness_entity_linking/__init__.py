"""Kexue Harness plugin: Chinese entity linking in the CCKS 2019 format (kexue.fm/archives/6919).

Registers the `entity-linking` task, the `pipeline` and `alias-prior` models, the metrics, the
dashboard renderer and the `entity-linking` leaderboard definition. Module scope stays light:
torch, transformers and ahocorasick_rs are imported only when a model runs.
"""

from pathlib import Path

from harness import hookimpl
from harness_entity_linking.metrics import METRICS
from harness_entity_linking.models import MODELS
from harness_entity_linking.render import EntityLinkingRenderer
from harness_entity_linking.task import EntityLinkingTask

LEADERBOARD = Path(__file__).with_name("entity-linking.toml")


@hookimpl
def register_tasks(register):
    register(EntityLinkingTask)


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
    register(EntityLinkingRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
