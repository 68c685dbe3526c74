"""The seed networks' specs against their Keras references, layer for layer and weight for weight.

The references are tests/references/seed_models.py (Keras 3 ports of the networks in
/work/shared/seeds) and tests/references/inception_v4_paper.py (Inception-v4 from the paper).
For each spec: archgen's static summary lists the reference's layers one for one (Keras class,
output shape, parameters) with the same totals; the Keras model archgen builds has the same
weights in the same order and, given the reference's weights (with non-trivial batch-norm
statistics: tests/keras_compare.set_comparable_weights), gives the same features before each
classifier and the same outputs. Every number
compared comes from the reference model built here; the literal totals are written out once
more so that a change to a reference shows.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
import pytest

import archgen
from archgen.errors import SpecError
from tests.conftest import SPECS
from tests.keras_compare import (
    assert_layers_match,
    assert_same_features,
    random_batch,
    set_comparable_weights,
    weight_count,
)


@dataclass(frozen=True)
class Network:
    spec: str
    reference: str  # "module:function" in tests.references
    params: int  # the reference's count_params(), written out
    published: float | None = None  # a published count in millions, PyTorch's convention

    @property
    def id(self) -> str:
        return self.spec.removesuffix(".yaml")

    def build_reference(self):
        module, function = self.reference.split(":")
        return getattr(importlib.import_module(f"tests.references.{module}"), function)()


NETWORKS = [
    Network("lenet5.yaml", "seed_models:lenet5", params=166_826),
    Network("alexnet.yaml", "seed_models:alexnet", params=182_759_306),
    Network("resnet34.yaml", "seed_models:resnet34", params=21_311_754),
    Network("googlenet.yaml", "seed_models:googlenet", params=9_121_976),
    Network("googlenet_lrn.yaml", "seed_models:googlenet_lrn", params=10_334_030),
    Network("inception_v3_cifar10.yaml", "seed_models:inception_v3_cifar10", params=720_446),
    Network(
        "inception_resnet_v2_small.yaml", "seed_models:inception_resnet_v2_small", params=848_746
    ),
    # timm's inception_v4.tf_in1k, the paper's released weights: 42.68 M parameters
    # (pytorch-image-models results/results-imagenet.csv; its model card rounds to 42.7 M)
    Network(
        "inception_v4.yaml",
        "inception_v4_paper:inception_v4",
        params=42_711_400,
        published=42.68,
    ),
    Network(
        "inception_v4_seed.yaml",
        "seed_models:inception_v4_seed",
        params=41_252_362,
    ),
]


# Module-scoped and parametrized: pytest runs every test of one network, then drops its
# models before building the next, so at most one reference is alive at a time.
@pytest.fixture(scope="module", params=NETWORKS, ids=lambda network: network.id)
def network(request) -> Network:
    return request.param


@pytest.fixture(scope="module")
def reference(network, keras):
    model = network.build_reference()
    set_comparable_weights(model)
    return model


@pytest.fixture(scope="module")
def arch(network):
    return archgen.load(SPECS / network.spec)


@pytest.fixture(scope="module")
def runtime(arch):
    return arch.keras_model()


# --- static: no Keras model is built from the spec -----------------------------------------


def pytorch_count(model) -> int:
    """Parameters as PyTorch counts them: batch norm has gamma and beta (affine, whether or
    not the Keras layer learns a scale) and keeps its moving statistics out of the count."""
    total = 0
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            total += 2 * layer.moving_mean.shape[-1]
        else:
            total += layer.count_params()
    return total


def test_reference_total_is_the_recorded_figure(network, reference):
    assert reference.count_params() == network.params
    if network.published is not None:
        assert round(pytorch_count(reference) / 1e6, 2) == network.published


def test_totals_match_the_reference(arch, reference):
    trainable = weight_count(reference.trainable_weights)
    non_trainable = weight_count(reference.non_trainable_weights)
    assert arch.summary()["params"] == {
        "total": reference.count_params(),
        "trainable": trainable,
        "non_trainable": non_trainable,
    }
    assert trainable + non_trainable == reference.count_params()


def test_layers_match_the_reference_one_for_one(arch, reference):
    assert_layers_match(arch, reference)


def test_outputs_match_the_reference_in_order(arch, reference):
    ours = [tuple(output["shape"]) for output in arch.summary()["outputs"]]
    assert ours == [tuple(output.shape[1:]) for output in reference.outputs]
    assert tuple(arch.spec.input) == tuple(reference.inputs[0].shape[1:])


# --- runtime: the Keras model archgen builds ------------------------------------------------


def test_runtime_has_the_same_weights_in_order(arch, runtime, reference):
    assert runtime.count_params() == reference.count_params()
    assert [layer.name for layer in runtime.layers] == arch.keras_order
    assert [tuple(w.shape) for w in runtime.weights] == [tuple(w.shape) for w in reference.weights]


def test_reference_weights_give_the_same_features_and_predictions(runtime, reference):
    runtime.set_weights(reference.get_weights())
    # every output and the features each classifier sees, to 1e-5 of its scale
    # (tests/keras_compare.RELATIVE_TOLERANCE); googlenet has three of each
    assert_same_features(runtime, reference, random_batch(reference, np.random.default_rng(1)))


# --- network by network ----------------------------------------------------------------------


def test_googlenet_outputs_are_the_two_auxiliary_heads_then_the_classifier():
    arch = archgen.load(SPECS / "googlenet.yaml")
    outputs = arch.summary()["outputs"]
    assert [o["name"] for o in outputs] == ["aux1.predictions", "aux2.predictions", "predictions"]
    assert [o["shape"] for o in outputs] == [[4, 4, 1000], [4, 4, 1000], [1000]]
    assert {"inception_4a.branch3x3.reduce", "inception_5b.branch_pool.proj"} <= set(
        arch.keras_order
    )


def test_inception_resnet_v2_small_filter_control_is_a_parameter():
    path = SPECS / "inception_resnet_v2_small.yaml"
    # 16 and 4 keep every residual sum's channels equal; 2 does not (1152 vs 1154 // 2 = 577)
    assert archgen.load(path, overrides={"filter_control": 16}).totals.params < 848_746
    assert archgen.load(path, overrides={"filter_control": 4}).totals.params > 848_746
    with pytest.raises(SpecError, match="shortcut: 10 x 10 x 576, residual: 10 x 10 x 577"):
        archgen.load(path, overrides={"filter_control": 2})


def test_inception_v4_flops_are_the_published_figure():
    # timm's model card for inception_v4.tf_in1k: 12.3 GMACs at 299 x 299
    assert round(archgen.load(SPECS / "inception_v4.yaml").totals.flops / 1e9, 1) == 12.3


def test_inception_v4_smallest_input_and_the_28x28_diagnostic():
    path = SPECS / "inception_v4.yaml"
    assert archgen.load(path).min_input == 75
    with pytest.raises(SpecError) as error:
        archgen.load(path, overrides={"input": [28, 28, 1]})
    assert "reduction_a" in str(error.value.scope)
    assert "smallest it accepts is 75x75" in error.value.hint


def test_inception_v4_mnist_resizes_to_the_smallest_input():
    arch = archgen.load(SPECS / "inception_v4_mnist.yaml")
    resize = arch.layers[1]
    assert resize.op == "resize" and resize.shape == (75, 75, 1)
    assert resize.attrs["height"] == archgen.load(SPECS / "inception_v4.yaml").min_input
    # the resize adds no weights: the network is the paper's for 75 x 75 x 1 and 10 classes
    body = archgen.load(
        SPECS / "inception_v4.yaml", overrides={"classes": 10, "input": [75, 75, 1]}
    )
    assert arch.totals == body.totals
    assert arch.summary()["outputs"] == [{"name": "head.predictions", "shape": [10]}]
    model = arch.keras_model()
    digits = np.random.default_rng(2).random((2, 28, 28, 1), dtype=np.float32)
    probabilities = np.asarray(model(digits, training=False))
    assert probabilities.shape == (2, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
