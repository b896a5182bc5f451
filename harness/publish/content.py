"""What a published site holds: the leaderboards exactly as `harness leaderboard NAME --json` builds
them (the same `build` call, never a second ranking), narrowed to the asked tasks and boards, and
the runs their rows rank."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.names import unknown_name

if TYPE_CHECKING:
    from harness.leaderboard.ranking import Board, Leaderboard
    from harness.plugins.registry import Registry
    from harness.store import Store


@dataclass
class PublishedBoard:
    """One ranked table of one leaderboard definition, with the file name its page gets."""

    slug: str
    leaderboard: str
    title: str
    board: Board

    def as_json(self) -> dict[str, Any]:
        """The board as `harness leaderboard NAME --json` lists it, with the definition it belongs to."""
        return {"leaderboard": self.leaderboard, "leaderboard_title": self.title, **self.board.as_json()}


@dataclass
class Content:
    overviews: list[Leaderboard] = field(default_factory=list)
    leaderboards: list[Leaderboard] = field(default_factory=list)
    boards: list[PublishedBoard] = field(default_factory=list)
    #: Ranking definitions asked for (or all) that have no finished run in the database.
    without_runs: list[str] = field(default_factory=list)

    def run_ids(self) -> list[str]:
        """Every run a published row ranks: each row's run, each seed's run of a row over seeds, and
        each overview row's best run."""
        ids: dict[str, None] = {}
        for overview in self.overviews:
            for best in overview.overview:
                if best.run_id:
                    ids[best.run_id] = None
        for published in self.boards:
            for row in published.board.standings:
                ids[row.run_id] = None
                for seed_run in row.seed_runs:
                    ids[str(seed_run["run_id"])] = None
        return list(ids)


def collect(store: Store, registry: Registry, tasks: Sequence[str] = (), boards: Sequence[str] = ()) -> Content:
    """The leaderboards to publish. An unknown task or board name is a `ConfigError` with suggestions."""
    from harness.leaderboard.ranking import build, load_definitions

    specs = load_definitions(registry, store)
    for name in boards:
        if name not in specs:
            raise unknown_name("leaderboard", name, sorted(specs), " (`harness leaderboard --list` shows them)")
    known_tasks = sorted(set(registry.tasks) | set(store.distinct_values("task") if store.exists() else []))
    for task in tasks:
        if task not in known_tasks:
            raise unknown_name("task", task, known_tasks, registry.broken_hint(), shown=20)
    content = Content()
    slugs: set[str] = set()
    for spec in specs.values():
        if boards and spec.name not in boards:
            continue
        if tasks and not any(entry.task in tasks for entry in spec.tasks):
            continue
        built = build(store, spec, registry, definitions=specs)
        if tasks:
            built.boards = [b for b in built.boards if b.task in tasks]
            built.overview = [r for r in built.overview if r.task in tasks]
        if spec.kind == "overview":
            content.overviews.append(built)
            continue
        if not built.boards:
            content.without_runs.append(spec.name)
            continue
        content.leaderboards.append(built)
        for board in built.boards:
            key = "--".join(filter(None, [spec.name, board.task, board.dataset, board.split, board.metric, board.fingerprint]))
            slug = unique_slug(key, slugs)
            content.boards.append(PublishedBoard(slug, spec.name, spec.title, board))
    return content


def unique_slug(text: str, taken: set[str]) -> str:
    """A file name for `text` that is safe on every file system and URL: lower-case letters, digits,
    dots and dashes, with a short hash of the original when that changed or shortened it."""
    slug = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")[:80] or "x"
    if slug != text or slug in taken:
        slug = f"{slug}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    taken.add(slug)
    return slug


def run_page(run_id: str) -> str:
    """The site-relative path of a run's page."""
    return f"runs/{unique_slug(run_id, set())}/index.html"
