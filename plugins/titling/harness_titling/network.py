"""The post's network (kexue.fm/archives/6877, bojone/seq2seq `seq2seq_bidecoder.py`) in torch.

- Encoder: a character embedding, LayerNorm, two bidirectional LSTM layers (LayerNorm between),
  each direction z/2 wide; a masked max-pool of its states conditions the decoders.
- Two decoders, left-to-right and right-to-left, each: the shared embedding, then
  self-modulated LayerNorm (LayerNorm whose scale and shift come from the max-pooled article),
  LSTM, self-modulated LayerNorm, LSTM, self-modulated LayerNorm.
- Each decoder position n attends (multi-head) to the *other* direction's states 0..n (the
  post's "alignment attention", masked to the right) and to the encoder states ("retrieval
  attention"); the three are concatenated, projected (LeakyReLU 0.2) and classified by one output
  layer shared by both directions, whose logits are averaged with the copy prior: a learned
  scale and shift on the indicator of the characters that occur in the article.
- `solo` switches the alignment attention off per example (its output is zeroed). Training does
  so on a share of examples (`solo_rate`) so that the same network also decodes each direction
  on its own: that is how the `l2r` and `r2l` models use it. The post trained no such mode; the
  plugin README says so.

`pretrained` replaces the embedding + BiLSTM encoder with a local BERT (its states projected to
z); decoders and output layer are the same.

Token ids: 0 padding, 1 unknown, 2 start (both directions' first input), 3 end (both
directions' last target). torch is imported by the functions that build the network.
"""

from __future__ import annotations

from typing import Any

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("[PAD]", "[UNK]", "[BOS]", "[EOS]")


