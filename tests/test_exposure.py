"""The dashboard stays on this machine unless asked, and the project cites only its own files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port`, read from /proc/net/tcp{,6} (as `ss -ltn` does)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the bound address from /proc/net/tcp")
@pytest.mark.parametrize("how", ["streamlit run app.py", "harness dashboard"])
def test_the_dashboard_binds_localhost_only_and_asks_nothing_on_a_first_run(tmp_path, how):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A first run on a desktop: no ~/.streamlit (Streamlit would ask for an email and wait), a
    # DISPLAY (without one Streamlit assumes headless and asks nothing), and a browser "opened"
    # through xdg-open, which runs $BROWSER: here a command that does nothing.
    env = {
        **os.environ,
        "HARNESS_HOME": str(tmp_path),
        "HARNESS_DB": str(tmp_path / "r.duckdb"),
        "HARNESS_LOAD_PLUGINS": "",
        "HOME": str(tmp_path / "home"),
        "BROWSER": "true",
        "DISPLAY": ":99",
    }
    command = {  # the README's two ways to open the dashboard, from the project folder
        "streamlit run app.py": [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
        "harness dashboard": [str(Path(sys.executable).parent / "harness"), "dashboard", "--port", str(port)],
    }[how]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started = False
    try:
        deadline = time.monotonic() + 90
        while not started and server.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    started = response.status == 200
            except OSError:
                time.sleep(0.3)
        bound = listening_addresses(port) if started else set()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert started, f"streamlit did not serve: {output}"
    assert bound and bound <= {"127.0.0.1", "::1"}, bound
    assert "Email" not in output, output


def test_the_project_cites_no_notes_users_do_not_have():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if name.startswith("tests/test_exposure.py") or path.suffix in {".png", ".jpg", ".parquet"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in ("shared/ENVIRONMENT", "shared/DESIGN", "DESIGN §", "/work/shared"):
            if marker in text:
                offenders.append(f"{name}: {marker}")
    assert not offenders, offenders
