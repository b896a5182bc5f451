"""`faces-synth-v1`: deterministic procedural face portraits, CelebA-like in layout, synthetic in content.

Why procedural faces rather than noise or blobs: a reconstruction task is only informative when the
images share structure a code can learn (a head in the middle, two eyes at a similar height, hair
around it) and vary enough that a 64-entry codebook cannot memorise them (skin tones, hair styles
and colours, glasses, pose, lighting, backgrounds, sensor noise). Each face is drawn at SUPERSAMPLE
times the output size with hard-edged shapes and box-downscaled, which anti-aliases the edges the
way a camera's pixels integrate light, then lit, given Gaussian noise and rounded to uint8.

Everything is vectorised over a batch of faces with numpy, and every random draw comes from one
`numpy.random.Generator` seeded per (split, size) with a fixed seed, so the same call returns the
same bytes on every run (float32 arithmetic in a fixed order).
"""

from __future__ import annotations

import zlib

import numpy as np

DATASET = "faces-synth-v1"
SPLIT_SIZES = {"train": 3000, "val": 250, "test": 500}
SUPERSAMPLE = {32: 3, 64: 2, 128: 2}
BATCH = 50

SKIN = np.array(
    [
        [255, 224, 196],
        [241, 194, 160],
        [224, 172, 130],
        [198, 134, 96],
        [161, 102, 68],
        [120, 76, 50],
        [92, 58, 38],
        [250, 208, 180],
    ],
    dtype=np.float32,
)
HAIR = np.array(
    [
        [20, 16, 14],
        [58, 38, 26],
        [100, 64, 38],
        [160, 116, 70],
        [216, 180, 118],
        [150, 60, 30],
        [120, 120, 120],
        [230, 230, 225],
        [40, 30, 60],
    ],
    dtype=np.float32,
)
IRIS = np.array([[60, 40, 25], [90, 60, 30], [60, 100, 140], [70, 110, 70], [40, 40, 40]], dtype=np.float32)
LIPS = np.array([[190, 90, 90], [160, 70, 70], [200, 110, 120], [130, 60, 55], [210, 80, 100]], dtype=np.float32)
FRAMES = np.array([[20, 20, 20], [90, 60, 30], [180, 180, 190]], dtype=np.float32)


def split_seed(split: str, size: int) -> int:
    """A fixed seed per split and size, independent of Python's hash randomisation."""
    return zlib.crc32(f"{DATASET}/{split}/{size}".encode())


def generate(split: str, size: int = 32, count: int | None = None) -> np.ndarray:
    """`count` faces (default: the split's size) as uint8 of shape (count, size, size, 3).

    A smaller `count` returns a prefix of the full split (the draws happen in the same order)."""
    if split not in SPLIT_SIZES:
        raise ValueError(f"faces-synth-v1 has no split {split!r} (splits: {', '.join(SPLIT_SIZES)})")
    if size not in SUPERSAMPLE:
        raise ValueError(f"faces-synth-v1 is rendered at {', '.join(map(str, SUPERSAMPLE))} px, not {size}")
    n = SPLIT_SIZES[split] if count is None else count
    rng = np.random.default_rng(split_seed(split, size))
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for start in range(0, n, BATCH):
        b = min(BATCH, n - start)
        out[start : start + b] = _render(rng, BATCH, size)[:b]
    return out


