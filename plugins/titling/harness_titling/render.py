"""How the dashboard draws titling runs and samples (as `harness.views` panels; no Streamlit here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer, views

ARTICLE_PREVIEW = 300  # characters of the article a published sample shows


def char_diff(reference: str, generated: str) -> str:
    """A character-level diff as plain text: `[-x-]` only in the reference, `{+y+}` only generated."""
    import difflib

    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, reference, generated, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(reference[i1:i2])
        if op in ("delete", "replace"):
            out.append(f"[-{reference[i1:i2]}-]")
        if op in ("insert", "replace"):
            out.append(f"{{+{generated[j1:j2]}+}}")
    return "".join(out)


def _score(scores: Mapping[str, Any], name: str) -> str:
    value = scores.get(name)
    return views.fmt(value.get("value"), 3) if isinstance(value, Mapping) and value.get("n") else "—"


class TitlingRenderer(Renderer):
    tasks = ("titling",)

    def static_sample(self, sample: Any, run: Any) -> list[views.Panel]:
        """The generated title against the reference, with its scores, and the start of the article."""
        article = str((sample.input or {}).get("content", ""))
        pred = sample.prediction if isinstance(sample.prediction, Mapping) else {"title": str(sample.prediction or "")}
        scores = sample.scores or {}
        caption = ", ".join(
            f"{label} {_score(scores, name)}"
            for name, label in (
                ("titling-rouge-l", "ROUGE-L"),
                ("titling-first4-acc", "first-4"),
                ("titling-last4-acc", "last-4"),
            )
        )
        rows = [{"title": "generated", "text": str(pred.get("title", ""))}]
        if isinstance(sample.reference, str):
            rows.append({"title": "reference", "text": sample.reference})
        shown = article if len(article) <= ARTICLE_PREVIEW else article[: ARTICLE_PREVIEW - 1] + "…"
        return [
            views.table(rows, title="Titles", caption=caption),
            views.text(shown, title="Article", caption=f"{len(article)} characters"),
        ]

    def sample_panels(self, sample: Any, run: Any) -> list[views.Panel]:
        article = str((sample.input or {}).get("content", ""))
        pred = sample.prediction if isinstance(sample.prediction, Mapping) else {"title": str(sample.prediction or "")}
        reference = sample.reference if isinstance(sample.reference, str) else None
        scores = sample.scores or {}
        caption = ", ".join(
            f"{label} {_score(scores, name)}"
            for name, label in (
                ("titling-rouge-l", "ROUGE-L"),
                ("titling-rouge-1", "ROUGE-1"),
                ("titling-rouge-2", "ROUGE-2"),
                ("titling-first4-acc", "first-4"),
                ("titling-last4-acc", "last-4"),
            )
        )
        panels = [views.text(article, title="Article", caption=f"{len(article)} characters")]
        panels.append(views.text(reference if reference is not None else "(no reference title)", title="Reference title"))
        generated = str(pred.get("title", ""))
        source = f"won by the {pred['direction'].upper()} path" if "l2r" in pred and pred.get("direction") else ""
        panels.append(views.text(generated, title="Generated title", caption="; ".join(filter(None, [caption, source]))))
        rows = [{"decoding": "generated (" + str(pred.get("direction", run.model if run else "")) + ")", "title": generated}]
        for direction in ("l2r", "r2l"):
            if direction in pred:
                rows.append({"decoding": f"best {direction.upper()} path", "title": str(pred[direction])})
        if reference is not None:
            rows = [{"decoding": "reference", "title": reference}, *rows]
            for row in rows[1:]:
                row["character diff vs reference"] = char_diff(reference, row["title"])
        panels.append(
            views.table(
                rows, title="Titles by decoding", caption="diff: [-x-] only in the reference, {+y+} only in the generated title"
            )
        )
        return panels

    def run_panels(self, run: Any, samples: Sequence[Any], artifacts: Mapping[str, Any]) -> list[views.Panel]:
        import json

        panels = []
        bars = views.metric_bars(
            [m for m in run.metrics if m.name != "titling-bleu"],  # on 0-100, not the bars' 0-1 scale
            "Scores",
            "bars: value; lines: 95% bootstrap interval (BLEU, on 0-100, is in the table)",
            strip_prefix="titling-",
            axis="score",
        )
        if bars is not None:
            panels.append(bars)
        artifact = artifacts.get("scores-by-title-length.json")
        if artifact is not None:
            rows = json.loads(bytes(artifact.data).decode("utf-8"))
            caption = "every sample of the run"
        else:
            from harness_titling.metrics import by_title_length

            rows, caption = by_title_length(samples), f"first {len(samples)} samples of the run"
        if rows:
            panels.append(
                views.chart(
                    {
                        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                        "data": {"values": rows},
                        "mark": {"type": "line", "point": True},
                        "encoding": {
                            "x": {"field": "title length", "type": "ordinal", "sort": None},
                            "y": {"field": "score", "type": "quantitative", "scale": {"domain": [0, 1]}},
                            "color": {"field": "metric", "type": "nominal"},
                            "tooltip": [{"field": "titles"}, {"field": "score", "format": ".3f"}],
                        },
                    },
                    title="Scores by reference title length (characters)",
                    caption=caption,
                )
            )
        return panels
