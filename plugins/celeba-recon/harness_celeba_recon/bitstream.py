"""How many of a JPEG or WebP file's bytes are entropy-coded image data, and how many are headers and tables.

On a small test split the codecs' fixed costs dominate: a JPEG mosaic of 6 faces at 32 px spends
~300 of its ~400 bytes at quality 1 on markers, quantisation and Huffman tables. A decoder that
holds a data set's tables needs only the entropy-coded bytes per image, as a VQ-VAE's decoder
holds its codebook, so the codecs report that payload beside the file size.

- JPEG: the bytes of each scan's entropy-coded segment (after the SOS header, up to the next
  marker; stuffed 0xFF00 bytes and restart markers count as data). Everything else -- SOI, APPn,
  DQT, DHT, SOF, the SOS header, EOI -- is header and tables.
- WebP (lossy): the VP8 chunk's data after its 10-byte key-frame header (frame tag, start code,
  dimensions), i.e. both partitions. The RIFF header, chunk headers and the frame header are
  headers. VP8's probability updates sit inside the first partition, interleaved with the
  per-macroblock modes by the arithmetic coder, so they stay in the payload.
"""

from __future__ import annotations

import struct

VP8_FRAME_HEADER = 10  # 3-byte frame tag + 3-byte start code + 2 x 2-byte dimensions (key frame)


def jpeg_payload(data: bytes) -> int:
    """Entropy-coded bytes of a baseline or progressive JPEG."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file (no SOI marker)")
    i, payload = 2, 0
    while i + 1 < len(data):
        if data[i] != 0xFF:
            raise ValueError(f"JPEG marker expected at byte {i}")
        marker = data[i + 1]
        if marker == 0xD9:  # EOI
            return payload
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data follows, up to the next real marker
            start = i
            while i + 1 < len(data) and not (data[i] == 0xFF and data[i + 1] != 0x00 and not 0xD0 <= data[i + 1] <= 0xD7):
                i += 1
            payload += i - start
    raise ValueError("JPEG file ends without an EOI marker")


def webp_payload(data: bytes) -> int:
    """Bytes of a lossy WebP's VP8 partitions (after the key-frame header)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file (no RIFF/WEBP header)")
    i, payload = 12, 0
    while i + 8 <= len(data):
        tag = data[i : i + 4]
        (length,) = struct.unpack("<I", data[i + 4 : i + 8])
        if tag == b"VP8 ":
            payload += max(0, length - VP8_FRAME_HEADER)
        elif tag == b"VP8L":  # lossless: no separable tables
            payload += length
        i += 8 + length + (length & 1)
    return payload


def payload_bytes(data: bytes, codec: str) -> int:
    if codec == "jpeg":
        return jpeg_payload(data)
    if codec == "webp":
        return webp_payload(data)
    raise ValueError(f"unknown codec {codec!r}")
