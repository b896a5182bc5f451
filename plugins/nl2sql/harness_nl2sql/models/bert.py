"""`bert`: the post's NL2SQL model (kexue.fm/archives/6771) on `transformers.BertModel`.

Input: `[CLS] question [SEP]` then `[CLS] header [SEP]` for every column, one token per character.
Heads, as in the post: the first [CLS] -> 3-way connective; each header's [CLS] -> 7-way (six aggs
or "not selected"); each question character -> 5-way (four ops or "not a value"), tagging value
spans; and per question character a softmax over the headers for the condition's column. Losses
are masked to real positions (the column loss to value characters only). Inference applies the
post's rules: a value that is not a number cannot take > or <, and an "==" value that is not a
cell of its text column snaps to the closest cell by edit distance.

By default a small BERT is trained from scratch on the task's train split (a few minutes on two
CPU cores); `pretrained=PATH` starts from a local checkpoint (`BertModel.from_pretrained`) and its
vocabulary. torch and transformers are imported inside functions so listing stays fast.
"""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path
from typing import Any

from harness import ConfigError, DataError, Model
from harness.training import torch_threads
from harness_nl2sql.values import locate, parse_number, snap, span_value, text_cell

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
NOT_SELECTED, NOT_VALUE = 6, 4
MATCH_CODES = 7


def _char(c: str) -> str:
    c = unicodedata.normalize("NFKC", c).lower()
    return c if c.strip() else "[unused1]"


class Encoder:
    """Character tokenisation against a vocabulary (ours, or a pretrained model's vocab).

    With `match` on, every example also carries string-match features, the cheap stand-in for
    what a pretrained BERT knows and a small one trained from scratch must otherwise learn from
    many epochs: which question characters share a bigram with a header or with a text cell of
    a column, and which header characters occur in the question. They feed an extra input
    embedding and two inputs of the condition-column scorer (see `_net`).
    """

    def __init__(self, vocab: dict[str, int], max_question: int, max_header: int, max_len: int, match: bool = False) -> None:
        self.vocab = vocab
        self.max_question, self.max_header, self.max_len = max_question, max_header, max_len
        self.match = match
        self.unk, self.cls, self.sep, self.pad = (vocab[t] for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]"))
        self._cells: dict[tuple, list[set[str]]] = {}

    def ids(self, text: str) -> list[int]:
        return [self.vocab.get(_char(c), self.unk) for c in text]

    def encode(self, question: str, header: list[str], table: dict | None = None) -> dict[str, Any]:
        q = self.ids(question[: self.max_question])
        tokens, types = [self.cls, *q, self.sep], [0] * (len(q) + 2)
        header_pos = []
        for h in header:
            h_ids = self.ids(str(h)[: self.max_header])
            if len(tokens) + len(h_ids) + 2 > self.max_len:
                break  # the remaining columns do not fit; they are never predicted
            header_pos.append(len(tokens))
            tokens += [self.cls, *h_ids, self.sep]
            types += [1] * (len(h_ids) + 2)
        encoded = {"ids": tokens, "types": types, "n_q": len(q), "header_pos": header_pos}
        if self.match:
            encoded.update(self._match(question[: self.max_question], header, header_pos, len(tokens), table))
        return encoded

    def _match(
        self, question: str, header: list[str], header_pos: list[int], n_tokens: int, table: dict | None
    ) -> dict[str, Any]:
        """Match codes per token (0 special; question 1-4: +1 shares a bigram with a header, +2 with
        a text cell; header 5/6: no/yes shares a bigram with the question) and (char, column) pairs."""
        q = [_norm(c) for c in question]
        q_grams = _bigrams(q)
        cells = self._text_cells(table) if table is not None else []
        match = [0] * n_tokens
        by_header, by_cell = set(), set()
        for j, pos in enumerate(header_pos):
            h = [_norm(c) for c in str(header[j])[: self.max_header]]
            h_grams = _bigrams(h)
            for k in range(len(h)):
                hit = (k > 0 and h[k - 1] + h[k] in q_grams) or (k + 1 < len(h) and h[k] + h[k + 1] in q_grams)
                match[pos + 1 + k] = 6 if hit else 5
            column_cells = cells[j] if j < len(cells) else set()
            for i in range(len(q) - 1):
                gram = q[i] + q[i + 1]
                if gram in h_grams:
                    by_header |= {(i, j), (i + 1, j)}
                if gram in column_cells:
                    by_cell |= {(i, j), (i + 1, j)}
        in_header, in_cell = {i for i, _ in by_header}, {i for i, _ in by_cell}
        for i in range(len(q)):
            match[1 + i] = 1 + (i in in_header) + 2 * (i in in_cell)
        return {"match": match, "by_header": sorted(by_header), "by_cell": sorted(by_cell)}

    def _text_cells(self, table: dict) -> list[set[str]]:
        """Bigrams of each text column's cells (cached per table: a table serves many questions)."""
        key = (table.get("id"), len(table["rows"]), tuple(map(str, table["header"])))
        if key not in self._cells:
            if len(self._cells) > 4096:
                self._cells.clear()
            columns = list(zip(*table["rows"], strict=True)) if table["rows"] else [() for _ in table["header"]]
            self._cells[key] = [
                set().union(*(_bigrams([_norm(ch) for ch in str(c)]) for c in column if c is not None))
                if kind == "text"
                else set()
                for column, kind in zip(columns, table["types"], strict=True)
            ]
        return self._cells[key]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _bigrams(chars: list[str]) -> set[str]:
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}


