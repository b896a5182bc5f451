"""How the dashboard draws entity-linking runs and samples (as `harness.views` panels; no Streamlit here).

Mentions are marked in the text with brackets as plain text (⟦mention｜kb_id⟧), never as HTML.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer, views
from harness_entity_linking.data import NIL
from harness_entity_linking.metrics import predicted
from harness_entity_linking.text import REJECTED, UNPARSEABLE

ERRORS_ARTIFACT = "errors-by-kind.json"
KINDS = ("correct", "missed mention", "spurious mention", "wrong entity", "NIL confusion")


def mark(text: str, mentions: Sequence[Mapping[str, Any]]) -> str:
    """The text with each mention bracketed and its kb_id after a bar; overlapping mentions are marked at the
    first one only (so the text stays readable), and offsets outside the text are skipped."""
    out, at = [], 0
    for m in sorted(mentions, key=lambda m: (int(m["offset"]), -len(str(m["mention"])))):
        start, end = int(m["offset"]), int(m["offset"]) + len(str(m["mention"]))
        if start < at or end > len(text):
            continue
        out += [text[at:start], "⟦", text[start:end], "｜", str(m["kb_id"]), "⟧"]
        at = end
    out.append(text[at:])
    return "".join(out)


def classify(prediction: Any, reference: Any) -> list[dict[str, Any]]:
    """One row per mention position (gold or predicted) with its error kind."""
    if reference is None:
        return []
    gold = {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in reference}
    pred = {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in predicted(prediction)}
    rows = []
    for key in sorted(set(gold) | set(pred), key=lambda k: (k[1], k[0])):
        g, p = gold.get(key), pred.get(key)
        if g is None:
            kind = "spurious mention"
        elif p is None:
            kind = "missed mention"
        elif g == p:
            kind = "correct"
        elif NIL in (g, p):
            kind = "NIL confusion"
        else:
            kind = "wrong entity"
        rows.append({"offset": key[1], "mention": key[0], "gold": g or "", "predicted": p or "", "kind": kind})
    return rows


def error_counts(samples: Sequence[Any]) -> dict[str, int]:
    counts = Counter({k: 0 for k in KINDS})
    for sample in samples:
        counts.update(row["kind"] for row in classify(sample.prediction, sample.reference))
    return dict(counts)


def _unread(prediction: Any) -> str:
    """What a text model's answer lost: unparseable (why), or links dropped in validation."""
    if not isinstance(prediction, Mapping):
        return ""
    if prediction.get(UNPARSEABLE):
        return f"; the answer was unparseable: {prediction[UNPARSEABLE]}"
    rejected = prediction.get(REJECTED) or []
    return f"; {len(rejected)} link(s) rejected: {'; '.join(map(str, rejected[:3]))}" if rejected else ""


class EntityLinkingRenderer(Renderer):
    tasks = ("entity-linking",)

    def static_sample(self, sample: Any, run: Any) -> list[views.Panel]:
        """The text with its predicted mentions marked, the gold marking below it, and each mention's
        outcome (without the candidate lists the dashboard's sample view adds)."""
        text = str((sample.input or {}).get("text", ""))
        pred = predicted(sample.prediction)
        panels = [
            views.text(
                mark(text, pred),
                title="Linked mentions (predicted)",
                caption=f"{len(pred)} mentions, marked ⟦mention｜kb_id⟧{_unread(sample.prediction)}",
            )
        ]
        if sample.reference is not None:
            panels.append(
                views.text(mark(text, sample.reference), title="Gold mentions", caption=f"{len(sample.reference)} mentions")
            )
        errors = classify(sample.prediction, sample.reference)
        if errors:
            panels.append(views.table(errors, title="Mentions by outcome"))
        return panels

    def sample_panels(self, sample: Any, run: Any) -> list[views.Panel]:
        inp = sample.input or {}
        text = str(inp.get("text", ""))
        pred = predicted(sample.prediction)
        panels = []
        if sample.reference is not None:
            panels.append(
                views.text(
                    mark(text, sample.reference),
                    title="Gold mentions",
                    caption=f"{len(sample.reference)} mentions, marked ⟦mention｜kb_id⟧",
                )
            )
        panels.append(
            views.text(mark(text, pred), title="Predicted mentions", caption=f"{len(pred)} mentions{_unread(sample.prediction)}")
        )
        errors = classify(sample.prediction, sample.reference)
        if errors:
            panels.append(
                views.table(
                    errors,
                    title="Mentions by outcome",
                    caption="missed / spurious mention, wrong entity, NIL confusion, or correct",
                )
            )
        gold = {(str(m["mention"]), int(m["offset"])): str(m["kb_id"]) for m in sample.reference or ()}
        rows = []
        for m in pred:
            for rank, cand in enumerate(m.get("candidates") or (), start=1):
                key = (str(m["mention"]), int(m["offset"]))
                rows.append(
                    {
                        "mention": m["mention"],
                        "offset": m["offset"],
                        "rank": rank,
                        "kb_id": cand.get("kb_id"),
                        "subject": cand.get("subject"),
                        "score": cand.get("score"),
                        "chosen": cand.get("kb_id") == m["kb_id"],
                        "gold": gold.get(key) == cand.get("kb_id"),
                        "description": cand.get("description"),
                    }
                )
        if rows:
            panels.append(
                views.table(
                    rows,
                    title="Candidates of each predicted mention",
                    caption="matcher (or prior) score, best first; the description is shortened",
                )
            )
        return panels

    def run_panels(self, run: Any, samples: Sequence[Any], artifacts: Mapping[str, Any]) -> list[views.Panel]:
        stored = artifacts.get(ERRORS_ARTIFACT)
        if stored is not None:
            counts, where = json.loads(stored.data), "all samples of the run"
        else:
            counts, where = error_counts(samples), f"first {len(samples)} samples of the run"
        total = sum(counts.values()) or 1
        rows = [{"kind": k, "mentions": counts.get(k, 0), "share": counts.get(k, 0) / total} for k in KINDS]
        panels = [views.table(rows, title="Mentions by outcome", caption=where)]
        bars = views.metric_bars(
            run.metrics, "Metrics", "bars: value; lines: 95% bootstrap interval over texts", strip_prefix="el-"
        )
        if bars is not None:
            panels.append(bars)
        return panels
