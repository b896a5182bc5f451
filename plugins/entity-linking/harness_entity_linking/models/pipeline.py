"""`pipeline`: the post's system (kexue.fm/archives/6919) with small networks trained from scratch.

1. Dictionary max-match over the KB's aliases (pruned by the post's rule) gives per-character
   features: the max-match tag of each character (B/I/E/S/outside) and whether any alias covers it.
2. A start/end pointer tagger (a small BERT over characters, the features added to its input
   embeddings) scores every dictionary match span as sigmoid(start) * sigmoid(end); spans above
   `detect_threshold` are kept best first without overlaps. So it selects among dictionary spans,
   pruned aliases included (the tagger can bring back what pruning dropped).
3. Candidates per mention: every id carrying the alias (`min_seen=0`, the default, chosen by
   measurement), or with `min_seen=2` the post's rule: the ids linked to the surface at least twice
   in training, else every id carrying the alias.
4. A matcher (a second small BERT over `[CLS] context with the mention marked [SEP] entity description
   [SEP]`, its [CLS] state joined with a few count features: the training prior with the text's own
   link left out, the entity's popularity, and how many character bigrams of the context occur in the
   description) scores each pair; the best candidate is linked, or NIL below `link_threshold`.

`pretrained=PATH` starts both encoders from a local BERT checkpoint and uses its vocabulary.
torch and transformers are imported inside functions so that listing tasks stays fast.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from harness import ConfigError, Model
from harness.training import torch_threads
from harness_entity_linking.data import NIL, fold, normalise_alias
from harness_entity_linking.matching import Dictionary
from harness_entity_linking.models.common import (
    RECALL_DEPTH,
    candidate_view,
    check_kb,
    generated,
    load_dictionary,
    save_dictionary,
    train_dictionary,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
N_FEATURES = 10  # max-match tag (outside, B, I, E, S) x covered by any alias (no, yes)
N_PAIR_FEATURES = 8
SEGMENTS = 3  # matcher input: context, mention, description


@cache
def _char(c: str) -> str:
    """The vocabulary token of a character (folding runs unicodedata per character: it is memoised)."""
    return fold(c) if c.strip() else "[unused1]"


def match_features(dictionary: Dictionary, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Per-character max-match features, and every dictionary match span (the tagger's choices)."""
    folded = fold(text)
    every = dictionary.matches(folded)
    tags = [0] * len(text)
    for s, e in dictionary.max_match(folded, pruned=True):
        if e - s == 1:
            tags[s] = 4
        else:
            tags[s], tags[e - 1] = 1, 3
            for i in range(s + 1, e - 1):
                tags[i] = 2
    covered = [0] * len(text)
    for s, e, _ in every:
        for i in range(s, e):
            covered[i] = 1
    return [t * 2 + c for t, c in zip(tags, covered, strict=True)], sorted({(s, e) for s, e, _ in every})


def bigrams(text: str) -> set[str]:
    folded = fold(text)
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


