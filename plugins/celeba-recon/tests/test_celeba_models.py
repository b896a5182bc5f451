"""Every model end to end through the runner on tiny configurations, plus the quantiser's parts."""

import math
from contextlib import contextmanager

import harness_celeba_recon
import numpy as np
import pytest
import torch
from harness_celeba_recon import images
from harness_celeba_recon.data import load_synthetic
from harness_celeba_recon.models.jpeg import JpegModel, WebpModel, best_quality, code_batch
from harness_celeba_recon.models.net import NearestCodebook, kmeans
from harness_celeba_recon.models.vqvae import LR_FLOOR, MIN_STEPS, AutoencoderModel, VqLibModel, VqVaeModel

from harness import ConfigError, RunContext
from harness.testing import run_plugin
from harness.training import TrainingCheckpoint

TINY = {"dim": "16", "steps": "12", "batch": "16", "val_rows": "32"}


def values(run):
    return {m.name: m.value for m in run.metrics}


def test_steps_follow_the_size_of_the_training_set():
    model = VqVaeModel()
    assert model.schedule_for(3000)["steps"] == 1500  # 16 epochs of the 3,000 embedded faces at batch 32
    assert model.schedule_for(162_770)["steps"] == 20_000  # CelebA's train split: capped at max_steps
    tiny = model.schedule_for(30)  # one batch of 30 per epoch, 16 epochs
    assert (tiny["steps"], tiny["batch"], tiny["val_every"]) == (16, 30, 2)
    assert VqVaeModel(epochs="1").schedule_for(3)["steps"] == MIN_STEPS  # never fewer than MIN_STEPS
    assert VqVaeModel(steps="7").schedule_for(3000)["steps"] == 7
    assert VqVaeModel(epochs="4", max_steps="100").schedule_for(3000)["steps"] == 100
    assert model.lr_at(0, 1500) == model.config["lr"] and model.lr_at(1499, 1500) == pytest.approx(LR_FLOOR * model.config["lr"])
    assert VqVaeModel(schedule="constant").lr_at(1499, 1500) == model.config["lr"]
    with pytest.raises(ConfigError, match="schedule"):
        VqVaeModel(schedule="linear")


def test_variant_post_is_the_posts_recipe_and_fixes_resolve():
    post = VqVaeModel(variant="post").config
    assert (post["codebook"], post["init"], post["restart_dead"]) == ("grad", "uniform", "false")
    assert (post["codes"], post["beta"], post["gamma"]) == (64, 1.0, 0.25)
    assert VqVaeModel(variant="post", restart_dead="yes").config["restart_dead"] == "true"
    assert VqVaeModel().config["init"] == "kmeans"
    for bad, message in [
        ({"variant": "paper"}, "variant"),
        ({"codebook": "adam"}, "codebook"),
        ({"codes": "1"}, "codes >= 2"),
        ({"grid": "3"}, None),
        ({"dim": "0"}, "dim"),
    ]:
        if message is None:
            model = VqVaeModel(**bad)
            with pytest.raises(ConfigError, match="power of two"):
                model.build(32)
        else:
            with pytest.raises(ConfigError, match=message):
                VqVaeModel(**bad)


class StoppingCheckpoint(TrainingCheckpoint):
    """The runner's real snapshot files, saved every step; raises KeyboardInterrupt after `stop_at`."""

    def __init__(self, directory, stop_at=None):
        super().__init__(directory, every_steps=1, every_s=None)
        self.stop_at = stop_at

    def maybe_save(self, step, payload_fn):
        saved = super().maybe_save(step, payload_fn)
        if step == self.stop_at:
            raise KeyboardInterrupt
        return saved


class Ctx(RunContext):
    def __init__(self, directory, stop_at=None):
        super().__init__(task="celeba-recon", seed=0, progress=quiet)
        self.directory, self.stop_at = directory, stop_at

    def training_checkpoint(self, every_s=None, every_steps=None):
        return StoppingCheckpoint(self.directory, self.stop_at)


@contextmanager
def quiet(label, total):
    yield lambda n=1: None


