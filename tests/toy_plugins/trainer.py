"""A model whose `fit` is a real torch training loop with periodic snapshots, for resume tests.

It learns y = w x for the arith plugin's doubling task by SGD on minibatches drawn from torch's
global RNG plus injected noise, so a resumed run matches an uninterrupted one only if the
snapshot restored the weights, the optimiser and the random state. Its checkpoint is a torch file
(`model.pt`, about 2 KB: the weight and the loss of every step), as real models' are.
`TOY_TRAINER_DIE_AT=N`
SIGKILLs the process after step N; `TOY_TRAINER_FAIL_AT=N` raises after step N instead (a training
cut short inside the test's own process, its snapshots left as a kill leaves them);
`TOY_TRAINER_LOG=path` appends each step a process runs;
`TOY_TRAINER_HOLD=path` makes `predict` create `path.started` and wait until `path` exists (a run
caught in progress).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from harness import Model, hookimpl


class SgdDoubler(Model):
    name = "sgd-doubler"
    tasks = ("doubling",)
    description = "Linear regression by SGD with momentum, checkpointed every few steps."
    defaults = {"steps": 40, "every": 10, "lr": 0.05}

    def fit(self, train, ctx):
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(ctx.seed)  # torch is imported here, after the runner seeded what was loaded
        xs = torch.tensor([r["x"] for r in train], dtype=torch.float64) / 1000
        ys = torch.tensor([r["reference"] for r in train], dtype=torch.float64) / 1000
        self.w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        # SGD with momentum written out, the update torch.optim.SGD(lr, momentum=0.9) makes: building
        # that optimiser imports torch._dynamo, seconds of CPU in every process that trains.
        velocity = torch.zeros_like(self.w)
        lr, momentum = self.config["lr"], 0.9
        ckpt = ctx.training_checkpoint(every_steps=self.config["every"], every_s=None)
        start = 0
        self.losses = []
        saved = ckpt.restore()
        if saved is not None:
            with torch.no_grad():
                self.w.copy_(saved["w"])
            velocity = saved["optimizer"]["momentum_buffer"].clone()
            start, self.losses = saved["step"], list(saved["losses"])
        die_at = int(os.environ.get("TOY_TRAINER_DIE_AT", "-1"))
        fail_at = int(os.environ.get("TOY_TRAINER_FAIL_AT", "-1"))
        log = os.environ.get("TOY_TRAINER_LOG")
        for step in range(start, self.config["steps"]):
            pick = torch.randint(0, len(xs), (16,))
            noise = torch.randn(16, dtype=torch.float64) * 0.01
            loss = ((self.w * xs[pick] - ys[pick] - noise) ** 2).mean()
            (grad,) = torch.autograd.grad(loss, [self.w])
            with torch.no_grad():
                velocity.mul_(momentum).add_(grad)
                self.w.sub_(lr * velocity)
            self.losses.append(float(loss.detach()))
            if log:
                with open(log, "a") as handle:
                    handle.write(f"{step}\n")
            ckpt.maybe_save(
                step + 1,
                lambda: {
                    "w": self.w.detach().clone(),
                    "optimizer": {"momentum_buffer": velocity.clone()},
                    "losses": list(self.losses),
                },
            )
            if step + 1 == die_at:
                os.kill(os.getpid(), signal.SIGKILL)
            if step + 1 == fail_at:
                raise RuntimeError(f"training cut short after step {fail_at}")

    def save(self, directory):
        import torch

        losses = torch.tensor(self.losses, dtype=torch.float64)
        torch.save({"w": self.w.detach(), "losses": losses}, directory / "model.pt")

    def load(self, directory):
        import torch

        self.w = torch.load(directory / "model.pt")["w"]

    def predict(self, batch, ctx):
        hold = os.environ.get("TOY_TRAINER_HOLD")
        if hold:
            Path(hold + ".started").touch()
            deadline = time.monotonic() + 60
            while not Path(hold).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return [float(self.w.detach()) * item["x"] for item in batch]


@hookimpl
def register_models(register):
    register(SgdDoubler)
