import keras
import numpy as np
import pytest

from animegan.choices import NORMS
from animegan.models import GENERATORS, CycleGANGenerator, PatchGANDiscriminator, build_generator

# The reference (junyanz/pytorch-CycleGAN-and-pix2pix) counts: InstanceNorm2d without affine parameters.
REFERENCE_RESNET9 = 11_378_179
REFERENCE_PATCHGAN = 2_764_737


def _norm_channels(model) -> int:
    return sum(layer.gamma.shape[0] for layer in model.layers if isinstance(layer, keras.layers.GroupNormalization))


@pytest.fixture(scope="module")
def resnet9():
    """The reference-sized generator (ResNet-9, ngf=64), seeded: built once for the tests that need it."""
    keras.utils.set_random_seed(0)
    return CycleGANGenerator()


@pytest.fixture(scope="module")
def patchgan():
    keras.utils.set_random_seed(0)
    return PatchGANDiscriminator()


def test_resnet9_shape_and_parameter_count_at_256(resnet9):
    model = resnet9
    assert (model.n_blocks, model.ngf, model.norm, model.stride) == (9, 64, "instance", 4)
    # Traced, not run (11M parameters at 256x256 cost seconds); the tiny net runs real sizes below.
    assert tuple(model.compute_output_shape((1, 256, 256, 3))) == (1, 256, 256, 3)
    # Our instance norm has a scale and an offset per channel: 2 x 5,248 channels on top of the reference.
    assert _norm_channels(model) == 5_248
    assert model.count_params() == 11_388_675 == REFERENCE_RESNET9 + 2 * 5_248
    # Without norm parameters the count is exactly the reference's.
    assert CycleGANGenerator(norm="none").count_params() == REFERENCE_RESNET9


def test_resnet6_parameter_count():
    # Three fewer residual blocks of two 3x3x256x256 convs (+ bias) and two 256-channel norms.
    per_block = 2 * (3 * 3 * 256 * 256 + 256) + 2 * 2 * 256
    assert CycleGANGenerator(n_blocks=6).count_params() == 11_388_675 - 3 * per_block


def test_patchgan_shape_and_parameter_count_at_256(patchgan):
    disc = patchgan
    assert disc(np.zeros((2, 256, 256, 3), "float32")).shape == (2, 30, 30, 1)
    assert _norm_channels(disc) == 128 + 256 + 512
    assert disc.count_params() == 2_766_529 == REFERENCE_PATCHGAN + 2 * 896
    assert PatchGANDiscriminator(norm="none").count_params() == REFERENCE_PATCHGAN


def test_generator_is_fully_convolutional_and_up_samples_exactly_two_fold():
    model = CycleGANGenerator(n_blocks=2, ngf=8)
    for height, width in ((32, 48), (20, 44), (8, 12)):
        y = np.asarray(model(np.random.default_rng(0).uniform(-1, 1, (2, height, width, 3)).astype("float32")))
        assert y.shape == (2, height, width, 3)
        assert np.all(np.abs(y) <= 1.0)
    up = model.get_layer("up1.conv")
    assert up.output.shape[1:] == (None, None, 16)


@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_choice_builds_and_is_recorded(harness, norm):
    gen, disc = harness.model(f"cyclegan-resnet/{norm}"), harness.model(f"patchgan/{norm}")
    assert (type(gen), type(disc)) == (CycleGANGenerator, PatchGANDiscriminator)
    assert gen.get_config()["norm"] == disc.get_config()["norm"] == norm
    assert gen(np.zeros((1, 16, 16, 3), "float32")).shape == (1, 16, 16, 3)
    assert disc(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 2, 2, 1)
    # Convs before batch norm drop their bias (the norm's offset replaces it), as in the reference.
    assert gen.get_layer("down1.conv").use_bias == (norm != "batch")
    assert disc.get_layer("conv0").use_bias


def test_kernels_start_as_normal_with_stddev_002(resnet9, patchgan):
    kernel = np.asarray(resnet9.get_layer("res1.conv1").kernel)
    assert abs(kernel.mean()) < 1e-3
    assert kernel.std() == pytest.approx(0.02, rel=0.02)
    assert np.asarray(patchgan.get_layer("conv1").kernel).std() == pytest.approx(0.02, rel=0.02)


def test_registry_builds_it_by_architecture_name():
    assert GENERATORS["cyclegan-resnet"] is CycleGANGenerator
    model = build_generator("cyclegan-resnet", n_blocks=1, ngf=4, norm="layer")
    assert (model.architecture, model.n_blocks, model.norm) == ("cyclegan-resnet", 1, "layer")
