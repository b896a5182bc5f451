"""faces-synth-v1 and the CelebA folder loader, on fixtures written here with PIL in the real layout."""

import io
import json
import math

import harness_celeba_recon
import numpy as np
import pytest
from harness_celeba_recon import data, images
from harness_celeba_recon.synth.celeba_folder import write_celeba_folder
from harness_celeba_recon.synth.faces import SPLIT_SIZES, generate
from harness_celeba_recon.task import CelebaReconTask
from PIL import Image

from harness import DataError
from harness.store import Store
from harness.testing import run_plugin


def test_synthetic_faces_are_deterministic_varied_and_sized():
    a, b = generate("test", 32, count=100), generate("test", 32, count=100)
    assert a.dtype == np.uint8 and a.shape == (100, 32, 32, 3)
    assert a.tobytes() == b.tobytes()  # same seed, same bytes
    assert not np.array_equal(generate("val", 32, count=100), a)  # splits differ
    assert generate("test", 64, count=3).shape == (3, 64, 64, 3)
    assert SPLIT_SIZES["test"] >= 500 and SPLIT_SIZES["train"] >= 2000
    # Faces differ from each other and are not flat: no two identical, every image has texture.
    flat = a.reshape(100, -1).astype(np.int64)
    assert len({row.tobytes() for row in a}) == 100
    assert (flat.std(axis=1) > 15).all()
    # The centre (a face) differs from the corners (background) on average: there is structure.
    centre = a[:, 12:20, 12:20].mean(axis=(1, 2))
    corner = a[:, :4, :4].mean(axis=(1, 2))
    assert np.abs(centre - corner).mean() > 20
    with pytest.raises(ValueError, match="rendered at"):
        generate("test", 48)


def test_rows_hold_keys_not_pixels():
    rows = CelebaReconTask().load("test")
    assert len(rows) == SPLIT_SIZES["test"] and set(rows[0]) == {"id", "image", "size"}
    assert images.recall(rows[0]["image"]).shape == (32, 32, 3)
    assert CelebaReconTask().input(rows[0]) == rows[0] and CelebaReconTask().reference(rows[0]) == rows[0]["image"]


def _save(img, path, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)


