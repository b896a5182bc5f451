"""The task's models: `alias-prior` (the baseline) and `pipeline` (the post's system)."""

from harness_entity_linking.models.alias_prior import AliasPriorModel
from harness_entity_linking.models.pipeline import PipelineModel

MODELS = [PipelineModel, AliasPriorModel]
