"""The post's encoder / decoder (kexue.fm/archives/6760) and the quantisers that sit between them.

Encoder: 4x4 stride-2 convolutions with BatchNorm and ReLU (two of them in the post, 128 -> 32 px;
log2(image / grid) in general), then residual blocks; the result is a grid x grid map of `dim`-d
vectors. Decoder: the mirror image, transposed convolutions, ending in tanh (images live in
[-1, 1]). The residual block is ReLU, 3x3 conv, BN, ReLU, 1x1 conv, BN, plus the skip.

Quantisers, all returning (z_q with straight-through gradient, auxiliary loss, code indices):
- `NearestCodebook`: the post's nearest-code lookup with its two losses
  beta * mse(sg[z], z_q) + gamma * mse(z, sg[z_q]); codebook uniform(-0.05, 0.05). Options (the known
  fixes): EMA codebook updates (the codebook loss is then replaced by the moving averages),
  k-means initialisation from the first batch's encoder outputs, and restarting codes unused over
  a window at random encoder outputs.
- `LibQuantizer`: vector-quantize-pytorch's `VectorQuantize` (EMA, k-means init, dead-code expiry).
- `Identity`: no quantisation (the autoencoder bound).

torch is imported by the caller first (this module is only imported inside model methods).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(dim, dim, 3, padding=1),
            nn.BatchNorm2d(dim),
            nn.ReLU(),
            nn.Conv2d(dim, dim, 1),
            nn.BatchNorm2d(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def downsamplings(image_size: int, grid: int) -> int:
    steps = math.log2(image_size / grid) if grid > 0 else -1
    if grid < 1 or image_size % grid or steps != int(steps) or steps < 1:
        raise ValueError(f"grid {grid} must divide image size {image_size} by a power of two (2, 4, 8, ...)")
    return int(steps)


def channels(dim: int, n_down: int) -> list[int]:
    """Widths after each stride-2 convolution: halving back from `dim` (the post: dim/2, dim)."""
    return [max(8, dim // 2 ** (n_down - 1 - i)) for i in range(n_down)]


class Encoder(nn.Module):
    def __init__(self, image_size: int, grid: int, dim: int, res_blocks: int) -> None:
        super().__init__()
        widths = channels(dim, downsamplings(image_size, grid))
        layers: list[nn.Module] = []
        previous = 3
        for width in widths:
            layers += [nn.Conv2d(previous, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            previous = width
        layers += [ResBlock(dim) for _ in range(res_blocks)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, image_size: int, grid: int, dim: int, res_blocks: int) -> None:
        super().__init__()
        widths = channels(dim, downsamplings(image_size, grid))[::-1]
        layers: list[nn.Module] = [ResBlock(dim) for _ in range(res_blocks)]
        for i, width in enumerate(widths):
            out = widths[i + 1] if i + 1 < len(widths) else 3
            layers.append(nn.ConvTranspose2d(width, out, 4, stride=2, padding=1))
            if i + 1 < len(widths):
                layers += [nn.BatchNorm2d(out), nn.ReLU()]
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Identity(nn.Module):
    """No quantisation: the autoencoder's latents pass through (rate: float16 latents)."""

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        return z, z.new_zeros(()), None


