"""Where a generator normalizes with statistics of the picture it sees (Keras-free: the TFLite path reads it).

Instance and layer norm compute a mean and a variance per group (a channel, or all channels) over the
picture; a tile sees only its own piece, so tiled inference gets other statistics than the whole image.
A ``NormSite`` names one such layer, its group count and how much smaller than the photo its input is,
so that whole-image statistics can be gathered tile by tile and handed back to every tile
(``animegan.inference.whole_statistics``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NormSite:
    name: str  # the normalization layer's name
    groups: int  # statistics per picture: channels (instance norm) or 1 (layer norm)
    scale: int  # the layer's input is (H / scale) x (W / scale) for an H x W photo

    def to_dict(self) -> dict:
        return {"name": self.name, "groups": self.groups, "scale": self.scale}

    @classmethod
    def from_dict(cls, data: dict) -> NormSite:
        try:
            return cls(str(data["name"]), int(data["groups"]), int(data["scale"]))
        except (KeyError, TypeError) as error:
            raise ValueError(f"bad normalization site {data!r}") from error
