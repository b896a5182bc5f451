"""How the dashboard draws nl2sql runs and samples (as `harness.views` panels; no Streamlit here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from harness import Renderer, views

PREVIEW_ROWS = 10


def preview(table: Mapping[str, Any], limit: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    from harness_nl2sql.sql import column_names

    names = column_names(list(table.get("header", [])))
    return [dict(zip(names, row, strict=False)) for row in table.get("rows", [])[:limit]]


def _result_panel(result: Any, title: str, labels: list[str]) -> views.Panel:
    from harness_nl2sql.sql import result_json

    shown = result_json(result, labels)
    if isinstance(shown, str):
        return views.text(shown, title=title)
    if not shown:
        return views.text("(no rows)", title=title)
    caption = f"{len(result)} rows" + (f", first {len(shown)} shown" if len(result) > len(shown) else "")
    return views.table(shown, title=title, caption=caption)


def sample_outcome(scores: Mapping[str, Any]) -> str | None:
    """A stored sample's outcome (see `metrics.outcome`), read back from its share scores."""
    found = None
    for kind in ("wrong-result", "exec-error", "unparseable"):
        score = scores.get(f"nl2sql-{kind}-rate")
        if not isinstance(score, Mapping) or not score.get("n"):
            return None  # a run scored before the shares existed, or a question without a usable gold query
        if score.get("hit"):
            found = kind
    return found or "ok"


def _aggregate_label(sql: Mapping[str, Any]) -> str:
    from harness_nl2sql.values import AGGS

    used = sorted({AGGS[int(a)] for a in sql.get("agg", []) if int(a)})
    return "+".join(used) if used else "no aggregate"


def outcome_breakdown(samples: Sequence[Any]) -> list[views.Panel]:
    """Where predictions fail, by number of gold conditions and by gold aggregate."""
    rows = []
    for sample in samples:
        kind, ref = sample_outcome(sample.scores or {}), sample.reference
        if kind is not None and isinstance(ref, Mapping):
            rows.append({"conditions": str(len(ref.get("conds", []))), "aggregate": _aggregate_label(ref), "outcome": kind})
    if not rows:
        return []
    chart = views.chart(
        {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": rows},
            "mark": "bar",
            "encoding": {
                "x": {"field": "conditions", "type": "ordinal", "title": "gold conditions"},
                "y": {"aggregate": "count", "type": "quantitative", "stack": "normalize", "title": "share of questions"},
                "color": {"field": "outcome", "type": "nominal", "sort": list(OUTCOME_ORDER)},
                "order": {"field": "outcome"},
            },
        },
        title="Outcomes by number of gold conditions",
        caption=f"first {len(samples)} samples of the run; ok / wrong-result / exec-error / unparseable",
    )
    by_agg: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOME_ORDER, 0))
    for row in rows:
        by_agg[row["aggregate"]][row["outcome"]] += 1
    table = [
        {"gold aggregate": agg, "questions": sum(counts.values()), **{k: counts[k] / sum(counts.values()) for k in OUTCOME_ORDER}}
        for agg, counts in sorted(by_agg.items(), key=lambda item: -sum(item[1].values()))
    ]
    return [chart, views.table(table, title="Outcome shares by gold aggregate")]


OUTCOME_ORDER = ("ok", "wrong-result", "exec-error", "unparseable")


