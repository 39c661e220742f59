"""Names the CLI offers as choices, kept free of Keras so that building the parser stays instant."""

NORMS = ("instance", "layer", "batch", "none")

# legacy: TF1 resize_images (no half-pixel centres, no corner alignment), what the official
# AnimeGAN/AnimeGANv2 checkpoints were trained with. half_pixel: TF2 / PyTorch align_corners=False.
# align_corners: PyTorch align_corners=True, resized to a saved feature's size (the v2 port's default).
UPSAMPLE_MODES = ("legacy", "half_pixel", "align_corners")

# Image-to-image generator architectures (models/registry.py maps them to classes).
GENERATOR_ARCHITECTURES = ("animegan-v1", "animegan-v2")
