"""A plugin that adds a model, and a command, to another plugin's task."""

import click

from harness import Model, hookimpl


class Halving(Model):
    name = "halving"
    tasks = ("doubling",)
    description = "Deliberately wrong: halves instead of doubling."

    def predict(self, batch, ctx):
        return [item["x"] // 2 for item in batch]


@hookimpl
def register_models(register):
    register(Halving)


@hookimpl
def register_commands(cli):
    @cli.command()
    def hello():
        """Say hello from a plugin."""
        click.echo("hello from extra_model")
