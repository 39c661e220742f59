"""Paired ("distillation") training: a generator learns to map each photo to its given target image.

Any slow image filter, or any dataset of aligned (photo, target) pairs, becomes a fast, exportable
generator: ``animegan make-pairs`` writes PAIRS_DIR/photos/NAME.png and PAIRS_DIR/targets/NAME.png,
and this trainer fits the generator with an L1 loss, plus an optional LSGAN-style adversarial loss
(``adversarial_weight`` > 0) whose discriminator sees targets as real and generated images as fake.
It is a ``GANTrainer`` run by ``animegan.training.fit``, so checkpoints, exact resume and sample grids are the
same as for every other family.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import keras
import tensorflow as tf
from keras import ops

from animegan.choices import GAN_LOSSES, GENERATOR_ARCHITECTURES
from animegan.errors import AnimeGANError
from animegan.losses import discriminator_terms, generator_adversarial_loss
from animegan.training.base import GANTrainer, adam
from animegan.training.image_task import ImageToImageTask
from animegan.training.run_config import RunConfig

ARCHITECTURES = GENERATOR_ARCHITECTURES  # the generators a distillation run can train


class DistillTrainer(GANTrainer):
    """L1(generated, target) + ``adversarial_weight`` x adversarial loss; the discriminator trains only then."""

    LOSS_NAMES = ("g_loss", "l1", "g_adv", "d_loss")

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        adversarial_weight: float = 0.0,
        gan_loss: str = "lsgan",
        **kwargs,
    ):
        super().__init__(generator, discriminator, **kwargs)
        if adversarial_weight < 0:
            raise AnimeGANError(f"--adversarial-weight must be 0 or more, got {adversarial_weight}")
        if gan_loss not in GAN_LOSSES:
            raise AnimeGANError(f"unknown GAN loss {gan_loss!r}; choose one of {', '.join(GAN_LOSSES)}")
        self.adversarial_weight = float(adversarial_weight)
        self.gan_loss = gan_loss

    def train_step(self, data):
        photo, target = data["photo"], data["target"]
        if self.adversarial_weight == 0.0:  # a Python constant: pure L1 traces no discriminator at all
            return self.l1_step(photo, target)
        return self.adversarial_step(photo, target)

    def l1_step(self, photo, target):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            l1 = self.l1(self.generator(photo, training=True), target)
            scaled = self.scaled_for(self.g_optimizer, l1)
        self.apply(self.g_optimizer, tape, scaled, variables)
        return self.record(g_loss=l1, l1=l1)

    def adversarial_step(self, photo, target):
        generated = ops.stop_gradient(self.generator(photo, training=True))
        d_variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            # One call on both batches (the norms are per sample, so this equals two calls).
            real, fake = ops.split(self.discriminator(ops.concatenate([target, generated], 0), training=True), 2)
            # Only the real and fake terms are used; the grayscale ones of AnimeGAN do not apply here.
            terms = discriminator_terms(real, fake, fake, fake, self.gan_loss)
            d_loss = terms["real"] + terms["fake"]
            scaled = self.scaled_for(self.d_optimizer, d_loss)
        self.apply(self.d_optimizer, tape, scaled, d_variables)

        g_variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generated = self.generator(photo, training=True)
            l1 = self.l1(generated, target)
            g_adv = generator_adversarial_loss(self.discriminator(generated, training=True), self.gan_loss)
            g_loss = l1 + self.adversarial_weight * g_adv
            scaled = self.scaled_for(self.g_optimizer, g_loss)
        self.apply(self.g_optimizer, tape, scaled, g_variables)
        return self.record(g_loss=g_loss, l1=l1, g_adv=g_adv, d_loss=d_loss)

    @staticmethod
    def l1(generated, target):
        return ops.mean(ops.abs(ops.cast(generated, "float32") - ops.cast(target, "float32")))


@dataclass(frozen=True)
class DistillConfig(RunConfig):
    """Everything a distillation run depends on; saved as RUN_DIR/config.json and reloaded by --resume."""

    pairs_dir: str
    arch: str = "animegan-v2"
    width: float = 1.0  # channel multiplier (animegan-v2 only); 1.0 = the official network
    norm: str | None = None
    upsample: str | None = None
    val_photos_dir: str | None = None
    epochs: int = 20
    batch_size: int = 8
    image_size: int = 256
    steps_per_epoch: int | None = None  # None = #pairs // batch_size
    lr: float = 2e-4
    d_lr: float = 2e-4
    adversarial_weight: float = 0.0
    gan_loss: str = "lsgan"
    d_ch: int = 32
    d_layers: int = 2
    flip: bool = True
    seed: int = 0
    val_count: int = 4

    RESUMABLE: ClassVar[frozenset[str]] = frozenset({"epochs", "pairs_dir", "val_photos_dir"})
    TUNABLE: ClassVar[tuple[str, ...]] = ("lr", "d_lr")

    def validated(self) -> DistillConfig:
        self.require_choice(self.arch, ARCHITECTURES, "architecture")
        if self.width != 1.0 and self.arch != "animegan-v2":
            raise AnimeGANError(f"--width is for animegan-v2 only, not {self.arch}")
        if not 0.0 < self.width <= 4.0:
            raise AnimeGANError(f"--width must be in (0, 4], got {self.width}")
        self.require_image_size(8)
        self.require_positive("epochs", "batch_size")
        if self.adversarial_weight < 0:
            raise AnimeGANError(f"--adversarial-weight must be 0 or more, got {self.adversarial_weight}")
        self.require_choice(self.gan_loss, GAN_LOSSES, "GAN loss")
        return self


def find_pairs(pairs_dir: str | Path, report=print) -> tuple[list[Path], list[Path]]:
    """(photos, targets) of PAIRS_DIR, matched by file name; every photo needs a target of the same size.

    A photo or target the pipeline cannot decode leaves its pair out, with one ``report`` line.
    """
    from PIL import Image

    from animegan.training.scans import scan_images

    pairs_dir = Path(pairs_dir)
    if not pairs_dir.is_dir():
        raise AnimeGANError(f"pairs folder not found: {pairs_dir} (make it with 'animegan make-pairs PHOTOS -o DIR')")
    for sub in ("photos", "targets"):
        if not (pairs_dir / sub).is_dir():
            raise AnimeGANError(
                f"{pairs_dir} has no {sub}/ folder; make it with 'animegan make-pairs PHOTOS -o {pairs_dir}'"
            )
    photos = scan_images(pairs_dir / "photos", "photos", report)
    usable_targets = set(scan_images(pairs_dir / "targets", "targets", report))
    paired, targets = [], []
    for photo in photos:
        target = pairs_dir / "targets" / photo.relative_to(pairs_dir / "photos")
        if not target.is_file():
            raise AnimeGANError(f"{photo} has no target: {target} is missing")
        if target not in usable_targets:
            continue  # reported by the scan
        with Image.open(photo) as a, Image.open(target) as b:
            if a.size != b.size:
                raise AnimeGANError(f"{photo} is {a.size[0]}x{a.size[1]} but its target is {b.size[0]}x{b.size[1]}")
        paired.append(photo)
        targets.append(target)
    if not paired:
        raise AnimeGANError(f"no usable pairs in {pairs_dir}")
    return paired, targets


class DistillTask(ImageToImageTask):
    """Pairs, validation photos and the compiled trainer of one distillation run (a ``fit.TrainingTask``)."""

    def __init__(self, config: DistillConfig, report=print):
        super().__init__(config, report)
        self.photos, self.targets = find_pairs(config.pairs_dir, report)
        self.plan({"pairs": len(self.photos)}, config.val_photos_dir, self.photos)
        self.shown_losses = ("l1", "g_adv", "d_loss") if config.adversarial_weight > 0 else ("l1",)

    def build_generator(self) -> keras.Model:
        from animegan.models import build_generator

        c = self.config
        extra = {"width": c.width} if c.width != 1.0 else {}
        return build_generator(c.arch, norm=c.norm, upsample=c.upsample, **extra)

    def build_trainer(self) -> DistillTrainer:
        from animegan.models import AnimeGANDiscriminator

        c = self.config
        keras.utils.set_random_seed(c.seed + 1)
        generator = self.build_generator()
        keras.utils.set_random_seed(c.seed + 2)
        discriminator = AnimeGANDiscriminator(ch=c.d_ch, n_dis=c.d_layers, norm="layer", spectral_norm=True)
        trainer = DistillTrainer(generator, discriminator, c.adversarial_weight, c.gan_loss)
        trainer.compile(
            g_optimizer=adam(c.lr, name="g_adam"), d_optimizer=adam(c.d_lr, name="d_adam"), jit_compile=False
        )
        return trainer

    def dataset(self, first_epoch: int, end_epoch: int):
        from animegan.data.dataset import paired_dataset

        return paired_dataset(self.photos, self.targets, self.pipeline(), first_epoch, end_epoch)
