"""Fixtures for the CLI tests."""

import pytest

import animegan.inference.backends as backends
import animegan.weights.resolve as resolve


@pytest.fixture()
def fake_backend(monkeypatch):
    """``fake_backend(backend)``: every --model given to the CLI then runs ``backend`` (no model file needed)."""

    def use(backend):
        monkeypatch.setattr(resolve, "resolve_model", lambda spec, **kwargs: spec)
        monkeypatch.setattr(backends, "load_backend", lambda model, **kwargs: backend)

    return use
