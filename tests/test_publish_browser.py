"""A published site in a real headless Chromium opened from file://: index → board → run → samples,
the numbers on the pages equal `harness leaderboard --json`, the charts draw, the sample search
finds a sample, and the browser makes no request outside the folder. Screenshots land in
test-artifacts/ (or $HARNESS_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT
from publish_site import broken_links, fill, site_cli

from harness.testing import CHROMIUM_FLAGS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("chromium")]  # a real Chromium

ARTIFACTS = Path(os.environ.get("HARNESS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publish-browser")
    cli = site_cli(folder)
    fill(cli, folder)
    cli("publish", str(folder / "site"), "--title", "Published results")
    return cli, folder / "site"


def _number(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value"))


def test_browse_the_published_site_from_file_without_any_request_outside_it(published):
    from playwright.sync_api import sync_playwright

    cli, site = published
    boards = cli.json("leaderboard")
    assert broken_links(site) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root = site.resolve().as_uri()
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})

        def route(request_route):
            url = request_route.request.url
            if url.startswith(root + "/") or url == root:
                return request_route.continue_()
            outside.append(url)
            return request_route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: None if r.url.startswith(root) else outside.append(r.url))

        page.goto(f"{root}/index.html")
        page.get_by_role("heading", name="Kexue 2019: every task family").wait_for(timeout=WAIT_MS)
        for board in boards:  # every ranked model of each board, with its run id and a link to its page
            for row in board["rows"]:
                cell = page.locator(f'tr[data-run-id="{row["run_id"]}"] td[data-column="run"] a').first
                assert cell.inner_text() == row["run_id"]
        page.screenshot(path=str(ARTIFACTS / "publish-index.png"), full_page=True)

        board = next(b for b in boards if b["task"] == "doubling")
        page.get_by_role("link", name=f"doubling · {board['dataset']}/{board['split']}").first.click()
        page.locator("figure.chart svg").wait_for(timeout=WAIT_MS)
        for row in board["rows"]:
            line = f'table.board tr[data-run-id="{row["run_id"]}"]'
            assert _number(page, f'{line} td[data-column="rank"]') == row["rank"]
            assert _number(page, f'{line} td[data-column="{board["metric"]}"]') == row["value"]
            if row["p_next"] is not None:
                assert _number(page, f'{line} td[data-column="vs next"]') == row["p_next"]
        assert page.get_by_role("columnheader", name="seed sd").count() == 1
        page.screenshot(path=str(ARTIFACTS / "publish-board.png"), full_page=True)

        top = board["rows"][0]
        page.locator(f'table.board tr[data-run-id="{top["run_id"]}"] td[data-column="run"] a').click()
        page.locator("#run-id").wait_for(timeout=WAIT_MS)
        assert page.locator("#run-id").inner_text() == top["run_id"]
        run = cli.json("show", top["run_id"])
        for name, metric in run["metrics"].items():
            if metric["value"] is not None:
                assert _number(page, f'tr[data-metric="{name}"] td[data-value]') == metric["value"]
        page.locator(".vega svg").first.wait_for(timeout=WAIT_MS)  # the renderer's chart, drawn by the vendored Vega
        page.screenshot(path=str(ARTIFACTS / "publish-run.png"), full_page=True)

        page.get_by_role("link", name="browse the samples").click()
        page.locator("article.sample").first.wait_for(timeout=WAIT_MS)
        assert page.locator("article.sample").count() == 50
        page.get_by_role("link", name="next ›").first.click()
        page.get_by_text("page 2 of").wait_for(timeout=WAIT_MS)
        page.locator("#sample-search").fill("test-0180")
        page.get_by_text("1 of 200 samples match").wait_for(timeout=WAIT_MS)
        page.locator("#search-results a").click()
        page.locator("article.sample#s-test-0180").wait_for(timeout=WAIT_MS)
        assert page.url.endswith("page-4.html#s-test-0180")
        page.screenshot(path=str(ARTIFACTS / "publish-samples.png"))

        echo = next(b for b in boards if b["task"] == "echo")["rows"][0]["run_id"]
        page.goto(f"{root}/runs/{echo}/samples/page-1.html")
        page.get_by_text("<script>document.title='pwned'</script>").first.wait_for(timeout=WAIT_MS)
        assert page.title() != "pwned"
        browser.close()
    assert outside == []
    assert errors == []
