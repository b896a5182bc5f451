"""Throughput of the celeba-recon models: training steps/s, images/s encoded + decoded, metric time.

At 32 and 64 px, with torch at 1 and 2 threads (the `threads` model argument), on the default
vq-vae network (dim 64, batch 64, 64 codes, grid = size / 4). The peer measured in the same run is
the `jpeg` model's mosaic coder on the same images, so the ratios survive a busy machine better
than the absolute figures. Prints the machine's load average before and after: figures from a
loaded machine are lower bounds.

    .venv/bin/python plugins/celeba-recon/benchmarks/bench_celeba_recon.py [--steps 30] [--images 512]
    .venv/bin/python plugins/celeba-recon/benchmarks/bench_celeba_recon.py --compare

`--compare` runs the default `harness run --task celeba-recon` twice at once, each in a fresh harness
home: the earlier recipe given as model arguments (OLD_RECIPE: 1,200 steps at batch 64, a constant learning rate
of 0.001, validation every 100 steps) and today's defaults. It prints each run's CPU seconds (user +
sys of its process, which a busy machine disturbs far less than wall time), wall time, steps and
test scores, and the ratio of the CPU seconds: both runs share the same load.
"""

from __future__ import annotations

import argparse
import os
import time


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_training(size: int, threads: int, steps: int) -> float:
    import torch
    import torch.nn.functional as F
    from harness_celeba_recon.models.vqvae import VqVaeModel, to_tensor, torch_threads
    from harness_celeba_recon.synth.faces import generate

    model = VqVaeModel(threads=threads)
    x_all = to_tensor(generate("train", size, count=256))
    with torch_threads(threads):
        torch.manual_seed(0)
        model.build(size)
        opt = torch.optim.Adam(model.net.parameters(), lr=1e-3)
        model.net.train()
        for step in range(steps + 3):
            if step == 3:
                started = time.perf_counter()
            x = x_all[(step * 64) % 192 : (step * 64) % 192 + 64]
            x_hat, aux, _, z = model.net(x)
            loss = F.mse_loss(x_hat, x) + aux
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.after_step(model.net, z, torch.Generator().manual_seed(step))
        return steps / (time.perf_counter() - started)


def bench_coding(size: int, threads: int, n: int) -> tuple[float, float, float]:
    """(vq-vae images/s encode+decode, jpeg images/s encode+decode, metric seconds per 100 images)."""
    import torch
    from harness_celeba_recon import images
    from harness_celeba_recon.metrics import Psnr, Ssim
    from harness_celeba_recon.models.jpeg import JpegModel
    from harness_celeba_recon.models.vqvae import VqVaeModel, torch_threads
    from harness_celeba_recon.synth.faces import generate

    faces = generate("test", size, count=n)
    batch = [{"id": str(i), "image": images.remember(f), "size": size} for i, f in enumerate(faces)]
    model = VqVaeModel(threads=threads)
    with torch_threads(threads):
        torch.manual_seed(0)
        model.build(size)
    model.net.eval()
    model.predict(batch[:8], None)
    started = time.perf_counter()
    predictions = []
    for i in range(0, n, model.batch_size):
        predictions += model.predict(batch[i : i + model.batch_size], None)
    vq_rate = n / (time.perf_counter() - started)
    jpeg = JpegModel()
    started = time.perf_counter()
    for i in range(0, n, jpeg.batch_size):
        jpeg.predict(batch[i : i + jpeg.batch_size], None)
    jpeg_rate = n / (time.perf_counter() - started)
    metrics = [Psnr(), Ssim()]
    Ssim().score(predictions[0], batch[0]["image"], batch[0])
    started = time.perf_counter()
    with torch_threads(threads):
        for pred, item in zip(predictions, batch, strict=True):
            for m in metrics:
                m.score(pred, item["image"], item)
    metric_s = (time.perf_counter() - started) / n * 100
    return vq_rate, jpeg_rate, metric_s


#: The default before training was sized from the data, as model arguments.
OLD_RECIPE = {"steps": "1200", "batch": "64", "lr": "0.001", "schedule": "constant", "val_every": "100"}


def compare() -> None:
    """The earlier recipe and the defaults, as two `harness run` processes started together."""
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    print(f"load average before: {load()} ({os.cpu_count()} CPUs)", flush=True)
    recipes = {"earlier recipe": OLD_RECIPE, "defaults": {}}
    with tempfile.TemporaryDirectory() as scratch:
        running = {}
        for label, args in recipes.items():
            home = Path(scratch) / label.replace(" ", "-")
            env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_DB": str(home / "r.duckdb")}
            command = [sys.executable, "-m", "harness", "run", "--task", "celeba-recon", "--json"]
            command += [f"--model-arg={k}={v}" for k, v in args.items()]
            out = (Path(scratch) / f"{home.name}.json").open("w")
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.DEVNULL)
            running[label] = (process, time.perf_counter(), out, env)
        results = {}
        for label, (process, started, out, env) in running.items():
            _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time
            process.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - started
            out.close()
            run = json.loads(Path(out.name).read_text())
            show = [sys.executable, "-m", "harness", "show", run["run_id"], "--json"]
            run["training"] = json.loads(subprocess.run(show, env=env, capture_output=True, text=True).stdout).get("training")
            results[label] = (usage.ru_utime + usage.ru_stime, wall, run)
    print(f"load average after: {load()}")
    header = ("recipe", "CPU s", "wall s", "steps", "stopped", "PSNR dB [95% CI]", "SSIM", "usage")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (15, 7, 7, 6, 10, 24, 6, 6), strict=True)))
    for label, (cpu, wall, run) in results.items():
        m, training = run["metrics"], run.get("training") or {}
        psnr = m["recon-psnr"]
        ci = f"{psnr['value']:.2f} [{psnr['ci_low']:.2f}, {psnr['ci_high']:.2f}]"
        print(
            f"{label:>15} {cpu:>7.1f} {wall:>7.1f} {training.get('steps', '?'):>6} {training.get('stopped', '?'):>10} "
            f"{ci:>24} {m['recon-ssim']['value']:>6.3f} {m['recon-code-usage']['value']:>6.3f}"
        )
    (before, *_), (after, *_) = results.values()
    print(f"CPU seconds, defaults / earlier recipe: {after / before:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--compare", action="store_true", help="the earlier recipe against the defaults, CPU s and scores")
    args = parser.parse_args()
    if args.compare:
        compare()
        return
    print(f"load average before: {load()} ({os.cpu_count()} CPUs)")
    print(
        f"{'px':>4} {'threads':>7} {'train steps/s':>14} {'vq img/s':>10} {'jpeg img/s':>11} {'vq/jpeg':>8} "
        f"{'psnr+ssim s/100 img':>20}"
    )
    for size in (32, 64):
        for threads in (1, 2):
            steps = bench_training(size, threads, args.steps)
            vq, jpeg, metric_s = bench_coding(size, threads, args.images)
            print(f"{size:>4} {threads:>7} {steps:>14.2f} {vq:>10.0f} {jpeg:>11.0f} {vq / jpeg:>8.2f} {metric_s:>20.3f}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
