"""The runtime back end builds exactly keras.applications.InceptionV3, weight for weight."""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS


@pytest.fixture(scope="module")
def runtime_inception_v3():
    return archgen.load(SPECS / "inception_v3.yaml").keras_model()


def test_same_parameter_count_and_weight_shapes(runtime_inception_v3, reference_inception_v3):
    assert runtime_inception_v3.count_params() == reference_inception_v3.count_params()
    assert [w.shape for w in runtime_inception_v3.get_weights()] == [
        w.shape for w in reference_inception_v3.get_weights()
    ]


def test_reference_weights_give_the_same_predictions(runtime_inception_v3, reference_inception_v3):
    runtime_inception_v3.set_weights(reference_inception_v3.get_weights())
    batch = np.random.default_rng(0).random((2, 299, 299, 3), dtype=np.float32)
    ours = runtime_inception_v3.predict(batch, verbose=0)
    theirs = reference_inception_v3.predict(batch, verbose=0)
    assert np.abs(ours - theirs).max() <= 1e-5


def test_layer_names_come_from_the_scope_path(runtime_inception_v3):
    names = [layer.name for layer in runtime_inception_v3.layers]
    assert "mixed0.branch5x5.conv_bn_2.conv2d" in names
    assert {"mixed0", "mixed10", "avg_pool", "predictions"} <= set(names)
    assert not any("/" in name for name in names)


def test_layer_order_is_the_static_keras_order(runtime_inception_v3):
    arch = archgen.load(SPECS / "inception_v3.yaml")
    assert [layer.name for layer in runtime_inception_v3.layers] == arch.keras_order
