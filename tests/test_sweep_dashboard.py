"""The dashboard's Sweeps page: a sweep's progress and its runs (AppTest over a real database)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from harness.plugins.registry import get_registry, set_registry
from harness.store import Store
from harness.sweep.driver import run_sweep
from harness.sweep.spec import SweepSpec

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_sweeps_page_shows_progress_and_runs(monkeypatch, db):
    monkeypatch.setenv("HARNESS_PLUGINS", "toy_plugins.arith")
    set_registry(None)
    spec = SweepSpec(
        tasks=["doubling"], models=["slow", "exact"], model_args={"crash_at": ["7", "-1"], "delay": ["0"]}, name="crashes"
    )
    report = run_sweep(get_registry(), Store(db), spec)
    set_registry(None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["page"] = "Sweeps"
    at.run()
    assert not at.exception, at.exception
    listed = at.dataframe[0].value
    assert list(listed["sweep"]) == [report.sweep_id] and list(listed["finished"]) == ["2/3"]
    assert list(listed["status"]) == ["failed"] and list(listed["name"]) == ["crashes"]
    (bar,) = at.get("progress")
    assert "2 finished (0 already stored before), 1 failed, 0 pending of 3" in bar.proto.text
    runs = at.dataframe[1].value
    assert sorted(runs["status"]) == ["failed", "finished", "finished"]
    assert "RuntimeError: boom at x=7" in " ".join(runs["error"])
    assert set(runs["run"]) == {r.run_id for r in report.runs}
    at.run()  # the chosen sweep is in the URL from the next rerun on, as the chosen leaderboard is
    assert at.query_params["page"] == "Sweeps" and at.query_params["sweep"] == report.sweep_id
    at.button(key=f"open-button-sweep-{report.sweep_id}").click().run()
    assert at.session_state["page"] == "Run detail" and at.session_state["run_id"] in set(runs["run"])
