"""Kexue Harness plugin: Chinese article -> title with bidirectional decoding (kexue.fm/archives/6877).

Registers the `titling` task, the models (bidirectional, l2r, r2l, lead), the ROUGE / BLEU /
first-last-4 metrics (ROUGE through a local `evaluate` module, `rouge.py`), the dashboard renderer
and the `titling` leaderboard definition. Module scope stays free of torch, evaluate, rouge-score
and sacrebleu so that `harness tasks` stays fast.
"""

from pathlib import Path

from harness import hookimpl
from harness_titling.metrics import METRICS
from harness_titling.models import MODELS
from harness_titling.render import TitlingRenderer
from harness_titling.task import TitlingTask

LEADERBOARD = Path(__file__).with_name("titling.toml")


@hookimpl
def register_tasks(register):
    register(TitlingTask)


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
    register(TitlingRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
