"""Beam searches over the two-decoder network: one direction alone, or both together (the post's).

Both are batched over articles and incremental: each step runs every decoder LSTM one position
on its k alive paths (their (h, c) carried), so a step costs the same at position 3 as at 30.

**Unidirectional** (`l2r`, `r2l`): the chosen decoder with its alignment attention off (the
network's solo mode); ordinary beam search with k alive paths.

**Bidirectional** (the post's): each direction keeps its top-k alive paths. At each step every
(L2R path, R2L path) pair is scored: the L2R path's next-character distribution given that R2L
path's states so far (and vice versa); each direction's distribution is the mean over the other
direction's k paths (probabilities, as the post averages them); each direction then keeps its
top-k extensions. A path that emits the end token is finished. Decoding of an article stops when
the best finished path of either direction scores at least as well as every alive path of both
directions (the post's rule: "the best finished path of either direction wins"), or at the
length limit. An R2L result is reversed.

Scores are summed log-probabilities divided by length**length_penalty (length counted with the
end token); 0 (the post) compares raw sums. The unknown, padding and start tokens are never
produced. torch is imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness_titling.network import BOS, EOS, PAD, UNK

NEG = -1e9


@dataclass
class Finished:
    """Per article: the best finished path of each direction (normalised score, token ids)."""

    best: list[tuple[float, list[int]] | None] = field(default_factory=lambda: [None, None])

    def offer(self, direction: int, score: float, tokens: list[int]) -> None:
        if self.best[direction] is None or score > self.best[direction][0]:
            self.best[direction] = (score, tokens)

    def top(self) -> float:
        return max((b[0] for b in self.best if b is not None), default=-float("inf"))


def _norm(score: Any, length: int, penalty: float) -> Any:
    return score / (length**penalty) if penalty else score


def _forbid(logp: Any) -> Any:
    logp[..., PAD] = NEG
    logp[..., UNK] = NEG
    logp[..., BOS] = NEG
    return logp


class _Beams:
    """The k alive paths of one direction for B articles: tokens, scores, LSTM states, history."""

    def __init__(self, net: Any, direction: int, batch: int, k: int, pooled: Any) -> None:
        import torch

        self.net, self.d, self.B, self.k = net, direction, batch, k
        self.tokens = torch.full((batch, k, 1), BOS, dtype=torch.long)
        self.scores = torch.full((batch, k), NEG)
        self.scores[:, 0] = 0.0  # at the start the k paths are the same one: keep one alive
        self.cond = pooled.repeat_interleave(k, 0)
        self.state = None
        self.own = None
        self.keys: list[Any] = []  # alignment keys/values of this direction's states (for the other side)

    def step_states(self) -> Any:
        y = self.tokens[:, :, -1].reshape(-1, 1)
        own, self.state = self.net.decode_states(self.d, y, self.cond, self.state)
        self.own = own.view(self.B, self.k, -1)
        return self.own

    def remember(self, attention: Any) -> None:
        """Keys/values of the newest states, under the attention of the *other* direction."""
        self.keys.append(attention.keys(self.own.unsqueeze(2)))

    def history(self) -> tuple[Any, Any]:
        import torch

        return torch.cat([k for k, _ in self.keys], 2), torch.cat([v for _, v in self.keys], 2)

    def advance(self, logp: Any, step: int, finished: list[Finished], penalty: float, live: Any) -> None:
        """Extend by one token: finished candidates (end token) are offered, the top-k others kept."""
        import torch

        k, V = self.k, logp.size(-1)
        total = self.scores.unsqueeze(-1) + logp  # [B, k, V]
        end = total[:, :, EOS]
        for b in live.nonzero().flatten().tolist() if step > 0 else ():  # no empty titles
            j = int(end[b].argmax())
            if end[b, j] > NEG / 2:
                finished[b].offer(self.d, float(_norm(end[b, j], step + 1, penalty)), self.tokens[b, j, 1:].tolist())
        total[:, :, EOS] = NEG
        best, index = total.view(self.B, -1).topk(k, dim=1)
        origin, token = index // V, index % V
        self.scores = best
        self.tokens = torch.cat(
            [self.tokens.gather(1, origin.unsqueeze(-1).expand(-1, -1, self.tokens.size(2))), token.unsqueeze(-1)], 2
        )
        flat = (origin + torch.arange(self.B).unsqueeze(1) * k).flatten()
        self.state = tuple((h[:, flat], c[:, flat]) for h, c in self.state)
        rows = torch.arange(self.B).unsqueeze(1)
        self.keys = [(kk[rows, origin], vv[rows, origin]) for kk, vv in self.keys]

    def best_alive(self, step: int, penalty: float) -> Any:
        return _norm(self.scores.max(1).values, step + 2, penalty)

    def best_tokens(self) -> list[list[int]]:
        j = self.scores.argmax(1)
        return [self.tokens[b, int(j[b]), 1:].tolist() for b in range(self.B)]


def _step_keys(net: Any, enc: Any) -> list[tuple[Any, Any, Any]]:
    """Per direction, the retrieval attention's keys and values over the article laid out once for
    a decoding step's matrix products (keys [B, h, d, T], values [B, h, T, d]), and the padding
    mask [B, 1, 1, T]: `torch.einsum` over [B, T, h, d] copied them into that layout at every step."""
    mask = ~enc["mask"].view(enc["mask"].size(0), 1, 1, -1)
    return [(k.permute(0, 2, 3, 1).contiguous(), v.permute(0, 2, 1, 3).contiguous(), mask) for k, v in net.encoder_keys(enc)]


def _retrieve(net: Any, d: int, own: Any, enc: Any, keys: Any) -> Any:
    """The retrieval attention of `own` [B, K, z] (K paths) over the article -> [B, K, z]; the same
    as the network's teacher-forced `retrieve[d]`, from `_step_keys`."""
    att = net.retrieve[d]
    k, v, padding = keys[d]
    q = att.query(own).transpose(1, 2)  # [B, h, K, d]
    scores = (q @ k / att.d**0.5).masked_fill(padding, float("-inf"))
    out = (scores.softmax(-1) @ v).transpose(1, 2)  # [B, K, h, d]
    return out.reshape((*out.shape[:2], -1))


