"""Vocabulary, batching and the training loop of the two-decoder network (torch imported inside).

Stage 1 is the post's training: teacher forcing, loss = mean of the two directions' masked
cross-entropies, Adam. A share of examples (`solo_rate`) is trained with the alignment attention
off, so the same network also decodes each direction alone (the `l2r` and `r2l` models).

Stage 2 (`leak_fix_steps` > 0) is the published fix for the information leakage the post
discusses: with teacher forcing each direction attends to the other's *gold* characters,
including the very character it must predict once the two meet in the middle; at test time it
attends to the model's own guesses. Stage 2 continues training with each direction attending to
the other direction's own greedy output (decoded by the current network, forced to the gold
length), while its own inputs and targets stay gold.

Data order comes from (seed, epoch), and the optimiser, scheduler and step are saved through the
runner's training checkpoint, so an interrupted run resumes to the same network.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from harness_titling.network import BOS, EOS, PAD, SPECIALS, UNK

#: Characters of training text per unit of the automatic `min_count`: a corpus of ~1M characters
#: keeps characters seen once, ~2M (the embedded set) twice, 32M and more 32 times (the post's
#: `min_count` on THUCNews).
CHARS_PER_COUNT = 1_000_000
MAX_AUTO_MIN_COUNT = 32
#: Validations over a training run when `val_every` is 0 (automatic).
VALIDATIONS = 8


def auto_min_count(n_chars: int) -> int:
    """The vocabulary's `min_count` for a corpus of `n_chars` training characters (articles and titles)."""
    return max(1, min(MAX_AUTO_MIN_COUNT, round(n_chars / CHARS_PER_COUNT)))


def schedule(n_rows: int, n_chars: int, config: dict[str, Any]) -> dict[str, Any]:
    """What the data-scaled arguments become for a training set of `n_rows` pairs and `n_chars`
    characters: `steps` 0 is `epochs` passes over the rows (at least 1 step, at most `max_steps`),
    `min_count` 0 follows the corpus size (`auto_min_count`), `val_every` 0 validates `VALIDATIONS`
    times over the steps. Kept with the trained network, so a run says what was chosen."""
    bs = config["train_batch_size"]
    if config["steps"]:
        steps, steps_from = config["steps"], "steps"
    else:
        wanted = max(1, math.ceil(config["epochs"] * n_rows / bs))
        steps = min(wanted, config["max_steps"])
        steps_from = f"epochs={config['epochs']:g} over {n_rows} rows" + (
            f", capped at max_steps={config['max_steps']}" if wanted > steps else ""
        )
    return {
        "steps": steps,
        "steps_from": steps_from,
        "epochs": round(steps * bs / max(1, n_rows), 3),
        "min_count": config["min_count"] or auto_min_count(n_chars),
        "min_count_from": "min_count" if config["min_count"] else f"{n_chars} training characters",
        "val_every": config["val_every"] or max(1, math.ceil(steps / VALIDATIONS)),
    }


def corpus_chars(rows: Iterable[dict]) -> int:
    return sum(len(row["content"]) + len(row["title"]) for row in rows)


def build_vocab(rows: Iterable[dict], min_count: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row["content"])
        counts.update(row["title"])
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return {token: i for i, token in enumerate([*SPECIALS, *chars])}


def ids(text: str, vocab: dict[str, int], limit: int) -> list[int]:
    return [vocab.get(c, UNK) for c in text[:limit]]


def detokenize(tokens: Sequence[int], inverse: Sequence[str]) -> str:
    """Token ids back to text; the unknown token becomes nothing (as the post's id2str)."""
    return "".join(inverse[t] for t in tokens if t >= len(SPECIALS))


def pad(rows: Sequence[Sequence[int]], length: int | None = None) -> Any:
    import torch

    length = length or max(1, max(len(r) for r in rows))
    out = torch.full((len(rows), length), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r[:length], dtype=torch.long)
    return out