def _render(rng: np.random.Generator, b: int, size: int) -> np.ndarray:
    s = size * SUPERSAMPLE[size]
    axis = (np.arange(s, dtype=np.float32) + 0.5) / s * 2 - 1  # pixel centres in [-1, 1]
    gy, gx = np.meshgrid(axis, axis, indexing="ij")
    X, Y = gx[None], gy[None]  # (1, s, s); y grows downwards

    def u(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, (b, 1, 1)).astype(np.float32)

    def pick(table: np.ndarray, jitter: float) -> np.ndarray:
        colours = table[rng.integers(0, len(table), b)] + rng.normal(0, jitter, (b, 3))
        return np.clip(colours, 0, 255).astype(np.float32)

    # Background: a linear gradient between two random colours along a random direction.
    c1, c2 = rng.uniform(0, 255, (2, b, 3)).astype(np.float32)
    angle = u(0, 2 * np.pi)
    t = np.clip((np.cos(angle) * X + np.sin(angle) * Y) * 0.5 + 0.5, 0, 1)
    # Shapes are painted as layer numbers into one int8 map (cheap), then looked up in a per-face
    # colour table, one gather per colour channel; layer 0 is the background.
    labels = np.zeros((b, s, s), dtype=np.int8)
    colours = [np.zeros((b, 3), np.float32)]

    # Pose: centre, scale, roll (rotation in the image plane) and yaw (features shift sideways).
    cx, cy, scale = u(-0.12, 0.12), u(-0.08, 0.12), u(0.8, 1.1)
    roll, yaw = u(-0.3, 0.3), u(-0.25, 0.25)
    cos_r, sin_r = np.cos(roll), np.sin(roll)
    xs, ys = X - cx, Y - cy
    fx = (cos_r * xs + sin_r * ys) / scale  # face coordinates: head of radius ~0.45
    fy = (-sin_r * xs + cos_r * ys) / scale

    def ellipse(x0, y0, rx, ry) -> np.ndarray:
        # ((fx - x0) / rx) ** 2 + ((fy - y0) / ry) ** 2 <= 1, the same float32 operations in the
        # same order, written in place (this is most of the generator's time).
        d = np.subtract(fx, x0, dtype=np.float32)
        d /= rx
        d *= d
        e = np.subtract(fy, y0, dtype=np.float32)
        e /= ry
        e *= e
        d += e
        return d <= 1

    def paint(mask: np.ndarray, colour: np.ndarray | float) -> None:
        np.copyto(labels, len(colours), where=mask)
        colours.append(np.broadcast_to(np.asarray(colour, np.float32), (b, 3)))

    skin, hair = pick(SKIN, 8), pick(HAIR, 10)
    clothes = rng.uniform(0, 255, (b, 3)).astype(np.float32)
    head_rx, head_ry = u(0.33, 0.42), u(0.42, 0.52)
    style = rng.integers(0, 4, (b, 1, 1))  # 0 bald/shaved, 1 short, 2 long, 3 bun

    # Shoulders and neck, then long hair behind the head.
    paint((fy > 0.55) & (((fx / 0.95) ** 2 + ((fy - 1.25) / 0.75) ** 2) <= 1), clothes)
    paint((np.abs(fx - yaw * 0.2) < 0.15) & (fy > 0.2) & (fy < 0.85), skin * 0.85)
    paint((style == 2) & ellipse(0, 0.15, head_rx + 0.12, head_ry + 0.35) & (fy < 0.75), hair)
    paint((style == 3) & ellipse(0, -head_ry - 0.05, 0.2, 0.16), hair)
    # Ears, head, and the hair cap over the top of the head.
    ear_y = u(-0.02, 0.08)
    for side in (-1, 1):
        paint(ellipse(side * (head_rx - 0.02) + yaw * 0.1, ear_y, 0.07, 0.11), skin * 0.92)
    paint(ellipse(yaw * 0.1, 0, head_rx, head_ry), skin)
    hairline = u(-0.32, -0.12) + 0.06 * np.sin(fx * u(3, 9) + u(0, 6))
    cap = ellipse(yaw * 0.1, -0.04, head_rx + 0.05, head_ry + 0.06) & (fy < hairline)
    paint((style > 0) & cap, hair)

    # Eyes: whites, irises, pupils; spacing, height and size vary; a few faces blink.
    eye_y, eye_dx, eye_r = u(-0.08, 0.04), u(0.12, 0.18), u(0.045, 0.07)
    iris, blink = pick(IRIS, 10), rng.uniform(0, 1, (b, 1, 1)) < 0.08
    gaze = u(-0.02, 0.02)
    for side in (-1, 1):
        ex = side * eye_dx + yaw * 0.35
        white = ellipse(ex, eye_y, eye_r * 1.5, eye_r)
        paint(white & ~blink, 245.0)
        paint(white & ~blink & ellipse(ex + gaze, eye_y, eye_r * 0.75, eye_r * 0.75), iris)
        paint(white & ~blink & ellipse(ex + gaze, eye_y, eye_r * 0.35, eye_r * 0.35), 0.0)
        paint(blink & ellipse(ex, eye_y, eye_r * 1.5, eye_r * 0.25), skin * 0.6)
        brow_y = eye_y - eye_r - u(0.04, 0.08)
        tilt = side * u(-0.25, 0.35)
        bx, by = fx - ex, fy - brow_y
        brow = ((bx / (eye_r * 1.9)) ** 2 + ((by - tilt * bx) / u(0.015, 0.03)) ** 2) <= 1
        paint(brow, hair * 0.8)

    # Nose (a shaded ridge and nostrils), mouth (lips on a smile curve, sometimes open).
    nose_x = yaw * 0.45
    paint(ellipse(nose_x + 0.015, 0.12, 0.035, 0.09), skin * 0.82)
    paint(ellipse(nose_x, 0.2, 0.07, 0.035), skin * 0.75)
    mouth_y, mouth_w, smile = u(0.28, 0.34), u(0.1, 0.17), u(-0.6, 2.2)
    mx = fx - yaw * 0.35
    curve = mouth_y + smile * (mouth_w**2 - np.minimum(mx**2, mouth_w**2)) * 1.2
    lips = (np.abs(mx) < mouth_w) & (np.abs(fy - curve) < u(0.018, 0.035))
    paint(lips, pick(LIPS, 12))
    opened = (rng.uniform(0, 1, (b, 1, 1)) < 0.25) & (np.abs(mx) < mouth_w * 0.7) & (np.abs(fy - curve) < 0.012)
    paint(opened, 40.0)

    # Glasses on about a third of the faces: two rings and a bridge.
    glasses = rng.uniform(0, 1, (b, 1, 1)) < 0.3
    frame = pick(FRAMES, 5)
    ring_r = eye_r * 2.1
    for side in (-1, 1):
        d = np.sqrt((fx - side * eye_dx - yaw * 0.35) ** 2 + (fy - eye_y) ** 2)
        paint(glasses & (np.abs(d - ring_r) < 0.016), frame)
    paint(glasses & (np.abs(fx - yaw * 0.35) < eye_dx - ring_r + 0.01) & (np.abs(fy - eye_y) < 0.012), frame)

    table = np.stack(colours, axis=1)  # (b, layers, 3)
    flat = labels.astype(np.intp) + (np.arange(b) * table.shape[1])[:, None, None]
    uncovered, fade = labels == 0, 1 - t

    # Box-downscale (anti-aliasing), then lighting (a smooth directional gradient and an exposure,
    # applied at the output size where it costs least), then sensor noise.
    f = SUPERSAMPLE[size]
    small = np.empty((b, size, size, 3), dtype=np.float32)
    # One colour channel at a time, each a contiguous (b, s, s) image: the same float32 operations
    # per pixel as on (b, s, s, 3) at once, without inner loops three elements long (faster).
    for k in range(3):
        img = np.take(table[:, :, k].ravel(), flat)
        background = c1[:, k, None, None] * fade
        background += c2[:, k, None, None] * t
        np.copyto(img, background, where=uncovered)
        # The mean over each f x f block, summed in row-major order within the block as
        # `mean(axis=(2, 4), dtype=float32)` does, in a few whole-array additions.
        blocks = img.reshape(b, size, f, size, f)
        channel = np.zeros((b, size, size), dtype=np.float32)
        for i in range(f):
            for j in range(f):
                channel += blocks[:, :, i, :, j]
        small[..., k] = channel
    small /= np.float32(f * f)
    sx, sy = X[:, f // 2 :: f, f // 2 :: f], Y[:, f // 2 :: f, f // 2 :: f]
    light = (1 + u(-0.35, 0.35) * sx + u(-0.2, 0.2) * sy) * u(0.8, 1.15)
    small *= light[..., None]
    small += rng.normal(0, 1, small.shape).astype(np.float32) * u(1.0, 5.0)[..., None]
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)
