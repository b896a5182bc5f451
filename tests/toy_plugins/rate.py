"""A toy coder: numbers in [0, 1) quantised to a number of bits, so a curve's points take milliseconds.

`midpoint` reconstructs at the middle of each quantisation cell, `floor` at its lower edge (the same
rate, worse quality): their curves differ by a known margin. `coding` declares the curve;
`coding-bad` declares a grid value (bits=40) the models reject.
"""

from __future__ import annotations

import math

from harness import ConfigError, Metric, Model, Task, hookimpl
from harness.curves import Curve, Line

LINES = (Line("midpoint", "bits", (2, 3, 4, 5, 6)), Line("floor", "bits", (2, 3, 4, 5)))


class Coding(Task):
    name = "coding"
    description = "Quantise numbers in [0, 1); quality against bits."
    metrics = ("toy-rate", "toy-quality")
    primary_metric = "toy-quality"
    default_model = "midpoint"
    embedded_dataset = "coding-synth-v1"
    curves = (
        Curve("rate-quality", x="toy-rate", y="toy-quality", lines=LINES, reference="midpoint", export_names={"toy-rate": "bpp"}),
    )

    def load(self, split, data_dir=None):
        return [{"id": str(i), "x": (i * 0.6180339887) % 1.0, "reference": (i * 0.6180339887) % 1.0} for i in range(64)]


class CodingBad(Coding):
    name = "coding-bad"
    curves = (Curve("rate-quality", x="toy-rate", y="toy-quality", lines=(Line("midpoint", "bits", (2, 40)),)),)


class _Quantiser(Model):
    tasks = ("coding", "coding-bad")
    defaults = {"bits": 4, "scale": 1.0}
    offset = 0.5

    def __init__(self, **config):
        super().__init__(**config)
        if not 1 <= self.config["bits"] <= 16:
            raise ConfigError(f"model {self.name!r}: bits must be 1..16, got {self.config['bits']}")

    def predict(self, batch, ctx):
        levels = 2 ** self.config["bits"]
        return [{"value": (math.floor(item["x"] * levels) + self.offset) / levels, "bits": self.config["bits"]} for item in batch]


class Midpoint(_Quantiser):
    name = "midpoint"
    description = "Reconstructs at the middle of each cell."


class Floor(_Quantiser):
    name = "floor"
    description = "Reconstructs at the lower edge of each cell."
    offset = 0.0


class Rate(Metric):
    name = "toy-rate"
    description = "Bits per number."
    higher_is_better = False

    def score(self, prediction, reference, input):
        return float(prediction["bits"])


class Quality(Metric):
    name = "toy-quality"
    description = "-10 log10 of the squared error (1e-6 added), averaged."

    def score(self, prediction, reference, input):
        return -10 * math.log10((prediction["value"] - reference) ** 2 + 1e-6)


@hookimpl
def register_tasks(register):
    register(Coding)
    register(CodingBad)


@hookimpl
def register_models(register):
    register(Midpoint)
    register(Floor)


@hookimpl
def register_metrics(register):
    register(Rate)
    register(Quality)