def batch_tensors(articles: Sequence[list[int]], titles: Sequence[list[int]]) -> dict[str, Any]:
    """Inputs and targets of both directions: L2R reads [BOS] + title and predicts title + [EOS];
    R2L the same on the reversed title."""
    l2r = [t for t in titles]
    r2l = [t[::-1] for t in titles]
    return {
        "x": pad(articles),
        "in_l2r": pad([[BOS, *t] for t in l2r]),
        "in_r2l": pad([[BOS, *t] for t in r2l]),
        "out_l2r": pad([[*t, EOS] for t in l2r]),
        "out_r2l": pad([[*t, EOS] for t in r2l]),
        "lengths": [len(t) for t in titles],
    }


def epoch_batches(n: int, lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """One epoch's batches, a function of (seed, epoch) only: shuffled, then length-bucketed in
    pools of 16 batches (less padding through the encoder LSTMs), then the batches shuffled."""
    import torch

    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(n, generator=generator).tolist()
    batches = []
    for start in range(0, n, batch_size * 16):
        pool = sorted(order[start : start + batch_size * 16], key=lambda i: lengths[i])
        batches += [pool[k : k + batch_size] for k in range(0, len(pool), batch_size)]
    return [batches[b] for b in torch.randperm(len(batches), generator=generator).tolist()]


def loss_of(net: Any, batch: dict[str, Any], solo: Any, other: Any = None, bert_ids: Any = None) -> Any:
    import torch.nn.functional as F

    logits = net(batch["x"], batch["in_l2r"], batch["in_r2l"], solo=solo, other=other, bert_ids=bert_ids)
    losses = [
        F.cross_entropy(lg.reshape(-1, lg.size(-1)), batch[key].reshape(-1), ignore_index=PAD)
        for lg, key in zip(logits, ("out_l2r", "out_r2l"), strict=True)
    ]
    return (losses[0] + losses[1]) / 2


def validation_loss(
    net: Any, articles: list[list[int]], titles: list[list[int]], bert: list[list[int]] | None, size: int
) -> float:
    """The teacher-forced loss of both directions on held-out articles (the early-stopping metric):
    no decoding, so it costs a forward pass per batch."""
    import torch

    was_training = net.training
    net.eval()
    total = 0.0
    order = sorted(range(len(articles)), key=lambda i: len(articles[i]))  # batches of similar length: less padding
    with torch.inference_mode():
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            batch = batch_tensors([articles[i] for i in chunk], [titles[i] for i in chunk])
            bert_ids = pad([bert[i] for i in chunk], batch["x"].size(1)) if bert else None
            solo = torch.zeros(len(batch["lengths"]), dtype=torch.bool)
            total += float(loss_of(net, batch, solo, None, bert_ids)) * len(batch["lengths"])
    net.train(was_training)
    return total / len(articles)


def restore(ctx: Any) -> tuple[Any, dict | None]:
    """The runner's training checkpoint (a snapshot every 30 s) and what it restored (None: fresh)."""
    ckpt = ctx.training_checkpoint(every_s=30.0)
    return ckpt, ckpt.restore()


def train_stage(
    net: Any,
    stage: int,
    articles: list[list[int]],
    titles: list[list[int]],
    config: dict[str, Any],
    seed: int,
    ctx: Any,
    ckpt: Any = None,
    saved: dict | None = None,
    bert_articles: list[list[int]] | None = None,
    held: tuple[list[list[int]], list[list[int]], list[list[int]] | None, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Train `net` in place for one stage (1: teacher forcing; 2: the leakage fix); returns its log.

    Each stage starts a fresh Adam, so stage 2 is the same whether stage 1 was just trained or
    loaded from the shared cache. Checkpoint steps are global (stage 2 continues after
    `steps`), and `saved` (a restored checkpoint of this stage) resumes mid-stage.

    Stage 1 stops early on the teacher-forced loss of `held` (articles, titles, BERT ids and the
    record of how they were held out) every `val_every` steps, keeping the best weights; stage 2
    runs its steps (or until the training budget ends it)."""
    import torch

    from harness_titling.decoding import own_outputs

    steps = config["steps"] if stage == 1 else config["leak_fix_steps"]
    offset = 0 if stage == 1 else config["steps"]
    bs = config["train_batch_size"]
    base_lr = config["lr"] or (1e-4 if bert_articles is not None else 3e-3)
    optimizer = torch.optim.Adam(net.parameters(), lr=base_lr if stage == 1 else base_lr * config["lr_floor"])
    warmup = max(1, int(0.03 * steps))
    floor = config["lr_floor"]

    def rate(step: int) -> float:
        if stage == 2:
            return 1.0
        return min((step + 1) / warmup, max(floor, 1 - step / max(1, steps)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    lengths = [len(a) for a in articles]
    n = len(articles)
    per_epoch = math.ceil(n / bs)
    solo_gen = torch.Generator()
    log: dict[str, Any] = {"loss": [], "seconds": 0.0, "cpu_seconds": 0.0}
    epochs: dict[int, list[list[int]]] = {}
    start = 0
    validating = stage == 1 and held is not None and bool(held[0])
    stop = ctx.early_stopping(
        "val_loss" if stage == 1 else "none",
        False,
        config["val_every"],
        config["patience"] if validating else 0,
        steps,
        validation=held[3] if held is not None else None,
        stage=f"stage {stage}",
    )

    def val_loss() -> float | None:
        return validation_loss(net, held[0], held[1], held[2], bs) if validating and held is not None else None

    if saved is not None and saved.get("stage") == stage:
        net.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        log, start = saved["log"], saved["step"] - offset
        if "stopping" in saved:
            stop.load_state_dict(saved["stopping"])

    net.train()
    started, cpu_started = time.perf_counter(), time.process_time()
    what = "teacher forcing" if stage == 1 else "leak fix: attending to own outputs"
    with ctx.progress(f"titling · training stage {stage}, {what} ({n} articles, {steps} steps)", total=steps) as advance:
        advance(start)
        for step in range(start, steps):
            if stop.stopped:  # resumed from the snapshot of the step that ended training
                break
            epoch, position = divmod(step + offset, per_epoch)
            if epoch not in epochs:
                epochs.clear()
                epochs[epoch] = epoch_batches(n, lengths, bs, seed, epoch)
            chosen = epochs[epoch][position]
            batch = batch_tensors([articles[i] for i in chosen], [titles[i] for i in chosen])
            bert_ids = pad([bert_articles[i] for i in chosen], batch["x"].size(1)) if bert_articles else None
            solo_gen.manual_seed(seed * 7_919 + step + offset)
            solo = torch.rand(len(chosen), generator=solo_gen) < config["solo_rate"]
            other = None
            if stage == 2:
                net.eval()
                with torch.no_grad():
                    other = own_outputs(net, batch["x"], batch["lengths"], bert_ids)
                net.train()
            loss = loss_of(net, batch, solo, other, bert_ids)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            log["loss"].append(round(float(loss.detach()), 4))
            advance(1)
            stopping = stop.update(step + 1, float(loss.detach()), val_loss, net.state_dict)
            if ckpt is not None:
                ckpt.maybe_save(
                    step + 1 + offset,
                    lambda: {
                        "model": net.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "log": {
                            **log,
                            "seconds": log["seconds"] + time.perf_counter() - started,
                            "cpu_seconds": log["cpu_seconds"] + time.process_time() - cpu_started,
                        },
                        "stage": stage,
                        "stopping": stop.state_dict(),
                    },
                )
            if stopping:
                break
    if stop.best_state is not None:  # the weights of the lowest validation loss, not of the last step
        net.load_state_dict(stop.best_state)
    log["stopped"], log["best_step"] = stop.stopped, stop.best_step
    log["seconds"] += time.perf_counter() - started
    log["cpu_seconds"] += time.process_time() - cpu_started
    net.eval()
    return log
