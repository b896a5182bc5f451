"""The sidebar's "Publish" button: `harness publish` on the database the dashboard shows.

It runs the command in a child process (the same code as on the command line; the publish layer
sits above the dashboard, which must not import it) and reports its one-line result or error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import streamlit as st

TIMEOUT_S = 600


def publish_command(db: Path, out: Path, force: bool) -> list[str]:
    """The `harness publish` call the button makes."""
    return [sys.executable, "-m", "harness", "publish", str(out), "--db", str(db), "--json", *(["--force"] if force else [])]


def publish_form(db: Path) -> None:
    with st.expander("Publish a static site"):
        out = st.text_input("Folder", value=str(Path.cwd() / "results-site"), key="publish-out")
        force = st.checkbox("Replace a folder that is not a previous publish", key="publish-force")
        if not st.button("Publish", key="publish-button"):
            st.caption("Every board, ranked run and sample, as files to open from disk or host (`harness publish`).")
            return
        with st.spinner("Publishing…"):
            try:
                done = subprocess.run(publish_command(db, Path(out), force), capture_output=True, text=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                st.error(f"Publishing took over {TIMEOUT_S} s and was stopped; run `harness publish` in a terminal.")
                return
        if done.returncode != 0:
            st.error((done.stderr.strip().splitlines() or ["harness publish failed"])[-1])
            return
        summary = json.loads(done.stdout)
        st.success(
            f"Published {summary['boards']} board(s) and {summary['runs']} run(s), "
            f"{summary['bytes'] / 2**20:.1f} MiB in {summary['seconds']:.1f} s: open {Path(summary['out']) / 'index.html'}"
        )