def unidirectional(net: Any, x: Any, direction: int, beam: int, max_len: int, penalty: float, bert_ids: Any = None) -> list[dict]:
    """Beam search of one decoder alone (alignment attention off). Returns token ids per article."""
    import torch

    enc = net.encode(x, bert_ids)
    keys = _step_keys(net, enc)
    B = x.size(0)
    beams = _Beams(net, direction, B, beam, enc["pooled"])
    finished = [Finished() for _ in range(B)]
    live = torch.ones(B, dtype=torch.bool)
    for step in range(max_len + 1):
        own = beams.step_states()
        retrieved = _retrieve(net, direction, own, enc, keys)
        logits = net.logits(direction, own, torch.zeros_like(own), retrieved, enc["prior"])
        logp = _forbid(logits.log_softmax(-1))
        if step == max_len:  # the length limit: only the end token may follow
            logp[..., :EOS] = NEG
            logp[..., EOS + 1 :] = NEG
        beams.advance(logp, step, finished, penalty, live)
        top = torch.tensor([f.top() for f in finished])
        live &= ~(top >= beams.best_alive(step, penalty))
        if not live.any():
            break
    fallback = beams.best_tokens()
    out = []
    for b in range(B):
        got = finished[b].best[direction]
        tokens = got[1] if got is not None else fallback[b]
        out.append(
            {
                "tokens": tokens[::-1] if direction == 1 else tokens,
                "direction": direction,
                "score": got[0] if got is not None else None,
            }
        )
    return out


