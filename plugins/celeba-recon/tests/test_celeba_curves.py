"""The declared curves: every default grid value is one the models take, and `harness curves --run`
fills a small grid of the codecs and prints their BD-rate."""

import json

import pytest
from harness_celeba_recon.models import MODELS
from harness_celeba_recon.task import TASKS

from harness.curves import Curve, Line
from harness.testing import invoke


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_every_default_grid_value_is_one_the_model_takes(task):
    models = {m.name: m for m in MODELS}
    assert task.curves and all(curve.reference == "jpeg" for curve in task.curves)
    assert {curve.y for curve in task.curves} <= set(task.metrics)
    for curve in task.curves:
        for line in curve.lines:
            assert len(line.values) >= 4, line
            for config in line.configs():
                models[line.model](**{k: str(v) for k, v in config.items()})  # raises ConfigError if refused


@pytest.mark.slow  # eight codec runs: about 10 s of CPU
def test_run_fills_a_small_codec_grid_and_prints_deltas(monkeypatch, tmp_path):
    import os

    from harness_celeba_recon.task import CelebaReconTask

    small = Curve(
        "rate-psnr",
        x="recon-bpp",
        y="recon-psnr",
        lines=(Line("jpeg", "quality", (5, 10, 20, 40)), Line("webp", "quality", (5, 20, 40, 75))),
        reference="jpeg",
        export_names={"recon-bpp": "bpp", "recon-psnr": "psnr-rgb"},
    )
    monkeypatch.setattr(CelebaReconTask, "curves", (small,))
    env = dict(os.environ, HARNESS_PLUGINS="harness_celeba_recon", HARNESS_DB=str(tmp_path / "cli.duckdb"))
    result = invoke("curves", "--task", "celeba-recon", "--run", "--limit", "16", "--json", env=env)
    assert result.returncode == 0, result.stderr
    (curve,) = json.loads(result.stdout)["curves"]
    lines = {line["name"]: line for line in curve["lines"]}
    for line in lines.values():
        assert [p["value"] for p in line["points"]] == sorted(p["value"] for p in line["points"])  # rate rises with quality
        assert len(line["points"]) == 4 and line["missing"] == []
    assert lines["webp"]["bd_rate"] is not None and lines["webp"]["bd_psnr"] is not None
