"""`harness dashboard`: the Streamlit dashboard, served as a child process this command owns."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.api import ConfigError
from harness.cli.options import db_option


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Port to serve on.")
@click.option("--host", default="localhost", show_default=True, help="Address to bind (0.0.0.0 to share).")
@click.option("--headless", is_flag=True, help="Do not open a browser.")
@db_option
def dashboard(port: int, host: str, headless: bool, db: Path | None) -> None:
    """Start the Streamlit dashboard.

    It shows the results database in a browser (what `streamlit run app.py` does), and stops
    Streamlit when it is stopped itself.
    """
    from harness.store import default_db_path

    try:
        import streamlit  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the dashboard needs streamlit: pip install 'kexue-harness[app]'") from exc
    script = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    path = (db or default_db_path()).resolve()
    click.echo(f"Dashboard on http://{host}:{port} reading {path}", err=True)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        str(headless).lower(),
        "--browser.gatherUsageStats",
        "false",
        "--server.showEmailPrompt",
        "false",  # no first-run prompt
        "--client.toolbarMode",
        "viewer",
        # An installed dashboard has no source to reload; watching the folder tree (a checkout with its
        # virtual environment) overflowed inotify's queue and filled the log with one line per event.
        "--server.fileWatcherType",
        "none",
        "--",
        "--db",
        str(path),
    ]
    raise SystemExit(_serve(command))


def _serve(command: list[str]) -> int:
    """Run Streamlit as a child and stop it when `harness dashboard` is stopped (a service manager,
    `kill`, Ctrl-C, a closed terminal), waiting for it: nothing may be left serving the port.

    The child gets its own session, so Ctrl-C reaches only this process, which sends the child
    SIGTERM: Streamlit stops quietly on it even while starting up (on SIGINT then it prints a traceback).
    """
    import signal
    import subprocess

    child = subprocess.Popen(command, start_new_session=True)
    received: list[int] = []

    def forward(signum: int, _frame) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:  # stopped on request: the shell's convention, 128 + the signal (130 for Ctrl-C)
        return 128 + received[0]
    return 128 - code if code < 0 else code