class NearestCodebook(nn.Module):
    def __init__(
        self, codes: int, dim: int, beta: float, gamma: float, ema: bool, decay: float, restart_dead: bool, restart_window: int
    ) -> None:
        super().__init__()
        self.codes, self.dim, self.beta, self.gamma = codes, dim, beta, gamma
        self.ema, self.decay = ema, decay
        self.restart_dead, self.restart_window = restart_dead, restart_window
        initial = torch.empty(codes, dim).uniform_(-0.05, 0.05)  # the post's initialiser
        if ema:
            self.register_buffer("embedding", initial)
            self.register_buffer("cluster_size", torch.ones(codes))
            self.register_buffer("embed_sum", initial.clone())
        else:
            self.embedding = nn.Parameter(initial)
        self.register_buffer("window_usage", torch.zeros(codes))
        self.register_buffer("window_steps", torch.zeros((), dtype=torch.long))
        self.restarts = 0

    def lookup(self, flat: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code (squared Euclidean distance) for each row of `flat`."""
        e = self.embedding
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.t() + e.pow(2).sum(1)[None]
        return distances.argmin(1)

    @torch.no_grad()
    def set_codebook(self, vectors: torch.Tensor) -> None:
        """Replace the codebook (k-means initialisation); EMA statistics restart from it."""
        if self.ema:
            self.embedding.copy_(vectors)
            self.embed_sum.copy_(vectors)
            self.cluster_size.fill_(1.0)
        else:
            self.embedding.data.copy_(vectors)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        codes = self.lookup(flat.detach())
        z_q_flat = F.embedding(codes, self.embedding)
        if self.training:
            counts = torch.bincount(codes, minlength=self.codes).to(flat.dtype)
            self.window_usage += counts
            self.window_steps += 1
            if self.ema:
                with torch.no_grad():
                    sums = torch.zeros_like(self.embed_sum).index_add_(0, codes, flat.detach())
                    self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
                    self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
                    n = self.cluster_size.sum()
                    smoothed = (self.cluster_size + 1e-5) / (n + self.codes * 1e-5) * n  # Laplace smoothing
                    self.embedding.copy_(self.embed_sum / smoothed[:, None])
        z_q = z_q_flat.view(b, h, w, d).permute(0, 3, 1, 2)
        commitment = F.mse_loss(z, z_q.detach())
        loss = self.gamma * commitment if self.ema else self.beta * F.mse_loss(z.detach(), z_q) + self.gamma * commitment
        z_st = z + (z_q - z).detach()  # straight-through estimator: z + sg[z_q - z]
        return z_st, loss, codes.view(b, h, w)

    @torch.no_grad()
    def maybe_restart(self, z: torch.Tensor, generator: torch.Generator) -> int:
        """Every `restart_window` steps, move codes unused in the window onto random encoder outputs
        of the current batch (with a little noise so two restarted codes never coincide)."""
        if not self.restart_dead or int(self.window_steps) < self.restart_window:
            return 0
        dead = (self.window_usage == 0).nonzero().flatten()
        self.window_usage.zero_()
        self.window_steps.zero_()
        if not len(dead):
            return 0
        flat = z.detach().permute(0, 2, 3, 1).reshape(-1, self.dim)
        picks = torch.randint(0, flat.shape[0], (len(dead),), generator=generator)
        noise = torch.randn(len(dead), self.dim, generator=generator) * 0.01 * flat.std()
        fresh = flat[picks] + noise
        self.embedding.data[dead] = fresh
        if self.ema:
            self.embed_sum[dead] = fresh
            self.cluster_size[dead] = 1.0
        self.restarts += len(dead)
        return len(dead)


@torch.no_grad()
def kmeans(vectors: torch.Tensor, k: int, iterations: int, generator: torch.Generator) -> torch.Tensor:
    """Lloyd's k-means from k random distinct points; an emptied cluster takes a random point."""
    n = vectors.shape[0]
    centres = vectors[torch.randperm(n, generator=generator)[:k]].clone()
    if centres.shape[0] < k:  # fewer vectors than codes: repeat with noise
        extra = vectors[torch.randint(0, n, (k - centres.shape[0],), generator=generator)]
        centres = torch.cat([centres, extra + 1e-3 * torch.randn(extra.shape, generator=generator)])
    for _ in range(iterations):
        assign = (vectors.pow(2).sum(1, keepdim=True) - 2 * vectors @ centres.t() + centres.pow(2).sum(1)[None]).argmin(1)
        sums = torch.zeros_like(centres).index_add_(0, assign, vectors)
        counts = torch.bincount(assign, minlength=k).to(vectors.dtype)
        empty = counts == 0
        centres = torch.where(empty[:, None], centres, sums / counts.clamp(min=1)[:, None])
        if empty.any():
            centres[empty] = vectors[torch.randint(0, n, (int(empty.sum()),), generator=generator)]
    return centres


class LibQuantizer(nn.Module):
    """vector-quantize-pytorch's VectorQuantize on the (B, D, H, W) map, with the same outputs as ours."""

    def __init__(self, codes: int, dim: int, gamma: float, decay: float, kmeans_init: bool, dead_threshold: float) -> None:
        super().__init__()
        from vector_quantize_pytorch import VectorQuantize

        self.codes = codes
        self.vq = VectorQuantize(
            dim=dim,
            codebook_size=codes,
            decay=decay,
            commitment_weight=gamma,
            kmeans_init=kmeans_init,
            kmeans_iters=10,
            threshold_ema_dead_code=dead_threshold,
            accept_image_fmap=True,
        )

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z_q, codes, loss = self.vq(z)
        return z_q, loss.sum(), codes


class ReconNet(nn.Module):
    def __init__(self, encoder: nn.Module, quantizer: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder, self.quantizer, self.decoder = encoder, quantizer, decoder

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
        z = self.encoder(x)
        z_q, aux, codes = self.quantizer(z)
        return self.decoder(z_q), aux, codes, z
