"""`harness publish`: the static site's structure, its numbers against `harness leaderboard --json`,
the site in a real browser, replacing a previous publish whole, and the errors a user can make.

The browser test shares this file's published site: filling and publishing it is most of its cost."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT
from publish_site import broken_links, fill, site_cli

from harness.publish.folder import MARKER
from harness.publish.tables import board_csv, board_table
from harness.testing import CHROMIUM_FLAGS

ARTIFACTS = Path(os.environ.get("HARNESS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One database of cheap runs, published once; tests that write publish elsewhere."""
    folder = tmp_path_factory.mktemp("publish")
    cli = site_cli(folder)
    fill(cli, folder)
    site = folder / "site"
    summary = cli.json("publish", str(site))
    return cli, site, summary


@pytest.fixture(scope="module")
def cli_boards(published):
    """`harness leaderboard --json` over the published database (every task's board), asked once:
    tests that compare the site with it never change that database."""
    cli, _, _ = published
    return cli.json("leaderboard")


def _site_boards(site):
    return {p.stem: json.loads(p.read_text()) for p in (site / "boards").glob("*.json")}


def test_every_board_of_the_cli_is_published_with_the_same_numbers(published, cli_boards):
    _, site, summary = published
    expected = cli_boards  # every task's board, as `harness leaderboard --json` ranks it
    boards = list(_site_boards(site).values())
    assert summary["boards"] == len(boards) == len(expected)
    for board in expected:
        same = [
            b
            for b in boards
            if (b["task"], b["dataset"], b["split"], b["metric"])
            == (board["task"], board["dataset"], board["split"], board["metric"])
        ]
        assert len(same) == 1, board["task"]
        published_board = {k: v for k, v in same[0].items() if k not in ("leaderboard", "leaderboard_title")}
        assert published_board == board  # the same rows, values, CIs, p-values, seeds and flags
    doubling = next(b for b in boards if b["task"] == "doubling")
    assert not any(r["partial"] for r in doubling["rows"])  # the --limit run is left out, as on the CLI
    assert any(r["seeds"] == 2 for r in doubling["rows"])


def test_each_leaderboard_json_is_what_the_cli_prints(published):
    cli, site, _ = published
    for path in (site / "leaderboards").glob("*.json"):
        assert json.loads(path.read_text()) == cli.json("leaderboard", path.stem), path.name
    assert (site / "leaderboards" / "kexue-2019.json").is_file()


def test_index_shows_the_overview_and_every_ranked_run_with_a_page(published, cli_boards):
    _, site, _ = published
    index = (site / "index.html").read_text()
    assert "Kexue 2019: every task family" in index
    for board in cli_boards:
        for row in board["rows"]:
            assert f'data-run-id="{row["run_id"]}"' in index
            page = site / "runs" / row["run_id"] / "index.html"
            assert page.is_file() and f'href="runs/{row["run_id"]}/index.html"' in index
            for seed_run in row["seed_runs"]:
                assert (site / "runs" / seed_run["run_id"] / "index.html").is_file()


def test_board_files_csv_and_json_sit_next_to_each_page(published):
    _, site, _ = published
    for path in (site / "boards").glob("*.json"):
        board = json.loads(path.read_text())
        assert path.with_suffix(".html").is_file()
        rows = list(csv.DictReader(io.StringIO(path.with_suffix(".csv").read_text())))
        assert [r["run_id"] for r in rows] == [r["run_id"] for r in board["rows"]]
        assert [float(r["value"]) if r["value"] else None for r in rows] == [r["value"] for r in board["rows"]]


def test_run_page_has_metrics_configuration_provenance_and_a_paged_sample_browser(published, cli_boards):
    cli, site, _ = published
    board = next(b for b in cli_boards if b["task"] == "doubling")
    row = board["rows"][0]
    run = cli.json("show", row["run_id"])
    page = (site / "runs" / row["run_id"] / "index.html").read_text()
    for name, metric in run["metrics"].items():
        assert f'data-metric="{name}"' in page and f'data-value="{metric["value"]}"' in page
    assert "Configuration" in page and "Provenance" in page and run["data_fingerprint"] in page
    samples = site / "runs" / row["run_id"] / "samples"
    pages = sorted(samples.glob("page-*.html"))
    assert len(pages) == math.ceil(run["n_samples"] / 50) > 1
    index = json.loads((samples / "search.js").read_text().removeprefix("window.HARNESS_SAMPLES = ").rstrip().rstrip(";"))
    assert len(index) == run["n_samples"] and {entry[2] for entry in index} == set(range(1, len(pages) + 1))


def test_task_views_come_from_the_renderers_static_sample(published, cli_boards):
    _, site, _ = published
    nl2sql = next(b for b in cli_boards if b["task"] == "nl2sql")["rows"][0]["run_id"]
    page = (site / "runs" / nl2sql / "samples" / "page-1.html").read_text()
    assert "Gold SQL" in page and "Predicted SQL" in page and "SELECT" in page
    echo = next(b for b in cli_boards if b["task"] == "echo")["rows"][0]["run_id"]
    page = (site / "runs" / echo / "samples" / "page-1.html").read_text()
    assert "<script>document" not in page and "&lt;script&gt;document.title" in page  # model output is data
    assert "北京的人口是多少？" in page


