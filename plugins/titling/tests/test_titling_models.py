"""The network, the beam searches and the models end to end: shared training, leak fix, resume, BERT."""

import copy
import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import harness_titling
import pytest
import torch
from harness_titling import training
from harness_titling.decoding import _Beams, _retrieve, _step_keys, bidirectional, own_outputs, unidirectional
from harness_titling.models import Bidirectional, Lead, LeftToRight, first_sentence
from harness_titling.network import BOS, PAD, build_network
from harness_titling.synth import generate
from harness_titling.task import TitlingTask

from harness import ConfigError, RunContext
from harness.testing import run_plugin

SAMPLE = Path(__file__).parent / "fixtures" / "csl-sample"  # the real-format sample the README measures

torch.set_num_threads(1)  # as the models do: OpenMP threads spin-waiting on a loaded 2-core machine cost 10-100x

TINY = {
    "char_size": "16",
    "z_dim": "16",
    "heads": "2",
    "steps": "4",
    "train_batch_size": "8",
    "max_train": "48",
    "max_len": "10",
    "min_count": "1",
    "val_rows": "16",  # validation losses on 16 articles of the embedded val split, not 200
}


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    rows = generate("val")[:6]
    vocab = training.build_vocab(generate("val")[:200], 1)
    net = build_network(len(vocab), 16, 16, 2).eval()
    batch = training.batch_tensors(
        [training.ids(r["content"], vocab, 400) for r in rows], [training.ids(r["title"], vocab, 32) for r in rows]
    )
    return net, batch


def test_incremental_decoding_equals_the_teacher_forced_network(tiny):
    """The beam searches step the LSTMs one position at a time and attend to the other direction's
    states so far: with gold tokens fed in, that must give exactly the full forward pass."""
    net, b = tiny
    B = b["x"].size(0)
    with torch.no_grad():
        full = net(b["x"], b["in_l2r"], b["in_r2l"])
        solo = net(b["x"], b["in_l2r"], b["in_r2l"], solo=torch.ones(B, dtype=torch.bool))
        enc = net.encode(b["x"])
        keys = _step_keys(net, enc)
        sides = [_Beams(net, d, B, 1, enc["pooled"]) for d in (0, 1)]
        gold = (b["in_l2r"], b["in_r2l"])
        for step in range(min(b["lengths"]) + 1):
            own = [s.step_states() for s in sides]
            for d in (0, 1):
                sides[d].remember(net.align[1 - d])
            for d in (0, 1):
                k, v = sides[1 - d].history()
                aligned = net.align[d].paths(net.align[d].query(own[d]), k, v, step + 1)[:, :, 0]
                retrieved = _retrieve(net, d, own[d], enc, keys)
                step_logits = net.logits(d, own[d], aligned, retrieved, enc["prior"])[:, 0]
                torch.testing.assert_close(step_logits, full[d][:, step], atol=1e-5, rtol=1e-5)
                alone = net.logits(d, own[d], torch.zeros_like(own[d]), retrieved, enc["prior"])[:, 0]
                torch.testing.assert_close(alone, solo[d][:, step], atol=1e-5, rtol=1e-5)
            for d in (0, 1):
                if step + 1 < gold[d].size(1):
                    sides[d].tokens = torch.cat([sides[d].tokens, gold[d][:, step + 1].view(B, 1, 1)], 2)


@pytest.mark.slow
def test_beam_searches_return_titles_within_the_length_limit(tiny):
    net, b = tiny
    with torch.no_grad():
        for beam in (1, 3):
            both = bidirectional(net, b["x"], beam, 6, 1.0)
            assert len(both) == b["x"].size(0)
            for item in both:
                assert 1 <= len(item["tokens"]) <= 6 and item["direction"] in (0, 1)
                assert item["tokens"] == (item["l2r"] if item["direction"] == 0 else item["r2l"])
                assert not {PAD, BOS} & set(item["tokens"])
            for d in (0, 1):
                alone = unidirectional(net, b["x"], d, beam, 6, 0.0)
                assert all(1 <= len(item["tokens"]) <= 6 and item["direction"] == d for item in alone)
        # beam 1 keeps one path: the L2R greedy decode is the argmax chain of the solo network
        greedy = unidirectional(net, b["x"][:1], 0, 1, 3, 0.0)[0]["tokens"]
        wider = unidirectional(net, b["x"][:1], 0, 4, 3, 0.0)[0]
        assert len(greedy) >= 1 and wider["score"] is not None