def build_network(vocab_size: int, char_size: int, z_dim: int, heads: int, bert: Any = None) -> Any:
    """A fresh `TitlingNet` (the class is defined here so torch is imported only when needed)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class SelfModulatedLayerNorm(nn.Module):
        """LayerNorm without its own affine: scale (1 + gamma) and shift beta come from the condition."""

        def __init__(self, dim: int, cond_dim: int, hidden: int) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(dim, elementwise_affine=False)
            self.gamma = nn.Sequential(nn.Linear(cond_dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
            self.beta = nn.Sequential(nn.Linear(cond_dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))

        def forward(self, x, cond):  # x [..., dim], cond [B, cond_dim] broadcast over middle axes
            shape = (cond.size(0),) + (1,) * (x.dim() - 2) + (-1,)
            return self.norm(x) * (1 + self.gamma(cond).view(shape)) + self.beta(cond).view(shape)

    class Attention(nn.Module):
        """Multi-head attention, projections without bias as in the post (heads x z/heads)."""

        def __init__(self, dim: int, n_heads: int) -> None:
            super().__init__()
            self.h, self.d = n_heads, dim // n_heads
            self.q = nn.Linear(dim, self.h * self.d, bias=False)
            self.k = nn.Linear(dim, self.h * self.d, bias=False)
            self.v = nn.Linear(dim, self.h * self.d, bias=False)

        def keys(self, kv):  # [..., T, dim] -> ([..., T, h, d], [..., T, h, d])
            shape = (*kv.shape[:-1], self.h, self.d)
            return self.k(kv).view(shape), self.v(kv).view(shape)

        def query(self, q):
            return self.q(q).view((*q.shape[:-1], self.h, self.d))

        def forward(self, q, k, v, mask):
            """q [B, Q, h, d]; k, v [B, T, h, d]; mask [B or 1, Q, T] (True = may attend) -> [B, Q, h*d]."""
            scores = torch.einsum("bqhd,bthd->bqht", q, k) / self.d**0.5
            scores = scores.masked_fill(~mask.unsqueeze(2), float("-inf"))
            out = torch.einsum("bqht,bthd->bqhd", scores.softmax(-1), v)
            return out.reshape((*out.shape[:2], -1))

        def paths(self, q, k, v, length):
            """Decoding: q [B, K, h, d] (K paths) against each of J other paths' states [B, J, T, h, d],
            all T = length positions visible -> [B, K, J, h*d]."""
            scores = torch.einsum("bkhd,bjthd->bkjht", q, k[:, :, :length]) / self.d**0.5
            out = torch.einsum("bkjht,bjthd->bkjhd", scores.softmax(-1), v[:, :, :length])
            return out.reshape((*out.shape[:3], -1))

    class Decoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm0 = SelfModulatedLayerNorm(char_size, z_dim, z_dim // 4)
            self.lstm1 = nn.LSTM(char_size, z_dim, batch_first=True)
            self.norm1 = SelfModulatedLayerNorm(z_dim, z_dim, z_dim // 4)
            self.lstm2 = nn.LSTM(z_dim, z_dim, batch_first=True)
            self.norm2 = SelfModulatedLayerNorm(z_dim, z_dim, z_dim // 4)

        def forward(self, emb, cond, state=None):
            """emb [B, L, char] -> states [B, L, z]; `state` carries both LSTMs' (h, c) between steps."""
            s1, s2 = state if state is not None else (None, None)
            y, s1 = self.lstm1(self.norm0(emb, cond), s1)
            y, s2 = self.lstm2(self.norm1(y, cond), s2)
            return self.norm2(y, cond), (s1, s2)

    class TitlingNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vocab_size, self.z_dim = vocab_size, z_dim
            self.embedding = nn.Embedding(vocab_size, char_size, padding_idx=PAD)
            self.bert = bert
            if bert is None:
                self.enc_norm0 = nn.LayerNorm(char_size)
                self.enc_lstm1 = nn.ModuleList([nn.LSTM(char_size, z_dim // 2, batch_first=True) for _ in (0, 1)])
                self.enc_norm1 = nn.LayerNorm(z_dim)
                self.enc_lstm2 = nn.ModuleList([nn.LSTM(z_dim, z_dim // 2, batch_first=True) for _ in (0, 1)])
            else:
                self.enc_proj = nn.Linear(bert.config.hidden_size, z_dim)
            self.prior_log_scale = nn.Parameter(torch.zeros(vocab_size))
            self.prior_shift = nn.Parameter(torch.zeros(vocab_size))
            self.decoders = nn.ModuleList([Decoder(), Decoder()])  # 0: L2R, 1: R2L
            self.align = nn.ModuleList([Attention(z_dim, heads), Attention(z_dim, heads)])
            self.retrieve = nn.ModuleList([Attention(z_dim, heads), Attention(z_dim, heads)])
            self.project = nn.ModuleList([nn.Linear(3 * z_dim, char_size), nn.Linear(3 * z_dim, char_size)])
            self.classifier = nn.Linear(char_size, vocab_size)  # shared by both directions

        # -- encoder ----------------------------------------------------------------------------

        def _bilstm(self, pair, x, lengths):
            """The post's OurBidirectional: a forward LSTM, and a second LSTM over each sequence
            reversed within its own length (tf.reverse_sequence), reversed back. (13x faster here,
            forward + backward, than a packed bidirectional nn.LSTM on CPU.)"""
            forward, backward = pair
            T = x.size(1)
            pos = torch.arange(T, device=x.device).unsqueeze(0)
            rev = torch.where(pos < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - pos, pos)
            index = rev.unsqueeze(-1).expand(-1, -1, x.size(-1))
            ahead, _ = forward(x)
            behind, _ = backward(x.gather(1, index))
            behind = behind.gather(1, rev.unsqueeze(-1).expand(-1, -1, behind.size(-1)))
            return torch.cat([ahead, behind], -1)

        def encode(self, x, bert_ids=None):
            """x [B, T] ids -> dict with states [B, T, z], mask, max-pool [B, z], prior [B, V].

            With a BERT encoder, `bert_ids` are the same characters in BERT's vocabulary (the copy
            prior and the decoders use the task's own vocabulary `x`)."""
            mask = x != PAD
            lengths = mask.sum(1).clamp(min=1)
            if self.bert is None:
                h = self.enc_norm0(self.embedding(x))
                h = self._bilstm(self.enc_lstm1, h, lengths)
                h = self._bilstm(self.enc_lstm2, self.enc_norm1(h), lengths)
            else:
                h = self.enc_proj(self.bert(input_ids=bert_ids, attention_mask=mask.long()).last_hidden_state)
            h = h * mask.unsqueeze(-1)
            pooled = h.masked_fill(~mask.unsqueeze(-1), -1e4).max(1).values
            present = torch.zeros(x.size(0), self.vocab_size, device=x.device)
            present.scatter_(1, x, 1.0)
            present[:, PAD] = 0.0
            prior = self.prior_log_scale.exp() * present + self.prior_shift
            return {"states": h, "mask": mask, "pooled": pooled, "prior": prior}

        def encoder_keys(self, enc):
            """Per direction, the retrieval attention's keys and values over the article (computed once)."""
            return [self.retrieve[d].keys(enc["states"]) for d in (0, 1)]

        # -- decoders ---------------------------------------------------------------------------

        def decode_states(self, direction: int, y, cond, state=None):
            return self.decoders[direction](self.embedding(y), cond, state)

        def logits(self, direction: int, own, aligned, retrieved, prior):
            """own, aligned, retrieved [B, ..., z] -> logits [B, ..., V] averaged with the copy prior."""
            hidden = F.leaky_relu(self.project[direction](torch.cat([own, aligned, retrieved], -1)), 0.2)
            shape = (prior.size(0),) + (1,) * (own.dim() - 2) + (-1,)
            return (self.classifier(hidden) + prior.view(shape)) / 2

        def forward(self, x, y_l2r, y_r2l, solo=None, other=None, bert_ids=None):
            """Teacher-forced logits of both directions, [B, L, V] each.

            y_l2r / y_r2l are the inputs ([BOS] + title, [BOS] + reversed title, padded). `other`
            optionally replaces the inputs each direction *attends to* for the other side (the
            leakage fix feeds the model's own outputs there); `solo` [B] bool zeroes alignment.
            """
            enc = self.encode(x, bert_ids)
            keys = self.encoder_keys(enc)
            inputs = (y_l2r, y_r2l)
            attended = other if other is not None else inputs
            own = [self.decode_states(d, inputs[d], enc["pooled"])[0] for d in (0, 1)]
            seen = own if other is None else [self.decode_states(d, attended[d], enc["pooled"])[0] for d in (0, 1)]
            out = []
            for d in (0, 1):
                q_len, k_len = own[d].size(1), seen[1 - d].size(1)
                causal = torch.ones(q_len, k_len, dtype=torch.bool, device=x.device).tril()
                k, v = self.align[d].keys(seen[1 - d])
                visible = causal.unsqueeze(0) & (attended[1 - d] != PAD).unsqueeze(1)
                visible[:, :, 0] = True  # position 0 (the start token) is always there
                aligned = self.align[d](self.align[d].query(own[d]), k, v, visible)
                if solo is not None:
                    aligned = aligned * (~solo).view(-1, 1, 1).to(aligned.dtype)
                retrieved = self.retrieve[d](self.retrieve[d].query(own[d]), *keys[d], enc["mask"].unsqueeze(1))
                out.append(self.logits(d, own[d], aligned, retrieved, enc["prior"]))
            return out

    return TitlingNet()