def bidirectional(net: Any, x: Any, beam: int, max_len: int, penalty: float, bert_ids: Any = None) -> list[dict]:
    """The post's bidirectional beam search; also returns each direction's own best finished path."""
    import torch

    enc = net.encode(x, bert_ids)
    keys = _step_keys(net, enc)
    B = x.size(0)
    sides = [_Beams(net, d, B, beam, enc["pooled"]) for d in (0, 1)]
    finished = [Finished() for _ in range(B)]
    live = torch.ones(B, dtype=torch.bool)
    for step in range(max_len + 1):
        own = [s.step_states() for s in sides]
        for d in (0, 1):
            sides[d].remember(net.align[1 - d])  # the other direction attends to these states
        logps = []
        for d in (0, 1):
            k_other, v_other = sides[1 - d].history()
            att = net.align[d]
            aligned = att.paths(att.query(own[d]), k_other, v_other, step + 1)  # [B, k, k_other, z]
            retrieved = _retrieve(net, d, own[d], enc, keys).unsqueeze(2).expand_as(aligned)
            mine = own[d].unsqueeze(2).expand_as(aligned)
            probs = net.logits(d, mine, aligned, retrieved, enc["prior"]).softmax(-1)
            # average over the other direction's alive paths only (the start has one)
            alive_other = (sides[1 - d].scores > NEG / 2).to(probs.dtype)  # [B, k_other]
            weights = alive_other / alive_other.sum(1, keepdim=True)
            probs = (probs * weights.view(B, 1, -1, 1)).sum(2)
            logp = _forbid(probs.clamp_min(1e-12).log())
            if step == max_len:
                logp[..., :EOS] = NEG
                logp[..., EOS + 1 :] = NEG
            logps.append(logp)
        for d in (0, 1):
            sides[d].advance(logps[d], step, finished, penalty, live)
        top = torch.tensor([f.top() for f in finished])
        alive = torch.maximum(sides[0].best_alive(step, penalty), sides[1].best_alive(step, penalty))
        live &= ~(top >= alive)
        if not live.any():
            break
    fallbacks = [s.best_tokens() for s in sides]
    out = []
    for b in range(B):
        per_dir = []
        for d in (0, 1):
            got = finished[b].best[d]
            tokens = got[1] if got is not None else fallbacks[d][b]
            per_dir.append((got[0] if got is not None else -float("inf"), tokens[::-1] if d == 1 else tokens))
        winner = 0 if per_dir[0][0] >= per_dir[1][0] else 1
        out.append(
            {
                "tokens": per_dir[winner][1],
                "direction": winner,
                "l2r": per_dir[0][1],
                "r2l": per_dir[1][1],
                "score": per_dir[winner][0] if per_dir[winner][0] > -float("inf") else None,
            }
        )
    return out


def own_outputs(net: Any, x: Any, lengths: list[int], bert_ids: Any = None) -> tuple[Any, Any]:
    """The leakage fix's inputs: each direction's own greedy output, decoded jointly (alignment on)
    and forced to the gold length, as `[BOS] + characters` padded like the gold inputs.

    Teacher forcing lets each direction attend to the other's *gold* characters, which at test
    time are the model's own guesses; stage-2 training attends to these guesses instead."""
    import torch

    enc = net.encode(x, bert_ids)
    keys = _step_keys(net, enc)
    B, L = x.size(0), max(lengths)
    sides = [_Beams(net, d, B, 1, enc["pooled"]) for d in (0, 1)]
    length = torch.tensor(lengths)
    for step in range(L):
        own = [s.step_states() for s in sides]
        for d in (0, 1):
            sides[d].remember(net.align[1 - d])
        chosen = []
        for d in (0, 1):
            k_other, v_other = sides[1 - d].history()
            att = net.align[d]
            aligned = att.paths(att.query(own[d]), k_other, v_other, step + 1)[:, :, 0]
            logits = net.logits(d, own[d], aligned, _retrieve(net, d, own[d], enc, keys), enc["prior"])
            logits = _forbid(logits)
            logits[..., EOS] = NEG
            chosen.append(logits.argmax(-1))  # [B, 1]
        for d in (0, 1):
            token = torch.where(step < length.unsqueeze(1), chosen[d], torch.full_like(chosen[d], PAD))
            sides[d].tokens = torch.cat([sides[d].tokens, token.unsqueeze(-1)], 2)
    return sides[0].tokens[:, 0, : L + 1], sides[1].tokens[:, 0, : L + 1]