def test_leak_fix_inputs_are_own_outputs_of_gold_length(tiny):
    net, b = tiny
    with torch.no_grad():
        l2r, r2l = own_outputs(net, b["x"], b["lengths"])
    assert l2r.shape == b["in_l2r"].shape and r2l.shape == b["in_r2l"].shape
    assert (l2r[:, 0] == BOS).all()
    for i, n in enumerate(b["lengths"]):
        assert (l2r[i, 1 : n + 1] > 3).all() and (l2r[i, n + 1 :] == PAD).all() and (r2l[i, n + 1 :] == PAD).all()


@pytest.fixture(scope="module")
def shared_network(tmp_path_factory):
    """The TINY network trained once by a `bidirectional` run, for the tests that start from a
    trained shared network: (that run, its database, the network's directory)."""
    root = tmp_path_factory.mktemp("shared-network")
    with pytest.MonkeyPatch.context() as env:  # the isolation the autouse fixture gives each test
        env.setenv("HARNESS_HOME", str(root / "harness-home"))
        env.setenv("HARNESS_LOAD_PLUGINS", "")
        env.setenv("HF_HUB_OFFLINE", "1")
        env.setenv("HF_DATASETS_OFFLINE", "1")
        db = root / "r.duckdb"
        first = run_plugin(harness_titling, "titling", db=db, model="bidirectional", model_args=TINY, limit=6)
    assert first.run.status == "finished", first.run.error
    shared = list((root / "harness-home" / "checkpoints" / "titling-network").iterdir())
    assert len(shared) == 1 and (shared[0] / ".complete").exists()
    return first, db, shared[0]


def with_shared_network(shared_network, tmp_path):
    """This test's harness home, holding a copy of the trained shared network; its directory."""
    home = tmp_path / "harness-home" / "checkpoints" / "titling-network"
    home.mkdir(parents=True)
    shutil.copytree(shared_network[2], home / shared_network[2].name)
    return home


def test_the_three_decodings_share_one_trained_network(shared_network, tmp_path, monkeypatch):
    from harness.store import Store

    first, first_db, _ = shared_network
    assert {m.name for m in first.run.metrics} == set(TitlingTask.metrics)
    with_shared_network(shared_network, tmp_path)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again instead of loading the shared network")

    monkeypatch.setattr(training, "train_stage", no_training)
    db = tmp_path / "r.duckdb"
    curve = first.artifacts["learning-curve.json"].data
    for model in ("l2r", "r2l"):
        result = run_plugin(harness_titling, "titling", db=db, model=model, model_args={**TINY, "beam": "2"}, limit=6)
        assert result.run.status == "finished", result.run.error
        # a decoding that loaded the shared network stores how that network's training ended
        assert result.artifacts["learning-curve.json"].data == curve
    samples = Store(first_db).samples(first.run.run_id)
    assert all({"title", "l2r", "r2l", "direction"} <= set(s.prediction) for s in samples)


def test_the_leak_fix_reuses_the_first_stage(shared_network, tmp_path, monkeypatch):
    home = with_shared_network(shared_network, tmp_path)
    stages = []
    real = training.train_stage
    monkeypatch.setattr(training, "train_stage", lambda net, stage, *a, **k: stages.append(stage) or real(net, stage, *a, **k))
    run = run_plugin(
        harness_titling,
        "titling",
        db=tmp_path / "r.duckdb",
        model="bidirectional",
        model_args={**TINY, "leak_fix_steps": "2"},
        limit=4,
    ).run
    assert run.status == "finished", run.error
    assert stages == [2]
    assert len(list(home.iterdir())) == 2


