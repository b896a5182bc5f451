"""Kexue Harness plugin: Chinese NL2SQL in the TableQA format (kexue.fm/archives/6771).

Module scope stays light: torch and transformers are imported only when the `bert` model runs.
"""

from harness import hookimpl
from harness_nl2sql.bert import BertSqlModel
from harness_nl2sql.metrics import METRICS
from harness_nl2sql.render import Nl2sqlRenderer
from harness_nl2sql.rules import RulesModel
from harness_nl2sql.task import Nl2sqlTask


@hookimpl
def register_tasks(register):
    register(Nl2sqlTask)


@hookimpl
def register_models(register):
    register(BertSqlModel)
    register(RulesModel)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_renderers(register):
    register(Nl2sqlRenderer)
