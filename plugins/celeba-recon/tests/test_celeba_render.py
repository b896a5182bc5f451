"""The renderer on real stored runs: image grid, rate-distortion chart, code histogram, per-sample pair;
and the one tiny VQ-VAE training those tests share (trained once per module), its scores and its checkpoint."""

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import harness_celeba_recon
import pytest
from harness_celeba_recon.render import CelebaReconRenderer, crop_sample
from PIL import Image

from harness.store import Store
from harness.testing import PluginRun, leaderboard, render_run, render_sample, render_static_sample, run_plugin

#: The tiny configuration the end-to-end tests train (seconds on one thread).
TINY = {"dim": "16", "steps": "12", "batch": "16", "val_rows": "32"}
#: Test images the shared run evaluates.
LIMIT = 30


@dataclass
class TinyRun:
    outcome: PluginRun
    db: Path
    home: Path

    def again(self, **kwargs) -> PluginRun:
        """The same run once more, in the same home (so its checkpoint is found), stored in another
        database (the shared one keeps one run per model for the tests that read it)."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HARNESS_HOME", str(self.home))
            db = self.db.with_name("again.duckdb")
            return run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="vq-vae", model_args=TINY, limit=LIMIT, **kwargs)


@pytest.fixture(scope="module")
def tiny_vq_run(tmp_path_factory) -> TinyRun:
    """`vq-vae` trained on the embedded faces in TINY and evaluated on LIMIT test images, in a
    temporary home and database of its own (the per-test isolation has not started at module scope)."""
    root = tmp_path_factory.mktemp("tiny-vq")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HARNESS_HOME": root / "home", "HARNESS_DB": root / "r.duckdb"}.items():
            patch.setenv(name, str(value))
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            patch.setenv(name, "1")
        patch.setenv("HARNESS_LOAD_PLUGINS", "")
        outcome = run_plugin(
            harness_celeba_recon, "celeba-recon", db=root / "r.duckdb", model="vq-vae", model_args=TINY, limit=LIMIT
        )
    return TinyRun(outcome, root / "r.duckdb", root / "home")


def values(run):
    return {m.name: m.value for m in run.metrics}


@pytest.mark.slow
def test_vq_vae_trains_scores_and_reuses_its_checkpoint(tiny_vq_run):
    run = tiny_vq_run.outcome.run
    assert run.status == "finished", run.error
    v = values(run)
    assert v["recon-bpp"] == pytest.approx(8 * 8 * 6 / 1024)  # the post's rate: 8 x 8 codes of 6 bits
    assert 5 < v["recon-psnr"] < 40 and 0 < v["recon-ssim"] < 1
    assert 0 < v["recon-code-usage"] <= 1 and 1 <= v["recon-perplexity"] <= 64
    assert v["recon-entropy-bpp"] <= v["recon-bpp"] + 1e-9
    assert run.model_config["codebook"] == "ema" and run.model_config["restart_dead"] == "true"
    again = tiny_vq_run.again().run
    assert values(again)["recon-psnr"] == pytest.approx(v["recon-psnr"])  # same seed, same cached model
    # the embedded faces have a val split: the model validated on it (a capped, seeded subset)
    record = json.loads(tiny_vq_run.outcome.artifacts["learning-curve.json"].data)
    assert record["validation"] == {"source": "validation split", "rows": 32, "of": 250}
    assert record["max_steps"] == 12 and record["every"] == 2  # given steps; validation every tenth


def _validate(spec):
    try:  # altair (installed with the dashboard) carries the Vega-Lite schema: the specs must validate
        import altair
    except ImportError:
        return
    altair.Chart.from_dict(spec, validate=True) if "layer" not in spec else altair.LayerChart.from_dict(spec, validate=True)


@pytest.mark.slow
def test_renderer_draws_runs_and_samples(tiny_vq_run):
    db = tiny_vq_run.db
    result = tiny_vq_run.outcome  # 30 test images
    jpeg = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="jpeg", limit=30).run
    other_size = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="jpeg", limit=10).run
    vq = result.run
    assert vq.status == jpeg.status == other_size.status == "finished", (vq.error, jpeg.error)
    store = Store(db)
    run = store.get_run(vq.run_id)
    artifacts = result.artifacts
    renderer = CelebaReconRenderer()
    assert renderer.serves("celeba-recon") and renderer.serves("celeba-recon-128")
    panels = render_run(harness_celeba_recon, result)  # as the dashboard asks: with the run's peers
    kinds = [(p.kind, p.title) for p in panels]
    assert kinds[0][0] == "image" and "reconstructions" in kinds[0][1]
    with Image.open(io.BytesIO(panels[0].data)) as grid:
        assert grid.size[0] > 8 * 96  # 8 columns of enlarged 32 px faces
    chart = next(p for p in panels if p.title.startswith("Rate-distortion"))
    codec_layer, point_layer = chart.data["layer"]
    assert {v["codec"] for v in codec_layer["data"]["values"]} == {"jpeg", "webp"}
    # this run and its peer over the same 30 samples, not the 10-sample run
    assert sorted(p["model"] for p in point_layer["data"]["values"]) == ["jpeg", "vq-vae"]
    histogram = next(p for p in panels if p.title.startswith("Code usage"))
    counts = json.loads(artifacts["code-histogram.json"].data)["counts"]
    assert len(counts) == 64 and sum(counts) == 30 * 64 and len(histogram.data["data"]["values"]) == 64
    for panel in panels:
        if panel.kind == "chart":
            _validate(panel.data)
    sample = store.samples(run.run_id, limit=3)[2]
    (pair,) = render_sample(harness_celeba_recon, result, sample)  # cropped from the run's artifacts
    (missing,) = renderer.sample_panels(sample, run)  # a renderer asked without them says so
    assert missing.kind == "text" and "samples.png" in missing.data
    assert pair.kind == "image" and "psnr" in pair.caption
    with Image.open(io.BytesIO(pair.data)) as picture:
        assert picture.size[0] == 2 * picture.size[1]
    (published,) = render_static_sample(harness_celeba_recon, result, sample)  # `harness publish`: the same pair
    assert published.kind == "image" and published.data == pair.data
    index = json.loads(artifacts["samples.json"].data)
    assert crop_sample(artifacts["samples.png"].data, index, "no-such-sample") is None


def test_a_missed_target_rate_is_the_first_thing_a_run_page_says(tmp_path):
    db = tmp_path / "r.duckdb"
    result = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="jpeg", limit=6)  # one tiny mosaic
    values = {m.name: m.value for m in result.run.metrics}
    assert values["recon-target-missed"] == 1 and values["recon-bpp"] > 0.375  # the rate it really ran at
    panels = render_run(harness_celeba_recon, result)
    assert panels[0].kind == "text" and panels[0].title == "Target rate not reached"
    assert "0.375 bpp (file rate)" in panels[0].data and "rate=payload" in panels[0].data
    chart = next(p for p in panels if p.title.startswith("Rate-distortion"))
    (point,) = chart.data["layer"][1]["data"]["values"]
    assert point["label"] == "jpeg (target 0.375 bpp, file rate, not reached)" and point["target_missed"] == 1
    _validate(chart.data)
    reached = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="jpeg", model_args={"rate": "payload"}, limit=6)
    assert {m.name: m.value for m in reached.run.metrics}["recon-target-missed"] == 0
    assert all(p.title != "Target rate not reached" for p in render_run(harness_celeba_recon, reached))


def test_the_board_flags_a_codec_that_missed_its_target_and_ranks_it_last(tmp_path):
    from harness_celeba_recon.synth.faces import generate

    folder = tmp_path / "faces" / "celeba_hq"  # a CelebA-HQ-like folder: its test split is a handful of faces
    folder.mkdir(parents=True)
    for i, face in enumerate(generate("val", 32, count=30)):
        Image.fromarray(face).save(folder / f"{i}.png")
    db = tmp_path / "r.duckdb"
    psnr = {}
    for model, args in (("jpeg", {"rate": "payload"}), ("webp", {})):
        run = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model=model, model_args=args, data_dir=folder.parent).run
        assert run.status == "finished", run.error
        psnr[model] = next(m.value for m in run.metrics if m.name == "recon-psnr")
    assert psnr["webp"] > psnr["jpeg"]  # WebP's better PSNR was bought above the target rate
    (board,) = leaderboard(harness_celeba_recon, "celeba-recon", db)
    assert [(s.model, s.flags) for s in board.standings] == [("jpeg", []), ("webp", ["recon-target-missed"])]
    assert board.standings[1].columns["recon-target-missed"].value == 1


def test_a_points_label_names_what_sets_its_rate():
    from types import SimpleNamespace

    from harness_celeba_recon.render import rd_points

    def run(model, config, **metrics):
        values = [SimpleNamespace(name=f"recon-{k}", value=v) for k, v in {"psnr": 20.0, "bpp": 0.1, **metrics}.items()]
        return SimpleNamespace(run_id="r", model=model, model_config=config, metrics=values)

    vq = {"variant": "fixed", "codebook": "ema", "init": "kmeans", "restart_dead": "true", "grid": 4, "codes": 64}
    jpeg = {"bpp": 0.375, "quality": 0, "rate": "payload"}
    labels = [p["label"] for p in rd_points([run("vq-vae", vq), run("jpeg", jpeg, **{"target-missed": 0.0})])]
    assert labels == ["vq-vae fixed codebook=ema init=kmeans restart_dead=true grid=4", "jpeg (target 0.375 bpp, payload rate)"]
    assert rd_points([run("jpeg", {**jpeg, "quality": 5})])[0]["label"] == "jpeg (quality 5)"


def test_listing_imports_neither_torch_nor_pil():
    probe = (
        "import sys, harness_celeba_recon; "
        "print([m for m in ('torch', 'PIL', 'pytorch_msssim', 'vector_quantize_pytorch', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
