"""The dashboard renderer on a real stored run: marked text, candidates with descriptions, errors by kind."""

import json

import harness_entity_linking
from harness_entity_linking.render import KINDS, EntityLinkingRenderer, classify, mark

from harness import views
from harness.store import Store
from harness.testing import run_plugin


def test_marking_is_plain_text_and_survives_odd_input():
    text = "<b>胜利</b>是张学友的歌"
    marked = mark(
        text,
        [
            {"mention": "胜利", "offset": 3, "kb_id": "1"},
            {"mention": "张学友", "offset": 10, "kb_id": "NIL"},
            {"mention": "胜", "offset": 3, "kb_id": "2"},
            {"mention": "歌", "offset": 99, "kb_id": "3"},
        ],
    )
    assert marked == "<b>⟦胜利｜1⟧</b>是⟦张学友｜NIL⟧的歌"


def test_error_kinds():
    gold = [
        {"mention": "a", "offset": 0, "kb_id": "1"},
        {"mention": "b", "offset": 2, "kb_id": "2"},
        {"mention": "c", "offset": 4, "kb_id": "NIL"},
        {"mention": "d", "offset": 6, "kb_id": "4"},
        {"mention": "e", "offset": 8, "kb_id": "5"},
    ]
    pred = {
        "mentions": [
            {"mention": "a", "offset": 0, "kb_id": "1"},
            {"mention": "b", "offset": 2, "kb_id": "3"},
            {"mention": "c", "offset": 4, "kb_id": "7"},
            {"mention": "e", "offset": 8, "kb_id": "NIL"},
            {"mention": "f", "offset": 10, "kb_id": "6"},
        ]
    }
    kinds = [row["kind"] for row in classify(pred, gold)]
    assert kinds == ["correct", "wrong entity", "NIL confusion", "missed mention", "NIL confusion", "spurious mention"]


def test_renderer_draws_a_stored_run(tmp_path):
    db = tmp_path / "r.duckdb"
    run = run_plugin(harness_entity_linking, "entity-linking", db=db, model="alias-prior", limit=60).run
    store = Store(db)
    stored, samples = store.get_run(run.run_id), store.samples(run.run_id)
    renderer = EntityLinkingRenderer()
    assert renderer.serves("entity-linking")
    artifacts = {a.name: a for a in store.artifacts(run.run_id)}
    errors_table, chart = renderer.run_panels(stored, samples, artifacts)
    assert errors_table.kind == "table" and [r["kind"] for r in errors_table.data] == list(KINDS)
    counts = json.loads(artifacts["errors-by-kind.json"].data)
    assert sum(counts.values()) == sum(r["mentions"] for r in errors_table.data) > 60
    assert counts["missed mention"] + counts["spurious mention"] + counts["wrong entity"] > 0
    assert chart.kind == "chart" and {v["metric"] for v in chart.data["data"]["values"]} >= {"f1", "precision", "recall"}

    wrong = next(s for s in samples if any(r["kind"] == "wrong entity" for r in classify(s.prediction, s.reference)))
    panels = renderer.sample_panels(wrong, stored)
    assert all(isinstance(p, views.Panel) for p in panels)
    gold, predicted, outcomes, candidates = panels
    assert gold.kind == predicted.kind == "text" and "⟦" in gold.data and "｜" in predicted.data
    assert gold.data.replace("⟦", "").count("｜") == len(wrong.reference)
    assert outcomes.kind == "table" and "wrong entity" in {r["kind"] for r in outcomes.data}
    assert candidates.kind == "table" and all(r["description"] for r in candidates.data)
    assert any(r["chosen"] for r in candidates.data) and {"score", "subject", "kb_id"} <= set(candidates.data[0])

    linked, gold_marked, table = renderer.static_sample(wrong, stored)  # `harness publish`: no candidate lists
    assert linked.data == predicted.data and gold_marked.data == gold.data and table.data == outcomes.data
