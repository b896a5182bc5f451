"""Both models end to end through the runner: training, checkpoint caching, a local pretrained checkpoint,
the real format, progress, and bad arguments."""

import json
import os
from contextlib import contextmanager
from pathlib import Path

import harness_entity_linking
import pytest
from harness_entity_linking.metrics import METRICS
from harness_entity_linking.models.pipeline import PipelineModel
from harness_entity_linking.task import EntityLinkingTask

from harness import ConfigError, RunContext
from harness.store import Store
from harness.testing import invoke, run_plugin
from harness.training import TrainingCheckpoint

FIXTURES = Path(__file__).parent / "fixtures" / "ccks2019"
TINY = {
    "hidden_size": "32",
    "layers": "1",
    "heads": "2",
    "intermediate_size": "64",
    "tagger_epochs": "2",
    "matcher_epochs": "1",
    "max_train": "200",
    "train_batch_size": "16",
    "val_texts": "24",
    "min_steps": "0",
}
SMALL = {**TINY, "max_train": "48"}
FIXTURE_ARGS = {**TINY, "max_train": "0", "tagger_epochs": "3", "val_fraction": "0.5"}


def _values(run):
    return {m.name: m.value for m in run.metrics}


def _pipeline_on(folder, db):
    """The tiny pipeline (FIXTURE_ARGS) trained and evaluated on a CCKS-format folder."""
    return run_plugin(harness_entity_linking, "entity-linking", db=db, model="pipeline", model_args=FIXTURE_ARGS, data_dir=folder)


