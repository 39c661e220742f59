"""Every model family through the harness (tests/harness.py): config round trip, a fresh-process
``.keras`` reload and TFLite float32 export parity, at every normalization choice the family offers."""

import keras
import pytest

from animegan.choices import NORMS
from animegan.models import GENERATORS

from tests.harness import CASES

EXPORTED = [case_id for case_id, case in CASES.items() if case.export]
# every architecture the registry builds, and the two latent-input families
GENERATOR_FAMILIES = set(GENERATORS) | {"stylegan-lite", "vae"}


def test_every_family_and_norm_goes_through_the_harness(harness):
    coverage = harness.coverage()
    missing = GENERATOR_FAMILIES - coverage.keys()
    assert not missing, f"families without a harness case: {missing}"
    for family, norms in coverage.items():
        if family is not None and norms != {None}:  # a family with a norm choice has a case for each
            assert norms == set(NORMS), family
    # every model class the package registers is built by a case, whole or as a part of one
    registered = {
        obj
        for name, obj in keras.saving.get_custom_objects().items()
        if name.startswith("animegan>") and isinstance(obj, type) and issubclass(obj, keras.Model)
    }
    assert registered and registered <= coverage[None], registered - coverage[None]
    # exports: every generator family, and every norm in one of them
    assert {CASES[c].family for c in EXPORTED} >= GENERATOR_FAMILIES
    assert {harness.norm(c) for c in EXPORTED} >= set(NORMS)


@pytest.mark.parametrize("case_id", CASES)
def test_config_round_trip(harness, case_id):
    harness.check_config_round_trip(case_id)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", CASES)
def test_keras_file_reloads_in_a_fresh_process(harness, case_id):
    harness.check_fresh_process_reload(case_id)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", EXPORTED)
def test_tflite_float32_export_matches_keras(harness, case_id):
    harness.check_tflite_export(case_id)
