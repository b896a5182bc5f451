"""Both models end to end through the runner: training, checkpoint caching, a local pretrained checkpoint, bad args."""

import json
import os
from types import SimpleNamespace

import harness_nl2sql
import pytest
from harness_nl2sql.models.bert import BertSqlModel, Encoder, build_vocab, labels, schedule, vocab_min_count
from harness_nl2sql.models.rules import RulesModel
from harness_nl2sql.task import Nl2sqlTask

from harness import ConfigError
from harness.testing import invoke, run_plugin
from harness.training import TrainingCheckpoint

TINY = {
    "hidden_size": "32",
    "layers": "1",
    "heads": "2",
    "intermediate_size": "64",
    "epochs": "1",
    "max_train": "160",
    "train_batch_size": "16",
    "dev_limit": "40",
}
#: The tiny model several tests share, trained once per module (`trained`): 3 epochs, stopping
#: after one epoch without a better score on the val split.
SHARED = {**TINY, "epochs": "3", "patience": "1"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny `bert` trained through the runner (evaluated on 24 val questions), for the tests
    that need a trained model rather than their own training: its harness home holds the cached
    checkpoint, its run the learning curve."""
    folder = tmp_path_factory.mktemp("nl2sql-bert")
    home, db = folder / "harness-home", folder / "r.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HARNESS_HOME", str(home))
        env.setenv("HARNESS_LOAD_PLUGINS", "")
        env.setenv("HF_HUB_OFFLINE", "1")
        result = run_plugin(harness_nl2sql, "nl2sql", db=db, model="bert", model_args=SHARED, split="val", limit=24)
    return SimpleNamespace(home=home, db=db, result=result)


def test_rules_baseline_is_honest_and_imperfect(tmp_path):
    run = run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="rules", split="val", limit=200).run
    assert run.status == "finished", run.error
    values = {m.name: m.value for m in run.metrics}
    assert 0.05 < values["nl2sql-logic-form-acc"] < 0.7
    assert values["nl2sql-logic-form-acc"] <= values["nl2sql-execution-acc"] + 0.05
    score = values["nl2sql-score"]
    assert score == pytest.approx((values["nl2sql-logic-form-acc"] + values["nl2sql-execution-acc"]) / 2, abs=1e-9)


def test_rules_reads_a_simple_question():
    table = {
        "header": ["城市", "均价", "套数"],
        "types": ["text", "real", "real"],
        "rows": [["北京市", 60000, 12], ["上海市", 55000, 30]],
    }
    sql = RulesModel().parse("北京的均价是多少", table)
    assert sql == {"sel": [1], "agg": [0], "cond_conn_op": 0, "conds": [[0, 2, "北京市"]]}
    sql = RulesModel().parse("套数超过20或者城市是上海的平均均价", table)
    assert sql["cond_conn_op"] == 2 and sorted(sql["conds"]) == [[0, 2, "上海市"], [2, 0, "20"]]
    assert sql["sel"] == [1] and sql["agg"] == [1]


def test_training_labels_follow_the_posts_heads():
    row = Nl2sqlTask().load("train")[0]
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"])}
    encoded = Encoder(vocab, 96, 16, 512).encode(row["question"], row["table"]["header"])
    target = labels(row, encoded)
    assert len(target["agg"]) == len(row["table"]["header"]) and len(target["op"]) == len(row["question"])
    assert [a for a in target["agg"] if a != 6] == row["sql"]["agg"]
    tagged = {c for c in target["col"] if c != -100}
    assert tagged <= {c[0] for c in row["sql"]["conds"]}


def test_bert_trains_caches_its_checkpoint_and_predicts(trained, monkeypatch):
    db = trained.db
    first = trained.result.run
    assert first.status == "finished", first.error
    preds = [
        json.loads(r["prediction"])
        for r in __import__("harness.store", fromlist=["Store"])
        .Store(db)
        .query("SELECT prediction FROM samples WHERE run_id = ?", [first.run_id])
    ]
    assert len(preds) == 24 and all(set(p) == {"sel", "agg", "cond_conn_op", "conds"} for p in preds)
    checkpoints = list((trained.home / "checkpoints" / "bert").iterdir())
    assert len(checkpoints) == 1 and (checkpoints[0] / "model.pt").exists()

    def no_training(self, train, ctx):
        raise AssertionError("a second run must load the cached checkpoint, not retrain")

    monkeypatch.setattr(BertSqlModel, "fit", no_training)
    monkeypatch.setenv("HARNESS_HOME", str(trained.home))
    second = run_plugin(harness_nl2sql, "nl2sql", db=db, model="bert", model_args=SHARED, split="test", limit=8).run
    assert second.status == "finished", second.error


def test_bert_starts_from_a_local_pretrained_checkpoint(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for r in Nl2sqlTask().load("train")[:300] for c in r["question"] + "".join(r["table"]["header"])})
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars])}
    checkpoint = tmp_path / "tiny-chinese-bert"
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(checkpoint)
    BertTokenizerFast(vocab=vocab).save_pretrained(checkpoint)  # writes tokenizer.json, not vocab.txt
    args = {"pretrained": str(checkpoint), "epochs": "1", "max_train": "64", "train_batch_size": "16"}
    run = run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="bert", model_args=args, limit=8).run
    assert run.status == "finished", run.error
    assert run.model_config["pretrained"] == str(checkpoint)
    model = BertSqlModel(**args)
    model.load(next((tmp_path / "harness-home" / "checkpoints" / "bert").iterdir()))
    assert model.net.bert.config.hidden_size == 32 and model.encoder.vocab["北"] == vocab["北"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"hidden_size": "30", "heads": "4"}, "multiple of heads"),
        ({"epochs": "0"}, "epochs must be at least 1"),
        ({"init_range": "0"}, "0 < init_range"),
        ({"layers": "two"}, "not a valid int"),
        ({"pretrained": "/nonexistent/bert"}, "not a directory"),
        ({"learning_rate": "1"}, "has no argument"),
    ],
)
def test_bad_model_arguments_are_config_errors(tmp_path, args, message):
    with pytest.raises(ConfigError, match=message):
        run_plugin(harness_nl2sql, "nl2sql", db=tmp_path / "r.duckdb", model="bert", model_args=args)


def test_cli_runs_the_task_end_to_end(tmp_path):
    env = dict(os.environ, HARNESS_PLUGINS="harness_nl2sql", HARNESS_DB=str(tmp_path / "cli.duckdb"))
    out = invoke("run", "--task", "nl2sql", "--model", "rules", "--limit", "30", "--json", env=env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "finished" and result["dataset"] == "nl2sql-synth-v1" and result["split"] == "test"
    assert result["metrics"]["nl2sql-score"]["primary"] is True


@pytest.fixture(scope="module")
def fitted():
    """A tiny `bert` fitted directly (no runner) on 64 train questions for 2 epochs, validating on
    a quarter of their tables, with what it reported to the progress bar."""
    from contextlib import contextmanager

    from harness import RunContext

    bars = []

    @contextmanager
    def progress(description, total):
        bars.append(SimpleNamespace(description=description, total=total, steps=[], statuses=[]))

        def advance(n=1, **status):
            bars[-1].steps.append(n)
            if status:
                bars[-1].statuses.append(status)

        yield advance

    model = BertSqlModel(**{**TINY, "max_train": "64", "epochs": "2", "dev_fraction": "0.25"})
    model.fit(Nl2sqlTask().load("train"), RunContext(task="nl2sql", seed=0, progress=progress))
    [bar] = bars
    return SimpleNamespace(model=model, bar=bar)


def test_bert_training_reports_progress_per_step(fitted):
    bar, model = fitted.bar, fitted.model
    assert "training bert" in bar.description and bar.total == model.schedule["steps"] == 2 * model.schedule["steps_per_epoch"]
    assert sum(bar.steps) == bar.total == model.history[-1]["step"]


def test_a_small_training_set_gets_a_proportionally_short_schedule(fitted):
    """Steps follow the train questions (epochs over them, batch 16); the model records what it chose."""
    plan = fitted.model.schedule
    assert plan["rows"] < 64 and plan["steps_per_epoch"] == -(-plan["rows"] // 16)
    assert plan["steps"] == 2 * plan["steps_per_epoch"] and plan["epochs"] == 2
    assert plan["validate_every"] == plan["steps_per_epoch"] and plan["vocab_min_count"] == 1
    assert plan["vocab_size"] == len(fitted.model.encoder.vocab)


def test_a_large_training_set_is_capped_and_validated_more_often_than_per_epoch():
    rows = 41_000  # TableQA's train split
    plan = schedule(rows, -(-rows // 32), 18, 3200, 0.06)
    assert plan["steps"] == 3200 and plan["epochs"] < 3 and plan["validate_every"] == 400 and plan["warmup_steps"] == 192
    assert schedule(rows, -(-rows // 32), 18, 0, 0.06)["steps"] == 18 * 1282  # max_steps=0: no cap
    question = {"question": "二" * 60, "table": {"header": ["城市"] * 5}}  # 70 characters
    assert vocab_min_count([question] * 1_000) == 1 and vocab_min_count([question] * 41_000) == 3
    vocab = build_vocab([{"question": "北北京", "table": {"header": ["城市"]}}], min_count=2)
    assert "北" in vocab and "京" not in vocab and "城" not in vocab


@pytest.mark.slow
def test_interrupted_training_resumes_to_the_same_model_and_metrics(tmp_path, monkeypatch):
    """Killed mid-training (here: an error at step 7), the re-run restores the runner's
    snapshot and ends with exactly the weights and metrics of an uninterrupted training."""
    import harness_nl2sql.models.bert as bert_module
    import torch

    args = {**TINY, "max_train": "96", "epochs": "3", "dev_fraction": "0.2"}
    monkeypatch.setenv("HARNESS_CHECKPOINT_EVERY", "2")  # a snapshot every 2 steps

    def run(home, db):
        monkeypatch.setenv("HARNESS_HOME", str(home))
        return run_plugin(harness_nl2sql, "nl2sql", db=db, model="bert", model_args=args, split="val", limit=40).run

    reference = run(tmp_path / "home-a", tmp_path / "a.duckdb")
    assert reference.status == "finished", reference.error
    [a] = (tmp_path / "home-a" / "checkpoints" / "bert").iterdir()
    total = json.loads((a / "model.json").read_text(encoding="utf-8"))["history"][-1]["step"]
    assert total > 7

    real_take, calls, killed = bert_module.Batches.take, [], []

    def failing_take(self, chosen):
        if self.targets is not None:
            calls.append(1)
            if len(calls) == 7 and not killed:
                killed.append(True)
                raise RuntimeError("killed at step 7")
        return real_take(self, chosen)

    monkeypatch.setattr(bert_module.Batches, "take", failing_take)
    interrupted = run(tmp_path / "home-b", tmp_path / "b.duckdb")
    assert interrupted.status == "failed" and "killed at step 7" in interrupted.error
    [partial] = (tmp_path / "home-b" / "checkpoints" / "bert").glob("*.partial")
    assert torch.load(TrainingCheckpoint(partial).path, weights_only=False)["step"] == 6

    calls.clear()
    resumed = run(tmp_path / "home-b", tmp_path / "b.duckdb")
    assert resumed.status == "finished", resumed.error
    assert len(calls) == total - 6  # only the remaining steps were trained
    assert not partial.exists()  # the runner drops the snapshot once the model is saved
    assert {m.name: m.value for m in resumed.metrics} == {m.name: m.value for m in reference.metrics}
    [b] = [d for d in (tmp_path / "home-b" / "checkpoints" / "bert").iterdir() if not d.name.endswith(".partial")]
    weights_a = torch.load(a / "model.pt", weights_only=True)
    weights_b = torch.load(b / "model.pt", weights_only=True)
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    history_a = json.loads((a / "model.json").read_text(encoding="utf-8"))["history"]
    assert json.loads((b / "model.json").read_text(encoding="utf-8"))["history"] == history_a and len(history_a) == 3


def test_bert_trained_on_the_embedded_default_scores_a_val_only_real_folder(trained, tmp_path, monkeypatch):
    """`--train-data embedded --data-dir DIR`: a real folder with only a val split is enough (the
    model trained on the embedded default is the shared one, from its cache)."""
    import shutil
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures" / "tableqa"
    for name in ("val.json", "val.tables.json"):
        shutil.copy(fixtures / name, tmp_path / name)
    monkeypatch.setenv("HARNESS_HOME", str(trained.home))
    run = run_plugin(
        harness_nl2sql,
        "nl2sql",
        db=tmp_path / "r.duckdb",
        model="bert",
        model_args=SHARED,
        split="val",
        data_dir=tmp_path,
        train_data="embedded",
    ).run
    assert run.status == "finished", run.error
    assert run.dataset == "tableqa" and run.train_dataset == "nl2sql-synth-v1" and run.n_samples == 4
    assert 0 <= run.primary().value <= 1


def test_training_status_shows_epoch_loss_and_running_dev_score(fitted):
    """The progress bar's status fields (`advance(n, **status)`): the epoch, the running loss and,
    after each epoch, the logic-form accuracy on held-out train tables."""
    model, statuses = fitted.model, fitted.bar.statuses
    assert len(model.history) == 2
    assert statuses[-1]["epoch"] == "2/2" and statuses[-1]["loss"] > 0
    assert statuses[-1]["dev_logic_form"] == round(model.history[-1]["dev_logic_form"], 3)
    assert all(0 <= h["dev_logic_form"] <= 1 for h in model.history)


def test_training_stops_on_the_dev_score_and_stores_its_learning_curve(trained, tmp_path):
    """Early stopping on the task's val split (a seeded sample of `dev_limit` questions): the run
    keeps the stop reason, the best epoch and the curve (step, training loss, dev logic-form
    accuracy) as its `learning-curve.json`."""
    result = trained.result
    assert result.run.status == "finished", result.run.error
    curve = json.loads(result.artifacts["learning-curve.json"].data)
    assert curve["metric"] == "dev_logic_form" and curve["stopped"] in ("patience", "max_steps")
    assert curve["validation"] == {"source": "validation split", "rows": 40, "of": 1000}
    points = curve["curve"]
    assert 2 <= len(points) <= 3 and all(p["train_loss"] > 0 and 0 <= p["dev_logic_form"] <= 1 for p in points)
    best = max(points, key=lambda p: p["dev_logic_form"])
    assert curve["best_step"] == best["step"]

    budget = run_plugin(
        harness_nl2sql,
        "nl2sql",
        db=tmp_path / "r.duckdb",
        model="bert",
        model_args=SHARED,
        split="val",
        limit=20,
        train_budget=0.01,
    )
    stopped = json.loads(budget.artifacts["learning-curve.json"].data)
    assert stopped["stopped"] == "budget" and stopped["steps"] < curve["steps"] and stopped["budget_s"] == 0.01