def test_a_damaged_shared_network_is_named_set_aside_and_trained_again(shared_network, tmp_path):
    home = with_shared_network(shared_network, tmp_path)
    [shared] = home.iterdir()
    with (shared / "model.pt").open("r+b") as handle:
        handle.truncate(1024)  # what a full disk leaves
    other = run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model="l2r", model_args=TINY, limit=4)
    assert other.run.status == "finished", other.run.error
    [warning] = other.warnings
    assert str(shared / "model.pt") in warning and "training the shared network again" in warning
    assert {p.name.split(".")[-1].split("-")[0] for p in home.iterdir()} == {shared.name, "damaged"}  # kept aside


def test_the_schedule_and_vocabulary_follow_the_training_set():
    """`steps` 0 is `epochs` passes over the train articles (capped by `max_steps`), `min_count` 0
    follows the corpus size, `val_every` 0 validates 8 times; the run records what was chosen."""
    rows = TitlingTask().load("train")
    args = {**{k: v for k, v in TINY.items() if k not in ("steps", "min_count")}, "epochs": "2"}
    model = Bidirectional(**args)  # 48 rows, 2 held out: 2 epochs of 46 in batches of 8
    ctx = RunContext(task="titling", seed=0)
    model.fit(rows, ctx)
    plan = model.meta["schedule"]
    assert plan["steps"] == 12 and plan["epochs"] == pytest.approx(2.087, abs=1e-3)
    assert plan["min_count"] == 1 and plan["val_every"] == 2 and plan["vocabulary"] == len(model.vocab)
    record = ctx.training_record()
    assert record["max_steps"] == 12 and record["every"] == 2 and record["stopped"] in ("max_steps", "patience")
    capped = Bidirectional(**{**args, "max_train": "480", "max_steps": "5"})
    capped.fit(rows, RunContext(task="titling", seed=0))
    assert capped.meta["schedule"]["steps"] == 5 and "capped at max_steps=5" in capped.meta["schedule"]["steps_from"]
    assert [training.auto_min_count(n) for n in (10_000, 1_890_873, 10**9)] == [1, 2, 32]


def test_validation_uses_the_folders_val_split_or_carves_one(tmp_path):
    """A folder with a validation file validates on it (all train articles train); one without
    carves a seeded share of train. The learning curve says which."""
    with_dev = tmp_path / "with-dev"
    shutil.copytree(SAMPLE, with_dev)
    without = tmp_path / "without"
    shutil.copytree(SAMPLE, without)
    (without / "dev.tsv").unlink()
    task = TitlingTask()
    assert task.has_split("val", with_dev) and not task.has_split("val", without) and task.has_split("val", None)
    records = {}
    for folder in (with_dev, without):
        run = run_plugin(
            harness_titling,
            "titling",
            db=tmp_path / "r.duckdb",
            model="bidirectional",
            model_args={**TINY, "val_rows": "40"},  # every article of the folder's dev file
            limit=4,
            data_dir=folder,
        )
        assert run.run.status == "finished", run.run.error
        records[folder.name] = json.loads(run.artifacts["learning-curve.json"].data)
    assert records["with-dev"]["validation"] == {"source": "validation split", "rows": 40}
    assert records["without"]["validation"]["source"] == "carved from train"
    assert records["without"]["validation"]["rows"] == 2  # 5% of the 48 train articles


class FakeCheckpoint:
    """The runner's training checkpoint contract, kept in memory; `stop_at` simulates a kill."""

    def __init__(self, store, stop_at=None):
        self.store, self.stop_at = store, stop_at

    def restore(self):
        return copy.deepcopy(self.store.get("saved"))

    def maybe_save(self, step, payload):
        self.store["saved"] = copy.deepcopy({**payload(), "step": step})
        if step == self.stop_at:
            raise KeyboardInterrupt


