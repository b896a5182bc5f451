"""What a run adds for models that read and write text: the task's interface, its train split for
few-shot examples and the request cache in the `RunContext`, and the run metrics summed from what
those models trace per sample (tokens, latency, cost, failed requests)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.api import Task
from harness.records import MetricValue
from harness.store import RunStore, Store, StoreCache

#: Run metrics summed over the samples' traces: (metric, the `usage` entry it sums, what it means).
USAGE = (
    ("usage-prompt-tokens", "prompt_tokens", "prompt tokens over all samples, as the endpoint counted them"),
    ("usage-completion-tokens", "completion_tokens", "completion tokens over all samples"),
    ("usage-latency-s", "latency_s", "seconds spent waiting for answers, summed (a cached answer counts as first received)"),
    ("usage-cost", "cost", "price of the tokens over all samples, at the model's price per million tokens"),
    ("usage-failed", "failed", "samples whose request failed after its retries (scored as the task's unparseable prediction)"),
)


def text_context(
    task: Task, store: RunStore, request_cache: bool, train: Callable[[], Sequence[Mapping[str, Any]]] | None
) -> dict[str, Any]:
    """The `RunContext` fields a text model reads: the task's interface (or None), its train split
    read on first use, and the store's request cache (None in a sweep's worker, which has no store)."""
    interface = type(task).text
    return {
        "text": interface() if interface is not None else None,
        "train": functools.cache(train) if train is not None else None,
        "cache": StoreCache(store, reads=request_cache) if isinstance(store, Store) else None,
    }


def usage_metrics(traces: Sequence[Mapping[str, Any]]) -> list[MetricValue]:
    """The sums of the traces' `usage` entries as run metrics (no CI: totals, not estimates), each
    only when some sample reports it; nothing for models that trace nothing."""
    out = []
    for name, entry, _ in USAGE:
        values = [t["usage"][entry] for t in traces if isinstance(t.get("usage"), Mapping) and t["usage"].get(entry) is not None]
        if values:
            out.append(MetricValue(name, float(sum(values)), None, None, higher_is_better=False, primary=False))
    return out


DESCRIPTIONS = {name: description for name, _, description in USAGE}