def _face(seed, size=(40, 48)):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def write_folder(root, partition=True):
    """A CelebA-like folder: nested, mixed-case extensions, odd modes, and broken files."""
    names = []
    for i in range(12):
        sub = "img_align_celeba" if i % 2 else "more/deeper"
        ext = [".jpg", ".JPG", ".png", ".Jpeg"][i % 4]
        name = f"{i + 1:06d}{ext}"
        _save(_face(i), root / sub / name, **({"quality": 95} if ext.lower() != ".png" else {}))
        names.append(name)
    odd = {
        "cmyk.jpg": _face(20).convert("CMYK"),
        "palette.png": _face(21).convert("P", palette=Image.Palette.ADAPTIVE),
        "gray.png": _face(22).convert("L"),
        "rgba.png": Image.new("RGBA", (40, 40), (10, 200, 30, 0)),
        "deep16.png": Image.fromarray(np.full((40, 40), 65535, np.uint16)),
    }
    for name, img in odd.items():
        _save(img, root / "odd" / name)
        names.append(name)
    rotated = Image.new("RGB", (60, 40), (0, 0, 255))
    rotated.paste((255, 0, 0), (0, 0, 30, 40))  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise: the red half ends up on top
    _save(rotated, root / "odd" / "exif.jpg", exif=exif.tobytes(), quality=95)
    names.append("exif.jpg")
    (root / "bad").mkdir()
    (root / "bad" / "empty.jpg").write_bytes(b"")
    (root / "bad" / "notes.png").write_text("this is not an image")
    buffer = io.BytesIO()
    _face(30, (64, 64)).save(buffer, format="JPEG", quality=95)
    (root / "bad" / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    _save(Image.new("L", (120, 120)), root / "bad" / "bomb.png")  # over the (patched) pixel limit
    names += ["empty.jpg", "notes.png", "truncated.jpg", "bomb.png"]
    (root / ".hidden").mkdir()
    _save(_face(40), root / ".hidden" / "skip.jpg")
    (root / "README.txt").write_text("not an image, not an image extension")
    if partition:
        lines = [f"{name} {0 if k % 3 else 2}" for k, name in enumerate(names)]
        (root / "Eval").mkdir()
        (root / "Eval" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n\n")
    return names


@pytest.fixture
def small_bomb_limit(monkeypatch):
    monkeypatch.setattr(data, "MAX_PIXELS", 10_000)


def test_folder_with_partition_converts_odd_modes_and_skips_broken_files(tmp_path, small_bomb_limit, capsys):
    write_folder(tmp_path)
    train, skipped_train = data.load_real(tmp_path, "train", 32)
    test, skipped_test = data.load_real(tmp_path, "test", 32)
    reasons = {s["file"].rsplit("/", 1)[-1]: s["reason"] for s in skipped_train + skipped_test}
    assert set(reasons) == {"empty.jpg", "notes.png", "truncated.jpg", "bomb.png"}
    assert "0 bytes" in reasons["empty.jpg"] and "not an image" in reasons["notes.png"]
    assert "truncated" in reasons["truncated.jpg"] and "decompression bomb" in reasons["bomb.png"]
    assert "skipped" in capsys.readouterr().err
    by_name = {r["file"].rsplit("/", 1)[-1]: images.recall(r["image"]) for r in train + test}
    assert len(by_name) == 18 and all(p.shape == (32, 32, 3) and p.dtype == np.uint8 for p in by_name.values())
    assert not any(".hidden" in r["file"] for r in train + test)
    assert (by_name["deep16.png"] == 255).all()  # 16-bit white stays white (not clipped garbage)
    assert (by_name["rgba.png"] == 255).all()  # fully transparent over white
    gray = by_name["gray.png"].astype(int)
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    exif = by_name["exif.jpg"].astype(int)
    assert exif[:8, :, 0].mean() > 200 and exif[-8:, :, 2].mean() > 200  # red on top after EXIF rotation
    # The partition decides: test holds exactly the names listed with 2.
    listed = dict(line.split() for line in (tmp_path / "Eval" / "list_eval_partition.txt").read_text().split("\n") if line)
    assert {r["file"].rsplit("/", 1)[-1] for r in test} == {n for n, s in listed.items() if s == "2"} - set(reasons)


def test_folder_without_partition_splits_by_name_deterministically(tmp_path, small_bomb_limit):
    write_folder(tmp_path, partition=False)
    train, skipped = data.load_real(tmp_path, "train", 32)
    assert train and all(data.split_by_name(r["file"]) == "train" for r in train)
    assert all(data.split_by_name(s["file"]) == "train" for s in skipped)  # bad files are counted where they fall
    assert [r["image"] for r in data.load_real(tmp_path, "train", 32)[0]] == [r["image"] for r in train]
    assert data.split_by_name("img/000001.jpg") == data.split_by_name("img/000001.jpg")
    counts = {s: sum(data.split_by_name(f"x/{i:06d}.jpg") == s for i in range(2000)) for s in data.SPLITS}
    assert 1500 < counts["train"] < 1700 and 120 < counts["val"] < 280 and 120 < counts["test"] < 280


def test_bad_partition_and_empty_folder_name_the_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"no \.jpg"):
        data.load_real(tmp_path, "test", 32)
    _save(_face(1), tmp_path / "000001.jpg")
    (tmp_path / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg three\n")
    with pytest.raises(DataError, match=r"list_eval_partition.txt:2: expected"):
        data.load_real(tmp_path, "test", 32)
    (tmp_path / "list_eval_partition.txt").write_text("000001.jpg 0\n")
    with pytest.raises(DataError, match="split 'test' has no usable images"):
        data.load_real(tmp_path, "test", 32)


def test_run_on_a_folder_records_the_skipped_files(tmp_path, small_bomb_limit):
    write_folder(tmp_path / "celeba")
    outcome = run_plugin(
        harness_celeba_recon, "celeba-recon", db=tmp_path / "r.duckdb", model="jpeg", data_dir=tmp_path / "celeba"
    )
    run = outcome.run
    assert run.status == "finished", run.error
    assert run.dataset == "celeba"
    artifacts = {a.name: a for a in Store(tmp_path / "r.duckdb").artifacts(run.run_id)}
    skipped = json.loads(artifacts["skipped-files.json"].data)
    assert sum(skipped["counts"].values()) == len([f for files in skipped["skipped"].values() for f in files]) > 0
    samples = Store(tmp_path / "r.duckdb").samples(run.run_id)
    assert all("file" in s.input and "pixels" not in json.dumps(s.input) for s in samples)


@pytest.mark.parametrize("partition", [True, False], ids=["celeba-partition", "no-partition"])
def test_a_folder_with_a_val_partition_validates_on_it_and_one_without_carves_from_train(tmp_path, partition):
    root = tmp_path / "celeba"
    write_celeba_folder(root, 40, partition=partition, drawn_at=64)  # CelebA's layout: 178 x 218 JPEG
    assert CelebaReconTask().has_split("val", root) is partition and CelebaReconTask().has_split("train", root)
    args = {"dim": "8", "batch": "8", "epochs": "3"}
    db = tmp_path / "r.duckdb"
    outcome = run_plugin(harness_celeba_recon, "celeba-recon", db=db, model="vq-vae", model_args=args, data_dir=root)
    assert outcome.run.status == "finished", outcome.run.error
    record = json.loads(outcome.artifacts["learning-curve.json"].data)
    train = len(data.load_real(root, "train", 32)[0])
    if partition:  # 16 of every 20 files are train, 2 val, 2 test
        assert record["validation"] == {"source": "validation split", "rows": 4} and train == 32
    else:
        assert record["validation"]["source"] == "carved from train"
        train -= record["validation"]["rows"]
    assert record["max_steps"] == math.ceil(3 * train / 8)  # the schedule follows the data: 3 epochs at batch 8