def test_an_interrupted_training_resumes_to_the_same_network():
    rows = TitlingTask().load("train")
    args = {**TINY, "steps": "6"}
    plain = Bidirectional(**args)
    plain.fit(rows, RunContext(task="titling", seed=3))
    store = {}
    ctx = RunContext(task="titling", seed=3)
    ctx.training_checkpoint = lambda every_s=None, every_steps=None: FakeCheckpoint(store, stop_at=3)
    with pytest.raises(KeyboardInterrupt):
        Bidirectional(**args).fit(rows, ctx)
    assert store["saved"]["step"] == 3
    ctx.training_checkpoint = lambda every_s=None, every_steps=None: FakeCheckpoint(store)
    resumed = Bidirectional(**args)
    resumed.fit(rows, ctx)
    for (name, a), (_, b) in zip(plain.net.state_dict().items(), resumed.net.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


def test_training_reports_progress_per_step():
    calls = []

    @contextmanager
    def progress(description, total):
        calls.append((description, total, []))
        yield lambda n=1: calls[-1][2].append(n)

    model = Bidirectional(**{**TINY, "leak_fix_steps": "2"})
    model.fit(TitlingTask().load("train"), RunContext(task="titling", seed=0, progress=progress))
    assert [(c[1], sum(c[2])) for c in calls] == [(4, 4), (2, 2)]
    assert "stage 1" in calls[0][0] and "leak fix" in calls[1][0]


def test_lead_baseline():
    assert first_sentence("第一句话。第二句！") == "第一句话"
    lead = Lead()
    lead.fit([{"title": "一二三"}, {"title": "一二三四五"}, {"title": "一二三四五六七"}], None)
    assert lead.length == 5
    assert lead.predict([{"content": "今天北京天气晴朗，气温回升。明天有雨。"}, {"content": "短句"}], None) == [
        {"title": "今天北京天"},
        {"title": "短句"},
    ]


def test_lead_on_the_embedded_default_is_a_weak_honest_baseline(tmp_path):
    run = run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model="lead", limit=200).run
    values = {m.name: m.value for m in run.metrics}
    assert 0.02 < values["titling-rouge-l"] < 0.35 and values["titling-exact-match"] == 0.0


def test_a_local_pretrained_bert_encoder(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for r in generate("val")[:100] for c in r["content"] + r["title"]})
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars])}
    checkpoint = tmp_path / "tiny-chinese-bert"
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(checkpoint)
    BertTokenizerFast(vocab=vocab).save_pretrained(checkpoint)  # writes tokenizer.json, not vocab.txt
    args = {**TINY, "pretrained": str(checkpoint)}
    run = run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model="bidirectional", model_args=args, limit=4).run
    assert run.status == "finished", run.error
    model = LeftToRight(**args)
    model.load(next((tmp_path / "harness-home" / "checkpoints" / "bidirectional").iterdir()))
    assert model.net.bert.config.hidden_size == 16 and model.bert_vocab["北"] == vocab["北"]
    assert len(model.predict([{"content": "北京今天天气很好。"}], None)[0]["title"]) <= 10


@pytest.mark.parametrize(
    ("model", "args", "message"),
    [
        ("bidirectional", {"z_dim": "30", "heads": "4"}, "multiple of heads"),
        ("bidirectional", {"steps": "-1"}, "steps cannot be negative"),
        ("bidirectional", {"epochs": "0"}, "epochs > 0"),
        ("l2r", {"solo_rate": "0"}, "needs solo_rate > 0"),
        ("bidirectional", {"beam": "three"}, "not a valid int"),
        ("bidirectional", {"pretrained": "/nonexistent/bert"}, "not a directory"),
        ("r2l", {"learning_rate": "1"}, "has no argument"),
    ],
)
def test_bad_model_arguments_are_config_errors(tmp_path, model, args, message):
    with pytest.raises(ConfigError, match=message):
        run_plugin(harness_titling, "titling", db=tmp_path / "r.duckdb", model=model, model_args=args)
