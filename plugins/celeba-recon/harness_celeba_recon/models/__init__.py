"""The models of the celeba-recon tasks; each imports torch or PIL only inside its methods."""

from harness_celeba_recon.models.jpeg import JpegModel, WebpModel
from harness_celeba_recon.models.vqvae import AutoencoderModel, VqLibModel, VqVaeModel

MODELS = [VqVaeModel, VqLibModel, AutoencoderModel, JpegModel, WebpModel]
