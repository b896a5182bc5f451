"""Where the harness keeps results, checkpoints and configuration: the XDG homes, earlier homes, overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the XDG layout applies on Linux and the BSDs")


@pytest.fixture
def user(harness_cli, tmp_path):
    """The CLI of a user with a fresh home folder and no HARNESS_HOME or HARNESS_DB."""
    for name in ("HARNESS_HOME", "HARNESS_DB", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        harness_cli.env.pop(name, None)
    harness_cli.env["HOME"] = str(tmp_path / "user")
    return harness_cli


def test_results_and_checkpoints_default_to_the_xdg_data_home(user, tmp_path):
    share = tmp_path / "user" / ".local" / "share" / "kexue-harness"
    info = user.json("info")
    assert info["home"] == str(share) and info["db"] == str(share / "harness.duckdb")
    assert info["checkpoints"] == str(share / "checkpoints") and info["spool"] == str(share / "spool")
    assert info["config"] == str(tmp_path / "user" / ".config" / "kexue-harness")
    run = user.json("run", "--task", "doubling", "--model", "memorise")
    assert run["status"] == "finished" and (share / "harness.duckdb").exists() and (share / "checkpoints" / "memorise").is_dir()
    assert not (tmp_path / "user" / ".config").exists()  # nothing written where configuration belongs

    user.env.update({"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "conf")})
    moved = user.json("info")
    assert moved["home"] == str(tmp_path / "data" / "kexue-harness")
    assert moved["config"] == str(tmp_path / "conf" / "kexue-harness")
    user.env["XDG_DATA_HOME"] = "relative/path"  # the XDG spec says to ignore a relative path
    assert user.json("info")["home"] == str(share)


def test_an_earlier_home_with_results_keeps_working_and_says_how_to_move_it(user, tmp_path):
    old = tmp_path / "user" / ".config" / "kexue-harness"
    user.json("run", "--task", "doubling", "--model", "exact")
    share = tmp_path / "user" / ".local" / "share" / "kexue-harness"
    old.parent.mkdir(parents=True)
    share.rename(old)  # results where earlier releases kept them

    listed = user("runs")
    assert "exact" in listed.stdout
    (note,) = [line for line in listed.stderr.splitlines() if line]
    assert note.startswith("note: results are in") and f"mv {old} {share}" in note and "HARNESS_HOME" in note
    assert user.json("info")["db"] == str(old / "harness.duckdb")

    subprocess.run(note.split("`")[1], shell=True, check=True)  # the command the note gives
    after = user("runs")
    assert "exact" in after.stdout and after.stderr == ""


def test_harness_home_and_harness_db_override_everything(user, tmp_path):
    (tmp_path / "user" / ".config" / "kexue-harness" / "checkpoints").mkdir(parents=True)  # an earlier home
    user.env.update({"HARNESS_HOME": str(tmp_path / "mine"), "HARNESS_DB": str(tmp_path / "elsewhere.duckdb")})
    info = user("info", "--json")
    assert info.stderr == ""  # chosen explicitly: no note
    data = json.loads(info.stdout)
    assert data["home"] == str(tmp_path / "mine") and data["db"] == str(tmp_path / "elsewhere.duckdb")
    assert data["checkpoints"] == str(tmp_path / "mine" / "checkpoints")


def test_the_testing_fixture_keeps_every_path_inside_the_test(tmp_path):
    import harness
    from harness.runner.checkpoints import root
    from harness.store import default_db_path

    for path in (harness.home(), default_db_path(), root()):
        assert Path(path).is_relative_to(tmp_path)
