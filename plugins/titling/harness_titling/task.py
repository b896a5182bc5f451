"""The `titling` task: a Chinese article in, its title out, character level (kexue.fm/archives/6877)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness import Artifact, Task
from harness_titling.data import SPLITS, load_real, load_synthetic, real_format, split_file
from harness_titling.text import TitlingText


class TitlingTask(Task):
    name = "titling"
    version = "1"
    description = (
        "Chinese article -> title, character level (seq2seq之双向解码): left-to-right, right-to-left and "
        "bidirectional beam search; character ROUGE-1/2/L, BLEU, first/last-4 accuracy."
    )
    source = "https://kexue.fm/archives/6877"
    splits = SPLITS
    default_split = "test"
    train_split = "train"
    validation_split = "val"
    metrics = (
        "titling-rouge-l",
        "titling-rouge-1",
        "titling-rouge-2",
        "titling-bleu",
        "titling-first4-acc",
        "titling-last4-acc",
        "titling-exact-match",
    )
    primary_metric = "titling-rouge-l"
    default_model = "bidirectional"
    embedded_dataset = "titling-synth-v1"
    prediction_schema = {
        "type": "object",
        "required": ["title"],
        "description": "the generated title; models may add how they decoded it (direction, score)",
        "properties": {"title": {"type": "string"}, "direction": {"type": "string"}},
    }
    real_dataset = "titling-jsonl"
    reference_field = "title"
    text = TitlingText

    def load(self, split: str, data_dir: Path | None = None) -> list[dict]:
        return load_synthetic(split) if data_dir is None else load_real(Path(data_dir), split)

    def has_split(self, split: str, data_dir: Path | None) -> bool:
        """A folder has a split when it holds that split's file in one of the real formats
        (`val.jsonl`, or CSL's `val.tsv` / `dev.tsv`); the embedded default has all three."""
        if split not in self.splits:
            return False
        if data_dir is None:
            return True
        return split_file(Path(data_dir), split) is not None

    def dataset_name(self, data_dir: Path | None) -> str:
        """JSON lines and CSL data get different names, so they are never ranked together."""
        if data_dir is None:
            return self.embedded_dataset
        try:
            kind, _ = real_format(Path(data_dir), self.default_split)
        except Exception:
            return self.real_dataset
        return "titling-csl" if kind == "csl" else self.real_dataset

    def input(self, row: dict[str, Any]) -> dict[str, Any]:
        """Models see the article only (the synthetic domain label is kept out too)."""
        return {"content": row["content"]}

    def artifacts(self, samples: Sequence[Any]) -> Iterable[Artifact]:
        from harness_titling.metrics import by_title_length

        yield Artifact(
            "scores-by-title-length.json", "application/json", json.dumps(by_title_length(samples), ensure_ascii=False).encode()
        )
