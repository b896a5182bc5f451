"""End to end: real `harness run` commands fill a database, `harness dashboard` serves it, and a
real headless Chromium (Playwright) reads the leaderboard, switches pages, opens a run and a
comparison. Screenshots land in test-artifacts/ (or $HARNESS_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT, VENV_BIN, Harness

from harness.testing import CHROMIUM_FLAGS, serve_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]  # a real server and Chromium

ARTIFACTS = Path(os.environ.get("HARNESS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
WAIT_MS = 60_000


@pytest.fixture
def dashboard(harness_cli):
    """A database filled by the real CLI, served by `harness dashboard` on a free loopback port."""
    cli = Harness({**harness_cli.env, "HARNESS_PLUGINS": "toy_plugins.arith,toy_plugins.echo"})
    runs = {
        "exact": cli.json("run", "--task", "doubling")["run_id"],
        "noisy": cli.json("run", "--task", "doubling", "--model", "noisy")["run_id"],
        "noisy2": cli.json("run", "--task", "doubling", "--model", "noisy", "--model-arg", "every=2")["run_id"],
        "shout": cli.json("run", "--task", "echo", "--model-arg", "shout=true")["run_id"],
    }
    cli("run", "--task", "doubling", "--model", "slow", "--model-arg", "delay=0", "--model-arg", "crash_at=3", check=False)
    with serve_dashboard(cli.env, VENV_BIN / "harness") as url:
        yield url, runs


def test_browse_leaderboard_runs_run_and_comparison(dashboard):
    from playwright.sync_api import sync_playwright

    url, runs = dashboard
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        page.goto(f"{url}/?board=arith")
        page.get_by_role("heading", name="Arithmetic", exact=True).wait_for(timeout=WAIT_MS)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
        page.locator(".vega-embed").first.wait_for(timeout=WAIT_MS)
        assert page.get_by_text("paired-bootstrap p-value").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)

        page.locator('[data-testid="stSidebar"]').get_by_text("Pairwise", exact=True).click()
        page.get_by_role("heading", name="Pairwise: Arithmetic", exact=True).wait_for(timeout=WAIT_MS)
        page.locator(".vega-embed").first.wait_for(timeout=WAIT_MS)  # the heat map of corrected p-values
        page.screenshot(path=str(ARTIFACTS / "pairwise.png"), full_page=True)
        page.locator('[data-testid="stSidebar"]').get_by_text("Leaderboards", exact=True).click()
        page.get_by_role("heading", name="Arithmetic", exact=True).wait_for(timeout=WAIT_MS)

        page.get_by_role("button", name="Open run").first.click()  # the top row: the exact model
        page.get_by_role("heading", name="Samples").wait_for(timeout=WAIT_MS)
        page.get_by_text(f"run {runs['exact']}").wait_for(timeout=WAIT_MS)
        assert "run_id=" + runs["exact"] in page.url  # the URL links to this run
        page.screenshot(path=str(ARTIFACTS / "run.png"), full_page=True)

        page.locator('[data-testid="stSidebar"]').get_by_text("Runs", exact=True).click()
        page.get_by_text("run(s) match").wait_for(timeout=WAIT_MS)
        page.get_by_text("failed: RuntimeError: boom at x=3").wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "runs.png"), full_page=True)

        page.goto(f"{url}/?page=Compare&run_a={runs['noisy']}&run_b={runs['noisy2']}")
        page.get_by_role("heading", name="Samples where they disagree").wait_for(timeout=WAIT_MS)
        page.get_by_text("200 shared sample(s); 50 differ.").wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)

        page.goto(f"{url}/?page=Run+detail&run_id={runs['shout']}")
        page.get_by_role("heading", name="Samples").wait_for(timeout=WAIT_MS)
        inspected = page.locator('[data-testid="stJson"]')
        inspected.get_by_text("<script>document.title='pwned'</script>").first.wait_for(timeout=WAIT_MS)  # as text
        search = page.get_by_label("Search (id, input, prediction, reference)")
        search.fill("北京")
        search.press("Enter")
        page.get_by_text("1 sample(s) match.").wait_for(timeout=WAIT_MS)
        inspected.get_by_text("北京的人口是多少？").first.wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "hostile-text.png"), full_page=True)
        assert page.title() != "pwned" and not dialogs  # markup in samples never ran
        browser.close()
    for name in ("leaderboard", "pairwise", "run", "runs", "compare", "hostile-text"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
