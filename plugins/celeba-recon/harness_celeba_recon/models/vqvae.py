"""`vq-vae`, `vq-lib` and `autoencoder`: one encoder / decoder (the post's), three bottlenecks.

`vq-vae` is the post's model with its nearest-codebook quantiser; `variant=post` is the post's
recipe exactly (gradient-trained codebook, uniform(-0.05, 0.05) init, no restarts), and the
default variant turns on the fixes measured best on faces-synth-v1 (see the README). Each fix can
also be set on its own: `codebook=ema|grad`, `init=kmeans|uniform`, `restart_dead=true|false`.
`vq-lib` swaps in vector-quantize-pytorch's `VectorQuantize`; `autoencoder` has no quantiser.

Training: Adam on mse(x, x_hat) + the quantiser's loss, for a fixed number of steps over batches
drawn in an order derived from (seed, epoch), so a run resumed from a training checkpoint ends
with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from harness import ConfigError, DataError, Model
from harness.training import torch_threads
from harness_celeba_recon import images
from harness_celeba_recon.task import TASK_NAMES

#: What `variant=fixed` (the default) turns on, chosen by measurement (README, "Which fixes").
FIXED = {"codebook": "ema", "init": "kmeans", "restart_dead": "true"}
POST = {"codebook": "grad", "init": "uniform", "restart_dead": "false"}
#: The fewest steps a data-sized schedule takes, and the share of `lr` the cosine schedule ends at.
MIN_STEPS, LR_FLOOR = 10, 0.02
CHOICES = {"codebook": ("ema", "grad"), "init": ("kmeans", "uniform"), "restart_dead": ("true", "false")}


def to_tensor(pixels: Any) -> Any:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float in [-1, 1], as the post scales its images."""
    import torch

    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_pixels(tensor: Any) -> Any:
    import numpy as np

    array = tensor.detach().clamp(-1, 1).add(1).mul(127.5).round().permute(0, 2, 3, 1).numpy()
    return array.astype(np.uint8)


