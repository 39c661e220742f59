"""Fixtures of the CLI tests: a stand-in for the model, so that a test needs no real one."""

import pytest

import animegan.inference.backends as backends
import animegan.weights.resolve as resolve


@pytest.fixture()
def fake_backend(monkeypatch):
    """``fake_backend(backend)``: every ``--model`` resolves to ``backend`` itself."""

    def use(backend):
        monkeypatch.setattr(resolve, "resolve_model", lambda spec, **kwargs: spec)
        monkeypatch.setattr(backends, "load_backend", lambda model, **kwargs: backend)

    return use
