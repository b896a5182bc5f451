"""The models: `bidirectional`, `l2r`, `r2l` (one trained network, three decodings) and `lead`.

The three seq2seq models share the post's network *and its trained weights*: training arguments
(everything but `beam`, `length_penalty`, `max_len`, `threads`) with the same train split and
seed give the same network, trained once and kept under `$HARNESS_HOME/checkpoints/
titling-network/KEY`; the other two models load it instead of training again. (The runner also
caches each model's own copy under its name, as for any model.) With `leak_fix_steps`, the
first stage is likewise shared with the plain network of the same arguments.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
import uuid
from pathlib import Path
from typing import Any

from harness import ConfigError, DataError, Model
from harness import home as harness_home
from harness.training import MANIFEST, load_sealed, seal, torch_threads
from harness_titling.network import UNK

DECODE_KEYS = ("beam", "length_penalty", "max_len", "threads")
SHARED_DIR = "titling-network"
AGAIN = "training the shared network again"  # what a warning about a damaged shared network says next


class Seq2seqModel(Model):
    """Base of the three decodings of the post's network."""

    decoding = "bidirectional"
    tasks = ("titling",)
    defaults = {
        "pretrained": "",  # a local BERT checkpoint directory: its encoder replaces the BiLSTM one
        "char_size": 64,
        "z_dim": 64,
        "heads": 4,
        "steps": 0,  # 0: `epochs` passes over the train articles, at most `max_steps`
        "epochs": 4.0,
        "max_steps": 3000,
        "train_batch_size": 64,
        "lr": 0.0,  # 0: 3e-3 from scratch, 1e-4 with a pretrained encoder
        "lr_floor": 0.1,  # linear decay to this fraction of lr (stage 2 runs at it)
        "solo_rate": 0.3,  # share of training examples with the alignment attention off (l2r/r2l)
        "leak_fix_steps": 0,  # stage-2 steps attending to the model's own outputs (the leakage fix)
        "min_count": 0,  # 0: from the corpus size (1 per million training characters, 1 to 32)
        "max_article": 400,
        "max_train": 0,
        "val_fraction": 0.05,  # share of train articles held out for early stopping (without a val split)
        "val_rows": 200,  # at most this many validation articles are scored (a fixed subset)
        "val_every": 0,  # steps between validation losses (0: 8 validations over the steps)
        "patience": 3,  # validations without a lower loss before training stops (0: never early)
        "beam": 3,
        "length_penalty": 1.0,
        "max_len": 32,
        "threads": 1,  # 1.0: mean log-prob (the post: 0)
    }
    batch_size = 50

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        name = self.name
        for key in ("char_size", "z_dim", "heads", "max_steps", "train_batch_size", "max_article", "val_rows", "beam", "max_len"):
            if c[key] < 1:
                raise ConfigError(f"model {name!r}: {key} must be at least 1, got {c[key]}")
        if c["z_dim"] % 2 or c["z_dim"] % c["heads"]:
            raise ConfigError(f"model {name!r}: z_dim ({c['z_dim']}) must be even and a multiple of heads ({c['heads']})")
        if not 0 <= c["solo_rate"] <= 1 or not 0 < c["lr_floor"] <= 1 or c["lr"] < 0:
            raise ConfigError(f"model {name!r}: need 0 <= solo_rate <= 1, 0 < lr_floor <= 1, lr >= 0")
        for key in ("steps", "min_count", "val_every", "leak_fix_steps", "max_train", "threads", "length_penalty", "patience"):
            if c[key] < 0:
                raise ConfigError(f"model {name!r}: {key} cannot be negative, got {c[key]}")
        if not 0 <= c["val_fraction"] < 1 or not c["epochs"] > 0:
            raise ConfigError(f"model {name!r}: need 0 <= val_fraction < 1 and epochs > 0")
        if self.decoding != "bidirectional" and c["solo_rate"] == 0:
            raise ConfigError(f"model {name!r} decodes one direction alone, which needs solo_rate > 0 in training")
        if c["pretrained"] and not Path(c["pretrained"]).is_dir():
            raise ConfigError(f"model {name!r}: pretrained={c['pretrained']!r} is not a directory (a local BERT checkpoint)")
        self.net: Any = None
        self.vocab: dict[str, int] = {}
        self.inverse: list[str] = []
        self.bert_vocab: dict[str, int] | None = None
        self.meta: dict[str, Any] = {}

    # -- threads, building ----------------------------------------------------------------------

    def training_config(self) -> dict[str, Any]:
        return {k: v for k, v in self.config.items() if k not in DECODE_KEYS}

    def _load_bert(self, path: Path) -> tuple[Any, dict[str, int]]:
        try:
            from transformers import BertModel
        except ImportError:
            raise ConfigError("pretrained=PATH needs transformers (pip install 'harness-titling[bert]')") from None
        vocab_file = path / "vocab.txt"
        try:
            if vocab_file.exists():
                lines = vocab_file.read_text(encoding="utf-8").splitlines()
                vocab = {t: i for i, t in enumerate(lines)}
            else:  # save_pretrained writes tokenizer.json, not vocab.txt (transformers 5.x)
                from transformers import AutoTokenizer

                vocab = dict(AutoTokenizer.from_pretrained(str(path), local_files_only=True).get_vocab())
            bert = BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise ConfigError(f"model {self.name!r}: cannot load a BERT checkpoint from {path} ({reason})") from None
        if "[UNK]" not in vocab:
            raise ConfigError(f"model {self.name!r}: the vocabulary in {path} has no [UNK]")
        return bert, vocab

    def _build(self, bert_config: dict | None = None) -> None:
        from harness_titling.network import build_network

        c = self.config
        bert = None
        if c["pretrained"] and bert_config is None:
            bert, self.bert_vocab = self._load_bert(Path(c["pretrained"]))
        elif bert_config is not None:
            from transformers import BertConfig, BertModel

            bert = BertModel(BertConfig.from_dict(bert_config), add_pooling_layer=False)
        self.net = build_network(len(self.vocab), c["char_size"], c["z_dim"], c["heads"], bert)
        self.inverse = sorted(self.vocab, key=self.vocab.get)

    def _bert_ids(self, text: str) -> list[int]:
        assert self.bert_vocab is not None
        unk = self.bert_vocab["[UNK]"]
        return [self.bert_vocab.get(ch, self.bert_vocab.get(ch.lower(), unk)) for ch in text[: self.config["max_article"]]]

    # -- training, with the network shared between the three decodings --------------------------

    def _key(self, rows: list[dict], seed: int, stage_one: bool, budget_s: float | None = None, validation: Any = None) -> str:
        config = self.training_config()
        if stage_one:
            config["leak_fix_steps"] = 0
        if budget_s is not None:  # a network the training budget cut short is never shared as a full one
            config["train_budget_s"] = budget_s
        digest = hashlib.sha256(json.dumps([config, seed], sort_keys=True).encode())
        # the validation rows decide which weights are kept, so they are part of the network's identity
        for row in [*rows, *([{"content": "[validation]", "title": ""}, *validation] if validation else [])]:
            digest.update(row["content"].encode())
            digest.update(b"\t")
            digest.update(row["title"].encode())
            digest.update(b"\n")
        return digest.hexdigest()[:20]

    def fit(self, train: Any, ctx: Any) -> None:
        with torch_threads(self.config["threads"]):
            self._fit(train, ctx)

    def _fit(self, train: Any, ctx: Any) -> None:
        c = self.config
        rows = [r for r in train if isinstance(r.get("title"), str) and r["title"]]
        if not rows:
            raise DataError(f"model {self.name!r}: the train split has no articles with titles")
        if c["max_train"]:
            rows = rows[: c["max_train"]]
        home = Path(ctx.checkpoint_dir).parent.parent / SHARED_DIR if ctx.checkpoint_dir is not None else None
        budget = ctx.train_budget_s
        held = getattr(ctx, "validation", None)
        final_key, first_key = self._key(rows, ctx.seed, False, budget, held), self._key(rows, ctx.seed, True, budget, held)
        if home is None:
            self._train_network(rows, ctx, home, final_key, first_key)
            return
        from filelock import FileLock

        # Two decodings run side by side (a sweep's workers) share one network: the first trains
        # it under the lock, the other waits and loads it instead of training it a second time.
        locks = harness_home() / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with FileLock(str(locks / f"{SHARED_DIR}-{final_key}.lock")):
            if (home / final_key / MANIFEST).exists() and load_sealed(home / final_key, self.load, ctx.notes, AGAIN):
                self.meta["shared"] = "loaded"
                ctx.training = self.meta.get("training")  # how the shared network's training ended
                return
            self._train_network(rows, ctx, home, final_key, first_key)

    def _train_network(self, rows: list[dict], ctx: Any, home: Path | None, final_key: str, first_key: str) -> None:
        import torch

        from harness_titling.training import build_vocab, corpus_chars, ids, restore, schedule, train_stage

        torch.manual_seed(ctx.seed)
        # the task's validation split when the data has one, else carved from train; at most
        # `val_rows` scored (and carved), so validating stays cheap on a large set and the rest trains
        fraction = min(self.config["val_fraction"], self.config["val_rows"] / len(rows))
        rows, held_rows, carved = ctx.split_validation(rows, fraction, limit=self.config["val_rows"])
        plan = schedule(len(rows), corpus_chars(rows), self.config)
        # the data-scaled arguments resolved for this training set; the stored config keeps 0 = automatic
        c = {**self.config, **{k: plan[k] for k in ("steps", "min_count", "val_every")}}
        self.vocab = build_vocab(rows, c["min_count"])
        plan["vocabulary"] = len(self.vocab)
        self._build()
        articles = [ids(r["content"], self.vocab, c["max_article"]) for r in rows]
        titles = [ids(r["title"], self.vocab, c["max_len"]) for r in rows]
        bert_articles = [self._bert_ids(r["content"]) for r in rows] if self.bert_vocab is not None else None
        held = (
            [ids(r["content"], self.vocab, c["max_article"]) for r in held_rows],
            [ids(r["title"], self.vocab, c["max_len"]) for r in held_rows],
            [self._bert_ids(r["content"]) for r in held_rows] if self.bert_vocab is not None else None,
            carved,
        )
        ckpt, saved = restore(ctx)
        logs: dict[str, Any] = {}
        stage_one_cached = (
            c["leak_fix_steps"]
            and saved is None
            and home is not None
            and (home / first_key / MANIFEST).exists()
            and load_sealed(home / first_key, self.load, ctx.notes, AGAIN)
        )
        if stage_one_cached:
            logs["stage1"] = self.meta.get("logs", {}).get("stage1")
        elif saved is None or saved.get("stage") == 1:
            logs["stage1"] = train_stage(self.net, 1, articles, titles, c, ctx.seed, ctx, ckpt, saved, bert_articles, held)
            if c["leak_fix_steps"] and home is not None:
                self.meta = {"logs": dict(logs), "schedule": plan, "training": ctx.training_record()}
                self._publish(home, first_key)
            saved = None
        if c["leak_fix_steps"]:
            logs["stage2"] = train_stage(self.net, 2, articles, titles, c, ctx.seed, ctx, ckpt, saved, bert_articles, held)
        self.meta = {
            "logs": logs,
            "schedule": plan,
            "train_seconds": sum(log["seconds"] for log in logs.values() if log),
            "train_articles": len(rows),
            "training": ctx.training_record(),
        }
        if home is not None:
            self._publish(home, final_key)

    def _publish(self, home: Path, key: str) -> None:
        """Write the network where the other decodings find it (atomically: staging, then rename)."""
        staging = home / f"{key}.tmp-{uuid.uuid4().hex[:6]}"
        staging.mkdir(parents=True)
        self.save(staging)
        seal(staging, {"model": "titling-network", "config": self.training_config()})
        if (home / key).exists():
            shutil.rmtree(staging)
            return
        staging.rename(home / key)

    def save(self, directory: Path) -> None:
        import torch

        torch.save(self.net.state_dict(), directory / "model.pt")
        (directory / "vocab.txt").write_text("\n".join(self.inverse) + "\n", encoding="utf-8")
        meta = dict(self.meta, training_config=self.training_config())
        if self.net.bert is not None:
            meta["bert_config"] = self.net.bert.config.to_dict()
            meta["bert_vocab"] = self.bert_vocab
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    def load(self, directory: Path) -> None:
        import torch

        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        lines = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self.vocab = {t: i for i, t in enumerate(lines)}
        self.bert_vocab = meta.get("bert_vocab")
        self._build(bert_config=meta.get("bert_config"))
        self.net.load_state_dict(torch.load(directory / "model.pt", map_location="cpu", weights_only=True))
        self.net.eval()
        self.meta = {k: v for k, v in meta.items() if k not in ("bert_vocab", "bert_config", "training_config")}

    # -- prediction -----------------------------------------------------------------------------

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict[str, Any]]:
        import torch

        from harness_titling import decoding
        from harness_titling.training import detokenize, ids, pad

        if self.net is None:
            raise RuntimeError(f"model {self.name!r} has not been trained or loaded")
        c = self.config
        x = pad([ids(item["content"], self.vocab, c["max_article"]) or [UNK] for item in batch])
        bert_ids = pad([self._bert_ids(item["content"]) or [UNK] for item in batch], x.size(1)) if self.bert_vocab else None
        with torch_threads(self.config["threads"]), torch.inference_mode():
            if self.decoding == "bidirectional":
                found = decoding.bidirectional(self.net, x, c["beam"], c["max_len"], c["length_penalty"], bert_ids)
            else:
                direction = 0 if self.decoding == "l2r" else 1
                found = decoding.unidirectional(self.net, x, direction, c["beam"], c["max_len"], c["length_penalty"], bert_ids)
        out = []
        for item in found:
            pred = {
                "title": detokenize(item["tokens"], self.inverse),
                "direction": ("l2r", "r2l")[item["direction"]],
                "score": None if item["score"] is None else round(float(item["score"]), 4),
            }
            if "l2r" in item:
                pred["l2r"] = detokenize(item["l2r"], self.inverse)
                pred["r2l"] = detokenize(item["r2l"], self.inverse)
            out.append(pred)
        return out


