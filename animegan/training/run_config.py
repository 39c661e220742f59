"""What every family's run configuration shares: the config.json round trip and the common checks.

A family's config is a frozen dataclass that inherits ``RunConfig``; ``validated`` raises a one-line
``AnimeGANError`` naming the command-line option at fault.
"""

from __future__ import annotations

import dataclasses

from animegan.errors import AnimeGANError


class RunConfig:
    """Mixin for a frozen dataclass: saved as RUN_DIR/config.json and reloaded by --resume."""

    def validated(self):
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """The config of a saved dict; keys this version does not know are ignored."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in fields}).validated()

    def require_positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 1:
                raise AnimeGANError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")

    def require_image_size(self, multiple: int, minimum: int = 32) -> None:
        if self.image_size < minimum or self.image_size % multiple:
            raise AnimeGANError(
                f"--image-size must be a multiple of {multiple} and at least {minimum}, got {self.image_size}"
            )


def steps_per_epoch(requested: int | None, batch_size: int, counts: dict[str, int]) -> int:
    """``requested``, else one pass over the largest image set; an error when a batch is bigger than the data."""
    steps = requested or max(counts.values()) // batch_size
    if steps < 1:
        sizes = ", ".join(f"{count} {what}" for what, count in counts.items())
        raise AnimeGANError(f"--batch-size {batch_size} is larger than the data ({sizes})")
    return steps
