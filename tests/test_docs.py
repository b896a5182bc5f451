"""The documentation site builds with `mkdocs build --strict`: no broken link, no undocumented public API.

Needs the `docs` extra (`pip install -e '.[docs]'`). Without it these tests skip with the
reason, except under `CI=true`, where a skip would hide a site that no longer builds: they fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_chromium
from publish_site import broken_links

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("mkdocs", "material", "mkdocs_click", "mkdocstrings", "mkdocstrings_handlers.python", "griffe")


def _missing() -> list[str]:
    missing = []
    for name in NEEDED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # a dotted name whose parent is absent
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def hooks():
    missing = _missing()
    if missing:
        message = f"the docs extra is not installed (missing {', '.join(missing)}): pip install -e '.[docs]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    spec = importlib.util.spec_from_file_location("kexue_mkdocs_hooks", ROOT / "docs" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(hooks, tmp_path_factory):
    """`mkdocs build --strict` into a temporary folder, once per module: (site folder, result)."""
    site = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return site, result


@pytest.mark.slow
def test_site_builds_strict_with_every_plugin_page(built):
    site, result = built
    assert result.returncode == 0, result.stdout + result.stderr
    # One page per plugins/*/README.md, found at build time.
    for readme in sorted(ROOT.glob("plugins/*/README.md")):
        page = (site / "plugins" / f"{readme.parent.name}.html").read_text(encoding="utf-8")
        first_word = re.findall(r"[\w-]+", readme.read_text(encoding="utf-8").splitlines()[0])[0]
        assert first_word in page
    # The CLI reference comes from the click commands, the API pages from docstrings.
    cli = (site / "cli.html").read_text(encoding="utf-8")
    assert "harness run" in cli and "--overwrite" in cli and "harness new-plugin" in cli
    api = (site / "api" / "jsonl.html").read_text(encoding="utf-8")
    assert "read_jsonl" in api and "line_number" in api
    # The schema page lists the columns of a database the store creates.
    schema = (site / "schema.html").read_text(encoding="utf-8")
    for column in ("run_key", "data_fingerprint", "ci_low", "path_or_blob", "applied_at"):
        assert f"<code>{column}</code>" in schema
    # The tutorial shows the scaffold `harness new-plugin` writes today.
    tutorial = (site / "tutorial.html").read_text(encoding="utf-8")
    assert "harness_movie_reviews/task.py" in tutorial and "register_tasks" in tutorial
    assert (site / "assets" / "repo" / "docs" / "leaderboard.png").is_file()
    # It opens from file:// (to ship inside a release): every link inside it names a file, never a
    # folder (a directory listing there), and the search index is a script, not a fetched JSON file.
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]  # a server's error page: absolute links on purpose
    assert broken_links(site, external=True, pages=pages) == []
    assert (site / "search" / "search_index.js").is_file()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', (site / "index.html").read_text(encoding="utf-8"))
    assert scripts and not [s for s in scripts if re.match(r"^[a-z]+:|^//", s)]  # no script from elsewhere


def test_links_of_included_readmes_are_rewritten_for_the_site(hooks, monkeypatch):
    monkeypatch.setitem(hooks.PAGE_FOR, "plugins/nl2sql/README.md", "plugins/nl2sql.md")
    source = ROOT / "plugins" / "nl2sql" / "README.md"
    benchmark = next(iter(sorted((ROOT / "plugins" / "nl2sql" / "benchmarks").glob("*.py"))), None)
    text = (
        "See [the harness](../../README.md), [definitions](../../leaderboards/README.md#format), "
        "[nl2sql](../nl2sql/README.md), [web](https://kexue.fm/archives/6771), [here](#results) "
        "and [gone](no-such-file.md).\n\n```\n[kept](../../README.md)\n```\n"
    )
    if benchmark is not None:
        text += f"\n[the benchmark]({benchmark.relative_to(source.parent).as_posix()})\n"
    out = hooks.rewrite_links(text, source, "plugins/nl2sql.md", None, None)
    assert "[the harness](../index.md)" in out
    assert "[definitions](../leaderboards.md#format)" in out
    assert "[nl2sql](nl2sql.md)" in out
    assert "[web](https://kexue.fm/archives/6771)" in out and "[here](#results)" in out
    assert "[gone](no-such-file.md)" in out  # left for mkdocs --strict to report
    assert "```\n[kept](../../README.md)\n```" in out  # fenced code is untouched
    if benchmark is not None:
        assert f"the benchmark (`{benchmark.relative_to(ROOT).as_posix()}`)" in out


def test_an_undocumented_public_function_is_reported(hooks, tmp_path):
    package = tmp_path / "docpkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "mod.py").write_text(
        '"""A module."""\n\n'
        'def documented():\n    """Says why."""\n\n'
        "def bare():\n    pass\n\n"
        "def _private():\n    pass\n\n"
        'class Thing:\n    """A thing."""\n\n    size: int = 1\n\n    def method(self):\n        pass\n'
    )
    assert hooks.missing_docstrings(["docpkg.mod"], search_paths=[str(tmp_path)]) == [
        "docpkg.mod.bare (function)",
        "docpkg.mod.Thing.method (function)",
    ]


def test_api_pages_render_exactly_the_public_api(hooks):
    """A page renders a public module or a name `harness` exports, never an internal module (a
    reader would take its other names for public); the hook specifications are the one exception:
    a plugin implements them by name and imports nothing for them."""
    import harness

    exported = {f"harness.{name}" for name in harness.__all__ if not name.startswith("_")}
    modules = {"harness.views", "harness.training", "harness.jsonl", "harness.stats", "harness.evaluate_metrics"}
    modules |= {"harness.executors", "harness.testing", "harness.text", "harness.curves"}
    rendered = set(hooks.api_modules())
    assert rendered - exported - modules == {"harness.store.Store", "harness.hookspecs"}
    assert exported | modules | {"harness.store.Store"} <= rendered


def test_readme_gives_the_two_commands_and_links_that_resolve_inside_the_repository():
    """The README is the front page on GitHub, outside the site: mkdocs never checks its links."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    for command in ("make demo", "make test", "make docs", "make docs-serve"):
        assert re.search(rf"^{re.escape(command)}\s", readme, re.MULTILINE), f"the README shows no `{command}` line"
        assert command.split()[1] in targets, f"the README cites `{command}`, which the Makefile lacks"
    links = [m for m in re.findall(r"\]\(([^)\s]+)\)", readme) if not re.match(r"^[a-z][a-z0-9+.-]*:", m)]
    assert any(link.startswith("docs/site/") for link in links)
    for link in links:
        path = (ROOT / link.partition("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"README links outside the repository: {link}"
        assert path.exists(), f"README links to a missing file: {link}"
    # Every page of the site is linked from the README or reachable from its index.
    index = (ROOT / "docs" / "site" / "index.md").read_text(encoding="utf-8")
    for page in sorted((ROOT / "docs" / "site").rglob("*.md")):
        relative = page.relative_to(ROOT / "docs" / "site").as_posix()
        assert f"docs/site/{relative}" in readme or f"({relative}" in index, f"{relative} is linked from neither"


@pytest.mark.slow
@pytest.mark.browser
def test_search_works_from_file_without_a_server(built):
    """The built site opened as a file: search finds pages, and nothing is fetched from elsewhere."""
    from playwright.sync_api import sync_playwright

    from harness.testing import CHROMIUM_FLAGS

    site, result = built
    assert result.returncode == 0, result.stdout + result.stderr
    chromium = require_chromium()
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("request", lambda r: None if r.url.startswith("file://") else outside.append(r.url))
        page.goto((site / "index.html").as_uri())
        page.keyboard.press("s")  # Material's shortcut to the search box
        page.locator("input.md-search__input").wait_for(timeout=30_000)
        page.keyboard.type("publish")
        page.get_by_text(re.compile(r"^\d+ matching documents?$")).wait_for(timeout=30_000)
        assert page.locator(".md-search-result__item").count() > 0
        browser.close()
    assert outside == []
