"""What the image-to-image training tasks (AnimeGAN, distill, CycleGAN) share.

Each is a ``fit.TrainingTask`` whose config has ``batch_size``, ``image_size``, ``steps_per_epoch``,
``seed``, ``flip`` and ``val_count``: the base scans its folders (skipping, one line each, what the
pipeline could not decode), plans the steps of an epoch, makes the seeded ``PipelineConfig`` and gives
the validation photos of the sample grids. A family adds its folders, ``build_trainer`` and ``dataset``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from animegan.training.run_config import steps_per_epoch
from animegan.training.scans import scan_images


class ImageToImageTask:
    """The shared part of an image-to-image task; see the module docstring."""

    shown_losses: tuple[str, ...] = ()

    def __init__(self, config, report=print):
        self.config = config
        self.report = report
        self.batch_size = config.batch_size
        self.val_paths: tuple[Path, ...] = ()

    def scan(self, folder, what: str) -> tuple[Path, ...]:
        """The usable images under ``folder``; each skipped one is reported in one line."""
        return scan_images(folder, what, self.report)

    def plan(self, counts: dict[str, int], validation_dir: str | None, default_validation) -> None:
        """Steps per epoch from the image ``counts``; validation photos from ``validation_dir`` or the default."""
        self.steps_per_epoch = steps_per_epoch(self.config.steps_per_epoch, self.config.batch_size, counts)
        self.val_paths = self.scan(validation_dir, "validation photos") if validation_dir else tuple(default_validation)

    def pipeline(self, **extra):
        """The seeded ``PipelineConfig`` of this run (``extra``: family-specific fields)."""
        from animegan.data.dataset import PipelineConfig

        c = self.config
        return PipelineConfig(
            image_size=c.image_size,
            batch_size=c.batch_size,
            steps_per_epoch=self.steps_per_epoch,
            seed=c.seed,
            flip=c.flip,
            **extra,
        )

    def validation_photos(self) -> np.ndarray:
        from animegan.data.dataset import validation_images

        return validation_images(self.val_paths, self.config.image_size, self.config.val_count)

    @property
    def tuning_options(self) -> tuple[str, ...]:
        """The command-line options of the settings ``--resume`` may change (for the NaN advice)."""
        return tuple(f"--{name.replace('_', '-')}" for name in type(self.config).TUNABLE)
