"""The one decorator that registers the project's custom layers under the ``animegan`` package name."""

import keras

register = keras.saving.register_keras_serializable(package="animegan")
