"""Which bytes of a JPEG / WebP file are entropy-coded data and which are headers and tables."""

import struct

import numpy as np
import pytest
from harness_celeba_recon import images
from harness_celeba_recon.bitstream import jpeg_payload, payload_bytes, webp_payload
from harness_celeba_recon.data import load_synthetic
from harness_celeba_recon.models.jpeg import encode, mosaic


def test_jpeg_payload_of_a_hand_built_file():
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)  # 18 bytes of header
    sos = b"\xff\xda" + struct.pack(">H", 12) + bytes(10)  # the scan header is a header too
    data = b"\x01\x02\xff\x00\x03\xff\xd0\x04"  # 8 bytes: a stuffed 0xFF00 and a restart marker are data
    assert jpeg_payload(b"\xff\xd8" + app0 + sos + data + b"\xff\xd9") == 8
    with pytest.raises(ValueError, match="EOI"):
        jpeg_payload(b"\xff\xd8" + app0 + sos + data)
    with pytest.raises(ValueError, match="not a JPEG"):
        jpeg_payload(b"RIFF")


def test_webp_payload_of_a_hand_built_file():
    exif = b"EXIF" + struct.pack("<I", 3) + b"abc\x00"  # odd length: one pad byte
    vp8 = b"VP8 " + struct.pack("<I", 40) + bytes(40)  # 10-byte key-frame header + 30 bytes of partitions
    body = b"WEBP" + exif + vp8
    assert webp_payload(b"RIFF" + struct.pack("<I", len(body)) + body) == 30
    with pytest.raises(ValueError, match="not a WebP"):
        payload_bytes(b"\xff\xd8\xff\xd9", "webp")


def test_standard_tables_make_a_jpeg_header_the_same_for_every_mosaic_of_a_shape():
    faces = images.recall_many([r["image"] for r in load_synthetic("test", 32)[:12]])
    sheets = [mosaic(faces[:6])[0], mosaic(faces[6:])[0]]
    standard = [encode(s, "jpeg", 8, standard_tables=True) for s in sheets]
    overheads = {len(d) - jpeg_payload(d) for d in standard}
    assert len(overheads) == 1 and 500 < overheads.pop() < 800  # what a decoder can hold once per data set
    optimised = encode(sheets[0], "jpeg", 8)
    assert len(optimised) - jpeg_payload(optimised) < 400  # optimised Huffman tables are smaller, but per file
    webp = encode(sheets[0], "webp", 8)
    assert len(webp) - webp_payload(webp) == 12 + 8 + 10  # RIFF header, chunk header, key-frame header
    assert np.all(np.array([jpeg_payload(d) for d in standard]) > 0)
