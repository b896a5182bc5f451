"""The task's models: `rules` (the baseline) and `bert` (the post's system, torch imported when it runs)."""

from harness_nl2sql.models.bert import BertSqlModel
from harness_nl2sql.models.rules import RulesModel

MODELS = [BertSqlModel, RulesModel]
