"""AnimeGAN (v1 and v2) training: the trainer, its configuration, and the task the fit driver runs.

One step follows the official ``AnimeGANv2.train``: while ``epoch < init_epochs`` only the generator is
updated, with the content loss and its own optimizer (``init_lr``); afterwards every step updates the
discriminator on (style -> 1; generated, grayscale style, grayscale smoothed style -> 0) and then the
generator on adversarial + content + Gram style + YUV colour + total-variation losses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import tensorflow as tf
from keras import ops

from animegan.choices import GAN_LOSSES, GENERATOR_ARCHITECTURES
from animegan.errors import AnimeGANError
from animegan.losses import (
    colour_loss,
    content_loss,
    discriminator_terms,
    generator_adversarial_loss,
    style_loss,
    total_variation_loss,
)
from animegan.training.base import GANTrainer, adam, wrap_for_policy
from animegan.training.image_task import ImageToImageTask
from animegan.training.run_config import RunConfig

ARCHITECTURES = GENERATOR_ARCHITECTURES  # the generators AnimeGAN trains


@dataclass(frozen=True)
class LossWeights:
    """The recipe's loss weights. ``d_terms``: (real, fake, gray, smooth) inside the discriminator loss."""

    g_adv: float = 300.0
    d_adv: float = 300.0
    content: float = 1.5
    style: float = 2.5
    colour: float = 10.0
    tv: float = 1.0
    d_terms: tuple[float, float, float, float] = (1.2, 1.2, 1.2, 0.8)


class AnimeGANTrainer(GANTrainer):
    """Generator, discriminator and a frozen VGG19 feature model; two phases (``init``, ``adversarial``)."""

    INIT_LOSSES = ("init_loss",)
    ADVERSARIAL_LOSSES = (
        "g_loss", "g_adv", "content", "style", "colour", "tv", "d_loss", "d_real", "d_fake", "d_gray", "d_smooth",
    )  # fmt: skip
    LOSS_NAMES = INIT_LOSSES + ADVERSARIAL_LOSSES
    PHASES = ("init", "adversarial")

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        vgg: keras.Model,
        weights: LossWeights = LossWeights(),
        init_epochs: int = 0,
        gan_loss: str = "lsgan",
        **kwargs,
    ):
        super().__init__(generator, discriminator, **kwargs)
        if gan_loss not in GAN_LOSSES:
            raise AnimeGANError(f"unknown GAN loss {gan_loss!r}; choose one of {', '.join(GAN_LOSSES)}")
        self.vgg = vgg
        self.vgg.trainable = False
        self.loss_weights_ = weights
        self.init_epochs = init_epochs
        self.gan_loss = gan_loss
        self.phase = self.phase_at(0)

    def compile(self, g_optimizer, d_optimizer, init_optimizer=None, **kwargs):
        """``init_optimizer`` trains the generator during the content-only phase (default: Adam 2e-4)."""
        super().compile(g_optimizer, d_optimizer, **kwargs)
        self.init_optimizer = wrap_for_policy(init_optimizer or adam(2e-4, name="init_adam"))

    def optimizer_variables(self) -> dict:
        groups = super().optimizer_variables()
        groups["init_optimizer"] = (self.init_optimizer, self.generator.trainable_variables)
        return groups

    def phase_at(self, epoch: int) -> str:
        return "init" if epoch < self.init_epochs else "adversarial"

    def features(self, images):
        return ops.cast(self.vgg(images, training=False), "float32")

    def train_step(self, data):
        if self.phase == "init":
            return self.init_step(data)
        return self.adversarial_step(data)

    def init_step(self, data):
        """Content loss only (the official ``init_optim``): the generator learns to reproduce the photo."""
        photo = data["photo"]
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generated = self.generator(photo, training=True)
            batch = ops.shape(photo)[0]
            features = self.features(ops.concatenate([photo, generated], axis=0))
            loss = self.loss_weights_.content * content_loss(features[:batch], features[batch:])
            scaled = self.scaled_for(self.init_optimizer, loss)
        self.apply(self.init_optimizer, tape, scaled, variables)
        return self.record(init_loss=loss)

    def adversarial_step(self, data):
        photo, style = data["photo"], data["style"]
        style_gray, smooth_gray = data["style_gray"], data["smooth_gray"]
        w = self.loss_weights_
        batch = ops.shape(photo)[0]

        # Discriminator first, on the current generator's output (the official order: D_optim, then G_optim).
        generated = ops.stop_gradient(self.generator(photo, training=True))
        d_variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            # One call on the four batches: the norms are per sample, so this equals four calls.
            logits = self.discriminator(
                ops.concatenate([style, generated, style_gray, smooth_gray], axis=0), training=True
            )
            real, fake, gray, smooth = ops.split(logits, 4, axis=0)
            terms = discriminator_terms(real, fake, gray, smooth, self.gan_loss)
            d_loss = w.d_adv * sum(
                weight * terms[name] for weight, name in zip(w.d_terms, ("real", "fake", "gray", "smooth"))
            )
            scaled = self.scaled_for(self.d_optimizer, d_loss)
        self.apply(self.d_optimizer, tape, scaled, d_variables)

        g_variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generated = self.generator(photo, training=True)
            fake_logits = self.discriminator(generated, training=True)
            features = self.features(ops.concatenate([photo, generated, style_gray], axis=0))
            photo_f, generated_f, style_f = features[:batch], features[batch : 2 * batch], features[2 * batch :]
            losses = {
                "g_adv": generator_adversarial_loss(fake_logits, self.gan_loss),
                "content": content_loss(photo_f, generated_f),
                "style": style_loss(style_f, generated_f),
                "colour": colour_loss(photo, generated),
                "tv": total_variation_loss(generated),
            }
            g_loss = (
                w.g_adv * losses["g_adv"]
                + w.content * losses["content"]
                + w.style * losses["style"]
                + w.colour * losses["colour"]
                + w.tv * losses["tv"]
            )
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, g_variables)
        return self.record(
            g_loss=g_loss,
            **losses,
            d_loss=d_loss,
            d_real=terms["real"],
            d_fake=terms["fake"],
            d_gray=terms["gray"],
            d_smooth=terms["smooth"],
        )


