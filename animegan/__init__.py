"""animegan: photos and videos to anime and other art styles with Keras 3.

Importing the package registers every custom layer and model with Keras (as soon as Keras itself is
imported; see ``_registration``), so ``keras.saving.load_model("model.keras")`` works after
``import animegan``, while code paths that never touch Keras (the TFLite runtime) stay light.
"""

__version__ = "0.1.0"

from animegan import _registration

_registration.install()
