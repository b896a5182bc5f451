"""The dashboard renderer and the leaderboard definition, on real stored runs."""

import harness_titling
from harness_titling.render import TitlingRenderer, char_diff

from harness import views
from harness.store import Store
from harness.testing import leaderboard_definitions, run_plugin

TINY = {
    "char_size": "16",
    "z_dim": "16",
    "heads": "2",
    "steps": "3",
    "train_batch_size": "8",
    "max_train": "32",
    "max_len": "8",
    "min_count": "1",
    "val_rows": "16",  # validation losses on 16 articles of the embedded val split, not 200
}


def test_character_diff():
    assert char_diff("《长夜》夺冠：李明", "《长夜》退役：李明") == "《长夜》[-夺冠-]{+退役+}：李明"
    assert char_diff("北京", "北京") == "北京" and char_diff("", "新") == "{+新+}"


def test_renderer_draws_stored_runs(tmp_path):
    db = tmp_path / "r.duckdb"
    lead = run_plugin(harness_titling, "titling", db=db, model="lead", limit=60).run
    both = run_plugin(harness_titling, "titling", db=db, model="bidirectional", model_args=TINY, limit=5).run
    store = Store(db)
    renderer = TitlingRenderer()
    assert renderer.serves("titling")
    for run in (lead, both):
        stored, samples = store.get_run(run.run_id), store.samples(run.run_id)
        scores, by_length = renderer.run_panels(stored, samples, {a.name: a for a in store.artifacts(run.run_id)})
        assert scores.kind == "chart" and {v["metric"] for v in scores.data["data"]["values"]} >= {"rouge-l", "first4-acc"}
        assert by_length.kind == "chart" and by_length.caption == "every sample of the run"
        assert {r["metric"] for r in by_length.data["data"]["values"]} == {"ROUGE-L", "first-4", "last-4"}
        article, reference, generated, table = renderer.sample_panels(samples[0], stored)
        assert all(isinstance(p, views.Panel) for p in (article, reference, generated, table))
        assert article.kind == "text" and article.data == samples[0].input["content"]
        assert reference.data == samples[0].reference and generated.data == samples[0].prediction["title"]
        assert "ROUGE-L" in generated.caption
        assert table.kind == "table" and table.data[0] == {"decoding": "reference", "title": samples[0].reference}
        titles, excerpt = renderer.static_sample(samples[0], stored)  # `harness publish`: the titles first
        assert titles.data[0] == {"title": "generated", "text": samples[0].prediction["title"]}
        assert titles.data[1] == {"title": "reference", "text": samples[0].reference}
        assert samples[0].input["content"].startswith(excerpt.data.removesuffix("…"))
    decodings = [row["decoding"] for row in table.data]
    assert decodings[2:] == ["best L2R path", "best R2L path"] and "character diff vs reference" in table.data[1]


def test_the_leaderboard_definition_is_registered(tmp_path):
    specs = leaderboard_definitions(harness_titling, directory=tmp_path)  # no files: only plugin contributions
    spec = specs["titling"]
    assert spec.source.startswith("plugin ") and spec.source.endswith("titling.toml)") and spec.kind == "ranking"
    [board] = spec.tasks
    assert board.task == "titling" and board.metric == "titling-rouge-l"
    assert set(board.columns) == {
        "titling-rouge-1",
        "titling-rouge-2",
        "titling-bleu",
        "titling-first4-acc",
        "titling-last4-acc",
        "titling-exact-match",
    }