class Nl2sqlRenderer(Renderer):
    tasks = ("nl2sql",)

    def sample_panels(self, sample: Any, run: Any) -> list[views.Panel]:
        from harness_nl2sql.sql import display, execute, selected_names

        inp = sample.input or {}
        table = inp.get("table") or {}
        gold, pred = sample.reference, sample.prediction
        scores = sample.scores or {}
        verdict = ", ".join(
            f"{name.removeprefix('nl2sql-')}: {value.get('hit') if isinstance(value, Mapping) else value}"
            for name, value in scores.items()
            if name in ("nl2sql-logic-form-acc", "nl2sql-execution-acc")
        )
        panels = [views.text(str(inp.get("question", "")), title="Question", caption=verdict)]
        n_rows = len(table.get("rows", []))
        title = " · ".join(filter(None, [str(table.get("title", "")), str(inp.get("table_id", ""))]))
        columns = ", ".join(f"{h} ({t})" for h, t in zip(table.get("header", []), table.get("types", []), strict=False))
        caption = f"{n_rows} rows, first {min(n_rows, PREVIEW_ROWS)} shown; columns: {columns}"
        panels.append(views.table(preview(table), title=f"Table {title}", caption=caption))
        panels.append(
            views.diff(
                display(gold, table),
                display(pred if isinstance(pred, Mapping) else None, table),
                title="Gold vs predicted SQL",
                expected_label="gold",
                actual_label="predicted",
            )
        )
        if table.get("header"):
            if isinstance(gold, Mapping):
                panels.append(_result_panel(execute(dict(gold), dict(table)), "Gold result", selected_names(gold, table)))
            if isinstance(pred, Mapping):
                panels.append(_result_panel(execute(dict(pred), dict(table)), "Predicted result", selected_names(pred, table)))
        return panels

    def static_sample(self, sample: Any, run: Any) -> list[views.Panel]:
        """The question, gold and predicted SQL side by side, and what each returns on the table."""
        from harness_nl2sql.sql import display, execute, selected_names

        table = (sample.input or {}).get("table") or {}
        gold, pred = sample.reference, sample.prediction
        hits = {
            name.removeprefix("nl2sql-"): value.get("hit") if isinstance(value, Mapping) else value
            for name, value in (sample.scores or {}).items()
            if name in ("nl2sql-logic-form-acc", "nl2sql-execution-acc")
        }
        verdict = ", ".join(f"{name}: {hit}" for name, hit in hits.items())
        panels = [views.text(str((sample.input or {}).get("question", "")), title="Question", caption=verdict)]
        panels.append(views.code(display(gold if isinstance(gold, Mapping) else None, table), "sql", title="Gold SQL"))
        panels.append(views.code(display(pred if isinstance(pred, Mapping) else None, table), "sql", title="Predicted SQL"))
        if table.get("header"):
            for label, query in (("Gold result", gold), ("Predicted result", pred)):
                if isinstance(query, Mapping):
                    panels.append(_result_panel(execute(dict(query), dict(table)), label, selected_names(query, table)))
        return panels

    def run_panels(self, run: Any, samples: Sequence[Any], artifacts: Mapping[str, Any]) -> list[views.Panel]:
        panels = []
        accuracies = [m for m in run.metrics if not m.name.endswith("-rate")]  # the shares of failures are drawn below
        bars = views.metric_bars(accuracies, "Accuracy by component", strip_prefix="nl2sql-", axis="accuracy")
        if bars is not None:
            panels.append(bars)
        by_conds: dict[int, list[float]] = defaultdict(list)
        for sample in samples:
            ref, score = sample.reference, (sample.scores or {}).get("nl2sql-logic-form-acc")
            if isinstance(ref, Mapping) and isinstance(score, Mapping) and score.get("n"):
                by_conds[len(ref.get("conds", []))].append(float(score["hit"]))
        if by_conds:
            rows = [
                {"conditions": str(k), "logic-form accuracy": sum(v) / len(v), "questions": len(v)}
                for k, v in sorted(by_conds.items())
            ]
            panels.append(
                views.chart(
                    {
                        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                        "data": {"values": rows},
                        "mark": "bar",
                        "encoding": {
                            "x": {"field": "conditions", "type": "ordinal"},
                            "y": {"field": "logic-form accuracy", "type": "quantitative", "scale": {"domain": [0, 1]}},
                            "tooltip": [{"field": "questions"}],
                        },
                    },
                    title="Logic-form accuracy by number of gold conditions",
                    caption=f"first {len(samples)} samples of the run",
                )
            )
        panels.extend(outcome_breakdown(samples))
        return panels
