"""Loss functions of the image-to-image GANs, each a plain function of tensors (``keras.ops`` inside).

``adversarial``: LSGAN / hinge / non-saturating GAN terms; ``perceptual``: the VGG19 content feature model,
content and Gram style losses; ``colour``: the YUV colour loss; ``variation``: total variation.
The generative families' losses live beside them and are imported from their modules:
``reconstruction`` (per-image L1/MSE/BCE), ``kl`` (Gaussian KL) and ``r1`` (the R1 gradient penalty).
"""

from animegan.losses.adversarial import (
    GAN_LOSSES,
    discriminator_loss,
    discriminator_terms,
    generator_adversarial_loss,
)
from animegan.losses.colour import colour_loss, huber, rgb_to_yuv
from animegan.losses.perceptual import (
    build_vgg19_content_model,
    caffe_preprocess,
    content_loss,
    gram_matrix,
    style_loss,
)
from animegan.losses.variation import total_variation_loss

__all__ = [
    "GAN_LOSSES",
    "build_vgg19_content_model",
    "caffe_preprocess",
    "colour_loss",
    "content_loss",
    "discriminator_loss",
    "discriminator_terms",
    "generator_adversarial_loss",
    "gram_matrix",
    "huber",
    "rgb_to_yuv",
    "style_loss",
    "total_variation_loss",
]
