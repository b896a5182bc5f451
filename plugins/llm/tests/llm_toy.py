"""Toy tasks for the llm plugin's tests: `llm-echo` poses a word as text (the fake server answers
"标题：" + its first 8 characters, so every answer is right), `llm-plain` has no text interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness import Metric, Task, hookimpl
from harness.text import TextInterface


class EchoText(TextInterface):
    version = "3"
    system = "Repeat the word you are given."

    def user(self, input: Mapping[str, Any]) -> str:
        return str(input["word"])

    def answer(self, row: Mapping[str, Any]) -> str:
        return "标题：" + str(row["reference"])

    def parse(self, completion: str, input: Mapping[str, Any]) -> dict[str, str]:
        line = next((x for x in completion.splitlines() if x.strip()), "")
        return {"word": line.removeprefix("标题：").strip()}


class EchoTask(Task):
    name = "llm-echo"
    splits = ("train", "test")
    train_split = "train"
    metrics = ("llm-echo-match",)
    primary_metric = "llm-echo-match"
    default_model = "openai-chat"
    embedded_dataset = "llm-echo-synth"
    text = EchoText

    def load(self, split, data_dir=None):
        start = 100 if split == "train" else 0
        return [{"id": f"w{i}", "word": f"word{i:04d}", "reference": f"word{i:04d}"} for i in range(start, start + 6)]


class PlainTask(EchoTask):
    name = "llm-plain"
    text = None


class Match(Metric):
    name = "llm-echo-match"
    bounds = (0.0, 1.0)

    def score(self, prediction, reference, input):
        return float(prediction["word"] == reference)


@hookimpl
def register_tasks(register):
    register(EchoTask)
    register(PlainTask)


@hookimpl
def register_metrics(register):
    register(Match)