class _ReconModel(Model):
    tasks = TASK_NAMES
    batch_size = 100
    #: `steps=0` sizes training from the data: `epochs` passes over the training images, at least
    #: MIN_STEPS and at most `max_steps`; `schedule=cosine` decays the learning rate to LR_FLOOR of `lr`
    #: over those steps (`constant` keeps it).
    common = {"grid": 0, "dim": 64, "res_blocks": 2, "steps": 0, "epochs": 16, "max_steps": 20_000, "batch": 32}
    common |= {"lr": 2e-3, "schedule": "cosine", "threads": 1}
    #: Early stopping: validation mse on `val_fraction` of the train images (at most `val_rows` of
    #: them) every `val_every` steps (0: a tenth of the steps), stopping after `patience` evaluations
    #: without a lower one (0: never early).
    common |= {"val_fraction": 0.05, "val_rows": 500, "val_every": 0, "patience": 4}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        for key in ("dim", "batch", "epochs", "max_steps", "val_rows"):
            if c[key] < 1:
                raise ConfigError(f"model {self.name!r}: {key} must be at least 1, got {c[key]}")
        if c["steps"] < 0 or c["val_every"] < 0:
            raise ConfigError(f"model {self.name!r}: steps and val_every must be 0 (sized from the data) or more")
        if c["schedule"] not in ("cosine", "constant"):
            raise ConfigError(f"model {self.name!r}: schedule must be cosine or constant, got {c['schedule']!r}")
        if c["grid"] < 0 or c["res_blocks"] < 0 or c["lr"] <= 0 or c["threads"] < 0:
            raise ConfigError(f"model {self.name!r}: need grid >= 0, res_blocks >= 0, lr > 0, threads >= 0")
        if not 0 <= c["val_fraction"] < 1 or c["patience"] < 0:
            raise ConfigError(f"model {self.name!r}: need 0 <= val_fraction < 1, patience >= 0")
        self.net: Any = None
        self.image_size: int | None = None
        self.train_seconds: float | None = None
        self.history: list[dict] = []
        #: What `schedule_for` chose for the last training: steps, validation interval, why.
        self.schedule: dict[str, Any] = {}

    # -- what differs between the three models ---------------------------------------------------

    def quantizer(self) -> Any:
        raise NotImplementedError

    def code_bits(self, grid: int) -> float:
        """Bits of one image's code."""
        raise NotImplementedError

    def before_training(self, net: Any, x: Any, generator: Any) -> None:
        """Hook before the first step (k-means initialisation)."""

    def after_step(self, net: Any, z: Any, generator: Any) -> None:
        """Hook after each step (dead-code restarts)."""

    # -- building --------------------------------------------------------------------------------

    def grid_for(self, image_size: int) -> int:
        return self.config["grid"] or image_size // 4  # the post: two stride-2 convolutions

    def build(self, image_size: int) -> None:
        from harness_celeba_recon.models.net import Decoder, Encoder, ReconNet

        c = self.config
        grid = self.grid_for(image_size)
        try:
            encoder = Encoder(image_size, grid, c["dim"], c["res_blocks"])
            decoder = Decoder(image_size, grid, c["dim"], c["res_blocks"])
        except ValueError as exc:
            raise ConfigError(f"model {self.name!r}: {exc}") from None
        self.image_size = image_size
        self.net = ReconNet(encoder, self.quantizer(), decoder)

    # -- training --------------------------------------------------------------------------------

    def schedule_for(self, n_train: int) -> dict[str, Any]:
        """Steps and validation interval for `n_train` training images: the given ones, or sized
        from the data (`epochs` passes, between MIN_STEPS and `max_steps`); a tiny set trains briefly."""
        c = self.config
        batch = min(c["batch"], n_train)
        if c["steps"]:
            steps, rule = c["steps"], "given"
        else:
            wanted = math.ceil(c["epochs"] * n_train / batch)
            steps, rule = min(c["max_steps"], max(MIN_STEPS, wanted)), f"{c['epochs']} epochs of {n_train} images"
        every = c["val_every"] or max(1, math.ceil(steps / 10))
        return {"steps": steps, "rule": rule, "batch": batch, "val_every": every, "lr": c["lr"], "schedule": c["schedule"]}

    def lr_at(self, step: int, steps: int) -> float:
        lr = self.config["lr"]
        if self.config["schedule"] == "constant" or steps <= 1:
            return lr
        return lr * (LR_FLOOR + (1 - LR_FLOOR) * 0.5 * (1 + math.cos(math.pi * step / (steps - 1))))

    def fit(self, train: Any, ctx: Any) -> None:
        with torch_threads(self.config["threads"]):
            self._fit(train, ctx)

    def _fit(self, train: Any, ctx: Any) -> None:
        import torch
        import torch.nn.functional as F

        rows = list(train)
        if not rows:
            raise DataError(f"model {self.name!r}: the train split is empty")
        sizes = {int(r["size"]) for r in rows}
        if len(sizes) != 1:
            raise DataError(f"model {self.name!r}: training images have mixed sizes {sorted(sizes)}")
        c = self.config
        # the task's val split when the data has one, else carved from train; a fixed subset at most
        # `val_rows`, so a validation pass stays cheap on a large set
        rows, held, carved = ctx.split_validation(rows, c["val_fraction"], limit=c["val_rows"])
        self.schedule = plan = self.schedule_for(len(rows))
        steps = plan["steps"]
        pixels = images.recall_many([r["image"] for r in rows])
        data = to_tensor(pixels)
        validation = to_tensor(images.recall_many([r["image"] for r in held])) if held else None
        torch.manual_seed(ctx.seed)
        self.build(sizes.pop())
        optimizer = torch.optim.Adam([p for p in self.net.parameters() if p.requires_grad], lr=c["lr"])
        n, bs = data.shape[0], plan["batch"]
        per_epoch = max(1, n // bs)

        def batch_at(step: int) -> Any:
            epoch, offset = divmod(step, per_epoch)
            order = torch.randperm(n, generator=torch.Generator().manual_seed(ctx.seed * 100_003 + epoch))
            return data[order[offset * bs : (offset + 1) * bs]]

        def val_mse() -> float | None:
            if validation is None:
                return None
            self.net.eval()
            with torch.no_grad():
                total = sum(
                    float(F.mse_loss(self.net(chunk)[0], chunk, reduction="sum")) for chunk in validation.split(self.batch_size)
                )
            self.net.train()
            return total / validation.numel()

        stop = ctx.early_stopping("val_mse", False, plan["val_every"], c["patience"], steps, validation=carved)
        ckpt = ctx.training_checkpoint(every_s=30.0)
        saved = ckpt.restore()
        start = 0
        generator = torch.Generator().manual_seed(ctx.seed + 7)
        if saved is not None:
            self.net.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            generator.set_state(saved["generator"])
            self.history = list(saved.get("history", []))
            start = int(saved["step"])
            if "stopping" in saved:
                stop.load_state_dict(saved["stopping"])
        else:
            self.before_training(self.net, data[torch.randperm(n, generator=generator)[: max(bs, 1024)]], generator)
        self.net.train()
        started = time.perf_counter()
        with ctx.progress(f"{ctx.task} · training {self.name} ({n} images, {steps} steps)", total=steps) as advance:
            advance(start)
            for step in range(start, steps):
                if stop.stopped:  # resumed from the snapshot of the step that ended training
                    break
                x = batch_at(step)
                x_hat, aux, codes, z = self.net(x)
                mse = F.mse_loss(x_hat, x)
                loss = mse + aux
                for group in optimizer.param_groups:
                    group["lr"] = self.lr_at(step, steps)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                self.after_step(self.net, z, generator)
                if step % 50 == 0 or step + 1 == steps:
                    used = int(codes.unique().numel()) if codes is not None else None
                    self.history.append(
                        {"step": step, "mse": float(mse.detach()), "loss": float(loss.detach()), "batch_codes_used": used}
                    )
                stopping = stop.update(step + 1, float(loss.detach()), val_mse, self.net.state_dict)
                ckpt.maybe_save(
                    step + 1,
                    lambda: {
                        "model": self.net.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "generator": generator.get_state(),
                        "history": self.history,
                        "stopping": stop.state_dict(),
                    },
                )
                advance(1)
                if stopping:
                    break
        if stop.best_state is not None:  # the weights of the lowest validation mse, not of the last step
            self.net.load_state_dict(stop.best_state)
        self.train_seconds = time.perf_counter() - started
        self.net.eval()

    def save(self, directory: Path) -> None:
        import torch

        torch.save(self.net.state_dict(), directory / "model.pt")
        meta = {"image_size": self.image_size, "train_seconds": self.train_seconds, "history": self.history}
        meta["schedule"] = self.schedule
        (directory / "model.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def load(self, directory: Path) -> None:
        import torch

        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        self.build(int(meta["image_size"]))
        self.net.load_state_dict(torch.load(directory / "model.pt", map_location="cpu", weights_only=True))
        self.net.eval()
        self.train_seconds, self.history = meta.get("train_seconds"), meta.get("history", [])
        self.schedule = meta.get("schedule", {})

    # -- prediction ------------------------------------------------------------------------------

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:
        import torch

        if self.net is None:
            raise RuntimeError(f"model {self.name!r} has not been trained or loaded")
        sizes = {int(item["size"]) for item in batch}
        if sizes != {self.image_size}:
            raise DataError(f"model {self.name!r} was trained on {self.image_size} px images, asked for {sorted(sizes)} px")
        x = to_tensor(images.recall_many([item["image"] for item in batch]))
        with torch_threads(self.config["threads"]), torch.inference_mode():
            started = time.perf_counter()
            z = self.net.encoder(x)
            z_q, _, codes = self.net.quantizer(z)
            encoded = time.perf_counter()
            x_hat = self.net.decoder(z_q)
            decoded = time.perf_counter()
        grid = z.shape[-1]
        bits = self.code_bits(grid)
        timing = {"encode_ms": (encoded - started) * 1000 / len(batch), "decode_ms": (decoded - encoded) * 1000 / len(batch)}
        out = []
        for i, pixels in enumerate(to_pixels(x_hat)):
            prediction: dict[str, Any] = {"reconstruction": images.remember(pixels), "bits": bits, **timing}
            if codes is not None:
                prediction["codes"] = codes[i].flatten().tolist()
                prediction["codebook_size"] = self.config["codes"]
            out.append(prediction)
        return out


class VqVaeModel(_ReconModel):
    name = "vq-vae"
    description = (
        "The post's VQ-VAE (conv + residual encoder, nearest of K codes, mirrored decoder, straight-through "
        "gradient); variant=post as written, the default with the measured codebook fixes."
    )
    defaults = {
        "variant": "fixed",
        "codebook": "auto",
        "init": "auto",
        "restart_dead": "auto",
        "codes": 64,
        "beta": 1.0,
        "gamma": 0.25,
        "ema_decay": 0.99,
        "restart_window": 50,
        **_ReconModel.common,
    }

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        if c["variant"] not in ("fixed", "post"):
            raise ConfigError(f"model 'vq-vae': variant must be 'fixed' (the default) or 'post', got {c['variant']!r}")
        base = POST if c["variant"] == "post" else FIXED
        for key, allowed in CHOICES.items():
            value = str(c[key]).strip().lower()
            value = {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false", "off": "false"}.get(value, value)
            if value == "auto":
                value = base[key]
            if value not in allowed:
                raise ConfigError(f"model 'vq-vae': {key} must be {' or '.join(allowed)} (or auto), got {c[key]!r}")
            c[key] = value  # the resolved choice is what the run records and hashes
        if c["codes"] < 2 or c["beta"] < 0 or c["gamma"] < 0 or not 0 < c["ema_decay"] < 1 or c["restart_window"] < 1:
            raise ConfigError("model 'vq-vae': need codes >= 2, beta >= 0, gamma >= 0, 0 < ema_decay < 1, restart_window >= 1")

    def quantizer(self) -> Any:
        from harness_celeba_recon.models.net import NearestCodebook

        c = self.config
        return NearestCodebook(
            c["codes"],
            c["dim"],
            c["beta"],
            c["gamma"],
            ema=c["codebook"] == "ema",
            decay=c["ema_decay"],
            restart_dead=c["restart_dead"] == "true",
            restart_window=c["restart_window"],
        )

    def code_bits(self, grid: int) -> float:
        return grid * grid * math.log2(self.config["codes"])

    def before_training(self, net: Any, x: Any, generator: Any) -> None:
        import torch

        from harness_celeba_recon.models.net import kmeans

        if self.config["init"] != "kmeans":
            return
        with torch.no_grad():
            net.eval()  # BatchNorm in eval mode uses its initial statistics; train mode would update them
            z = torch.cat([net.encoder(x[i : i + 256]) for i in range(0, len(x), 256)])
            net.train()
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        net.quantizer.set_codebook(kmeans(flat, self.config["codes"], 10, generator))

    def after_step(self, net: Any, z: Any, generator: Any) -> None:
        net.quantizer.maybe_restart(z, generator)


class VqLibModel(_ReconModel):
    name = "vq-lib"
    description = (
        "The same encoder/decoder with vector-quantize-pytorch's VectorQuantize (EMA codebook, k-means init, "
        "dead-code expiry): a library peer to the hand-written quantiser."
    )
    defaults = {"codes": 64, "gamma": 0.25, "ema_decay": 0.99, "kmeans_init": True, "dead_threshold": 2.0, **_ReconModel.common}

    def quantizer(self) -> Any:
        from harness_celeba_recon.models.net import LibQuantizer

        c = self.config
        return LibQuantizer(c["codes"], c["dim"], c["gamma"], c["ema_decay"], c["kmeans_init"], c["dead_threshold"])

    def code_bits(self, grid: int) -> float:
        return grid * grid * math.log2(self.config["codes"])


class AutoencoderModel(_ReconModel):
    name = "autoencoder"
    description = (
        "The same network without quantisation: a bound on reconstruction at unlimited rate; its bpp is that "
        "of the latents stored as float16."
    )
    defaults = dict(_ReconModel.common)

    def quantizer(self) -> Any:
        from harness_celeba_recon.models.net import Identity

        return Identity()

    def code_bits(self, grid: int) -> float:
        return grid * grid * self.config["dim"] * 16.0