@dataclass(frozen=True)
class AnimeGANConfig(RunConfig):
    """Everything an AnimeGAN run depends on; saved as RUN_DIR/config.json and reloaded by --resume.

    A recipe's keys are these field names (``[weights]`` fills ``LossWeights``); ``w_NAME`` stands for
    ``weights.NAME`` in overrides and in what ``--resume`` compares.
    """

    arch: str
    data_dir: str
    photos_dir: str
    recipe: str = ""
    val_photos_dir: str | None = None
    norm: str | None = None  # generator norm; None = the architecture's (v1 instance, v2 layer)
    upsample: str | None = None
    epochs: int = 101
    init_epochs: int = 10
    batch_size: int = 12
    image_size: int = 256
    steps_per_epoch: int | None = None  # None = max(#photos, #style images) // batch_size (official)
    init_lr: float = 2e-4
    g_lr: float = 2e-5
    d_lr: float = 4e-5
    clipnorm: float = 0.0
    gan_loss: str = "lsgan"
    weights: LossWeights = LossWeights()
    colour_offset: bool = True
    flip: bool = True
    d_ch: int = 64
    d_layers: int = 3
    d_norm: str = "layer"
    d_spectral_norm: bool = True
    vgg_weights: str = "imagenet"
    seed: int = 0
    val_count: int = 4

    RESUMABLE: ClassVar[frozenset[str]] = frozenset(
        {"epochs", "data_dir", "photos_dir", "val_photos_dir", "vgg_weights"}
    )
    TUNABLE: ClassVar[tuple[str, ...]] = ("init_lr", "g_lr", "d_lr", "clipnorm")

    @classmethod
    def from_recipe(cls, arch: str, recipe: dict, **overrides) -> AnimeGANConfig:
        """The recipe's values, then every override that is not None (``w_NAME``: a loss weight)."""
        from animegan.training.recipes import recipe_config

        given = {k: v for k, v in overrides.items() if v is not None}
        weights = {k[2:]: given.pop(k) for k in list(given) if k.startswith("w_")}
        values = {**given, "arch": arch, "recipe": recipe.get("name", "")}
        if weights:
            values["weights"] = weights
        return recipe_config(cls, recipe, "animegan", values)

    def validated(self) -> AnimeGANConfig:
        self.require_choice(self.arch, ARCHITECTURES, "architecture")
        self.require_image_size(8)
        self.require_positive("epochs", "batch_size")
        if self.init_epochs < 0:
            raise AnimeGANError(f"--init-epochs must be 0 or more, got {self.init_epochs}")
        self.require_choice(self.gan_loss, GAN_LOSSES, "GAN loss")
        return self

    def value_of(self, name: str):
        return getattr(self.weights, name[2:]) if name.startswith("w_") else getattr(self, name)

    def label_of(self, name: str) -> str:
        return f"{name[2:]} weight" if name.startswith("w_") else name

    def with_values(self, **values) -> AnimeGANConfig:
        weights = {k[2:]: values.pop(k) for k in list(values) if k.startswith("w_")}
        return dataclasses.replace(self, weights=dataclasses.replace(self.weights, **weights), **values).validated()


