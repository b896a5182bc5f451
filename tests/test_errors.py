"""The error policy: every user-caused or environment failure is one line that says what to do,
never a traceback; unknown names are usage errors with suggestions (exit 2) on every command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Harness, cli_env, copy_into


def one_line_error(result, code: int, *needles: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_broken_plugins_are_never_silent(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.broken_import"
    result = harness_cli("tasks")
    assert (
        "warning: plugin 'toy_plugins.broken_import' failed to load: ModuleNotFoundError: No module named "
        "'a_module_that_is_not_installed'; `harness plugins` shows more"
    ) in result.stderr.splitlines()
    assert "doubling" in result.stdout
    failed = harness_cli("run", "--task", "tripling", check=False)
    one_line_error(failed, 2, "unknown task 'tripling'", "toy_plugins.broken_import", "harness plugins")
    assert "warning: plugin 'toy_plugins.broken_import'" in failed.stderr
    assert "warning:" not in harness_cli("plugins").stderr  # the table itself shows the error


def test_a_damaged_database_says_how_to_recover(harness_cli, db, monkeypatch):
    # the CLI runs in this process: damage is believed after 0.1 s rather than 1 s (the wait itself
    # is tested with the store)
    monkeypatch.setattr("harness.store.connection.SETTLE_S", 0.1)
    harness_cli("run", "--task", "doubling", "--model", "noisy")
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # scribble over every data block past the header
        for offset in range(16384, size, 4096):
            handle.seek(offset)
            handle.write(b"\xab" * 2048)
    for command in (["runs"], ["leaderboard", "--task", "doubling"]):
        line = one_line_error(harness_cli(*command, check=False), 1, "is damaged", "restore a copy", "harness export")
        assert str(db) in line


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_a_seed_out_of_range_is_refused_before_any_work(harness_cli, db, seed):
    one_line_error(
        harness_cli("run", "--task", "doubling", "--seed", seed, check=False), 2, "--seed must be between 0 and 2^63-1"
    )
    assert not db.exists()


def test_export_into_an_unwritable_folder_is_one_line(harness_cli, tmp_path):
    harness_cli("run", "--task", "doubling")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    one_line_error(
        harness_cli("export", str(blocker / "out"), check=False), 1, "cannot write the export to", str(blocker / "out")
    )
    if os.geteuid() != 0:  # root writes anywhere; the file-in-the-way case covers it there
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        one_line_error(harness_cli("export", str(locked), check=False), 1, "cannot write the export")


def test_a_prediction_a_metric_cannot_read_names_metric_sample_and_expectation(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.judged"  # a task without a prediction_schema
    result = harness_cli("run", "--task", "judged", "--model", "listy", check=False)
    line = one_line_error(
        result,
        1,
        "ScoreError: metric 'judged-correct' cannot score sample 'q000'",
        'it expects an object {"even": true/false',
        "prediction [0, 0] (list)",
    )
    assert "(TypeError: list indices must be integers" in line


def test_read_side_commands_treat_unknown_names_as_errors(harness_cli, tmp_path):
    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.arith,toy_plugins.echo"
    first = harness_cli.json("run", "--task", "doubling")
    other = harness_cli.json("run", "--task", "echo")
    for command, needle in (
        (["leaderboard", "--task", "dubling"], "unknown task 'dubling'; did you mean 'doubling'?"),
        (["leaderboard", "--task", "doubling", "--dataset", "doubling-synth-v2"], "unknown dataset 'doubling-synth-v2'"),
        (["leaderboard", "--task", "doubling", "--split", "tset"], "unknown split 'tset'; did you mean 'test'?"),
        (["runs", "--task", "dubling"], "unknown task 'dubling'; did you mean 'doubling'?"),
        (["export", str(tmp_path / "x"), "--task", "dubling"], "unknown task 'dubling'"),
        (["export", str(tmp_path / "x"), "--run", "nosuchrun"], "no run 'nosuchrun'"),
        (["show", first["run_id"][:-1] + "z"], "did you mean"),
        (["compare", first["run_id"], other["run_id"]], "are of different tasks"),
    ):
        one_line_error(harness_cli(*command, check=False), 2, needle)
    assert not (tmp_path / "x" / "runs.parquet").exists()


def test_new_plugin_refuses_installed_names_and_drops_a_harness_prefix(tmp_path):
    from harness.api import ConfigError
    from harness.plugins.scaffold import write_plugin

    for name in ("geometry", "harness-geometry"):
        with pytest.raises(ConfigError, match="harness-geometry is already installed"):
            write_plugin(name, tmp_path)
    target = write_plugin("harness-movie-notes", tmp_path)
    assert target.name == "harness-movie-notes" and (target / "harness_movie_notes").is_dir()
    assert not (tmp_path / "harness-harness-movie-notes").exists()


@pytest.mark.parametrize(
    ("args", "command", "needle"),
    [
        (["runs", "--status", "done"], "runs", "Invalid value for '--status': 'done' is not one of"),
        (["run"], "run", "Missing option '--task'"),
        (["run", "--task"], "run", "Option '--task' requires an argument"),
        (["import", "/nonexistent"], "import", "Directory '/nonexistent' does not exist"),
        (["run", "--task", "doubling", "--db", "/tmp"], "run", "Invalid value for '--db'"),
        (["nosuchcommand"], "", "No such command 'nosuchcommand'"),
        (["hello", "--loud"], "hello", "No such option"),  # a command a plugin registers
    ],
)
def test_usage_errors_are_one_line_naming_the_help_to_read(harness_cli, db, args, command, needle):
    harness_cli.env["HARNESS_PLUGINS"] += ",toy_plugins.extra_model"
    line = one_line_error(harness_cli(*args, check=False), 2, needle)
    assert line.endswith(f"; see `{' '.join(filter(None, ['harness', command]))} --help`"), line
    assert not db.exists()


def test_harness_alone_still_prints_its_help(harness_cli):
    result = harness_cli(check=False)
    assert "Commands:" in result.stdout + result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["runs"], ["show", "RUN", "--samples"], ["compare", "RUN", "RUN"], ["sweeps"]])
def test_a_negative_limit_is_a_usage_error(harness_cli, command, exports):
    copy_into(exports / "other.duckdb", Path(harness_cli.env["HARNESS_DB"]))  # one run
    (run,) = harness_cli.json("runs")
    run_id = run["run_id"]
    args = [run_id if arg == "RUN" else arg for arg in command]
    one_line_error(
        harness_cli(*args, "--limit", "-1", check=False), 2, "Invalid value for '--limit': -1 is not in the range x>=0"
    )
    assert harness_cli(*args, "--limit", "0").returncode == 0  # 0: everything


@pytest.mark.parametrize("port", ["0", "99999", "-5"])
def test_a_port_out_of_range_is_refused_before_starting(harness_cli, port):
    one_line_error(harness_cli("dashboard", "--port", port, check=False), 2, "Invalid value for '--port'", "1<=x<=65535")


def _damage_not_parquet(folder):
    (folder / "samples.parquet").write_bytes(b"these bytes are not a Parquet file\n")
    return "samples.parquet is not a readable Parquet file"


def _damage_truncated(folder):
    path = folder / "runs.parquet"
    path.write_bytes(path.read_bytes()[:300])
    return "runs.parquet is not a readable Parquet file"


def _damage_missing_column(folder):
    import duckdb

    path, edited = folder / "metrics.parquet", folder / "edited.parquet"
    duckdb.sql(f"COPY (SELECT * EXCLUDE (is_primary) FROM read_parquet('{path}')) TO '{edited}' (FORMAT parquet)")
    edited.replace(path)
    return "metrics.parquet lacks the column(s) is_primary that metrics requires"


def _damage_data_page(folder):
    path = folder / "samples.parquet"
    data = bytearray(path.read_bytes())
    data[8 : len(data) // 2] = b"\xab" * (len(data) // 2 - 8)  # the footer (schema) survives, the rows do not
    path.write_bytes(bytes(data))
    return "samples.parquet is damaged"


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """Made once: `good` (an export of two runs), `bad` (another database's export of one run) and
    `target.duckdb` (a database holding one more run); each test damages its own copy."""
    folder = tmp_path_factory.mktemp("exports")
    cli = Harness(cli_env(folder))
    cli("run", "--task", "doubling")
    cli("run", "--task", "doubling", "--seed", "1")
    cli("export", str(folder / "good"))
    cli.env["HARNESS_DB"] = str(folder / "other.duckdb")
    cli("run", "--task", "doubling", "--seed", "2")
    cli("export", str(folder / "bad"))
    cli.env["HARNESS_DB"] = str(folder / "target.duckdb")
    cli("run", "--task", "doubling", "--seed", "3")
    return folder


@pytest.mark.parametrize("damage", [_damage_not_parquet, _damage_truncated, _damage_missing_column, _damage_data_page])
def test_a_damaged_export_is_one_line_naming_the_file_and_imports_nothing(harness_cli, tmp_path, damage, exports):
    for name in ("good", "bad"):
        shutil.copytree(exports / name, tmp_path / name)
    needle = damage(tmp_path / "bad")
    harness_cli.env["HARNESS_DB"] = str(tmp_path / "target.duckdb")
    copy_into(exports / "target.duckdb", tmp_path / "target.duckdb")
    line = one_line_error(
        harness_cli("import", str(tmp_path / "good"), str(tmp_path / "bad"), check=False),
        1,
        needle,
        "nothing was imported",
        "harness export",
    )
    assert str(tmp_path / "bad") in line
    assert [r["seed"] for r in harness_cli.json("runs")] == [3]  # neither folder's runs were stored


def test_export_refuses_to_replace_an_export_without_force(harness_cli, tmp_path):
    first = harness_cli.json("run", "--task", "doubling")["run_id"]
    second = harness_cli.json("run", "--task", "doubling", "--seed", "1")["run_id"]
    (tmp_path / "empty").mkdir()
    harness_cli("export", str(tmp_path / "empty"), "--run", first)  # an empty folder is fine, as is a new one
    harness_cli("export", str(tmp_path / "out"), "--run", first)
    before = (tmp_path / "out" / "runs.parquet").read_bytes()
    line = one_line_error(
        harness_cli("export", str(tmp_path / "out"), "--run", second, check=False), 2, "already holds an export", "--force"
    )
    assert str(tmp_path / "out") in line
    assert (tmp_path / "out" / "runs.parquet").read_bytes() == before
    harness_cli("export", str(tmp_path / "out"), "--run", second, "--force")
    harness_cli.env["HARNESS_DB"] = str(tmp_path / "merged.duckdb")
    harness_cli("import", str(tmp_path / "out"))
    assert [r["run_id"] for r in harness_cli.json("runs")] == [second]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_the_dashboard_stops_streamlit_and_frees_the_port(harness_cli, signum):
    pytest.importorskip("streamlit")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parent = harness_cli.popen("dashboard", "--headless", "--port", str(port), "--host", "127.0.0.1")
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert parent.poll() is None and time.monotonic() < deadline, parent.communicate()
            time.sleep(0.2)
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        assert len(children) == 1, children
        parent.send_signal(signum)
        code = parent.wait(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    assert code == 128 + signum
    assert not Path(f"/proc/{children[0]}").exists()  # Streamlit stopped and was waited for
    assert not _listening(port)
    assert "Traceback" not in parent.stderr.read()


def _listening(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_an_unknown_sweep_id_is_a_usage_error_with_suggestions(harness_cli, db):
    one_line_error(harness_cli("sweeps", "nope", check=False), 2, "no sweep 'nope'", "no sweeps are recorded")
    harness_cli("sweep", "-t", "doubling", "-m", "exact", "--seeds", "0-1")
    sweep_id = harness_cli.json("sweeps")[0]["sweep_id"]
    one_line_error(
        harness_cli("sweeps", sweep_id[:-1] + "z", check=False),
        2,
        f"no sweep '{sweep_id[:-1]}z' in {db}; did you mean '{sweep_id}'?",
    )
    one_line_error(harness_cli("sweeps", "nope", check=False), 2, "no sweep 'nope'", "`harness sweeps` lists them")
    assert harness_cli.json("sweeps", sweep_id[:4])["sweep_id"] == sweep_id  # a unique prefix still works


def test_a_locked_database_says_who_holds_it_and_what_to_do(harness_cli, db):
    import duckdb

    harness_cli("run", "--task", "doubling")
    harness_cli.env["HARNESS_DB_TIMEOUT"] = "0.5"
    with duckdb.connect(str(db)):  # this test's process holds the file, as a notebook would
        line = one_line_error(
            harness_cli.process("runs", check=False),  # a lock is held against other processes
            1,
            f"results database {db} stayed locked",
            f"(PID {os.getpid()}: ",
            "close that connection",
            "HARNESS_DB_TIMEOUT=SECONDS",
        )
    assert "Python session, notebook or `duckdb` shell" in line
    assert len(harness_cli.json("runs")) == 1  # nothing was lost


#: A writer that keeps its transaction open past the others' patience (a stuck import, a debugger).
LONG_WRITER = """
import sys, time
from harness.store import Store
with Store(sys.argv[1]).transaction() as con:
    con.execute("SELECT 1")
    print("holding", flush=True)
    time.sleep(60)
"""


def test_a_writer_holding_the_lock_past_the_timeout_is_named_and_nothing_is_lost(harness_cli, db, tmp_path):
    harness_cli("run", "--task", "doubling")
    script = tmp_path / "long_writer.py"
    script.write_text(LONG_WRITER)
    holder = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True, env=harness_cli.env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        harness_cli.env["HARNESS_DB_TIMEOUT"] = "1"
        one_line_error(
            harness_cli("run", "--task", "doubling", "--seed", "1", check=False),
            1,
            f"results database {db} stayed locked",
            f"(PID {holder.pid}: {sys.executable} {script}",  # the holder's command line
            "HARNESS_DB_TIMEOUT=SECONDS",
        )
    finally:
        holder.kill()
        holder.wait()
    assert [(r["seed"], r["status"]) for r in harness_cli.json("runs")] == [(0, "finished")]  # nothing half
    harness_cli("run", "--task", "doubling", "--seed", "1")
    assert sorted((r["seed"], r["status"]) for r in harness_cli.json("runs")) == [(0, "finished"), (1, "finished")]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        (
            "1abc",
            "plugin name '1abc' must be kebab-case (a lowercase letter, then lowercase letters, digits and single "
            "dashes): it starts with '1' (try 'abc')",
        ),
        ("My-Task", "'M', 'T' are not allowed (try 'my-task')"),
        ("movie_notes", "'_' is not allowed (try 'movie-notes')"),
        ("movie--notes", "it has a double dash (try 'movie-notes')"),
        ("notes-", "it ends with a dash (try 'notes')"),
    ],
)
def test_new_plugin_says_exactly_what_is_wrong_with_a_name(harness_cli, tmp_path, name, needle):
    one_line_error(harness_cli("new-plugin", name, "--dir", str(tmp_path), check=False), 2, needle)
    one_line_error(
        harness_cli("new-plugin", "notes", "--task", name, "--dir", str(tmp_path), check=False),
        2,
        needle.replace("plugin name", "task name"),
    )
    assert not any(tmp_path.iterdir())


def test_tasks_describes_a_group(harness_cli):
    text = harness_cli("tasks", "arith").stdout
    assert "group arith: 2 tasks; `harness run --task arith` runs them all" in text
    assert "doubling" in text and "squaring" in text and "Square an integer" in text
    data = harness_cli.json("tasks", "arith")
    assert data["group"] == "arith"
    assert [t["name"] for t in data["tasks"]] == ["doubling", "squaring"]
    assert data["tasks"][0] == harness_cli.json("tasks", "doubling")
    one_line_error(harness_cli("tasks", "arth", check=False), 2, "unknown task 'arth'; did you mean 'arith'?")


def test_a_duplicate_sample_id_names_the_folder_and_both_positions(harness_cli, tmp_path, db):
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"id": i, "x": x, "reference": 2 * x} for i, x in (("a", 1), ("1", 2), ("b", 3), ("1", 4))]
    (data / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    one_line_error(
        harness_cli("run", "--task", "doubling", "--data-dir", str(data), check=False),
        1,
        f"sample id '1' occurs more than once in split 'test' of --data-dir {data} (samples 2 and 4",
    )
    assert not db.exists()