class PipelineModel(Model):
    name = "pipeline"
    tasks = ("entity-linking",)
    description = (
        "The post's pipeline: max-match features -> start/end pointer tagger selecting among dictionary spans "
        "-> candidates by alias -> trained context/description matcher with a NIL threshold. Small BERTs "
        "from scratch by default; pretrained=PATH starts both from a local checkpoint."
    )
    defaults = {
        "pretrained": "",  # a local BERT checkpoint directory (config, weights, vocab.txt or tokenizer.json)
        "hidden_size": 64,
        "layers": 2,
        "matcher_layers": 1,
        "heads": 4,
        "intermediate_size": 128,
        "dropout": 0.0,  # on hidden states (0.1 scored the same and cost ~5% more CPU)
        "attention_dropout": 0.0,  # dropout on the attention weights (torch's fused attention is 3x slower with it)
        "tagger_epochs": 3,
        "matcher_epochs": 2,
        "min_steps": 300,  # per stage: a small training set gets more epochs, up to this many steps
        "max_steps": 4000,  # per stage: epochs over a large training set stop here (0: no cap)
        "train_batch_size": 32,
        "length_buckets": 50,  # batches drawn from pools of this many batches sorted by length (0: plain shuffle)
        "lr": 0.0,  # 0: 2e-3, or 5e-5 pretrained
        "warmup": 0.06,
        "max_text": 160,
        "context": 12,
        "description_len": 48,
        "negatives": 4,
        "max_candidates": 20,
        "min_seen": 0,
        "prune_ratio": 5.0,
        "detect_threshold": 0.25,
        "link_threshold": 0.5,
        "threads": 1,
        "min_count": 0,  # characters seen fewer times are [UNK]; 0: from the corpus size (see vocabulary_min_count)
        "max_train": 0,
        "val_fraction": 0.05,  # share of train texts held out for early stopping, without a validation split
        "val_texts": 150,  # at most this many validation texts (a seeded sample of the validation split)
        "val_points": 6,  # validations per stage (tagger, matcher)
        "patience": 3,  # validations without a lower loss before a stage stops (0: never early)
    }
    batch_size = 64

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        for key in (
            "hidden_size",
            "layers",
            "matcher_layers",
            "heads",
            "intermediate_size",
            "train_batch_size",
            "max_text",
            "context",
            "description_len",
            "max_candidates",
        ):
            if c[key] < 1:
                raise ConfigError(f"model 'pipeline': {key} must be at least 1, got {c[key]}")
        if c["hidden_size"] % c["heads"]:
            raise ConfigError(f"model 'pipeline': hidden_size ({c['hidden_size']}) must be a multiple of heads ({c['heads']})")
        for key in (
            "tagger_epochs",
            "matcher_epochs",
            "min_steps",
            "max_steps",
            "length_buckets",
            "negatives",
            "min_seen",
            "min_count",
            "threads",
            "max_train",
            "val_texts",
            "patience",
        ):
            if c[key] < 0:
                raise ConfigError(f"model 'pipeline': {key} must be >= 0, got {c[key]}")
        if not (0 <= c["dropout"] < 1 and 0 <= c["attention_dropout"] < 1 and 0 <= c["warmup"] < 1):
            raise ConfigError("model 'pipeline': need 0 <= dropout, attention_dropout, warmup < 1")
        if c["lr"] < 0 or c["prune_ratio"] < 0:
            raise ConfigError("model 'pipeline': need lr >= 0 and prune_ratio >= 0")
        if not 0 <= c["val_fraction"] < 1 or c["val_points"] < 1:
            raise ConfigError("model 'pipeline': need 0 <= val_fraction < 1 and val_points >= 1")
        for key in ("detect_threshold", "link_threshold"):
            if not 0 <= c[key] <= 1:
                raise ConfigError(f"model 'pipeline': {key} must lie in [0, 1], got {c[key]}")
        if c["pretrained"] and not Path(c["pretrained"]).is_dir():
            raise ConfigError(f"model 'pipeline': pretrained={c['pretrained']!r} is not a directory (a local BERT checkpoint)")
        self.dictionary: Dictionary | None = None
        self.vocab: dict[str, int] = {}
        self.tagger: Any = None
        self.matcher: Any = None
        self.train_seconds: float | None = None
        #: What the data-scaled defaults chose (steps per stage, vocabulary): saved with the checkpoint.
        self.schedule: dict[str, Any] = {}
        self._bigram_cache: dict[str, set[str]] = {}
        self._char_ids: dict[str, int] = {}
        self._description_ids: dict[str, list[int]] = {}

    # -- networks ---------------------------------------------------------------------------------

    def _bert(self, pretrained: Path | None, bert_config: dict | None, layers: int) -> Any:
        from transformers import BertConfig, BertModel

        c = self.config
        if pretrained is not None:
            try:
                return BertModel.from_pretrained(str(pretrained), local_files_only=True, add_pooling_layer=False)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise ConfigError(f"model 'pipeline': cannot load a BERT checkpoint from {pretrained} ({reason})") from None
        if bert_config is None:
            bert_config = BertConfig(
                vocab_size=len(self.vocab),
                hidden_size=c["hidden_size"],
                num_hidden_layers=layers,
                num_attention_heads=c["heads"],
                intermediate_size=c["intermediate_size"],
                hidden_dropout_prob=c["dropout"],
                attention_probs_dropout_prob=c["attention_dropout"],
                max_position_embeddings=max(256, c["max_text"] + 2, 2 * c["context"] + 40 + c["description_len"]),
                type_vocab_size=2,
            ).to_dict()
        return BertModel(BertConfig.from_dict(bert_config), add_pooling_layer=False)

    def _build(self, pretrained: Path | None = None, configs: tuple[dict, dict] | None = None) -> None:
        import torch
        from torch import nn

        tagger_bert = self._bert(pretrained, configs[0] if configs else None, self.config["layers"])
        matcher_bert = self._bert(pretrained, configs[1] if configs else None, self.config["matcher_layers"])
        hidden = tagger_bert.config.hidden_size

        class Tagger(nn.Module):
            """Start/end pointers over characters; max-match features join the token embeddings."""

            def __init__(self) -> None:
                super().__init__()
                self.bert = tagger_bert
                self.features = nn.Embedding(N_FEATURES, hidden)
                nn.init.zeros_(self.features.weight)
                self.out = nn.Linear(hidden, 2)

            def forward(self, ids, features, mask):
                x = self.bert.embeddings.word_embeddings(ids) + self.features(features)
                h = self.bert(inputs_embeds=x, attention_mask=mask).last_hidden_state
                return self.out(h)  # (batch, length, 2): start and end logits

        class Matcher(nn.Module):
            """One logit per (mention in context, entity description) pair."""

            def __init__(self) -> None:
                super().__init__()
                self.bert = matcher_bert
                size = matcher_bert.config.hidden_size
                self.segments = nn.Embedding(SEGMENTS, size)
                nn.init.zeros_(self.segments.weight)
                self.head = nn.Sequential(nn.Linear(size + N_PAIR_FEATURES, size), nn.Tanh(), nn.Linear(size, 1))

            def forward(self, ids, types, segments, mask, feats):
                x = self.bert.embeddings.word_embeddings(ids) + self.segments(segments)
                h = self.bert(inputs_embeds=x, token_type_ids=types, attention_mask=mask).last_hidden_state[:, 0]
                return self.head(torch.cat([h, feats], dim=-1)).squeeze(-1)

        self.tagger, self.matcher = Tagger(), Matcher()

    # -- encoding ---------------------------------------------------------------------------------

    def _set_vocab(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self._char_ids, self._description_ids = {}, {}

    def _ids(self, text: str) -> list[int]:
        ids = self._char_ids
        for c in text:
            if c not in ids:
                ids[c] = self.vocab.get(_char(c), self.vocab["[UNK]"])
        return [ids[c] for c in text]

    def _encode_text(self, text: str) -> dict[str, Any]:
        assert self.dictionary is not None
        text = text[: self.config["max_text"]]
        features, spans = match_features(self.dictionary, text)
        ids = [self.vocab["[CLS]"], *self._ids(text), self.vocab["[SEP]"]]
        return {"ids": ids, "features": [0, *features, 0], "spans": spans, "n": len(text)}

    def _pair(self, text: str, start: int, end: int, kb_id: str, feats: list[float]) -> dict[str, Any]:
        assert self.dictionary is not None
        c = self.config
        left, right = text[max(0, start - c["context"]) : start], text[end : end + c["context"]]
        mention = text[start:end][:16]
        cls, sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        first = [cls, *self._ids(left), *self._ids(mention), *self._ids(right), sep]
        segments = [0] * (1 + len(left)) + [1] * len(mention) + [0] * (len(right) + 1)
        if kb_id not in self._description_ids:  # every pair of an entity shares its description
            description = self.dictionary.kb.entities[kb_id].description(c["description_len"])
            self._description_ids[kb_id] = [*self._ids(description), sep]
        second = self._description_ids[kb_id]
        return {
            "ids": first + second,
            "types": [0] * len(first) + [1] * len(second),
            "segments": segments + [2] * len(second),
            "feats": feats,
        }

    def _pair_features(self, text: str, start: int, end: int, cands: list[str], leave_out: str | None) -> list[list[float]]:
        """Count features per candidate; `leave_out` removes this text's own gold link from the training
        counts (for training pairs), so the prior is as informative in training as on unseen texts."""
        assert self.dictionary is not None
        d, c = self.dictionary, self.config
        alias = normalise_alias(text[start:end])
        seen = Counter(d.links.get(alias, {}))
        popularity = {e: d.entity_links.get(e, 0) for e in cands}
        if leave_out is not None and seen.get(leave_out, 0) > 0:
            seen[leave_out] -= 1
        if leave_out in popularity and popularity[leave_out] > 0:
            popularity[leave_out] -= 1
        total = sum(seen.values())
        context = bigrams(text[max(0, start - c["context"]) : start] + "|" + text[end : end + c["context"]])
        overlaps = [len(context & self._description_bigrams(e)) for e in cands]
        top_overlap = max(overlaps, default=0)
        top_seen = max((seen.get(e, 0) for e in cands), default=0)
        rows = []
        for e, overlap in zip(cands, overlaps, strict=True):
            n = seen.get(e, 0)
            rows.append(
                [
                    (n + 1) / (total + len(cands)),
                    math.log1p(n),
                    float(n == top_seen and n > 0),
                    math.log1p(popularity[e]) / 5,
                    1.0 / len(cands),
                    min(overlap, 12) / 6,
                    (overlap - top_overlap) / 6,
                    float(overlap == top_overlap and overlap > 0),
                ]
            )
        return rows

    def _description_bigrams(self, kb_id: str) -> set[str]:
        if kb_id not in self._bigram_cache:
            assert self.dictionary is not None
            self._bigram_cache[kb_id] = bigrams(self.dictionary.kb.entities[kb_id].description())
        return self._bigram_cache[kb_id]

    def _candidates(self, surface: str) -> list[str]:
        assert self.dictionary is not None
        return self.dictionary.candidates(surface, self.config["min_seen"], self.config["max_candidates"])

    # -- training ---------------------------------------------------------------------------------

    def fit(self, train: Any, ctx: Any) -> None:
        with torch_threads(self.config["threads"]):
            self._fit(train, ctx)

    def _vocabulary(self, rows: list[dict], pretrained: Path | None) -> dict[str, int]:
        if pretrained is not None:
            from harness_entity_linking.models.vocab import pretrained_vocab

            return pretrained_vocab(pretrained)
        assert self.dictionary is not None
        chars: Counter = Counter()
        for row in rows:
            chars.update(row["text"])
        for entity in self.dictionary.kb.entities.values():
            chars.update(entity.description(self.config["description_len"]))
        tokens: Counter = Counter()
        for ch, n in chars.items():
            tokens[_char(ch)] += n
        total = sum(tokens.values())
        min_count = self.config["min_count"] or vocabulary_min_count(total)
        reserved = [*SPECIALS, "[unused1]"]
        kept = [ch for ch, n in tokens.most_common() if n >= min_count and ch not in reserved]
        self.schedule.update(corpus_chars=total, min_count=min_count, vocabulary=len(reserved) + len(kept))
        return {t: i for i, t in enumerate(reserved + kept)}

    def _tagged(self, rows: list[dict]) -> list[dict[str, Any]]:
        """Encoded texts with their mention start/end targets (the tagger's training examples)."""
        texts = [self._encode_text(r["text"]) for r in rows]
        for row, enc in zip(rows, texts, strict=True):
            start, end = [0.0] * len(enc["ids"]), [0.0] * len(enc["ids"])
            for m in row["mentions"]:
                if m["offset"] + len(m["mention"]) <= enc["n"]:
                    start[1 + m["offset"]], end[m["offset"] + len(m["mention"])] = 1.0, 1.0
            enc["start"], enc["end"] = start, end
        return texts

    def _training_pairs(self, rows: list[dict], rng: random.Random) -> list[tuple[dict, float]]:
        """Gold mentions with their candidates: the gold entity positive, up to `negatives` others negative;
        a NIL mention's candidates are all negatives (that is what teaches the NIL threshold)."""
        pairs = []
        for row in rows:
            text = row["text"]
            for m in row["mentions"]:
                start, end = m["offset"], m["offset"] + len(m["mention"])
                cands = self._candidates(m["mention"])
                if not cands:
                    continue
                others = [e for e in cands if e != m["kb_id"]]
                keep = set(rng.sample(others, min(len(others), self.config["negatives"])))
                chosen = [e for e in cands if e == m["kb_id"] or e in keep]
                gold = m["kb_id"] if m["kb_id"] != NIL else None
                feats = self._pair_features(text, start, end, chosen, leave_out=gold)
                for e, f in zip(chosen, feats, strict=True):
                    pairs.append((self._pair(text, start, end, e, f), float(e == m["kb_id"])))
        return pairs

    def _fit(self, train: Any, ctx: Any) -> None:
        import torch

        c = self.config
        started = time.perf_counter()
        torch.manual_seed(ctx.seed)
        self.dictionary, rows = train_dictionary(train, c["prune_ratio"], self.name)
        if c["max_train"]:
            rows = rows[: c["max_train"]]
        pretrained = Path(c["pretrained"]) if c["pretrained"] else None
        # The task's validation split when the data has an annotated one, else a seeded share of train.
        rows, held, validation = ctx.split_validation(rows, c["val_fraction"], limit=c["val_texts"] or None)
        held = [r for r in held if r.get("mentions") is not None]
        self.schedule = {}
        self._set_vocab(self._vocabulary(rows, pretrained))
        self._build(pretrained)
        texts, held_texts = self._tagged(rows), self._tagged(held)
        pairs = self._training_pairs(rows, random.Random(ctx.seed))
        held_pairs = self._training_pairs(held, random.Random(ctx.seed + 1))
        bs = c["train_batch_size"]
        t_steps = stage_steps(c["tagger_epochs"], len(texts), bs, c["min_steps"], c["max_steps"])
        m_steps = stage_steps(c["matcher_epochs"], len(pairs), 2 * bs, c["min_steps"], c["max_steps"])
        self.schedule.update(
            train_texts=len(texts), train_pairs=len(pairs), tagger_steps=t_steps, matcher_steps=m_steps, validation=validation
        )
        lr = c["lr"] or (5e-5 if pretrained else 2e-3)
        t_opt = torch.optim.AdamW(self.tagger.parameters(), lr=lr, weight_decay=0.01)
        m_opt = torch.optim.AdamW(self.matcher.parameters(), lr=lr, weight_decay=0.01)
        # Each stage stops early on its loss over the held-out texts (their mentions' pairs for the matcher).
        stops = {
            stage: ctx.early_stopping(
                "val_loss", False, max(1, math.ceil(n / c["val_points"])), c["patience"], max(1, n), validation, stage
            )
            for stage, n in (("tagger", t_steps), ("matcher", m_steps))
        }
        ckpt = ctx.training_checkpoint(every_s=30.0)
        saved = ckpt.restore()
        step = 0
        if saved is not None:
            self.tagger.load_state_dict(saved["tagger"])
            self.matcher.load_state_dict(saved["matcher"])
            t_opt.load_state_dict(saved["tagger_optimizer"])
            m_opt.load_state_dict(saved["matcher_optimizer"])
            step = saved["step"]
            for stage, state in saved.get("stopping", {}).items():
                stops[stage].load_state_dict(state)
        schedule = [("tagger", texts, bs, t_steps, t_opt), ("matcher", pairs, 2 * bs, m_steps, m_opt)]
        held_data = {"tagger": held_texts, "matcher": held_pairs}
        bce = torch.nn.BCEWithLogitsLoss(reduction="none")

        def stage_loss(stage: str, net: Any, chosen: list) -> Any:
            if stage == "tagger":
                batch = _text_batch(chosen)
                logits = net(batch["ids"], batch["features"], batch["mask"])
                target = torch.stack([batch["start"], batch["end"]], dim=-1)
                weight = batch["mask"].unsqueeze(-1).float()
                return (bce(logits, target) * weight).sum() / weight.sum()
            batch = _pair_batch([p for p, _ in chosen])
            labels = torch.tensor([y for _, y in chosen])
            logits = net(batch["ids"], batch["types"], batch["segments"], batch["mask"], batch["feats"])
            return bce(logits, labels).mean()

        def val_loss(stage: str, net: Any, size: int) -> float | None:
            data = held_data[stage]
            if not data:
                return None
            net.eval()
            with torch.no_grad():
                total = sum(
                    float(stage_loss(stage, net, data[i : i + size])) * len(data[i : i + size]) for i in range(0, len(data), size)
                )
            net.train()
            return total / len(data)

        title = (
            f"entity-linking · training pipeline ({len(rows)} texts, {len(pairs)} pairs; "
            f"{t_steps} tagger + {m_steps} matcher steps)"
        )
        with ctx.progress(title, total=t_steps + m_steps) as advance:
            advance(step)
            offset = 0
            for stage, data, size, n_steps, optimizer in schedule:
                net = self.tagger if stage == "tagger" else self.matcher
                net.train()
                per_epoch = math.ceil(len(data) / size)
                warmup = max(1, int(n_steps * c["warmup"]))
                stop = stops[stage]
                lengths = [len(d["ids"]) if stage == "tagger" else len(d[0]["ids"]) for d in data]
                batches: dict[int, list[list[int]]] = {}
                for local in range(max(0, step - offset), n_steps):
                    if stop.stopped:  # resumed from the snapshot of the step that ended this stage
                        break
                    epoch, k = divmod(local, per_epoch)
                    if epoch not in batches:
                        # Data order from (seed, stage, epoch): a resumed run sees the batches an uninterrupted one does.
                        seed = ctx.seed * 7919 + epoch * 2 + (stage == "matcher")
                        batches = {epoch: epoch_batches(lengths, size, c["length_buckets"], seed)}
                    chosen = [data[i] for i in batches[epoch][k]]
                    for group in optimizer.param_groups:
                        group["lr"] = lr * min((local + 1) / warmup, max(0.0, (n_steps - local) / max(1, n_steps - warmup)))
                    loss = stage_loss(stage, net, chosen)
                    optimizer.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                    optimizer.step()
                    step = offset + local + 1
                    advance(1, stage=stage, epoch=epoch + 1, loss=round(loss.item(), 4))
                    stopping = stop.update(
                        local + 1, loss.item(), lambda s=stage, n=net, z=size: val_loss(s, n, z), net.state_dict
                    )
                    ckpt.maybe_save(
                        step,
                        lambda: {
                            "tagger": self.tagger.state_dict(),
                            "matcher": self.matcher.state_dict(),
                            "tagger_optimizer": t_opt.state_dict(),
                            "matcher_optimizer": m_opt.state_dict(),
                            "stopping": {name: s.state_dict() for name, s in stops.items()},
                        },
                    )
                    if stopping:
                        # the stage's remaining steps are not trained
                        advance(n_steps - local - 1, stage=stage, epoch=epoch + 1, loss=round(loss.item(), 4))
                        break
                if stop.best_state is not None:  # the stage's best weights, not its last step's
                    net.load_state_dict(stop.best_state)
                offset += n_steps
        self.tagger.eval()
        self.matcher.eval()
        self.train_seconds = time.perf_counter() - started

    # -- persistence ------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        import torch

        assert self.dictionary is not None
        torch.save({"tagger": self.tagger.state_dict(), "matcher": self.matcher.state_dict()}, directory / "model.pt")
        save_dictionary(self.dictionary, directory / "dictionary.json")
        tokens = sorted(self.vocab, key=self.vocab.get)
        (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
        meta = {
            "tagger_bert": self.tagger.bert.config.to_dict(),
            "matcher_bert": self.matcher.bert.config.to_dict(),
            "train_seconds": self.train_seconds,
            "schedule": self.schedule,
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    def load(self, directory: Path) -> None:
        import torch

        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        lines = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self._set_vocab({t: i for i, t in enumerate(lines)})
        self.dictionary = load_dictionary(directory / "dictionary.json")
        self._build(configs=(meta["tagger_bert"], meta["matcher_bert"]))
        state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
        self.tagger.load_state_dict(state["tagger"])
        self.matcher.load_state_dict(state["matcher"])
        self.tagger.eval()
        self.matcher.eval()
        self.train_seconds = meta.get("train_seconds")
        self.schedule = meta.get("schedule", {})

    # -- prediction -------------------------------------------------------------------------------

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:
        import torch

        if self.tagger is None:
            raise RuntimeError("model 'pipeline' has not been trained or loaded")
        for item in batch:
            check_kb(self.dictionary, item, self.name)
        with torch_threads(self.config["threads"]), torch.inference_mode():
            detected = self.detect([item["text"] for item in batch])
            # Every (text, span) to link: the detected ones, then the gold spans (for el-link-acc alone).
            jobs = [(i, s, e) for i, spans in enumerate(detected) for s, e, _ in spans]
            gold_jobs = [(i, o, o + len(m)) for i, item in enumerate(batch) for m, o in item.get("gold_spans") or ()]
            # A gold span is most often a detected one too: each distinct span is scored once.
            unique = list(dict.fromkeys(jobs + gold_jobs))
            scores = dict(zip(unique, self.link([(batch[i]["text"], s, e) for i, s, e in unique]), strict=True))
        out = [{"mentions": [], "gold_links": []} for _ in batch]
        threshold = self.config["link_threshold"]
        for (i, s, e), scored in ((job, scores[job]) for job in jobs):
            text = batch[i]["text"]
            detect = next(p for a, b, p in detected[i] if (a, b) == (s, e))
            best, score = max(scored, key=lambda p: p[1]) if scored else (NIL, 0.0)
            out[i]["mentions"].append(
                {
                    "mention": text[s:e],
                    "offset": s,
                    "kb_id": best if score >= threshold else NIL,
                    "score": round(float(score), 4),
                    "detect": round(float(detect), 4),
                    "candidates": candidate_view(self.dictionary, scored),
                }
            )
        for (i, s, e), scored in ((job, scores[job]) for job in gold_jobs):
            best, score = max(scored, key=lambda p: p[1]) if scored else (NIL, 0.0)
            surface = batch[i]["text"][s:e]
            ranked = self.dictionary.candidates(
                surface, self.config["min_seen"], max(RECALL_DEPTH, self.config["max_candidates"])
            )
            out[i]["gold_links"].append(
                {
                    "mention": surface,
                    "offset": s,
                    "kb_id": best if score >= threshold else NIL,
                    "score": round(float(score), 4),
                    **generated(ranked, min(len(ranked), self.config["max_candidates"])),
                }
            )
        return out

    def detect(self, texts: list[str]) -> list[list[tuple[int, int, float]]]:
        """Dictionary spans the pointer tagger keeps: sigmoid(start) * sigmoid(end) >= detect_threshold, best
        first, no overlaps."""
        import torch

        encoded = [self._encode_text(t) for t in texts]
        batch = _text_batch(encoded)
        probs = torch.sigmoid(self.tagger(batch["ids"], batch["features"], batch["mask"]))
        out = []
        for k, enc in enumerate(encoded):
            p = probs[k]
            scored = sorted(((float(p[1 + s, 0] * p[e, 1]), s, e) for s, e in enc["spans"]), reverse=True)
            taken: list[tuple[int, int, float]] = []
            for score, s, e in scored:
                if score < self.config["detect_threshold"]:
                    break
                if all(e <= a or s >= b for a, b, _ in taken):
                    taken.append((s, e, score))
            out.append(sorted(taken))
        return out

    def link(self, spans: list[tuple[str, int, int]]) -> list[list[tuple[str, float]]]:
        """Matcher probabilities for every candidate of every (text, start, end)."""
        import torch

        pairs, owners, results = [], [], [[] for _ in spans]
        for j, (text, s, e) in enumerate(spans):
            cands = self._candidates(text[s:e])
            for kb_id, feats in zip(cands, self._pair_features(text, s, e, cands, None), strict=True):
                pairs.append(self._pair(text, s, e, kb_id, feats))
                owners.append((j, kb_id))
        for start in range(0, len(pairs), 256):
            batch = _pair_batch(pairs[start : start + 256])
            probs = torch.sigmoid(self.matcher(batch["ids"], batch["types"], batch["segments"], batch["mask"], batch["feats"]))
            for (j, kb_id), prob in zip(owners[start : start + 256], probs.tolist(), strict=True):
                results[j].append((kb_id, prob))
        return results


def stage_steps(epochs: int, examples: int, batch_size: int, floor: int, cap: int) -> int:
    """A stage's optimiser steps: `epochs` passes over its examples, at least `floor` (a few hundred
    texts need many more epochs than thousands: the held-out loss stops the stage when they are too
    many) and at most `cap` (0: no cap); 0 epochs train nothing."""
    steps = epochs * math.ceil(examples / batch_size)
    if epochs:
        steps = max(steps, floor)
    return min(steps, cap) if cap else steps


def vocabulary_min_count(corpus_chars: int) -> int:
    """How often a character must occur (train texts and KB descriptions) to get its own embedding:
    1 below 5 million characters (every character of the embedded set), one more per 5 million, so
    a large corpus does not spend embeddings on characters seen too rarely to learn."""
    return 1 + corpus_chars // 5_000_000


def epoch_batches(lengths: list[int], size: int, pools: int, seed: int) -> list[list[int]]:
    """One epoch's batches of example indexes, from a permutation seeded by `seed`. With `pools`,
    the permutation is cut into pools of `pools` batches, each pool sorted by length before it is
    batched, and the batches shuffled: batches of like lengths pad less (texts vary ~2x in length)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    if not pools:
        return [order[k : k + size] for k in range(0, len(order), size)]
    batches = []
    for start in range(0, len(order), size * pools):
        pool = sorted(order[start : start + size * pools], key=lengths.__getitem__)
        batches += [pool[k : k + size] for k in range(0, len(pool), size)]
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def _pad(rows: list[list], length: int, value: Any = 0) -> list[list]:
    return [r + [value] * (length - len(r)) for r in rows]


def _text_batch(encoded: list[dict]) -> dict[str, Any]:
    import torch

    length = max(len(e["ids"]) for e in encoded)
    batch = {
        "ids": torch.tensor(_pad([e["ids"] for e in encoded], length)),
        "features": torch.tensor(_pad([e["features"] for e in encoded], length)),
        "mask": torch.tensor(_pad([[1] * len(e["ids"]) for e in encoded], length)),
    }
    if "start" in encoded[0]:
        batch["start"] = torch.tensor(_pad([e["start"] for e in encoded], length, 0.0))
        batch["end"] = torch.tensor(_pad([e["end"] for e in encoded], length, 0.0))
    return batch


def _pair_batch(pairs: list[dict]) -> dict[str, Any]:
    import torch

    length = max(len(p["ids"]) for p in pairs)
    return {
        "ids": torch.tensor(_pad([p["ids"] for p in pairs], length)),
        "types": torch.tensor(_pad([p["types"] for p in pairs], length)),
        "segments": torch.tensor(_pad([p["segments"] for p in pairs], length)),
        "mask": torch.tensor(_pad([[1] * len(p["ids"]) for p in pairs], length)),
        "feats": torch.tensor([p["feats"] for p in pairs], dtype=torch.float),
    }