class AnimeGANTask(ImageToImageTask):
    """Data, validation photos and the compiled trainer of one AnimeGAN run (a ``fit.TrainingTask``)."""

    shown_losses = ("init_loss", "g_loss", "d_loss")

    def __init__(self, config: AnimeGANConfig, report=print):
        from animegan.data.prepare import read_data_mean

        super().__init__(config, report)
        data_dir = Path(config.data_dir)
        if not data_dir.is_dir():
            raise AnimeGANError(
                f"data folder not found: {data_dir} (make it with 'animegan prepare STYLE_DIR -o DATA_DIR')"
            )
        for sub in ("style", "smooth"):
            if not (data_dir / sub).is_dir():
                raise AnimeGANError(
                    f"{data_dir} has no {sub}/ folder; make it with 'animegan prepare STYLE_DIR -o {data_dir}'"
                )
        self.photos = self.scan(config.photos_dir, "photos")
        self.styles = self.scan(data_dir / "style", "style images")
        self.smooths = self.scan(data_dir / "smooth", "smoothed style images")
        self.plan({"photos": len(self.photos), "style images": len(self.styles)}, config.val_photos_dir, self.photos)
        self.style_offset = None
        if config.colour_offset:
            self.style_offset = read_data_mean(data_dir)
            if self.style_offset is None:
                report(f"animegan: warning: no data_mean.json in {data_dir}; training without the colour offset")

    def build_trainer(self) -> AnimeGANTrainer:
        from animegan.losses import build_vgg19_content_model
        from animegan.models import AnimeGANDiscriminator, build_generator

        c = self.config
        if c.vgg_weights == "random":
            self.report(
                "animegan: WARNING: --vgg-weights random: the content and style losses use an UNTRAINED VGG19; "
                "the model will not learn a style. Use it for smoke tests only."
            )
        # Each network gets its own seed, so every process builds identical networks whatever it did before.
        keras.utils.set_random_seed(c.seed)
        vgg = build_vgg19_content_model(c.vgg_weights)
        keras.utils.set_random_seed(c.seed + 1)
        generator = build_generator(c.arch, norm=c.norm, upsample=c.upsample)
        keras.utils.set_random_seed(c.seed + 2)
        discriminator = AnimeGANDiscriminator(
            ch=c.d_ch, n_dis=c.d_layers, norm=c.d_norm, spectral_norm=c.d_spectral_norm
        )
        trainer = AnimeGANTrainer(
            generator, discriminator, vgg, weights=c.weights, init_epochs=c.init_epochs, gan_loss=c.gan_loss
        )
        trainer.compile(
            g_optimizer=adam(c.g_lr, c.clipnorm, name="g_adam"),
            d_optimizer=adam(c.d_lr, c.clipnorm, name="d_adam"),
            init_optimizer=adam(c.init_lr, c.clipnorm, name="init_adam"),
            jit_compile=False,  # fit() sets the run's choice
        )
        return trainer

    def dataset(self, first_epoch: int, end_epoch: int):
        from animegan.data.dataset import training_dataset

        pipeline = self.pipeline(style_offset_bgr=self.style_offset)
        return training_dataset(self.photos, self.styles, self.smooths, pipeline, first_epoch, end_epoch)
