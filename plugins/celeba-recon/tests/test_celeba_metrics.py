"""The metrics against hand-computed values and an independent SSIM (scikit-image)."""

import math

import numpy as np
import pytest
from harness_celeba_recon import images
from harness_celeba_recon.metrics import (
    METRICS,
    Bpp,
    CodeUsage,
    DecodeMs,
    EncodeMs,
    EntropyBpp,
    Mse,
    MsSsim,
    PayloadBpp,
    Perplexity,
    Psnr,
    Ssim,
    TargetMissed,
    ms_ssim_window,
    mse,
    psnr,
    ssim_batch,
)
from harness_celeba_recon.synth.faces import generate

from harness.stats import stats_arrays, summarise


def test_psnr_and_mse_by_hand():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = a + np.uint8(10)
    assert mse(a, b) == pytest.approx((10 / 255) ** 2)
    assert psnr(a, b) == pytest.approx(20 * math.log10(255 / 10))
    assert psnr(a, a) == 100.0  # an exact copy is capped, not infinite
    key_a, key_b = images.remember(a), images.remember(b)
    prediction = {"reconstruction": key_b, "bits": 384.0}
    assert Psnr().score(prediction, key_a, {"size": 32}) == pytest.approx(28.1308, abs=1e-4)
    assert Mse().score(prediction, key_a, {"size": 32}) == pytest.approx(0.0015379, abs=1e-7)


def test_ms_ssim_by_hand_on_flat_images_and_none_below_64_px():
    # Flat images have no structure: every scale's contrast-structure term is 1, so MS-SSIM is the
    # coarsest scale's luminance term l = (2 a b + C1) / (a^2 + b^2 + C1) to the power of its weight.
    a, b = np.full((64, 64, 3), 100, np.uint8), np.full((64, 64, 3), 120, np.uint8)
    c1 = (0.01 * 255) ** 2
    expected = ((2 * 100 * 120 + c1) / (100**2 + 120**2 + c1)) ** 0.1333
    key_a, key_b = images.remember(a), images.remember(b)
    assert MsSsim().score({"reconstruction": key_b, "bits": 1.0}, key_a, {"size": 64}) == pytest.approx(expected, abs=1e-5)
    assert MsSsim().score({"reconstruction": key_a, "bits": 1.0}, key_a, {"size": 64}) == pytest.approx(1.0)
    small = images.remember(np.full((32, 32, 3), 100, np.uint8))
    assert MsSsim().score({"reconstruction": small, "bits": 1.0}, small, {"size": 32}) is None
    assert [ms_ssim_window(size) for size in (32, 64, 128, 256)] == [None, 3, 7, 11]
    assert MsSsim.description and MsSsim.higher_is_better


def test_ssim_matches_scikit_image_with_the_same_settings():
    from skimage.metrics import structural_similarity

    faces = generate("val", 32, count=6)
    rng = np.random.default_rng(0)
    noisy = np.clip(faces.astype(int) + rng.normal(0, 20, faces.shape), 0, 255).astype(np.uint8)
    ours = ssim_batch(faces, noisy)
    for face, other, value in zip(faces, noisy, ours, strict=True):
        reference = structural_similarity(
            face, other, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=2
        )
        assert value == pytest.approx(reference, abs=1e-4)
    assert 0.2 < ours.mean() < 0.95
    key = images.remember(faces[0])
    assert Ssim().score({"reconstruction": key, "bits": 1.0}, key, {"size": 32}) == pytest.approx(1.0)


def _code_scores(metric, histograms, bits=384.0):
    scores = []
    for hist in histograms:
        codes = [c for c, n in enumerate(hist) for _ in range(n)]
        scores.append(
            metric.score({"reconstruction": "-", "bits": bits, "codes": codes, "codebook_size": len(hist)}, None, {"size": 32})
        )
    return scores


