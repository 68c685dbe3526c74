"""Six library specs against the keras.applications networks they describe.

Each spec must build exactly its keras.applications model: the same layers in the
same order (Keras class, output shape, parameters), the same weights in the same
order, and, holding the reference's weights with non-trivial batch-norm statistics
(tests/keras_compare.set_comparable_weights), the same features before the classifier
and the same predictions. Every reference number comes from keras.applications
itself, built here with weights=None; the literal totals below are the well-known
figures, checked against both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS
from tests.keras_compare import (
    assert_layers_match,
    assert_same_features,
    random_batch,
    set_comparable_weights,
    weight_count,
)

# archgen's ScaledAdd stands where keras.applications puts its CustomScaleLayer
# (inputs[0] + scale * inputs[1]); every other op maps to the Keras class it names.


@dataclass(frozen=True)
class Network:
    spec: str
    application: str  # the keras.applications constructor
    params: int  # the well-known total parameter count
    layers: int  # len(model.layers), the input included
    names: frozenset  # some layer names the spec's `name:`s give
    input_size: int

    @property
    def id(self) -> str:
        return self.spec.removesuffix(".yaml")


NETWORKS = [
    Network(
        "inception_v3.yaml",
        "InceptionV3",
        params=23_851_784,
        layers=313,
        names=frozenset({"mixed0", "mixed5", "mixed10", "avg_pool", "predictions"}),
        input_size=299,
    ),
    Network(
        "xception.yaml",
        "Xception",
        params=22_910_480,
        layers=134,
        names=frozenset({"block1_conv1.conv2d", "block2", "block12", "block14_sepconv2_act"}),
        input_size=299,
    ),
    Network(
        "inception_resnet_v2.yaml",
        "InceptionResNetV2",
        params=55_873_736,
        layers=782,
        names=frozenset({"mixed_5b", "block35_10", "mixed_6a", "block17_20", "block8_10"}),
        input_size=299,
    ),
    Network(
        "resnet50.yaml",
        "ResNet50",
        params=25_636_712,
        layers=177,
        names=frozenset({"conv1_conv", "pool1_pool", "conv2.block1", "conv4.block6.relu"}),
        input_size=224,
    ),
    Network(
        "vgg16.yaml",
        "VGG16",
        params=138_357_544,
        layers=23,
        names=frozenset({"block1.conv1", "block5.conv3", "block5.pool", "fc1", "fc2"}),
        input_size=224,
    ),
    Network(
        "vgg19.yaml",
        "VGG19",
        params=143_667_240,
        layers=26,
        names=frozenset({"block3.conv4", "block5.conv4", "block5.pool", "fc1", "fc2"}),
        input_size=224,
    ),
]


# Module-scoped and parametrized: pytest runs every test of one network, then drops
# its models before building the next, so at most one reference is alive at a time.
@pytest.fixture(scope="module", params=NETWORKS, ids=lambda network: network.id)
def network(request) -> Network:
    return request.param


@pytest.fixture(scope="module")
def reference(network, keras):
    return getattr(keras.applications, network.application)(weights=None)


@pytest.fixture(scope="module")
def arch(network):
    return archgen.load(SPECS / network.spec)


@pytest.fixture(scope="module")
def runtime(arch):
    return arch.keras_model()


# --- static: no Keras model is built from the spec -----------------------------------


def test_well_known_parameter_count(network, arch, reference):
    assert reference.count_params() == network.params
    assert arch.totals.params == network.params


def test_layers_match_keras_one_for_one(network, arch, reference):
    assert len(reference.layers) == network.layers
    assert_layers_match(arch, reference)


def test_totals_match_keras(arch, reference):
    trainable = weight_count(reference.trainable_weights)
    non_trainable = weight_count(reference.non_trainable_weights)
    assert arch.summary()["params"] == {
        "total": reference.count_params(),
        "trainable": trainable,
        "non_trainable": non_trainable,
    }
    assert trainable + non_trainable == reference.count_params()


def test_layer_names_come_from_the_spec(network, arch):
    assert network.names <= set(arch.keras_order)


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        # He et al. 2016, Table 1 and section 4.1: "3.8 billion FLOPs" (multiply-adds)
        # for ResNet-50 and "19.6 billion FLOPs" for VGG-19.
        ("resnet50.yaml", 3.8e9, 3.9e9),
        ("vgg19.yaml", 19.55e9, 19.65e9),
    ],
)
def test_flops_are_the_published_figures(spec, low, high):
    assert low <= archgen.load(SPECS / spec).totals.flops < high


# --- runtime: the Keras model archgen builds ------------------------------------------


def test_runtime_has_the_same_weights_in_order(arch, runtime, reference):
    assert [layer.name for layer in runtime.layers] == arch.keras_order
    assert [tuple(w.shape) for w in runtime.weights] == [tuple(w.shape) for w in reference.weights]
    assert runtime.count_params() == reference.count_params()


def test_reference_weights_give_the_same_features_and_predictions(network, runtime, reference):
    runtime.set_weights(set_comparable_weights(reference))
    batch = random_batch(reference, np.random.default_rng(1))
    assert batch.shape == (2, network.input_size, network.input_size, 3)
    # the features before the classifier (avg_pool, or fc2 for VGG), then the
    # predictions, each to 1e-5 of its scale (tests/keras_compare.RELATIVE_TOLERANCE)
    assert_same_features(runtime, reference, batch)
