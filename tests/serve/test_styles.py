"""The style registry: names only, never paths; --model values; presets shown or hidden."""

import pytest

from animegan.errors import AnimeGANError
from animegan.serve.errors import RequestError
from animegan.serve.styles import DEFAULT_STYLE, StyleRegistry
from animegan.weights.presets import PRESETS
from animegan.weights.resolve import BUNDLED_DEFAULT


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIMEGAN_CACHE", str(tmp_path / "cache"))


def test_default_registry_offers_the_bundled_model_and_every_preset():
    styles = StyleRegistry()
    assert styles.default == DEFAULT_STYLE
    assert list(styles.styles) == [DEFAULT_STYLE, *PRESETS]
    hayao = styles.get("hayao")
    assert hayao.needs_download and "non-commercial" in hayao.licence and "first use" in hayao.label
    assert not styles.get(None).needs_download  # None: the default


def test_no_download_hides_presets_that_are_not_cached():
    assert list(StyleRegistry(downloads=False).styles) == [DEFAULT_STYLE]


@pytest.mark.parametrize("name", [str(BUNDLED_DEFAULT), "../default", "default.tflite", "", "x" * 500])
def test_a_path_or_unknown_name_is_refused(name):
    styles = StyleRegistry()
    if name == "":
        assert styles.get(name).name == DEFAULT_STYLE  # an empty style means the default
        return
    with pytest.raises(RequestError, match="unknown style") as caught:
        styles.get(name)
    assert caught.value.status == 400 and len(str(caught.value)) < 300


def test_model_values_get_names_and_the_first_is_the_default(tmp_path):
    copy = tmp_path / "hayao.tflite"
    copy.write_bytes(BUNDLED_DEFAULT.read_bytes())
    styles = StyleRegistry([f"mine={BUNDLED_DEFAULT}", str(copy), "shinkai"], downloads=False)
    assert styles.default == "mine"
    assert styles.get("mine").kind == "model"
    assert styles.get("hayao-2").spec == str(copy)  # a file named like a preset does not shadow it
    assert styles.get("shinkai").kind == "preset"  # named with --model: offered even with --no-download
    assert "hayao" not in styles.styles
    assert styles.backend("mine") is styles.backend("mine")  # loaded once


def test_a_missing_model_or_a_bad_name_is_one_line(tmp_path):
    with pytest.raises(AnimeGANError, match="no such file"):
        StyleRegistry([str(tmp_path / "missing.keras")])
    with pytest.raises(AnimeGANError, match="letters, digits"):
        StyleRegistry([f"a b={BUNDLED_DEFAULT}"])


def test_a_preset_that_cannot_download_is_a_503(monkeypatch):
    import animegan.weights.resolve as resolve

    def offline(preset, progress=True):
        raise AnimeGANError("could not download it (offline)")

    monkeypatch.setattr(resolve, "fetch_preset", offline)
    with pytest.raises(RequestError, match="style hayao is not available: could not download") as caught:
        StyleRegistry().backend("hayao")
    assert caught.value.status == 503


def test_only_the_most_recent_backends_stay_loaded(tmp_path):
    styles = StyleRegistry([f"a={BUNDLED_DEFAULT}", f"b={BUNDLED_DEFAULT}"], loaded_models=1)
    first = styles.backend("a")
    styles.backend("b")
    assert styles.backend("a") is not first
