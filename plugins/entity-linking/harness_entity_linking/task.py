"""The `entity-linking` task: Chinese texts in, (mention, offset, kb_id) triples out (CCKS 2019)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import Task
from harness_entity_linking.data import (
    SPLIT_FILES,
    SPLITS,
    SYNTH_DATASET,
    has_annotations,
    load_real,
    load_synthetic,
    model_input,
)
from harness_entity_linking.text import EntityLinkingText


class EntityLinkingTask(Task):
    name = "entity-linking"
    version = "1"
    description = (
        "Chinese entity linking in the CCKS 2019 format: find the mentions of KB entities in a short text "
        "and link each to its KB id (or NIL); micro F1 over exact (mention, offset, kb_id) triples."
    )
    source = "https://kexue.fm/archives/6919"
    splits = SPLITS
    default_split = "test"
    train_split = "train"
    validation_split = "dev"
    metrics = (
        "el-f1",
        "el-precision",
        "el-recall",
        "el-nil-strict-f1",
        "el-md-f1",
        "el-md-precision",
        "el-md-recall",
        "el-link-acc",
        "el-candidate-recall-at-1",
        "el-candidate-recall-at-5",
        "el-candidate-recall-at-30",
        "el-link-acc-normalised",
        "el-weak-f1",
        "el-unparseable-rate",
    )
    primary_metric = "el-f1"
    default_model = "pipeline"
    embedded_dataset = SYNTH_DATASET
    prediction_schema = {
        "type": "object",
        "required": ["mentions"],
        "description": "linked mentions (kb_id may be NIL); gold_links: the linking of the gold mentions, when given",
        "properties": {
            "mentions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["mention", "offset", "kb_id"],
                    "properties": {
                        "mention": {"type": "string"},
                        "offset": {"type": "integer", "minimum": 0},
                        "kb_id": {"type": "string"},
                        "score": {"type": "number"},
                        "candidates": {"type": "array"},
                    },
                },
            },
            "gold_links": {"type": "array", "items": {"type": "object", "required": ["mention", "offset", "kb_id"]}},
            "unparseable": {"type": "string", "description": "set when a text model's answer was not the JSON asked for: why"},
            "rejected": {"type": "array", "items": {"type": "string"}, "description": "a text model's links dropped, and why"},
        },
    }
    real_dataset = "ccks2019-el"
    reference_field = "mentions"
    text = EntityLinkingText

    def load(self, split: str, data_dir: Path | None = None) -> list[dict]:
        return load_synthetic(split) if data_dir is None else load_real(Path(data_dir), split)

    def has_split(self, split: str, data_dir: Path | None) -> bool:
        """A folder holds a split when it has the split's file (`develop.json` for dev) with annotated
        texts: the competition's dev file has no `mention_data`, and nothing can be validated on it."""
        if data_dir is None or split not in SPLIT_FILES:
            return super().has_split(split, data_dir)
        return has_annotations(Path(data_dir) / SPLIT_FILES[split])

    def input(self, row: dict[str, Any]) -> dict[str, Any]:
        return model_input(row)

    def artifacts(self, samples):
        """Error counts by kind over every sample (the dashboard only reads a prefix of the samples)."""
        import json

        from harness import Artifact
        from harness_entity_linking.render import ERRORS_ARTIFACT, error_counts

        yield Artifact(ERRORS_ARTIFACT, "application/json", json.dumps(error_counts(samples)).encode())