def test_interrupted_training_resumes_to_the_same_weights(tmp_path):
    train = load_synthetic("train", 32)[:200]
    args = {"dim": 16, "steps": 10, "batch": 16, "restart_window": 3}
    whole = VqVaeModel(**args)
    whole.fit(train, Ctx(tmp_path / "whole"))
    interrupted = VqVaeModel(**args)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(train, Ctx(tmp_path / "resumed", stop_at=6))
    assert TrainingCheckpoint(tmp_path / "resumed").restore()["step"] == 6
    resumed = VqVaeModel(**args)
    resumed.fit(train, Ctx(tmp_path / "resumed"))
    for (name, a), b in zip(whole.net.state_dict().items(), resumed.net.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_dead_codes_restart_on_encoder_outputs_and_kmeans_spreads_codes():
    torch.manual_seed(0)
    vq = NearestCodebook(8, 4, 1.0, 0.25, ema=False, decay=0.99, restart_dead=True, restart_window=2)
    z = torch.randn(2, 4, 3, 3) + 5  # far from the uniform(-0.05, 0.05) codebook: one code wins everything
    vq.train()
    for _ in range(2):
        _, _, codes = vq(z)
    assert codes.unique().numel() == 1
    restarted = vq.maybe_restart(z, torch.Generator().manual_seed(0))
    assert restarted == 7 and vq.restarts == 7
    assert vq(z)[2].unique().numel() > 1  # restarted codes now sit on data
    points = torch.cat([torch.randn(50, 2) * 0.1 + c for c in (torch.tensor([0.0, 0]), torch.tensor([5.0, 5]))])
    centres = kmeans(points, 2, 10, torch.Generator().manual_seed(0))
    assert sorted(round(float(c.sum())) for c in centres) == [0, 10]


@pytest.mark.parametrize("model", ["vq-lib", "autoencoder"])
def test_peer_models_run(tmp_path, model):
    run = run_plugin(harness_celeba_recon, "celeba-recon", db=tmp_path / "r.duckdb", model=model, model_args=TINY, limit=20).run
    assert run.status == "finished", run.error
    v = values(run)
    if model == "autoencoder":
        assert v["recon-bpp"] == pytest.approx(8 * 8 * 16 * 16 / 1024)  # 16-d float16 latents on an 8 x 8 grid
        assert v["recon-code-usage"] is None
    else:
        assert v["recon-bpp"] == pytest.approx(0.375) and v["recon-code-usage"] > 0
    assert VqLibModel().config["codes"] == 64 and AutoencoderModel().config["dim"] == VqVaeModel().config["dim"]


@pytest.mark.parametrize("codec", ["jpeg", "webp"])
def test_codecs_take_the_largest_quality_within_the_rate(codec):
    faces = images.recall_many([r["image"] for r in load_synthetic("test", 32)[:256]])
    target = 1.0
    quality = best_quality(faces, codec, target)
    bits = code_batch(faces, codec, quality).file_bits
    assert bits / 1024 <= target
    if quality < 100:
        assert code_batch(faces, codec, quality + 1).file_bits / 1024 > target
    assert best_quality(faces, codec, 0.01) is None  # below quality 1: reported, not faked
    payload_quality = best_quality(faces, codec, target, rate="payload")
    assert payload_quality >= quality and code_batch(faces, codec, payload_quality).payload_bits / 1024 <= target


def _batch(n):
    return [{"image": r["image"], "size": 32} for r in load_synthetic("test", 32)[:n]]


def test_a_codec_that_cannot_reach_its_target_on_a_small_split_says_so():
    # 6 faces make one small mosaic whose headers and tables alone cost more than 0.375 bpp.
    (first, *_) = missed = JpegModel().predict(_batch(6), None)
    assert all(p["target_reached"] is False and p["quality"] == 1 for p in missed)
    assert first["bits"] / 1024 > 0.375 and first["rate"] == "file" and first["target_bpp"] == 0.375
    assert first["payload_bits"] < first["bits"] and first["encode_ms"] > 0 and first["decode_ms"] > 0
    # Counting the entropy-coded bytes only (tables a decoder holds once per data set), JPEG gets there.
    payload = JpegModel(rate="payload").predict(_batch(6), None)
    assert all(p["target_reached"] is True and p["payload_bits"] / 1024 <= 0.375 for p in payload)
    assert payload[0]["quality"] > 1 and payload[0]["rate"] == "payload"
    assert "target_reached" not in JpegModel(quality="5").predict(_batch(6), None)[0]  # no target, no flag
    with pytest.raises(ConfigError, match="rate must be file or payload"):
        WebpModel(rate="bytes")


def test_vq_vae_latent_grid_sets_its_rate_and_defaults_to_the_posts():
    assert VqVaeModel().config["grid"] == 0 and VqVaeModel().grid_for(32) == 8  # the post: size / 4
    for grid, bpp in ((16, 16 * 16 * 6 / 1024), (4, 4 * 4 * 6 / 1024)):
        model = VqVaeModel(grid=str(grid), dim="16")
        model.build(32)
        (prediction, _) = model.predict(_batch(2), None)
        assert prediction["bits"] / 1024 == pytest.approx(bpp) and len(prediction["codes"]) == grid * grid
        assert prediction["encode_ms"] > 0 and prediction["decode_ms"] > 0


def test_jpeg_run_stays_within_the_post_rate_and_stores_its_curve(tmp_path):
    from harness.store import Store

    db = tmp_path / "r.duckdb"
    run = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="jpeg", limit=256).run
    assert run.status == "finished", run.error
    assert values(run)["recon-bpp"] <= 0.375 and values(run)["recon-psnr"] > 15
    artifacts = {a.name for a in Store(db).artifacts(run.run_id)}
    assert {"reconstructions.png", "samples.png", "samples.json", "rate-distortion.json"} <= artifacts
    assert "code-histogram.json" not in artifacts
    assert math.isfinite(values(run)["recon-ssim"])
    assert np.isclose(values(run)["recon-entropy-bpp"], values(run)["recon-bpp"])
