"""The `harness` command line: one module per command group, sharing output helpers and options."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> None:
    """Console entry point. The command line's modules load here rather than on import, so that
    Ctrl-C while they load (a second on a busy machine) ends in one line, as at any other moment."""
    sys.unraisablehook = _interrupts_never_ignored(sys.unraisablehook)
    try:
        from harness.cli.app import main as run
    except KeyboardInterrupt:  # the words of app.INTERRUPTED_STARTING, which could not load
        print("Interrupted while the command was starting: nothing was stored.", file=sys.stderr)
        sys.exit(130)
    run(argv)


def _interrupts_never_ignored(default: Any) -> Any:
    """Python prints and drops an exception raised where nothing can catch it (a weakref callback,
    `__del__`), and Ctrl-C's KeyboardInterrupt lands there when it arrives at that instant (an
    import lock's callback while the command loads): the command would run on as if never
    interrupted. Such a Ctrl-C is delivered again instead, a moment later, to the code the
    callback interrupted (at once, it would land in this hook, and be dropped again)."""

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            import signal
            import threading

            main = threading.main_thread().ident
            assert main is not None
            threading.Timer(0.05, signal.pthread_kill, (main, signal.SIGINT)).start()  # a wait in progress ends too
            return
        default(unraisable)

    return hook


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, loaded on first use
        from harness.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["cli", "main"]
