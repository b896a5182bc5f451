"""The `nl2sql` task: Chinese questions over one table each, answered by structured SQL (TableQA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import Task
from harness_nl2sql.data import SPLITS, has_real_split, load_real, load_synthetic, model_input
from harness_nl2sql.text import Nl2sqlText


class Nl2sqlTask(Task):
    name = "nl2sql"
    version = "1"
    description = (
        "Chinese NL2SQL in the TableQA format: a question and one table in, structured SQL (sel/agg, conds, "
        "and/or) out; scored by logic form and by sandboxed execution."
    )
    source = "https://kexue.fm/archives/6771"
    splits = SPLITS
    default_split = "test"
    train_split = "train"
    validation_split = "val"  # bert's early stopping validates on it where the data has one
    metrics = (
        "nl2sql-score",
        "nl2sql-logic-form-acc",
        "nl2sql-execution-acc",
        "nl2sql-soft-f1",
        "nl2sql-wrong-result-rate",
        "nl2sql-exec-error-rate",
        "nl2sql-unparseable-rate",
        "nl2sql-sel-acc",
        "nl2sql-agg-acc",
        "nl2sql-conn-acc",
        "nl2sql-cond-col-acc",
        "nl2sql-cond-op-acc",
        "nl2sql-cond-value-acc",
    )
    primary_metric = "nl2sql-score"
    default_model = "bert"
    embedded_dataset = "nl2sql-synth-v1"
    prediction_schema = {
        "type": "object",
        "required": ["sel", "agg", "cond_conn_op", "conds"],
        "description": "TableQA's sql object: agg per selected column, conds as [column, op, value]",
        "properties": {
            "sel": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "agg": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 5}},
            "cond_conn_op": {"type": "integer", "minimum": 0, "maximum": 2},
            "unparseable": {"type": "string", "description": "set when a text model's answer was no query: why"},
            "conds": {
                "type": "array",
                "items": {
                    "type": "array",
                    "minItems": 3,
                    "maxItems": 3,
                    "prefixItems": [{"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 0, "maximum": 3}, {}],
                },
            },
        },
    }
    real_dataset = "tableqa"
    reference_field = "sql"
    text = Nl2sqlText

    def load(self, split: str, data_dir: Path | None = None) -> list[dict]:
        return load_synthetic(split) if data_dir is None else load_real(Path(data_dir), split)

    def has_split(self, split: str, data_dir: Path | None) -> bool:
        """A TableQA folder holds a split when it has both its questions and its tables file."""
        if data_dir is None:
            return split in self.splits
        return split in self.splits and has_real_split(Path(data_dir), split)

    def input(self, row: dict[str, Any]) -> dict[str, Any]:
        """Question, table id and the whole table (models snap values to its cells; execution runs on it)."""
        return model_input(row)
