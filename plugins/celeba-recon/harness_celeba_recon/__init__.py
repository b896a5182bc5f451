"""Kexue Harness plugin: image reconstruction with the post's VQ-VAE (kexue.fm/archives/6760).

Registers the `celeba-recon` tasks (32 px; `-64` and `-128` for larger images), the models
(vq-vae, vq-lib, autoencoder, jpeg, webp), the distortion / rate / codebook metrics, the
dashboard renderer and the `celeba-recon` leaderboard. Module scope imports neither torch nor PIL,
so listing what is installed stays fast.
"""

from pathlib import Path

from harness import hookimpl
from harness_celeba_recon.metrics import METRICS
from harness_celeba_recon.models import MODELS
from harness_celeba_recon.render import CelebaReconRenderer
from harness_celeba_recon.task import TASKS

LEADERBOARD = Path(__file__).with_name("celeba-recon.toml")


@hookimpl
def register_tasks(register):
    for task in TASKS:
        register(task)


@hookimpl
def register_models(register):
    for model in MODELS:
        register(model)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_renderers(register):
    register(CelebaReconRenderer)


@hookimpl
def register_leaderboards(register):
    register(LEADERBOARD)
