"""A text task whose samples carry hostile and Chinese text: the dashboard must show it as data."""

from __future__ import annotations

from harness import Model, Task, hookimpl

TEXTS = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "**not bold** [not a link](javascript:alert(1)) `not code` $x^2$",
    "北京的人口是多少？",
    "'); COPY (SELECT 1) TO '/tmp/pwned.csv'; --",
    "plain",
]


class Echo(Task):
    name = "echo"
    description = "Repeat the text (samples full of markup that must stay text)."
    metrics = ("exact_match",)
    primary_metric = "exact_match"
    default_model = "parrot"
    embedded_dataset = "echo-synth-v1"

    def load(self, split, data_dir=None):
        return [{"id": f"t{i}", "text": text, "reference": text} for i, text in enumerate(TEXTS)]


class Parrot(Model):
    name = "parrot"
    tasks = ("echo",)
    defaults = {"shout": False}

    def predict(self, batch, ctx):
        return [item["text"].upper() if self.config["shout"] else item["text"] for item in batch]


@hookimpl
def register_tasks(register):
    register(Echo)


@hookimpl
def register_models(register):
    register(Parrot)
