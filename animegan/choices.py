"""Names the CLI offers as choices and the library checks against, kept free of Keras so that building
the parser stays instant. Each name list lives here once: the library modules import it, the parser
reads it, and a test checks that the two are the same objects."""

NORMS = ("instance", "layer", "batch", "none")

# legacy: TF1 resize_images (no half-pixel centres, no corner alignment), what the official
# AnimeGAN/AnimeGANv2 checkpoints were trained with. half_pixel: TF2 / PyTorch align_corners=False.
# align_corners: PyTorch align_corners=True, resized to a saved feature's size (the v2 port's default).
UPSAMPLE_MODES = ("legacy", "half_pixel", "align_corners")

# Image-to-image generator architectures (models/registry.py maps them to classes).
GENERATOR_ARCHITECTURES = ("animegan-v1", "animegan-v2")

# AnimeGAN training: the bundled recipe (training/recipes/NAME.toml) each architecture starts from.
DEFAULT_RECIPES = {"animegan-v1": "animegan-v1", "animegan-v2": "hayao"}

# Adversarial losses (losses/adversarial.py) and the VAE's reconstruction losses (losses/reconstruction.py).
GAN_LOSSES = ("lsgan", "hinge", "gan")
RECONSTRUCTION_LOSSES = ("l1", "mse", "bce")

# tf.distribute strategies of a training run (training/fit.py make_strategy).
STRATEGIES = ("default", "mirrored", "multi-worker")
