"""Writes the static site: an index with the overviews and every board, a page (with CSV and JSON)
per board, a page per ranked run and a paged, searchable sample browser per run.

Every link is relative and every resource is a file in the site (the vendored Vega for renderer
charts, `assets/` for the style), so the folder opens from `file://` as it does from any static
host. Pages never fetch data: what a script needs is in the page or in a `.js` file it includes.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.api import ConfigError, HarnessError
from harness.publish.charts import ci_chart
from harness.publish.content import Content, PublishedBoard, collect, run_page, unique_slug
from harness.publish.folder import Files, check_target, image_extension, replacing, size_of
from harness.publish.panels import Shown, searchable, shown
from harness.publish.tables import board_csv, board_facts, board_table, generic
from harness.records import PROVENANCE
from harness.training import CURVE_FILE
from harness.views import ci, config, fmt, learning_curve

if TYPE_CHECKING:
    import jinja2

    from harness.plugins.registry import Registry
    from harness.records import Artifact, RunRecord, SampleRecord
    from harness.store import Store

PAGE_SIZE = 50  # samples on one page of a run's sample browser
SCORES_SHOWN = 6  # scores labelled above each sample; the rest are in a tooltip
READ_PAGE = 1000  # samples read from the store at a time (each read opens a connection)
VENDOR = {"vega": "vega-5.33.0.min.js", "vega_lite": "vega-lite-5.23.0.min.js", "vega_embed": "vega-embed-6.29.0.min.js"}
ARTIFACT_PREVIEW = 20_000  # characters of a text or JSON artifact shown on its run's page


@dataclass
class Summary:
    """What a publish wrote, as `harness publish --json` prints it."""

    out: str
    boards: int = 0
    runs: int = 0
    samples: int = 0
    sample_pages: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    empty: bool = False
    leaderboards: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def publish(
    store: Store,
    registry: Registry,
    out: Path,
    *,
    tasks: Sequence[str] = (),
    boards: Sequence[str] = (),
    title: str | None = None,
    force: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Callable[[str, int], Any] | None = None,
) -> Summary:
    """Publish the database's leaderboards into `out`, replacing a previous publish there whole.

    `progress(description, total)` is a context manager yielding `advance()` (as
    `harness.progress.progress_bar`); the run pages are the long part."""
    started = time.perf_counter()
    out = Path(out).absolute()
    check_target(out, force)
    if store.path.absolute().is_relative_to(out):
        raise ConfigError(f"{out} holds the results database {store.path}; publish into another folder")
    # one read-only connection for every ranking (held for seconds, not the whole publish)
    with store.reading() if store.exists() else contextlib.nullcontext():
        content = collect(store, registry, tasks, boards)
    site = {
        "title": title or "Kexue Harness results",
        "version": _version(),
        "published_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": store.path.name,
    }
    summary = Summary(str(out), leaderboards=[lb.spec.name for lb in (*content.overviews, *content.leaderboards)])
    marker = {"generator": "kexue-harness", "version": site["version"], "published_at": site["published_at"]}
    try:
        with replacing(out, marker) as root:
            writer = _Writer(Files(root), store, registry, content, site, page_size)
            writer.assets()
            writer.index()
            for published in content.boards:
                writer.board(published)
            run_ids = content.run_ids()
            if progress is None:
                for run_id in run_ids:
                    writer.run(run_id)
            else:
                with progress("Publishing runs", len(run_ids)) as advance:
                    for run_id in run_ids:
                        writer.run(run_id)
                        advance()
            writer.finish()
            summary.boards = len(content.boards)
            summary.runs = len(run_ids)
            summary.samples = writer.samples
            summary.sample_pages = writer.sample_pages
            summary.empty = not run_ids
    except OSError as exc:  # a full disk, a folder we may not write: the previous site stays as it was
        raise HarnessError(
            f"could not write the site into {out}: {exc.strerror or exc}; the previous site (if any) is unchanged"
        ) from exc
    summary.files = sum(1 for p in out.rglob("*") if p.is_file())
    summary.bytes = size_of(out)
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _version() -> str:
    import harness

    return str(harness.__version__)


def environment() -> jinja2.Environment:
    """The templates (package data), escaping every value: sample text and model output are data."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


