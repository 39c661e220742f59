"""animegan: photos and videos to anime and other art styles with Keras 3.

Importing the package registers every custom layer and model with Keras, so
``keras.saving.load_model("model.keras")`` works after ``import animegan``.
"""

__version__ = "0.1.0"

from animegan import layers, models  # noqa: E402,F401  (registers the Keras classes)
