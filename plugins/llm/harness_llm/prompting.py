"""What both text models share: which tasks they serve, the prompt version in their configuration,
the few-shot examples and the requests built from the task's text interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from harness import ConfigError, Model, RunContext, Task
from harness.text import Message, TextInterface, choose_shots


class TextModel(Model):
    """A model that reads and writes text: it serves exactly the tasks with a `Task.text`."""

    #: Arguments every text model takes: the few-shot count, and the prompt version (set from the task).
    common: ClassVar[dict[str, Any]] = {"shots": 0, "prompt": ""}
    serves_what = "tasks posed as text (those that set `Task.text`)"

    @classmethod
    def serves(cls, task: type[Task]) -> bool:
        return task.text is not None

    def bind(self, task: Task) -> None:
        """Put the version of the task's prompt into the configuration (and so into the run key and
        on boards): a changed prompt is another experiment."""
        interface = self._interface(task)
        version = str(interface.version)
        given = str(self.config.get("prompt") or "")
        if given and given != version:
            raise ConfigError(
                f"model {self.name!r}: prompt={given!r}, but task {task.name!r} poses version {version} of its prompt "
                "(the version is taken from the task: leave prompt out)"
            )
        if int(self.config["shots"]) < 0:
            raise ConfigError(f"model {self.name!r}: shots must be 0 or more, got {self.config['shots']}")
        self.config["prompt"] = version

    def _interface(self, task: Task) -> type[TextInterface]:
        interface = type(task).text
        if interface is None:
            raise ConfigError(
                f"task {task.name!r} has no text interface (Task.text): model {self.name!r} serves only tasks posed as text"
            )
        return interface

    def requests(self, batch: list[dict[str, Any]], ctx: RunContext) -> list[list[Message]]:
        """The chat messages for each input, with the run's few-shot examples."""
        text = self._text(ctx)
        shots = self._shots(ctx)
        return [text.messages(inp, shots) for inp in batch]

    def _text(self, ctx: RunContext) -> TextInterface:
        if ctx.text is None:
            raise ConfigError(f"task {ctx.task!r} has no text interface (Task.text): model {self.name!r} cannot pose it")
        return ctx.text

    def _shots(self, ctx: RunContext) -> list[Mapping[str, Any]]:
        """The same train rows for every sample of a run, drawn with the run's seed."""
        count = int(self.config["shots"])
        if count == 0:
            return []
        if ctx.train is None:
            raise ConfigError(f"shots={count}: task {ctx.task!r} has no train split to draw examples from")
        if not hasattr(self, "_drawn"):
            self._drawn = choose_shots(ctx.train(), count, ctx.seed)
        return self._drawn

    def parse(self, completion: str, inp: Mapping[str, Any], ctx: RunContext) -> Any:
        """The task's prediction for `completion` (an empty one for a request that failed)."""
        return self._text(ctx).parse(completion, inp)
