"""The base of models whose one argument is a frozen config dataclass (StyleGAN-lite's networks, the VAE's).

A ``.keras`` file stores the config as a plain dict (``get_config()["config"]``); ``__init__`` takes
either the dataclass or that dict, so ``from_config`` is the constructor itself. The base is not
registered with Keras: files name the family classes (``animegan>VAEEncoder``, ...), never the base,
so files saved before it existed load unchanged.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Self


class DictConfig:
    """Mixin for a frozen config dataclass: to and from the plain dict that a ``.keras`` file holds."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Self:
        return cls(**data)


class ConfiguredModel:
    """Mixin for a ``keras.Model`` configured by one ``config_class`` instance, kept as ``self.config``.

    List it before ``keras.Model`` (``class Net(ConfiguredModel, keras.Model)``). It is not a Keras model
    itself on purpose: Keras rewrites the bases of a ``keras.Model`` subclass into ``Functional`` the
    first time one is built from inputs and outputs, which would turn every other class sharing that
    base (the subclassed ``ConvVAE``) functional too.
    """

    config_class: type[DictConfig] = DictConfig

    @classmethod
    def as_config(cls, config: DictConfig | dict | None) -> DictConfig:
        """The dataclass itself, one built from its dict (a saved file's), or the defaults for None."""
        return config if isinstance(config, cls.config_class) else cls.config_class.from_dict(config or {})

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)
