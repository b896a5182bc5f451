"""How the dashboard and `harness.testing` ask a renderer for panels: one place, so a renderer
sees the same arguments in a test as on the page.

The first arguments of `Renderer.run_panels` / `sample_panels` are positional and always given;
the context added since (`peers`, a sample's `artifacts`) is read from the store and passed only
to methods that name it, so renderers written before it keep working and pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from harness.api import Renderer
from harness.records import Artifact, RunRecord, SampleRecord
from harness.store import Store
from harness.views import Panel


def peer_runs(store: Store, run: RunRecord) -> list[RunRecord]:
    """The other finished runs of the run's task, dataset and split over the same samples (a
    whole-split run's peers are whole-split runs; a `--limit N` run's, runs of the same limit)."""
    return [
        r
        for r in store.runs(task=run.task, status="finished", dataset=run.dataset)
        if r.split == run.split and r.run_id != run.run_id and r.sample_limit == run.sample_limit
    ]


def run_panels(
    renderer: Renderer,
    run: RunRecord,
    samples: Sequence[SampleRecord],
    artifacts: Mapping[str, Artifact],
    peers: Callable[[], Sequence[RunRecord]],
) -> list[Panel]:
    """`renderer.run_panels`, with `peers()` read only if the renderer takes them."""
    extra = {"peers": peers()} if Renderer.wants(renderer.run_panels, "peers") else {}
    return renderer.run_panels(run, samples, artifacts, **extra)


def sample_panels(
    renderer: Renderer, sample: SampleRecord, run: RunRecord, artifacts: Callable[[], Mapping[str, Artifact]]
) -> list[Panel]:
    """`renderer.sample_panels`, with the run's `artifacts()` read only if the renderer takes them."""
    extra = {"artifacts": artifacts()} if Renderer.wants(renderer.sample_panels, "artifacts") else {}
    return renderer.sample_panels(sample, run, **extra)


def static_sample(
    renderers: Sequence[Renderer], sample: SampleRecord, run: RunRecord, artifacts: Callable[[], Mapping[str, Artifact]]
) -> list[Panel]:
    """A sample as a published site shows it: the `static_sample` of each renderer that has its
    own (with the run's `artifacts()` only if it takes them), or the base renderer's generic view
    once when none has or none draws anything."""
    panels: list[Panel] = []
    for renderer in renderers:
        if type(renderer).static_sample is Renderer.static_sample:
            continue
        extra = {"artifacts": artifacts()} if Renderer.wants(renderer.static_sample, "artifacts") else {}
        panels += renderer.static_sample(sample, run, **extra)
    return panels or Renderer().static_sample(sample, run)