class Bidirectional(Seq2seqModel):
    name = "bidirectional"
    decoding = "bidirectional"
    description = (
        "The post's two-decoder seq2seq with bidirectional beam search (L2R and R2L paths scored jointly, "
        "the better finished one returned); trains the shared network."
    )


class LeftToRight(Seq2seqModel):
    name = "l2r"
    decoding = "l2r"
    description = "The same trained network decoded left to right alone (beam search, alignment attention off)."


class RightToLeft(Seq2seqModel):
    name = "r2l"
    decoding = "r2l"
    description = "The same trained network decoded right to left alone (beam search, alignment attention off), reversed."


SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def first_sentence(text: str) -> str:
    match = SENTENCE_END.search(text)
    return (text[: match.start()] if match else text).strip()


class Lead(Model):
    """The standard extractive headline baseline: the article's first sentence, cut to the median
    title length of the train split."""

    name = "lead"
    tasks = ("titling",)
    description = "Baseline: the article's first sentence cut to the train split's median title length."
    defaults: dict[str, Any] = {}
    batch_size = 256

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.length: int | None = None

    def fit(self, train: Any, ctx: Any) -> None:
        lengths = [len(r["title"]) for r in train if isinstance(r.get("title"), str)]
        if not lengths:
            raise DataError("model 'lead': the train split has no titles to take the median length from")
        self.length = int(statistics.median(lengths))

    def save(self, directory: Path) -> None:
        (directory / "lead.json").write_text(json.dumps({"length": self.length}), encoding="utf-8")

    def load(self, directory: Path) -> None:
        self.length = int(json.loads((directory / "lead.json").read_text(encoding="utf-8"))["length"])

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict[str, Any]]:
        assert self.length is not None
        return [{"title": first_sentence(item["content"])[: self.length]} for item in batch]


MODELS = [Bidirectional, LeftToRight, RightToLeft, Lead]