class _Writer:
    def __init__(self, files: Files, store: Store, registry: Registry, content: Content, site: dict[str, Any], page_size: int):
        self.files, self.store, self.registry, self.content, self.site = files, store, registry, content, site
        self.page_size = max(1, page_size)
        self.env = environment()
        self.run_ids = set(content.run_ids())
        self.charts = False  # whether any page draws a Vega-Lite chart (then the vendored Vega is copied)
        self.samples = 0
        self.sample_pages = 0
        self.headings = {b.slug: _heading(b) for b in content.boards}

    def page(self, relative: str, template: str, **context: Any) -> None:
        depth = relative.count("/")
        charts = bool(context.pop("charts", False))
        self.charts |= charts
        html = self.env.get_template(template).render(site=self.site, root="../" * depth, charts=charts, vendor=VENDOR, **context)
        self.files.text(relative, html)

    def assets(self) -> None:
        static = resources.files("harness.publish") / "static"
        for name in ("site.css", "site.js"):
            self.files.text(f"assets/{name}", (static / name).read_text(encoding="utf-8"))

    def finish(self) -> None:
        if not self.charts:
            return
        vendor = resources.files("harness.publish") / "static" / "vendor"
        for item in vendor.iterdir():
            self.files.text(f"assets/vendor/{item.name}", item.read_text(encoding="utf-8"))

    # -- index and boards -----------------------------------------------------------------

    def index(self) -> None:
        board_of: dict[tuple[str, str | None, str | None], PublishedBoard] = {
            (b.board.task, b.board.dataset, b.board.split): b for b in self.content.boards
        }
        overviews: list[dict[str, Any]] = []
        for ov in self.content.overviews:
            rows = []
            for r in ov.overview:
                published = board_of.get((r.task, r.dataset, r.split))
                rows.append(
                    {
                        "task": r.task,
                        "data": f"{r.dataset}/{r.split}" if r.dataset else "no runs yet",
                        "model": (r.best_model or "—") + (f" {config(r.model_config)}" if r.model_config else ""),
                        "metric": r.metric or "—",
                        "value": r.value,
                        "value_text": fmt(r.value),
                        "ci": ci(r.ci_low, r.ci_high),
                        "runs": r.runs,
                        "models": r.models,
                        "run_id": r.run_id,
                        "run_href": run_page(r.run_id) if r.run_id in self.run_ids else None,
                        "board_href": f"boards/{published.slug}.html" if published else None,
                    }
                )
            overviews.append({"name": ov.spec.name, "title": ov.spec.title, "description": ov.spec.description, "rows": rows})
            self.files.text(f"leaderboards/{ov.spec.name}.json", _json(ov.as_json()))
        leaderboards = []
        for lb in self.content.leaderboards:
            self.files.text(f"leaderboards/{lb.spec.name}.json", _json(lb.as_json()))
            mine = [b for b in self.content.boards if b.leaderboard == lb.spec.name]
            leaderboards.append(
                {
                    "name": lb.spec.name,
                    "title": lb.spec.title,
                    "description": lb.spec.description,
                    "boards": [
                        {"slug": b.slug, "heading": self.headings[b.slug], "table": board_table(b.as_json(), self.run_ids)}
                        for b in mine
                    ],
                }
            )
        self.page(
            "index.html",
            "index.html",
            overviews=overviews,
            overviews_have_runs=any(r["run_id"] for o in overviews for r in o["rows"]),
            leaderboards=leaderboards,
            boards=[
                {"slug": b.slug, "heading": self.headings[b.slug], "rows": len(b.board.standings)} for b in self.content.boards
            ],
            without_runs=self.content.without_runs,
        )

    def board(self, published: PublishedBoard) -> None:
        data = published.as_json()
        self.files.text(f"boards/{published.slug}.json", _json(data))
        self.files.text(f"boards/{published.slug}.csv", board_csv(data))
        metric = self.registry.metrics.get(published.board.metric)
        seed_rows = [
            {
                "row": f"{row.rank}. {row.model}",
                "seed": seed_run.get("seed"),
                "value": fmt(seed_run.get("value")),
                "run_id": seed_run.get("run_id"),
                "href": run_page(str(seed_run.get("run_id"))) if seed_run.get("run_id") in self.run_ids else None,
            }
            for row in published.board.standings
            if row.seeds > 1
            for seed_run in row.seed_runs
        ]
        self.page(
            f"boards/{published.slug}.html",
            "board.html",
            b={
                "slug": published.slug,
                "heading": self.headings[published.slug],
                "leaderboard_title": published.title,
                "metric": published.board.metric,
                "metric_description": metric.obj.description if metric else "",
                "higher_is_better": published.board.higher_is_better,
                "facts": board_facts(data),
                "chart": ci_chart(data),
                "table": board_table(data, self.run_ids),
                "seeded": bool(seed_rows),
                "seed_rows": seed_rows,
            },
        )

    # -- runs and samples -----------------------------------------------------------------

    def run(self, run_id: str) -> None:
        from harness.dashboard import rendering

        with self.store.reading():
            run = self.store.get_run(run_id)
            artifacts = {a.name: a for a in self.store.artifacts(run.run_id)}
            descriptions = self.store.metric_descriptions(run.run_id)
            peers = rendering.peer_runs(self.store, run)
        folder = run_page(run.run_id).removesuffix("/index.html")
        renderers = [renderer() for renderer in self.registry.renderers_for(run.task)]
        panels: list[Shown] = []
        errors: list[str] = []
        if CURVE_FILE in artifacts:  # a trained run's learning curve, whatever its renderer (as the dashboard)
            curve = learning_curve(json.loads(artifacts[CURVE_FILE].data.decode("utf-8")))
            panels += [shown(curve, self.files)] if curve is not None else []
        if renderers:
            every = self.store.sample_pages(run.run_id)
            for renderer in renderers:
                try:
                    drawn = rendering.run_panels(renderer, run, every, artifacts, lambda: peers)
                except Exception as exc:  # a renderer's bug costs its plots, not the site
                    errors.append(f"{type(renderer).__qualname__} failed: {type(exc).__name__}: {exc}")
                    continue
                panels += [shown(p, self.files) for p in drawn]
        self.page(
            f"{folder}/index.html",
            "run.html",
            charts=any(p.kind == "chart" for p in panels),
            run=run,
            ranked_on=[
                {"slug": b.slug, "heading": self.headings[b.slug]}
                for b in self.content.boards
                if any(s.run_id == run_id or any(r.get("run_id") == run_id for r in s.seed_runs) for s in b.board.standings)
            ],
            metrics=self._metrics(run, descriptions),
            citations=[
                (m.name, entry.obj.citation)
                for m in run.metrics
                if (entry := self.registry.metrics.get(m.name)) is not None and entry.obj.citation
            ],
            config_json=json.dumps(run.model_config, ensure_ascii=False, indent=2, sort_keys=True),
            data_facts=[
                (k, generic(getattr(run, k)))
                for k in (
                    "dataset",
                    "split",
                    "data_fingerprint",
                    "sample_limit",
                    "n_samples",
                    "train_dataset",
                    "train_fingerprint",
                )
            ],
            provenance=[
                (k, generic(v if not isinstance(v, datetime) else v.isoformat()))
                for k in ("run_id", "task", "task_version", "model", "seed", *PROVENANCE)
                for v in (getattr(run, k),)
            ],
            packages=sorted((run.packages or {}).items()),
            panels=panels,
            panel_errors=errors,
            artifacts=[self._artifact(a) for a in artifacts.values()],
        )
        self._samples(run, folder, renderers, artifacts)

    def _metrics(self, run: RunRecord, stored: dict[str, str]) -> list[dict[str, Any]]:
        rows = []
        for m in run.metrics:
            entry = self.registry.metrics.get(m.name)
            rows.append(
                {
                    "name": m.name,
                    "primary": m.primary,
                    "value": m.value,
                    "value_text": fmt(m.value),
                    "ci": ci(m.ci_low, m.ci_high),
                    "better": "higher" if m.higher_is_better else "lower",
                    "description": (entry.obj.description if entry else "") or stored.get(m.name, ""),
                }
            )
        return rows

    def _artifact(self, artifact: Artifact) -> dict[str, Any]:
        image = artifact.kind.startswith("image/")
        extension = image_extension(artifact.data) if image else Path(artifact.name).suffix[:10]
        preview = ""
        if artifact.kind == "application/json":
            try:
                preview = json.dumps(json.loads(artifact.data.decode("utf-8")), ensure_ascii=False, indent=2)
            except ValueError:
                preview = artifact.data.decode("utf-8", "replace")
        elif artifact.kind.startswith("text/"):
            preview = artifact.data.decode("utf-8", "replace")
        if len(preview) > ARTIFACT_PREVIEW:
            preview = preview[:ARTIFACT_PREVIEW] + "\n… (download the file for the rest)"
        return {
            "name": artifact.name,
            "kind": artifact.kind,
            "size": f"{len(artifact.data):,}",
            "href": self.files.blob(artifact.data, extension),
            "image": image,
            "preview": preview,
        }

    def _samples(self, run: RunRecord, folder: str, renderers: list[Any], artifacts: Mapping[str, Artifact]) -> None:
        every = self.store.sample_pages(run.run_id, page_size=READ_PAGE)  # one query per READ_PAGE samples
        pages = max(1, math.ceil(len(every) / self.page_size))
        index: list[list[Any]] = []
        anchors: set[str] = set()
        chunk: list[SampleRecord] = []
        page = 1
        for sample in every:
            chunk.append(sample)
            if len(chunk) == self.page_size:
                self._sample_page(run, folder, renderers, artifacts, chunk, page, pages, len(every), index, anchors)
                chunk, page = [], page + 1
        if chunk or page == 1:
            self._sample_page(run, folder, renderers, artifacts, chunk, page, pages, len(every), index, anchors)
        self.files.text(f"{folder}/samples/search.js", "window.HARNESS_SAMPLES = " + json.dumps(index, ensure_ascii=True) + ";\n")

    def _sample_page(
        self,
        run: RunRecord,
        folder: str,
        renderers: list[Any],
        artifacts: Mapping[str, Artifact],
        records: list[SampleRecord],
        page: int,
        pages: int,
        total: int,
        index: list[list[Any]],
        anchors: set[str],
    ) -> None:
        from harness.dashboard import rendering

        shown_samples = []
        charts = False
        for sample in records:
            anchor = "s-" + unique_slug(sample.sample_id, anchors)
            error = ""
            try:
                drawn = rendering.static_sample(renderers, sample, run, lambda: artifacts)
            except Exception as exc:  # one sample a renderer cannot draw shows generically
                error = f"the task's sample view failed here ({type(exc).__name__}: {exc}); shown generically"
                drawn = rendering.static_sample([], sample, run, lambda: artifacts)
            converted = [shown(p, self.files) for p in drawn]
            scores, more_scores = _scores(sample)
            charts |= any(p.kind == "chart" for p in converted)
            shown_samples.append(
                {
                    "anchor": anchor,
                    "sample_id": sample.sample_id,
                    "idx": sample.idx,
                    "scores": scores,
                    "more_scores": more_scores,
                    "more_count": max(0, len(sample.scores or {}) - SCORES_SHOWN),
                    "panels": converted,
                    "error": error,
                }
            )
            index.append([sample.sample_id, anchor, page, searchable(sample)])
        self.page(
            f"{folder}/samples/page-{page}.html",
            "samples.html",
            charts=charts,
            run=run,
            samples=shown_samples,
            page=page,
            pages=pages,
            total=total,
            page_size=self.page_size,
        )
        self.samples += len(records)
        self.sample_pages += 1


def _heading(published: PublishedBoard) -> str:
    board = published.board
    arrow = "↑" if board.higher_is_better else "↓"
    return f"{board.task} · {board.data} · {board.metric} {arrow}"


def _scores(sample: SampleRecord) -> tuple[list[tuple[str, str]], str]:
    """A sample's first scores as short labels (numbers to 4 digits, a metric's own statistics as
    `key value` pairs), and the rest as one line for a tooltip: a task with many metrics (power
    per family) would otherwise bury the sample under them."""
    labels = [(name, _score_text(value)) for name, value in (sample.scores or {}).items()]
    rest = "; ".join(f"{name} {text}" for name, text in labels[SCORES_SHOWN:])
    return [(name, text if len(text) <= 60 else text[:59] + "…") for name, text in labels[:SCORES_SHOWN]], rest


def _score_text(value: Any) -> str:
    if isinstance(value, dict) and all(isinstance(v, (int, float, str)) or v is None for v in value.values()):
        return " ".join(f"{k} {fmt(v) if isinstance(v, float) else v}" for k, v in value.items())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt(float(value))
    return generic(value)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
