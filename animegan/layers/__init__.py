"""Small Keras layers shared by every model family (import the modules: norms, padding, resize, blocks)."""
