"""Tasks posed as text: how a served or local language model reads a sample and answers it.

A task that can be put to a chat model sets `Task.text` to a `TextInterface` subclass. Models that
read and write text (the `llm` plugin's `openai-chat` and `hf-local`, or a third party's) serve
every task that has one: they never know the task, only its interface. The interface turns one
input into chat messages and one completion back into a prediction in the task's own schema, so a
language model's predictions are scored, ranked and compared exactly like a trained model's.

The interface is versioned like a metric: a changed prompt or parser is a different experiment,
so `version` goes into the run's configuration (and its key) next to the number of shots.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

Message = dict[str, str]
"""One chat message: `{"role": "system" | "user" | "assistant", "content": "..."}`."""


class TextInterface:
    """How one task is posed as text. Subclass it next to the task and set `Task.text` to it.

    Implement `user` and `parse`; set `system` for the instructions every request starts with, and
    implement `answer` so that train rows can serve as few-shot examples.
    """

    #: Bump when the prompt or the parser changes: runs of different versions never share a key.
    version: ClassVar[str] = "1"
    #: Instructions sent first in every request.
    system: ClassVar[str] = ""

    def user(self, input: Mapping[str, Any]) -> str:
        """The user message for one sample: everything the model may read (never the reference)."""
        raise NotImplementedError

    def answer(self, row: Mapping[str, Any]) -> str:
        """The ideal completion for a train row, shown as the assistant's turn of a few-shot example."""
        raise NotImplementedError(f"{type(self).__name__} offers no few-shot examples (answer() is not implemented)")

    def parse(self, completion: str, input: Mapping[str, Any]) -> Any:
        """Turn a completion into a prediction in the task's `prediction_schema`.

        Never raises for any string: a completion that does not parse becomes the task's own
        "unparseable" prediction, which its metrics count as wrong. Model output is data, never
        code: nothing here executes or evaluates the completion.
        """
        raise NotImplementedError

    def messages(self, input: Mapping[str, Any], shots: Sequence[Mapping[str, Any]] = ()) -> list[Message]:
        """The chat request for one sample: the system message, each shot as a user/assistant
        pair (train rows, through `input_of` and `answer`), then the sample's user message."""
        out: list[Message] = []
        if self.system:
            out.append({"role": "system", "content": self.system})
        for row in shots:
            out.append({"role": "user", "content": self.user(self.input_of(row))})
            out.append({"role": "assistant", "content": self.answer(row)})
        out.append({"role": "user", "content": self.user(input)})
        return out

    def input_of(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """What `user` reads of a train row used as a shot. The runner strips the reference from a
        sample's input; override this when a train row needs the same treatment (see `Task.input`)."""
        return row


#: A fenced block (```sql newline ... ```), or an inline one (```...```).
_FENCE = re.compile(r"```[^\n`]*\n(.*?)```|```(.*?)```", re.DOTALL)


def unfence(completion: str) -> str:
    """The answer inside a completion: its first fenced block (```json ... ```) if there is one, else
    all of it, less an opening fence line whose block was cut off (as at a token limit). Chat models
    fence their answers whether asked to or not; every `parse` starts here."""
    fenced = _FENCE.search(completion)
    if fenced:
        return (fenced.group(1) if fenced.group(1) is not None else fenced.group(2)).strip()
    text = completion.strip()
    if text.startswith("```"):
        text = text.partition("\n")[2]
    return text.strip()


def choose_shots(train: Sequence[Mapping[str, Any]], count: int, seed: int = 0) -> list[Mapping[str, Any]]:
    """`count` train rows as few-shot examples, the same ones for the same data and seed.

    Drawn without replacement by a generator seeded with `seed` alone, so every sample of a run
    sees the same examples and a re-run (or another model) gets them again.
    """
    if count <= 0 or not train:
        return []
    indices = random.Random(seed).sample(range(len(train)), min(count, len(train)))
    return [train[i] for i in indices]


__all__ = ["Message", "TextInterface", "choose_shots", "unfence"]
