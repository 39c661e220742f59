import json

import keras
import numpy as np

from animegan.bench.conv_share import conv_twin, profile_shares
from animegan.bench.flops import generator_gflops
from animegan.models import build_generator


def test_profile_share_counts_every_kernel_that_is_not_a_convolution(tmp_path):
    events = [
        {"cat": "Node", "name": "a_kernel_time", "dur": 600, "args": {"op_name": "QLinearConv"}},
        {"cat": "Node", "name": "b_kernel_time", "dur": 300, "args": {"op_name": "LayerNormalization"}},
        {"cat": "Node", "name": "c_kernel_time", "dur": 100, "args": {"op_name": "Conv"}},
        {"cat": "Node", "name": "c_fence_before", "dur": 999, "args": {"op_name": "Conv"}},
        {"cat": "Session", "name": "model_run", "dur": 5000},
    ]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(events))
    share, by_op = profile_shares(path, runs=2)
    assert share == 0.3 and by_op == {"QLinearConv": 0.3, "LayerNormalization": 0.15, "Conv": 0.05}


def test_the_conv_twin_keeps_the_convolutions_and_drops_the_rest():
    keras.utils.set_random_seed(0)
    model = build_generator("animegan-v2")
    twin = conv_twin(model)
    kinds = {type(layer).__name__ for layer in twin.layers}
    assert not kinds & {"GroupNormalization", "LeakyReLU", "ReflectionPadding2D", "Activation"}
    assert generator_gflops(twin, 32, 48) == generator_gflops(model, 32, 48)
    assert twin(np.zeros((1, 32, 48, 3), np.float32)).shape == (1, 32, 48, 3)
    name = "B.Conv"
    np.testing.assert_array_equal(twin.get_layer(name).get_weights()[0], model.get_layer(name).get_weights()[0])
