"""The `harness` group: the built-in commands, the commands plugins add, and the console entry point.

Every command module imports only click and light helpers at start-up; heavy libraries are
imported inside the commands that need them, so `harness --help` and the listings stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from harness.api import ConfigError, HarnessError
from harness.cli import resolve
from harness.cli.checkpoints import checkpoints
from harness.cli.curves import curves
from harness.cli.dashboard import dashboard
from harness.cli.demo import demo
from harness.cli.info import info
from harness.cli.leaderboards import leaderboard
from harness.cli.listing import models, plugins, tasks
from harness.cli.publish import publish
from harness.cli.rescore import rescore
from harness.cli.results import compare, runs_command, show
from harness.cli.run import run
from harness.cli.scaffold import new_plugin
from harness.cli.sweeps import sweep, sweeps
from harness.cli.transfer import export_command, import_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kexue-harness", prog_name="harness")
def cli() -> None:
    """Kexue Harness: evaluate task plugins, record every run in DuckDB, rank models."""


for command in (
    tasks,
    models,
    plugins,
    info,
    run,
    runs_command,
    leaderboard,
    show,
    compare,
    rescore,
    dashboard,
    publish,
    export_command,
    import_command,
    new_plugin,
    sweep,
    sweeps,
    checkpoints,
    demo,
    curves,
):
    cli.add_command(command)

_commands_loaded = False

#: Ctrl-C before the command began (`harness.cli.main` says the same while this module loads).
INTERRUPTED_STARTING = "Interrupted while the command was starting: nothing was stored."


@contextmanager
def fresh_state() -> Iterator[None]:
    """Run the CLI as a new process would, here, and undo what it loaded afterwards.

    A process loads the plugin registry, plugins' commands and the broken-plugin warning once;
    calling `main` several times in one process (tests, `harness.testing.invoke`) must see each
    call's environment instead.
    """
    global _commands_loaded
    from harness.plugins.registry import set_registry

    commands = dict(cli.commands)
    set_registry(None)
    _commands_loaded = False
    resolve.forget_warnings()
    try:
        yield
    finally:
        cli.commands.clear()
        cli.commands.update(commands)
        _commands_loaded = False
        resolve.forget_warnings()
        set_registry(None)


def load_plugin_commands() -> None:
    global _commands_loaded
    if _commands_loaded:
        return
    _commands_loaded = True
    from harness.plugins.registry import get_registry

    registry = get_registry()  # warnings come from the commands that use the registry (`open_registry`)
    for impl in registry.pm.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:
            registry.report(impl.plugin_name, exc)


def _usage_error(exc: click.UsageError, argv: list[str] | None) -> None:
    """Click's parser errors, for every command (plugins' too), as the one line every other error
    is: `Error: <what>; see `harness CMD --help``, exit 2. `harness` alone still prints its help."""
    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        exc.show()
        sys.exit(exc.exit_code)
    what = " ".join(exc.format_message().split()).rstrip(".")
    if exc.ctx is not None:
        path = exc.ctx.command_path
    else:  # some parser errors carry no context: name the command from the arguments
        args = sys.argv[1:] if argv is None else argv
        path = " ".join(["harness", *[a for a in args if a in cli.commands][:1]])
    click.echo(f"Error: {what}; see `{path} --help`", err=True)
    sys.exit(exc.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr, not a traceback."""
    try:
        load_plugin_commands()
    except KeyboardInterrupt:
        click.echo(INTERRUPTED_STARTING, err=True)
        sys.exit(130)
    try:
        cli.main(args=argv, prog_name="harness", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C outside a command's own handling
        click.echo("Interrupted. A run left unfinished resumes when the same command is run again.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        _usage_error(exc, argv)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HarnessError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except OSError as exc:  # a full disk under the spool, a checkpoint or an export: one line, too
        from harness.store.errors import disk_full

        if (full := disk_full(exc)) is None:
            raise
        click.echo(f"Error: {full}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