#: Train characters per extra occurrence a character needs to get its own vocabulary entry.
CHARS_PER_MIN_COUNT = 1_000_000


def vocab_min_count(rows: list[dict]) -> int:
    """How often a character must occur in train to get its own embedding (rarer ones read as [UNK]).

    1 below a million train characters (the embedded default: every character), then one more per
    million: on a large corpus a character seen once or twice gets an embedding that barely trains,
    while [UNK] learns from all of them."""
    chars = sum(len(r["question"]) + sum(len(str(h)) for h in r["table"]["header"]) for r in rows)
    return 1 + chars // CHARS_PER_MIN_COUNT


def build_vocab(rows: list[dict], min_count: int = 1) -> dict[str, int]:
    chars: dict[str, int] = {}
    for row in rows:
        for text in [row["question"], *map(str, row["table"]["header"])]:
            for c in text:
                c = _char(c)
                chars[c] = chars.get(c, 0) + 1
    ordered = sorted((c for c in chars if chars[c] >= min_count), key=lambda c: (-chars[c], c))
    reserved = [*SPECIALS, "[unused1]"]
    return {t: i for i, t in enumerate(reserved + [c for c in ordered if c not in reserved])}


def schedule(rows: int, steps_per_epoch: int, epochs: int, max_steps: int, warmup: float) -> dict[str, Any]:
    """The training schedule this many train questions get: `epochs` passes over them, capped at
    `max_steps` (0: no cap), so a small set trains proportionally briefly and a large one within a
    bounded time; the warm-up is a share of those steps and the running validation comes every epoch,
    or 8 times over the training when the cap cuts it short of `epochs`. Recorded with the checkpoint."""
    total = steps_per_epoch * epochs
    every = steps_per_epoch
    if max_steps and max_steps < total:
        total = max_steps
        every = max(1, min(steps_per_epoch, total // 8))
    return {
        "rows": rows,
        "steps_per_epoch": steps_per_epoch,
        "steps": total,
        "epochs": round(total / steps_per_epoch, 3),
        "warmup_steps": max(1, int(total * warmup)),
        "validate_every": every,
    }


def labels(row: dict, encoded: dict) -> dict[str, Any]:
    """Training targets from a TableQA row; values are found in the question (TableQA gives no spans)."""
    sql, table = row["sql"], row["table"]
    n_h, n_q = len(encoded["header_pos"]), encoded["n_q"]
    agg = [NOT_SELECTED] * n_h
    for c, a in zip(sql["sel"], sql["agg"], strict=True):
        if c < n_h:
            agg[c] = a
    op, col = [NOT_VALUE] * n_q, [-100] * n_q
    for c, o, v in sql["conds"]:
        if c >= n_h:
            continue
        span = locate(row["question"][:n_q], str(v), table["types"][c] == "real")
        if span is None or any(op[i] != NOT_VALUE for i in range(*span)):
            continue
        for i in range(*span):
            op[i], col[i] = o, c
    conn = sql.get("cond_conn_op", 0) if len(sql["conds"]) > 1 else 0
    return {"conn": conn, "agg": agg, "op": op, "col": col}


def _net(bert: Any, hidden: int, match: bool, context: bool) -> Any:
    """The post's heads on `bert`; `match` adds the string-match inputs (see `Encoder`), `context`
    gives the heads direct context a small BERT from scratch learns only slowly through its two
    layers: each header's sel/agg head also sees the question (its [CLS] and an attention-pooled
    summary of the question characters that header attends to), and the value/op tagger sees a
    5-character window around each question character (a convolution)."""
    import torch
    from torch import nn

    class Nl2sqlNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.conn = nn.Linear(hidden, 3)
            self.agg = nn.Linear(3 * hidden if context else hidden, 7)
            self.op = nn.Linear(hidden, 5)
            if context:
                self.h_query = nn.Linear(hidden, hidden)
                self.window = nn.Conv1d(hidden, hidden, kernel_size=5, padding=2)
            self.q_proj = nn.Linear(hidden, hidden)
            self.h_proj = nn.Linear(hidden, hidden)
            self.col_score = nn.Linear(hidden, 1)
            if match:  # zero-initialised: a pretrained BERT starts exactly as it was
                self.match = nn.Embedding(MATCH_CODES, hidden)
                nn.init.zeros_(self.match.weight)
                self.col_match = nn.Linear(2, 1, bias=False)
                nn.init.zeros_(self.col_match.weight)

        def forward(self, ids, types, mask, header_pos, header_mask, n_q_max, match=None, col_features=None):
            if match is not None:
                embeds = self.bert.embeddings.word_embeddings(ids) + self.match(match)
                x = self.bert(inputs_embeds=embeds, token_type_ids=types, attention_mask=mask).last_hidden_state
            else:
                x = self.bert(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state
            q = x[:, 1 : 1 + n_q_max]
            h = torch.gather(x, 1, header_pos.unsqueeze(-1).expand(-1, -1, x.size(-1)))
            col = self.col_score(torch.tanh(self.q_proj(q).unsqueeze(2) + self.h_proj(h).unsqueeze(1))).squeeze(-1)
            if col_features is not None:
                col = col + self.col_match(col_features).squeeze(-1)
            col = col.masked_fill(~header_mask.unsqueeze(1), -1e4)
            if not context:
                return self.conn(x[:, 0]), self.agg(h), self.op(q), col
            q_mask = (mask[:, 1 : 1 + n_q_max] > 0) & (types[:, 1 : 1 + n_q_max] == 0)
            weights = torch.einsum("bhd,bqd->bhq", self.h_query(h), q) / hidden**0.5
            weights = weights.masked_fill(~q_mask.unsqueeze(1), -1e4).softmax(-1)
            pooled = torch.einsum("bhq,bqd->bhd", weights, q)
            head_in = torch.cat([h, pooled, x[:, :1].expand_as(h)], dim=-1)
            local = q + torch.nn.functional.gelu(self.window(q.transpose(1, 2)).transpose(1, 2))
            return self.conn(x[:, 0]), self.agg(head_in), self.op(local), col

    return Nl2sqlNet()


class Batches:
    """Encoded examples (and their targets) as padded tensors, built once; `take` cuts a batch out.

    A training step then costs a few index operations instead of a Python loop that fills tensors
    example by example (that loop was ~7% of a step). A batch is exactly what per-example filling
    gives: padded to its longest example, its most headers and its longest question.
    """

    def __init__(self, encoded: list[dict], targets: list[dict] | None = None) -> None:
        import torch

        n = len(encoded)
        self.lengths = torch.tensor([len(e["ids"]) for e in encoded])
        self.n_heads = torch.tensor([len(e["header_pos"]) for e in encoded])
        self.n_qs = torch.tensor([e["n_q"] for e in encoded])
        length, n_h, n_q = int(self.lengths.max()), max(1, int(self.n_heads.max())), max(1, int(self.n_qs.max()))
        small = torch.int32  # stored small, widened per batch
        self.ids = torch.zeros(n, length, dtype=small)
        self.types = torch.zeros(n, length, dtype=small)
        self.header_pos = torch.zeros(n, n_h, dtype=small)
        self.match = torch.zeros(n, length, dtype=small) if "match" in encoded[0] else None
        pairs: list[list[int]] = []  # (example, question char, column, channel) where a string-match feature is 1
        for i, e in enumerate(encoded):
            self.ids[i, : len(e["ids"])] = torch.tensor(e["ids"], dtype=small)
            self.types[i, : len(e["types"])] = torch.tensor(e["types"], dtype=small)
            self.header_pos[i, : len(e["header_pos"])] = torch.tensor(e["header_pos"], dtype=small)
            if self.match is not None:
                self.match[i, : len(e["match"])] = torch.tensor(e["match"], dtype=small)
                for channel, key in enumerate(("by_header", "by_cell")):
                    pairs += [[i, q, h, channel] for q, h in e[key]]
        self.pairs = torch.tensor(pairs, dtype=torch.long).reshape(-1, 4)
        counts = torch.bincount(self.pairs[:, 0], minlength=n)
        self.pair_start = torch.cumsum(counts, 0) - counts
        self.pair_count = counts
        self.targets = None
        if targets is not None:
            agg = torch.full((n, n_h), -100, dtype=torch.long)
            op = torch.full((n, n_q), -100, dtype=torch.long)
            col = torch.full((n, n_q), -100, dtype=torch.long)
            for i, t in enumerate(targets):
                agg[i, : len(t["agg"])] = torch.tensor(t["agg"], dtype=torch.long)
                op[i, : len(t["op"])] = torch.tensor(t["op"], dtype=torch.long)
                col[i, : len(t["col"])] = torch.tensor(t["col"], dtype=torch.long)
            self.targets = (torch.tensor([t["conn"] for t in targets]), agg, op, col)

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, chosen: list[int]) -> dict[str, Any]:
        """The batch of examples `chosen`, with its targets when the examples have them."""
        import torch

        index = torch.tensor(chosen, dtype=torch.long)
        n = len(chosen)
        length = int(self.lengths[index].max())
        n_h = max(1, int(self.n_heads[index].max()))
        n_q = max(1, int(self.n_qs[index].max()))
        positions = torch.arange(length)
        batch: dict[str, Any] = {
            "ids": self.ids[index, :length].long(),
            "types": self.types[index, :length].long(),
            "mask": (positions < self.lengths[index].unsqueeze(1)).long(),
            "header_pos": self.header_pos[index, :n_h].long(),
            "header_mask": torch.arange(n_h) < self.n_heads[index].unsqueeze(1),
            "n_q_max": n_q,
            "match": None,
            "col_features": None,
        }
        if self.match is not None:
            features = torch.zeros(n, n_q, n_h, 2)
            counts = self.pair_count[index]
            if int(counts.sum()):
                row = torch.repeat_interleave(torch.arange(n), counts)
                first = torch.repeat_interleave(self.pair_start[index] - (torch.cumsum(counts, 0) - counts), counts)
                found = self.pairs[first + torch.arange(int(counts.sum()))]
                features[row, found[:, 1], found[:, 2], found[:, 3]] = 1.0
            batch["match"], batch["col_features"] = self.match[index, :length].long(), features
        if self.targets is not None:
            conn, agg, op, col = self.targets
            batch["targets"] = (conn[index], agg[index, :n_h], op[index, :n_q], col[index, :n_q])
        return batch


def _batch(encoded: list[dict], targets: list[dict] | None = None) -> dict[str, Any]:
    """One batch of these examples (prediction, validation)."""
    return Batches(encoded, targets).take(list(range(len(encoded))))


def _table(row: dict) -> str:
    """What validation carved from train holds out whole: a table, so that the score says how the
    model does on tables it never saw, which is what val/test measure."""
    return str(row["table_id"])


def epoch_batches(encoded: list[dict], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """One epoch's batches, a function of (seed, epoch) only, so a resumed run sees the same order.

    Length buckets: the epoch's shuffled order is cut into pools of 16 batches, each pool sorted
    by length and cut into batches (little padding), and the batches are shuffled again.
    """
    import torch

    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(len(encoded), generator=generator).tolist()
    batches = []
    for start in range(0, len(order), batch_size * 16):
        pool = sorted(order[start : start + batch_size * 16], key=lambda i: len(encoded[i]["ids"]))
        batches += [pool[k : k + batch_size] for k in range(0, len(pool), batch_size)]
    return [batches[b] for b in torch.randperm(len(batches), generator=generator).tolist()]


def epoch_status(epoch: int, epochs: int, loss: float | None, history: list[dict]) -> dict[str, Any]:
    """The progress bar's status fields: epoch, running loss, the last running validation score."""
    status: dict[str, Any] = {"epoch": f"{epoch + 1}/{epochs}"}
    if loss is not None:
        status["loss"] = round(loss, 3)
    scores = [h["dev_logic_form"] for h in history if "dev_logic_form" in h]
    if scores:
        status["dev_logic_form"] = round(scores[-1], 3)
    return status


class BertSqlModel(Model):
    name = "bert"
    tasks = ("nl2sql",)
    description = (
        "The post's BERT NL2SQL model (conn / sel+agg / value-tagging / condition-column heads); a small BERT "
        "from scratch by default, or pretrained=PATH to a local Chinese BERT checkpoint."
    )
    defaults = {
        "pretrained": "",  # path to a local BERT checkpoint directory (config + weights + vocab)
        "hidden_size": 64,
        "layers": 2,
        "heads": 4,
        "intermediate_size": 128,
        "dropout": 0.05,
        "attention_dropout": 0.0,
        "init_range": 0.06,  # std of the from-scratch BERT's initial weights (BertConfig's default 0.02 starts slowly)
        "epochs": 18,  # passes over the train questions, up to max_steps
        "max_steps": 3200,  # cap on optimiser steps (0: none): a large train set trains fewer epochs
        "train_batch_size": 32,
        "lr": 0.0,  # 0 = 4e-3 from scratch, 5e-5 for a pretrained model
        "warmup": 0.06,
        "max_len": 160,
        "max_question": 80,
        "max_header": 12,
        "threads": 1,
        "max_train": 0,
        "min_count": 0,  # occurrences a train character needs for its own embedding (0: 1 + train characters // 1M)
        "dev_fraction": 0.05,  # share of train tables held out for validation when the data has no val split (0: none)
        "dev_limit": 300,  # validation questions scored per evaluation, a seeded sample (0: all)
        "patience": 4,  # epochs without a better dev score before training stops (0: never early)
        "match": 1,
        "context": 1,
    }
    batch_size = 64

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        for key in (
            "hidden_size",
            "layers",
            "heads",
            "intermediate_size",
            "epochs",
            "train_batch_size",
            "max_len",
            "max_question",
            "max_header",
        ):
            if c[key] < 1:
                raise ConfigError(f"model 'bert': {key} must be at least 1, got {c[key]}")
        for key in ("match", "context"):
            if c[key] not in (0, 1):
                raise ConfigError(f"model 'bert': {key} must be 0 or 1, got {c[key]}")
        if c["hidden_size"] % c["heads"]:
            raise ConfigError(f"model 'bert': hidden_size ({c['hidden_size']}) must be a multiple of heads ({c['heads']})")
        if (
            not 0 <= c["dropout"] < 1
            or not 0 <= c["attention_dropout"] < 1
            or c["lr"] < 0
            or not 0 <= c["warmup"] < 1
            or c["threads"] < 0
            or c["max_train"] < 0
            or c["max_steps"] < 0
            or c["min_count"] < 0
            or c["dev_limit"] < 0
            or c["patience"] < 0
            or not 0 <= c["dev_fraction"] < 1
            or not 0 < c["init_range"] <= 1
        ):
            raise ConfigError(
                "model 'bert': need 0 <= dropout, attention_dropout, warmup, dev_fraction < 1, lr >= 0, "
                "0 < init_range <= 1, threads >= 0, max_train, max_steps, min_count, dev_limit, patience >= 0"
            )
        if c["pretrained"] and not Path(c["pretrained"]).is_dir():
            raise ConfigError(f"model 'bert': pretrained={c['pretrained']!r} is not a directory (a local BERT checkpoint)")
        self.net: Any = None
        self.encoder: Encoder | None = None
        self.train_seconds: float | None = None
        self.dev_seconds: float | None = None  # of train_seconds, spent on the running validation
        self.history: list[dict] = []
        self.schedule: dict[str, Any] = {}  # what the training set's size chose (`schedule`), kept in model.json

    # -- building -------------------------------------------------------------------------------

    def _pretrained_vocab(self, path: Path) -> dict[str, int]:
        vocab_file = path / "vocab.txt"
        if vocab_file.exists():
            return {line.rstrip("\n"): i for i, line in enumerate(vocab_file.read_text(encoding="utf-8").splitlines())}
        try:  # save_pretrained writes tokenizer.json, not vocab.txt (transformers 5.x)
            from transformers import AutoTokenizer

            return dict(AutoTokenizer.from_pretrained(str(path), local_files_only=True).get_vocab())
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise ConfigError(f"model 'bert': no vocab.txt or loadable tokenizer in {path} ({reason})") from None

    def _build(self, vocab: dict[str, int], bert_config: dict | None = None, pretrained: Path | None = None) -> None:
        from transformers import BertConfig, BertModel

        c = self.config
        missing = [t for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]") if t not in vocab]
        if missing:
            raise ConfigError(f"model 'bert': the vocabulary lacks {', '.join(missing)}")
        if pretrained is not None:
            try:
                bert = BertModel.from_pretrained(str(pretrained), local_files_only=True, add_pooling_layer=False)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise ConfigError(f"model 'bert': cannot load a BERT checkpoint from {pretrained} ({reason})") from None
        else:
            if bert_config is None:
                bert_config = BertConfig(
                    vocab_size=len(vocab),
                    hidden_size=c["hidden_size"],
                    num_hidden_layers=c["layers"],
                    num_attention_heads=c["heads"],
                    intermediate_size=c["intermediate_size"],
                    hidden_dropout_prob=c["dropout"],
                    attention_probs_dropout_prob=c["attention_dropout"],
                    max_position_embeddings=max(512, c["max_len"]),
                    type_vocab_size=2,
                    initializer_range=c["init_range"],
                ).to_dict()
            bert = BertModel(BertConfig.from_dict(bert_config), add_pooling_layer=False)
        max_len = min(c["max_len"], bert.config.max_position_embeddings)
        self.encoder = Encoder(vocab, c["max_question"], c["max_header"], max_len, match=bool(c["match"]))
        self.net = _net(bert, bert.config.hidden_size, bool(c["match"]), bool(c["context"]))

    # -- training -------------------------------------------------------------------------------

    def fit(self, train: Any, ctx: Any) -> None:
        with torch_threads(self.config["threads"]):
            self._fit(train, ctx)

    def _fit(self, train: Any, ctx: Any) -> None:
        import torch

        torch.manual_seed(ctx.seed)
        rows = [r for r in train if r.get("sql")]
        if not rows:
            raise DataError("model 'bert': the train split has no questions with gold SQL")
        c = self.config
        if c["max_train"]:
            rows = rows[: c["max_train"]]
        rows, dev, held = ctx.split_validation(rows, c["dev_fraction"], group=_table, limit=c["dev_limit"] or None)
        pretrained = Path(c["pretrained"]) if c["pretrained"] else None
        min_count = c["min_count"] or vocab_min_count(rows)
        vocab = self._pretrained_vocab(pretrained) if pretrained else build_vocab(rows, min_count)
        self._build(vocab, pretrained=pretrained)
        assert self.encoder is not None
        encoded = [self.encoder.encode(r["question"], r["table"]["header"], r["table"]) for r in rows]
        prepared = Batches(encoded, [labels(r, e) for r, e in zip(rows, encoded, strict=True)])
        lr = c["lr"] or (5e-5 if pretrained else 4e-3)
        # fused: one kernel for all parameters instead of a loop over ~50 tensors (2 ms of a ~58 ms step)
        optimizer = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=0.01, fused=True)
        bs = c["train_batch_size"]
        steps_per_epoch = len(epoch_batches(encoded, bs, ctx.seed, 0))
        plan = schedule(len(rows), steps_per_epoch, c["epochs"], c["max_steps"], c["warmup"])
        plan.update(vocab_size=len(vocab), vocab_min_count=None if pretrained else min_count)
        total, warmup, epochs = plan["steps"], plan["warmup_steps"], -(-plan["steps"] // steps_per_epoch)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
        )
        ce = torch.nn.CrossEntropyLoss(ignore_index=-100)

        # Resumable: data order is a function of (seed, epoch), so a restored snapshot (weights,
        # optimiser, schedule; the runner restores the RNG that dropout draws from) continues
        # exactly where an uninterrupted run would be.
        # Early stopping on the dev score at each epoch's end (more often when the step cap leaves
        # few epochs; the budget is checked every step).
        stop = ctx.early_stopping(
            "dev_logic_form", True, every=plan["validate_every"], patience=c["patience"], max_steps=total, validation=held
        )
        checkpoint = ctx.training_checkpoint(every_s=30.0)
        saved = checkpoint.restore()
        step, loss_avg, history, spent, dev_spent = 0, None, [], 0.0, 0.0
        if saved is not None:
            self.net.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            step, loss_avg, history, spent = saved["step"], saved["loss"], saved["history"], saved["seconds"]
            dev_spent = saved.get("dev_seconds", 0.0)
            if "stopping" in saved:
                stop.load_state_dict(saved["stopping"])
        started = time.perf_counter()

        def payload() -> dict[str, Any]:
            return {
                "model": self.net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "loss": loss_avg,
                "history": history,
                "seconds": spent + time.perf_counter() - started,
                "dev_seconds": dev_spent,
                "stopping": stop.state_dict(),
            }

        def validate() -> float | None:
            """The dev score, logged in `history` as at each epoch's end (also when the budget ends training)."""
            nonlocal dev_spent
            epochs_done = step // steps_per_epoch if step % steps_per_epoch == 0 else round(step / steps_per_epoch, 3)
            entry = {"epoch": epochs_done, "step": step, "loss": round(loss_avg, 4)}
            score = None
            if dev:
                dev_started = time.perf_counter()
                score = entry["dev_logic_form"] = round(self._dev_score(dev), 4)
                dev_spent += time.perf_counter() - dev_started
            history.append(entry)
            return score

        dev_note = f"; validation: {len(dev)} questions, {held['source']}" if dev else ""
        title = f"nl2sql · training bert ({len(rows)} questions, {total} steps = {plan['epochs']:g} epochs{dev_note})"
        self.net.train()
        with ctx.progress(title, total=total) as advance:
            advance(step)
            for epoch in range(step // steps_per_epoch, epochs):
                if stop.stopped:
                    break
                batches = epoch_batches(encoded, bs, ctx.seed, epoch)
                for k in range(step - epoch * steps_per_epoch, steps_per_epoch):
                    batch = prepared.take(batches[k])
                    conn_t, agg_t, op_t, col_t = batch["targets"]
                    conn, agg, op, col = self.net(
                        batch["ids"],
                        batch["types"],
                        batch["mask"],
                        batch["header_pos"],
                        batch["header_mask"],
                        batch["n_q_max"],
                        batch["match"],
                        batch["col_features"],
                    )
                    loss = ce(conn, conn_t) + ce(agg.reshape(-1, 7), agg_t.reshape(-1)) + ce(op.reshape(-1, 5), op_t.reshape(-1))
                    if (col_t != -100).any():
                        loss = loss + ce(col.reshape(-1, col.size(-1)), col_t.reshape(-1))
                    optimizer.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                    optimizer.step()
                    scheduler.step()
                    step += 1
                    value = loss.item()
                    loss_avg = value if loss_avg is None else 0.98 * loss_avg + 0.02 * value
                    if step % 10 == 0:
                        advance(1, **epoch_status(epoch, epochs, loss_avg, history))
                    else:
                        advance(1)
                    if stop.update(step, value, validate, self.net.state_dict):
                        break
                    if k + 1 < steps_per_epoch:
                        checkpoint.maybe_save(step, payload)
                advance(0, **epoch_status(epoch, epochs, loss_avg, history))
                checkpoint.maybe_save(step, payload)
        if stop.best_state is not None:  # the weights of the best dev score, not of the last step
            self.net.load_state_dict(stop.best_state)
        self.train_seconds = spent + time.perf_counter() - started
        self.dev_seconds = dev_spent
        self.history = history
        self.schedule = plan
        self.net.eval()

    def _dev_score(self, dev: list[dict]) -> float:
        """Logic-form accuracy on the held-out dev questions (no SQL execution: cheap enough per epoch)."""
        from harness_nl2sql.metrics import logic_form_equal

        self.net.eval()
        try:
            hits = 0
            for start in range(0, len(dev), self.batch_size):
                chunk = dev[start : start + self.batch_size]
                preds = self._predict(chunk)
                hits += sum(logic_form_equal(p, r["sql"]) for p, r in zip(preds, chunk, strict=True))
        finally:
            self.net.train()
        return hits / len(dev)

    def save(self, directory: Path) -> None:
        import torch

        assert self.encoder is not None
        torch.save(self.net.state_dict(), directory / "model.pt")
        tokens = sorted(self.encoder.vocab, key=self.encoder.vocab.get)
        (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
        meta = {
            "bert_config": self.net.bert.config.to_dict(),
            "train_seconds": self.train_seconds,
            "dev_seconds": self.dev_seconds,
            "history": self.history,
            "schedule": self.schedule,
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    def load(self, directory: Path) -> None:
        import torch

        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        lines = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self._build({t: i for i, t in enumerate(lines)}, bert_config=meta["bert_config"])
        self.net.load_state_dict(torch.load(directory / "model.pt", map_location="cpu", weights_only=True))
        self.net.eval()
        self.train_seconds = meta.get("train_seconds")
        self.dev_seconds = meta.get("dev_seconds")
        self.history = meta.get("history", [])
        self.schedule = meta.get("schedule", {})

    # -- prediction -----------------------------------------------------------------------------

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:

        if self.net is None or self.encoder is None:
            raise RuntimeError("model 'bert' has not been trained or loaded")
        with torch_threads(self.config["threads"]):
            return self._predict(batch)

    def _predict(self, batch: list[dict[str, Any]]) -> list[dict]:
        import torch

        encoded = [self.encoder.encode(item["question"], item["table"]["header"], item["table"]) for item in batch]
        tensors = _batch(encoded)
        with torch.inference_mode():
            conn, agg, op, col = self.net(
                tensors["ids"],
                tensors["types"],
                tensors["mask"],
                tensors["header_pos"],
                tensors["header_mask"],
                tensors["n_q_max"],
                tensors["match"],
                tensors["col_features"],
            )
            conn_p, agg_p, op_p, col_p = conn.softmax(-1), agg.softmax(-1), op.softmax(-1), col.softmax(-1)
        return [
            self.decode(item, e, conn_p[i], agg_p[i], op_p[i], col_p[i])
            for i, (item, e) in enumerate(zip(batch, encoded, strict=True))
        ]

    def decode(self, item: dict, encoded: dict, conn: Any, agg: Any, op: Any, col: Any) -> dict:
        """The post's inference rules, turning head outputs into a TableQA `sql` object."""
        table, question = item["table"], item["question"]
        n_h, n_q = len(encoded["header_pos"]), encoded["n_q"]
        sel, aggs = [], []
        agg = agg[:n_h]
        best = agg.argmax(-1).tolist()
        for j, a in enumerate(best):
            if a != NOT_SELECTED:
                sel.append(j)
                aggs.append(a)
        if not sel and n_h:
            j = int((1 - agg[:, NOT_SELECTED]).argmax())
            sel, aggs = [j], [int(agg[j, :NOT_SELECTED].argmax())]
        # A value is a maximal run of characters tagged as a value; its op and column are the argmax of
        # the run's mean probabilities (so one number is never split into several values).
        is_value = (op[:n_q].argmax(-1) != NOT_VALUE).tolist()
        conds, seen = [], set()
        i = 0
        while i < n_q:
            if not is_value[i]:
                i += 1
                continue
            j = i
            while j + 1 < n_q and is_value[j + 1]:
                j += 1
            o = int(op[i : j + 1, :NOT_VALUE].mean(0).argmax())
            c = int(col[i : j + 1, :n_h].mean(0).argmax()) if n_h else 0
            kind, header = table["types"][c], str(table["header"][c])
            value = span_value(question[i : j + 1], kind, header)
            if o in (0, 1) and parse_number(value) is None:
                o = 2  # the post: a value that is not a number cannot be compared with > or <
            if kind == "text" and o == 2:
                cells = sorted({text_cell(r[c]) for r in table["rows"] if r[c] is not None})
                value = snap(value, cells)
            key = (c, o, value)
            if value and key not in seen:
                seen.add(key)
                conds.append([c, o, value])
            i = j + 1
        c_conn = conn.tolist()
        conn_code = 0 if len(conds) < 2 else (1 if c_conn[1] >= c_conn[2] else 2)
        return {"sel": sel, "agg": aggs, "cond_conn_op": conn_code, "conds": conds}