def _progress(calls):
    @contextmanager
    def progress(description, total):
        calls.append((description, total, []))
        yield lambda n=1, **status: calls[-1][2].append((n, status))

    return progress


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The tiny pipeline trained once for the module on 48 embedded texts, with its progress calls
    (the uninterrupted peer of the resume test, hence `HARNESS_CHECKPOINT_EVERY` as there)."""
    calls = []
    model = PipelineModel(**SMALL)
    ctx = RunContext(task="entity-linking", seed=0, progress=_progress(calls), training_dir=tmp_path_factory.mktemp("whole"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CHECKPOINT_EVERY", "3")
        model.fit(EntityLinkingTask().load("train"), ctx)
    return model, calls, ctx.training_record()


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory):
    """A harness home whose checkpoints several tests share: a configuration trained on the same rows
    by one test is loaded, not trained again, by the next (each test keeps its own database)."""
    return tmp_path_factory.mktemp("shared-home")


@pytest.mark.slow
def test_alias_prior_is_an_honest_imperfect_baseline(tmp_path):
    run = run_plugin(
        harness_entity_linking, "entity-linking", db=tmp_path / "r.duckdb", model="alias-prior", split="dev", limit=300
    ).run
    assert run.status == "finished", run.error
    v = _values(run)
    assert 0.4 < v["el-f1"] < 0.9 and 0.4 < v["el-link-acc"] < 0.95
    assert v["el-precision"] < v["el-md-precision"]  # linking loses what detection found
    f1 = 2 * v["el-precision"] * v["el-recall"] / (v["el-precision"] + v["el-recall"])
    assert v["el-f1"] == pytest.approx(f1, abs=1e-9)


@pytest.mark.slow
def test_pipeline_trains_caches_its_checkpoint_and_predicts(tmp_path, monkeypatch):
    db = tmp_path / "r.duckdb"
    first = run_plugin(
        harness_entity_linking, "entity-linking", db=db, model="pipeline", model_args=SMALL, split="dev", limit=40
    ).run
    assert first.status == "finished", first.error
    rows = Store(db).query("SELECT prediction FROM samples WHERE run_id = ?", [first.run_id])
    preds = [json.loads(r["prediction"]) for r in rows]
    assert len(preds) == 40 and all(set(p) == {"mentions", "gold_links"} for p in preds)
    assert sum(len(p["gold_links"]) for p in preds) > 40
    checkpoints = list((tmp_path / "harness-home" / "checkpoints" / "pipeline").iterdir())
    assert len(checkpoints) == 1 and (checkpoints[0] / "model.pt").exists()

    def no_training(self, train, ctx):
        raise AssertionError("a second run must load the cached checkpoint, not retrain")

    monkeypatch.setattr(PipelineModel, "fit", no_training)
    second = run_plugin(harness_entity_linking, "entity-linking", db=db, model="pipeline", model_args=SMALL, limit=8).run
    assert second.status == "finished", second.error


def test_gold_spans_do_not_change_end_to_end_output_and_progress_is_per_step(trained):
    model, calls, _ = trained
    task = EntityLinkingTask()
    [(description, total, advances)] = calls
    assert "training pipeline" in description and sum(n for n, _ in advances) == total > 0
    assert {s["stage"] for _, s in advances if s} == {"tagger", "matcher"} and all("loss" in s for _, s in advances[1:])
    items = [task.input(r) for r in task.load("test")[:20]]
    with_gold = model.predict(items, None)
    without = model.predict([{**item, "gold_spans": []} for item in items], None)
    assert [p["mentions"] for p in with_gold] == [p["mentions"] for p in without]
    assert all(p["gold_links"] == [] for p in without)


def test_pipeline_on_the_real_format(tmp_path, monkeypatch, shared_home):
    monkeypatch.setenv("HARNESS_HOME", str(shared_home))
    result = _pipeline_on(FIXTURES, tmp_path / "r.duckdb")
    run = result.run
    assert run.status == "finished", run.error
    assert run.dataset == "ccks2019-el" and run.n_samples == 2
    # develop.json has no mention_data: both stages validate on texts carved from train.
    stages = json.loads(result.artifacts["learning-curve.json"].data)["stages"]
    assert [s["validation"]["source"] for s in stages] == ["carved from train"] * 2
    prior = run_plugin(
        harness_entity_linking, "entity-linking", db=tmp_path / "r.duckdb", model="alias-prior", data_dir=FIXTURES, split="dev"
    ).run
    assert prior.status == "finished", prior.error
    assert all(m.value is None for m in prior.metrics)  # develop.json has no mention_data: no made-up scores
    preds = {
        r["sample_id"]: json.loads(r["prediction"])
        for r in Store(tmp_path / "r.duckdb").query("SELECT sample_id, prediction FROM samples WHERE run_id = ?", [prior.run_id])
    }
    # Full-width Latin in the text matches the alias iphone x; the mention is the original substring.
    assert {"mention": "ＩＰＨＯＮＥ Ｘ", "offset": 0, "kb_id": "10007"}.items() <= preds["102"]["mentions"][0].items()
    assert [m["kb_id"] for m in preds["101"]["mentions"]] == ["10004", "10006"]  # 南大, 石头记


def test_a_moved_data_folder_keeps_its_fingerprint_and_trained_model(tmp_path, monkeypatch, shared_home):
    import shutil

    monkeypatch.setenv("HARNESS_HOME", str(shared_home))
    db = tmp_path / "r.duckdb"
    first = shutil.copytree(FIXTURES, tmp_path / "here" / "ccks2019")
    run = _pipeline_on(first, db).run
    assert run.status == "finished", run.error
    moved = first.rename(tmp_path / "elsewhere")
    again = _pipeline_on(moved, db)
    assert again.cached and again.run.run_id == run.run_id  # same rows, same key: nothing recomputed
    inputs = Store(db).query("SELECT input::VARCHAR AS input FROM samples WHERE run_id = ?", [run.run_id])
    assert not any(str(tmp_path) in r["input"] for r in inputs)  # no machine path in the stored rows
    (moved / "kb_data").write_text((moved / "kb_data").read_text().replace("南京大学", "南京大學"))
    changed = _pipeline_on(moved, db)
    assert not changed.cached and changed.run.data_fingerprint != run.data_fingerprint  # the KB's content counts


def test_pipeline_starts_from_a_local_pretrained_checkpoint(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    task = EntityLinkingTask()
    chars = sorted({c for r in task.load("train")[:400] for c in r["text"]})
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars])}
    checkpoint = tmp_path / "tiny-chinese-bert"
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(checkpoint)
    BertTokenizerFast(vocab=vocab).save_pretrained(checkpoint)  # writes tokenizer.json, not vocab.txt
    args = {
        "pretrained": str(checkpoint),
        "tagger_epochs": "1",
        "matcher_epochs": "1",
        "max_train": "48",
        "train_batch_size": "16",
        "min_steps": "0",
    }
    run = run_plugin(
        harness_entity_linking, "entity-linking", db=tmp_path / "r.duckdb", model="pipeline", model_args=args, limit=8
    ).run
    assert run.status == "finished", run.error
    model = PipelineModel(**args)
    model.load(next((tmp_path / "harness-home" / "checkpoints" / "pipeline").iterdir()))
    assert model.tagger.bert.config.hidden_size == 32 and model.vocab["北"] == vocab["北"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"hidden_size": "30", "heads": "4"}, "multiple of heads"),
        ({"link_threshold": "1.5"}, "link_threshold must lie in"),
        ({"layers": "two"}, "not a valid int"),
        ({"pretrained": "/nonexistent/bert"}, "not a directory"),
        ({"epochs": "1"}, "has no argument"),
    ],
)
def test_bad_model_arguments_are_config_errors(tmp_path, args, message):
    with pytest.raises(ConfigError, match=message):
        run_plugin(harness_entity_linking, "entity-linking", db=tmp_path / "r.duckdb", model="pipeline", model_args=args)


@pytest.mark.slow
def test_cli_runs_the_task_end_to_end(tmp_path):
    env = dict(os.environ, HARNESS_PLUGINS="harness_entity_linking", HARNESS_DB=str(tmp_path / "cli.duckdb"))
    out = invoke("run", "--task", "entity-linking", "--model", "alias-prior", "--limit", "30", "--json", env=env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "finished" and result["dataset"] == "el-synth-v1" and result["split"] == "test"
    assert result["metrics"]["el-f1"]["primary"] is True


def test_a_rescore_gives_the_runs_values_and_versions_and_creates_no_run(tmp_path):
    env = dict(os.environ, HARNESS_PLUGINS="harness_entity_linking", HARNESS_DB=str(tmp_path / "cli.duckdb"))
    run = json.loads(
        invoke("run", "--task", "entity-linking", "--model", "alias-prior", "--limit", "100", "--json", env=env).stdout
    )
    shown = invoke("show", run["run_id"], "--samples", "--limit", "0", "--json", env=env).stdout
    out = invoke("rescore", "--run", run["run_id"], "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert {m["change"] for m in json.loads(out.stdout)["runs"][0]["metrics"].values()} == {"unchanged"}
    assert invoke("show", run["run_id"], "--samples", "--limit", "0", "--json", env=env).stdout == shown
    versions = {metric.name: metric.version for metric in METRICS}
    assert {name: m["version"] for name, m in json.loads(shown)["metrics"].items()} == {
        n: versions[n] for n in EntityLinkingTask.metrics
    }
    assert len(json.loads(invoke("runs", "--json", env=env).stdout)) == 1


class Interrupted(Exception):
    pass


@pytest.mark.slow
def test_an_interrupted_training_resumes_to_the_same_model(tmp_path, monkeypatch, trained):
    import torch

    monkeypatch.setenv("HARNESS_CHECKPOINT_EVERY", "3")
    train = EntityLinkingTask().load("train")

    def fit(progress, directory):
        model = PipelineModel(**SMALL)
        model.fit(train, RunContext(task="entity-linking", seed=0, progress=progress, training_dir=directory))
        return model

    whole, calls, _ = trained  # trained uninterrupted with the same arguments
    total = calls[0][1]

    @contextmanager
    def stops_midway(description, total):
        count = [0]

        def advance(n=1, **status):
            count[0] += n
            if count[0] == total // 2 + 1:  # inside the matcher stage when the tagger has fewer steps
                raise Interrupted

        yield advance

    with pytest.raises(Interrupted):
        fit(stops_midway, tmp_path / "resumed")
    assert TrainingCheckpoint(tmp_path / "resumed").path is not None  # a snapshot was written
    again = []
    resumed = fit(_progress(again), tmp_path / "resumed")
    first_advance = again[0][2][0][0]
    assert 0 < first_advance <= total // 2  # it started from the snapshot, not from step 0
    for net in ("tagger", "matcher"):
        a, b = getattr(whole, net).state_dict(), getattr(resumed, net).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), net


def test_a_folder_with_an_annotated_dev_file_validates_on_it(tmp_path):
    import shutil

    folder = shutil.copytree(FIXTURES, tmp_path / "ccks2019")
    dev = '{"text_id": "301", "text": "张学友唱胜利", "mention_data": [{"kb_id": "10008", "mention": "张学友", "offset": "0"}]}'
    (folder / "develop.json").write_text(dev + "\n", encoding="utf-8")
    assert EntityLinkingTask().has_split("dev", folder) and not EntityLinkingTask().has_split("dev", FIXTURES)
    result = _pipeline_on(folder, tmp_path / "r.duckdb")
    assert result.run.status == "finished", result.run.error
    stages = json.loads(result.artifacts["learning-curve.json"].data)["stages"]
    assert [s["validation"] for s in stages] == [{"source": "validation split", "rows": 1}] * 2
    model = PipelineModel(**FIXTURE_ARGS)
    model.load(next((tmp_path / "harness-home" / "checkpoints" / "pipeline").iterdir()))
    assert model.schedule["train_texts"] == 4  # every train text trains; none is held out


def test_the_schedule_and_vocabulary_follow_the_training_set(trained):
    from harness_entity_linking.models.pipeline import stage_steps, vocabulary_min_count

    model, _, record = trained
    schedule = model.schedule
    # 48 texts, 2 (5%) carved for validation: 2 tagger epochs of 46 texts at batch 16, 1 matcher epoch at 32.
    assert schedule["train_texts"] == 46 and schedule["validation"]["source"] == "carved from train"
    assert schedule["tagger_steps"] == 2 * 3 and schedule["matcher_steps"] == -(-schedule["train_pairs"] // 32)
    assert [s["max_steps"] for s in record["stages"]] == [schedule["tagger_steps"], schedule["matcher_steps"]]
    assert schedule["min_count"] == 1 and schedule["vocabulary"] == len(model.vocab)
    assert stage_steps(3, 90_000, 32, 300, 4000) == 4000 and stage_steps(3, 20_000, 32, 300, 4000) == 1875
    assert stage_steps(3, 300, 32, 300, 4000) == 300 and stage_steps(3, 300, 32, 0, 4000) == 30  # small: the floor
    assert stage_steps(3, 10**6, 32, 0, 0) == 93750 and stage_steps(0, 300, 32, 300, 4000) == 0
    assert [vocabulary_min_count(n) for n in (0, 600_000, 4_999_999, 21_000_000)] == [1, 1, 1, 5]
