"""The dashboard renderer on a real stored run."""

import harness_nl2sql
import pytest
from harness_nl2sql.render import Nl2sqlRenderer

from harness import views
from harness.store import Store
from harness.testing import run_plugin


def test_renderer_draws_a_stored_run(tmp_path):
    db = tmp_path / "r.duckdb"
    run = run_plugin(harness_nl2sql, "nl2sql", db=db, model="rules", limit=40).run
    store = Store(db)
    stored, samples = store.get_run(run.run_id), store.samples(run.run_id)
    renderer = Nl2sqlRenderer()
    assert renderer.serves("nl2sql")

    run_panels = renderer.run_panels(stored, samples, {a.name: a for a in store.artifacts(run.run_id)})
    assert [p.kind for p in run_panels] == ["chart", "chart", "chart", "table"]
    bars = run_panels[0].data["data"]["values"]
    assert {b["metric"] for b in bars} >= {"score", "logic-form-acc", "execution-acc", "soft-f1", "sel-acc"}
    assert not any(b["metric"].endswith("-rate") for b in bars)
    outcomes = [row["outcome"] for row in run_panels[2].data["data"]["values"]]
    assert len(outcomes) == 40 and set(outcomes) <= {"ok", "wrong-result", "exec-error", "unparseable"}
    by_aggregate = run_panels[3].data
    assert sum(row["questions"] for row in by_aggregate) == 40
    assert all(
        sum(row[k] for k in ("ok", "wrong-result", "exec-error", "unparseable")) == pytest.approx(1) for row in by_aggregate
    )
    values = {m.name: m.value for m in stored.metrics}
    assert outcomes.count("ok") / 40 == pytest.approx(values["nl2sql-execution-acc"])
    assert outcomes.count("wrong-result") / 40 == pytest.approx(values["nl2sql-wrong-result-rate"])

    wrong = next(s for s in samples if s.scores["nl2sql-logic-form-acc"]["hit"] == 0)
    question, gold_sql, predicted_sql, *results = renderer.static_sample(wrong, stored)  # `harness publish`
    assert question.data == wrong.input["question"] and "logic-form-acc: 0" in question.caption
    assert gold_sql.kind == predicted_sql.kind == "code" and gold_sql.language == "sql" and gold_sql.data != predicted_sql.data
    assert [p.title for p in results] == ["Gold result", "Predicted result"]
    panels = renderer.sample_panels(wrong, stored)
    assert all(isinstance(p, views.Panel) for p in panels)
    question, table, diff, gold, predicted = panels
    assert question.kind == "text" and question.data == wrong.input["question"]
    assert table.kind == "table" and 0 < len(table.data) <= 10 and list(table.data[0]) == wrong.input["table"]["header"]
    assert diff.kind == "code" and diff.language == "diff" and diff.data.startswith("--- gold")
    assert gold.title == "Gold result" and predicted.title == "Predicted result"
    assert gold.kind in ("table", "text") and predicted.kind in ("table", "text")
    if gold.kind == "table":  # result columns are labelled by what was selected, e.g. AVG(均价)
        header = wrong.input["table"]["header"]
        assert all(any(h in label for h in header) for label in gold.data[0])
