import json

import pytest

from animegan.errors import AnimeGANError
from animegan.inference.metadata import ExportMetadata, metadata_path, read_metadata


def _meta(**changes):
    fields = dict(name="g", architecture="animegan-v2", norm="layer", upsample="legacy", stride=4, format="tflite")
    return ExportMetadata(**{**fields, **changes})


def test_round_trip_through_json():
    meta = _meta(quantization="int8", input_size=(512, 384))
    again = ExportMetadata.from_json(meta.to_json())
    assert again == meta and again.input_size == (512, 384)
    assert "input=512x384" in again.describe() and "quantization=int8" in again.describe()


def test_sidecar_and_savedmodel_locations(tmp_path):
    assert metadata_path(tmp_path / "m.tflite") == tmp_path / "m.tflite.json"
    assert metadata_path(tmp_path) == tmp_path / "assets" / "animegan.json"


def test_missing_or_broken_metadata_is_one_line_error(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"")
    with pytest.raises(AnimeGANError, match="has no metadata") as info:
        read_metadata(model)
    assert "\n" not in str(info.value)
    (tmp_path / "m.tflite.json").write_text("{not json")
    with pytest.raises(AnimeGANError, match="cannot read export metadata"):
        read_metadata(model)


def test_latent_model_metadata_round_trips_and_describes_its_contract():
    meta = _meta(architecture="vae-decoder", norm="none", stride=1, input_kind="latent", latent_dim=8, output_size=(16, 16))
    again = ExportMetadata.from_json(meta.to_json())
    assert again == meta and again.is_latent and again.output_size == (16, 16)
    assert "input=latent[8] output=16x16" in again.describe()
    old = json.loads(_meta().to_json())
    del old["input_kind"], old["latent_dim"], old["output_size"]
    assert not ExportMetadata.from_json(json.dumps(old)).is_latent  # files from before latent exports: image models