def test_every_link_of_every_page_stays_in_the_site_and_resolves(published):
    _, site, _ = published
    assert broken_links(site) == []
    assert (site / MARKER).is_file()


def test_publishing_again_replaces_the_site_whole(published, tmp_path):
    cli, _, _ = published
    out = tmp_path / "site"
    cli("publish", str(out), "--task", "echo")
    (out / "stale.html").write_text("from the last publish")
    result = cli("publish", str(out), "--task", "doubling", "--title", "Doubling only")
    assert "Published" in result.stdout
    assert not (out / "stale.html").exists()
    assert [json.loads(p.read_text())["task"] for p in (out / "boards").glob("*.json")] == ["doubling"]
    assert "Doubling only" in (out / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing left beside it


def test_a_failed_publish_leaves_the_previous_site(published, tmp_path, monkeypatch):
    from harness.publish import site as site_module

    cli, _, _ = published
    out = tmp_path / "site"
    cli("publish", str(out), "--task", "echo")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(self, run_id):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site_module._Writer, "run", broken)
    result = cli("publish", str(out), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: could not write the site into {out}: No space left on device")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_folder_that_is_not_a_publish_is_refused_unless_forced(published, tmp_path):
    cli, _, _ = published
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    result = cli("publish", str(out), check=False)
    assert result.returncode == 2
    assert "is not a site `harness publish` wrote" in result.stderr and "--force" in result.stderr
    assert (out / "thesis.tex").read_text() == "precious"
    cli("publish", str(out), "--force", "--task", "echo")
    assert (out / MARKER).is_file() and not (out / "thesis.tex").exists()


def test_an_empty_database_publishes_a_site_saying_so(tmp_path):
    cli = site_cli(tmp_path)
    summary = cli.json("publish", str(tmp_path / "site"))
    assert summary["empty"] and summary["boards"] == 0
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'id="empty"' in index and "No finished runs" in index
    assert broken_links(tmp_path / "site") == []


@pytest.mark.parametrize(
    "args, message",
    [
        (("--task", "random-angle"), "unknown task 'random-angle'; did you mean 'random-angles'"),
        (("--board", "geometri"), "unknown leaderboard 'geometri'; did you mean 'geometry'"),
    ],
)
def test_unknown_task_or_board_exits_2_with_a_suggestion(published, tmp_path, args, message):
    cli, _, _ = published
    result = cli("publish", str(tmp_path / "site"), *args, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "site").exists()


def test_board_filter_publishes_only_that_leaderboard(published, tmp_path):
    cli, _, _ = published
    summary = cli.json("publish", str(tmp_path / "site"), "--board", "geometry")
    assert summary["leaderboards"] == ["geometry"]
    assert {json.loads(p.read_text())["task"] for p in (tmp_path / "site" / "boards").glob("*.json")} == {"random-angles"}
    summary = cli.json("publish", str(tmp_path / "overview"), "--board", "kexue-2019")  # an overview alone
    overview = cli.json("leaderboard", "kexue-2019")["overview"]
    assert summary["boards"] == 0 and summary["runs"] == len([r for r in overview if r["run_id"]]) > 0
    for row in overview:
        if row["run_id"]:
            assert (tmp_path / "overview" / "runs" / row["run_id"] / "index.html").is_file()
    assert broken_links(tmp_path / "overview") == []


def test_keys_a_ranking_adds_later_show_as_columns_of_their_own():
    """A row key the page does not know (tie groups, rank intervals, effects) is drawn as it is."""
    row = {"rank": 1, "model": "m", "model_config": {}, "run_id": "r1", "value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    row |= {"n_samples": 10, "runs": 1, "columns": {}, "flags": [], "p_next": 0.01, "significant": True, "note": ""}
    row |= {"group": "A", "rank_interval": [1, 2], "mde": 0.0312345}
    table = board_table({"metric": "acc", "columns": [], "rows": [row]}, {"r1"})
    cells = dict(zip(table.headers, (c.text for c in table.rows[0]), strict=True))
    assert cells["group"] == "A" and cells["rank interval"] == "1–2" and cells["mde"] == "0.03123"
    assert cells["vs next"] == "p=0.01 *" and table.rows[0][-1].href == "runs/r1/index.html"
    assert "rank_interval" in board_csv({"rows": [row]}).splitlines()[0]


def test_site_opens_from_any_copy_of_the_folder(published, tmp_path):
    """Relative links only: a moved copy is as complete as the original."""
    _, site, _ = published
    copy = tmp_path / "moved" / "elsewhere"
    shutil.copytree(site, copy)
    assert broken_links(copy) == []


def _number(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value"))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.usefixtures("chromium")  # a real Chromium
def test_browse_the_published_site_from_file_without_any_request_outside_it(published, cli_boards):
    """Index → board → run → samples in a real headless Chromium opened from file://: the numbers on
    the pages equal `harness leaderboard --json`, the charts draw, the sample search finds a sample,
    and the browser makes no request outside the folder. Screenshots land in test-artifacts/ (or
    $HARNESS_TEST_ARTIFACTS)."""
    from playwright.sync_api import sync_playwright

    cli, site, _ = published
    boards = cli_boards
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
