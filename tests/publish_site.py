"""A database of cheap runs (no training) for the `harness publish` tests, and a link checker."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import ROOT, Harness, cli_env

PLUGINS = "toy_plugins.arith,toy_plugins.echo,harness_geometry,harness_independence,harness_nl2sql"
TABLEQA = ROOT / "plugins" / "nl2sql" / "tests" / "fixtures" / "tableqa"


def site_cli(folder: Path) -> Harness:
    """The CLI with the toy plugins and the cheap built-in ones, its home and database in `folder`."""
    return Harness({**cli_env(folder), "HARNESS_PLUGINS": PLUGINS})


def fill(cli: Harness, folder: Path) -> None:
    """Runs of every kind a board shows: several models, several seeds, a flag column, hostile text,
    a --limit run (left out), nl2sql on a folder of its real format."""
    instances = folder / "independence-data"
    instances.mkdir()
    lines = [
        {"family": family, "n": 40, "seed": seed} for seed in range(3) for family in ("linear", "circle", "independent-normal")
    ]
    (instances / "instances.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    cli("run", "--task", "doubling")
    cli("run", "--task", "doubling", "--model", "noisy")
    for seed in ("1", "2"):
        cli("run", "--task", "doubling", "--model", "noisy", "--model-arg", "every=2", "--seed", seed)
    cli("run", "--task", "doubling", "--model", "noisy", "--model-arg", "every=3", "--limit", "20")
    cli("run", "--task", "echo")
    cli("run", "--task", "random-angles", "--model", "closed-form")
    cli("run", "--task", "random-angles", "--model", "monte-carlo", "--model-arg", "draws=200")
    for model in ("pearson", "dcor"):
        cli("run", "--task", "independence", "--model", model, "--data-dir", str(instances))
    cli("run", "--task", "nl2sql", "--model", "rules", "--data-dir", str(TABLEQA), "--split", "val")


class Links(HTMLParser):
    """Every href and src of a page, and every id (link targets within it)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def parsed(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def broken_links(site: Path, external: bool = False, pages: list[Path] | None = None) -> list[str]:
    """Links of every page that leave the folder, are absolute, or name a file or anchor that is
    missing (a folder is missing too: from file:// it is a directory listing). `external` lets
    links to other sites pass (a documentation site's links to the web); `pages` checks only those."""
    site = site.resolve()
    pages_links = {page.resolve(): parsed(page) for page in (pages if pages is not None else site.rglob("*.html"))}
    broken = []
    for page, links in pages_links.items():
        for link in links.links:
            parts = urlsplit(link)
            where = f"{page.relative_to(site)}: {link}"
            if external and (parts.scheme or parts.netloc):
                continue
            if parts.scheme or parts.netloc or link.startswith("/"):
                broken.append(f"{where} (not relative)")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(site) or not target.is_file():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages_links[target].ids if target in pages_links else parsed(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{where} (no such anchor)")
    return broken