def test_codebook_usage_perplexity_and_entropy_bound_are_over_the_whole_test_set():
    # Two images, each using 2 of 4 codes; together all 4 equally: usage 1, perplexity 4, 2 bits per code.
    histograms = [[2, 2, 0, 0], [0, 0, 2, 2]]
    usage = CodeUsage().aggregate(stats_arrays(_code_scores(CodeUsage(), histograms)))
    perplexity = Perplexity().aggregate(stats_arrays(_code_scores(Perplexity(), histograms)))
    entropy = EntropyBpp().aggregate(stats_arrays(_code_scores(EntropyBpp(), histograms)))
    assert usage == 1.0 and perplexity == pytest.approx(4.0)
    assert entropy == pytest.approx(2 * 4 / 1024)  # 2 bits x 4 codes per image / 1024 pixels
    # Per image each would read usage 0.5, perplexity 2: averaging per batch would be wrong.
    skewed = [[4, 0, 0, 0], [4, 0, 0, 0], [3, 1, 0, 0]]
    assert CodeUsage().aggregate(stats_arrays(_code_scores(CodeUsage(), skewed))) == 0.5
    p = np.array([11, 1]) / 12
    assert Perplexity().aggregate(stats_arrays(_code_scores(Perplexity(), skewed))) == pytest.approx(2 ** -(p * np.log2(p)).sum())


def test_rates_and_undefined_codebook_metrics_for_codecs():
    scores = [Bpp().score({"reconstruction": "-", "bits": b}, None, {"size": 32}) for b in (300.0, 400.0)]
    assert Bpp().aggregate(stats_arrays(scores)) == pytest.approx(700 / 2048)
    plain = [EntropyBpp().score({"reconstruction": "-", "bits": 512.0}, None, {"size": 32})] * 3
    assert EntropyBpp().aggregate(stats_arrays(plain)) == pytest.approx(0.5)  # a codec's bits are already coded
    usage = summarise(
        CodeUsage(), [CodeUsage().score({"reconstruction": "-", "bits": 1.0}, None, {"size": 32})] * 3, seed=0, primary=False
    )
    assert usage.value is None  # no codebook: no usage, rather than a made-up number


def test_corpus_metrics_get_bootstrap_intervals():
    rng = np.random.default_rng(1)
    histograms = [np.bincount(rng.integers(0, 16, 64), minlength=16).tolist() for _ in range(40)]
    value = summarise(Perplexity(), _code_scores(Perplexity(), histograms), seed=0, primary=False)
    assert value.ci_low < value.value < value.ci_high <= 16


def _summary(metric, predictions):
    return summarise(metric, [metric.score(p, None, {"size": 32}) for p in predictions], seed=0, primary=False)


def test_payload_rate_counts_only_entropy_coded_bits():
    # Two images of one mosaic: 400 file bits each, of which 100 entropy-coded; a VQ code has no headers.
    codec = [{"reconstruction": "-", "bits": 400.0, "payload_bits": 100.0}] * 2
    assert _summary(PayloadBpp(), codec).value == pytest.approx(200 / 2048)
    assert _summary(Bpp(), codec).value == pytest.approx(800 / 2048)
    assert _summary(PayloadBpp(), [{"reconstruction": "-", "bits": 384.0}]).value == pytest.approx(0.375)


def test_target_missed_is_the_share_of_targeted_images_and_undefined_without_a_target():
    # Mosaic 1 (3 images) met the target, mosaic 2 (1 image) did not; a fixed-quality image has no target.
    predictions = [{"reconstruction": "-", "bits": 1.0, "target_reached": r} for r in (True, True, True, False)]
    untargeted = {"reconstruction": "-", "bits": 1.0}
    assert _summary(TargetMissed(), [*predictions, untargeted]).value == pytest.approx(0.25)
    assert _summary(TargetMissed(), [untargeted] * 3).value is None  # a VQ model: no target, no flag
    assert not TargetMissed.higher_is_better and TargetMissed.bounds == (0.0, 1.0)


def test_coding_times_are_milliseconds_per_image_lower_is_better():
    predictions = [{"reconstruction": "-", "bits": 1.0, "encode_ms": e, "decode_ms": d} for e, d in ((1.0, 0.5), (3.0, 1.5))]
    assert _summary(EncodeMs(), predictions).value == pytest.approx(2.0)
    assert _summary(DecodeMs(), predictions).value == pytest.approx(1.0)
    assert not EncodeMs.higher_is_better and not DecodeMs.higher_is_better
    assert EncodeMs().score({"reconstruction": "-", "bits": 1.0}, None, {"size": 32}) is None  # stored before timings


def test_every_metric_says_what_it_measures_and_its_direction():
    for metric in METRICS:
        assert metric.description and metric.bounds != (None, None), metric.name
        assert isinstance(metric.higher_is_better, bool)
