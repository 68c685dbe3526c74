"""The ConvNeXt family against keras.applications, constructor by constructor.

Every member (Tiny, Small, Base, Large, XLarge) is compared statically with its
reference, built here with keras.applications.ConvNeXt*(weights=None): the same total,
trainable and non-trainable parameters, and the same layers in keras.Model.layers order
(Keras class, output shape, parameters; the stem and downsampling keras.Sequential
models with the layers inside them), named like Keras' own. The runtime model and the
generated module of ConvNeXt-T, the smallest, also take the reference's weights and
give its features before the classifier to 1e-5 relative. The larger members share
every block and differ only in their depths and widths (params of the same spec), so
building them twice more in Keras (350 M parameters for XLarge) would add minutes and
gigabytes, not coverage.

The planted faults at the end show that the feature comparison catches what the static
one cannot: a GELU replaced by a ReLU, a layer normalization's epsilon, and a residual
path whose layer scale does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS, write_spec
from tests.generated_source import import_source
from tests.keras_compare import (
    assert_layers_match,
    assert_same_features,
    probe,
    relative_difference,
    set_comparable_weights,
    weight_count,
)


@dataclass(frozen=True)
class Member:
    spec: str
    application: str  # the keras.applications constructor
    params: int  # Liu et al. 2022, Table 1: 28M, 50M, 89M, 198M, 350M
    gflops: float  # the same table, at 224 x 224: 4.5, 8.7, 15.4, 34.4, 60.9 GFLOPs
    layers: int  # len(model.layers), the input and the Sequentials included
    by_weights: bool  # also compared weight for weight, runtime and generated module

    @property
    def id(self) -> str:
        return self.spec.removesuffix(".yaml")


FAMILY = [
    Member("convnext_tiny.yaml", "ConvNeXtTiny", 28_589_128, 4.5, 135, by_weights=True),
    Member("convnext_small.yaml", "ConvNeXtSmall", 50_223_688, 8.7, 261, by_weights=False),
    Member("convnext_base.yaml", "ConvNeXtBase", 88_591_464, 15.4, 261, by_weights=False),
    Member("convnext_large.yaml", "ConvNeXtLarge", 197_767_336, 34.4, 261, by_weights=False),
    Member("convnext_xlarge.yaml", "ConvNeXtXLarge", 350_196_968, 60.9, 261, by_weights=False),
]
TINY = FAMILY[0]


# Module-scoped and parametrized: every test of one member runs, then its reference is
# dropped before the next is built, so at most one is alive at a time (XLarge: 1.4 GB).
@pytest.fixture(scope="module", params=FAMILY, ids=lambda member: member.id)
def member(request) -> Member:
    return request.param


@pytest.fixture(scope="module")
def reference(member, keras):
    return getattr(keras.applications, member.application)(weights=None)


@pytest.fixture(scope="module")
def arch(member):
    return archgen.load(SPECS / member.spec)


# --- every member, statically -----------------------------------------------------------------


def test_parameters_are_keras_own(member, arch, reference):
    trainable = weight_count(reference.trainable_weights)
    non_trainable = weight_count(reference.non_trainable_weights)
    assert reference.count_params() == member.params
    assert arch.summary()["params"] == {
        "total": member.params,
        "trainable": trainable,
        "non_trainable": non_trainable,
    }


def test_layers_are_keras_own_one_for_one(member, arch, reference):
    assert len(reference.layers) == member.layers
    assert_layers_match(arch, reference)
    classes = [layer["class"] for layer in arch.summary()["layers"]]
    # keras.applications' own structure: two kinds of nested Sequential, no Add layer
    assert classes.count("Sequential") == 4 and "Add" not in classes
    assert "LayerScale" in classes and "Normalization" in classes


def test_layers_are_named_like_keras_own(arch, reference):
    """Past the model's name that Keras puts in front, each layer of the model is named as
    keras.applications names it (the input apart): the same layer at the same place."""
    ours = [layer["name"].replace(".residual.", "_") for layer in arch.summary()["layers"]]
    theirs = [layer.name.removeprefix(f"{arch.name}_") for layer in reference.layers]
    assert ours[1:] == theirs[1:]
    assert ours[0] == "input"  # Keras numbers its inputs: input_layer, input_layer_1...


def test_flops_are_the_published_figures(member, arch):
    """Liu et al. 2022, Table 1, counts multiply-accumulates at 224 x 224, to one decimal."""
    assert abs(arch.totals.flops / 1e9 - member.gflops) < 0.05


def test_the_family_is_one_spec_with_variants():
    """Each member states only what differs from the one it extends."""
    base = SPECS / TINY.spec
    for member in FAMILY[1:]:
        text = (SPECS / member.spec).read_text()
        assert "extends: convnext_" in text and "blocks:" not in text and "model:" not in text
        assert len(text.splitlines()) < 10
    assert "extends" not in base.read_text()


# --- ConvNeXt-T: weight for weight, runtime and generated module --------------------------------


@pytest.fixture(scope="module")
def tiny(keras):
    """keras.applications.ConvNeXtTiny holding comparable weights, its spec, and a batch of
    pixels in [0, 255] (the model normalizes them itself)."""
    reference = keras.applications.ConvNeXtTiny(weights=None)
    weights = set_comparable_weights(reference)
    arch = archgen.load(SPECS / TINY.spec)
    return reference, weights, arch, pixels(np.random.default_rng(1))


def pixels(rng: np.random.Generator, size: int = 2) -> np.ndarray:
    return rng.uniform(0.0, 255.0, (size, 224, 224, 3)).astype(np.float32)


def test_runtime_takes_keras_weights_and_gives_its_features(tiny):
    reference, weights, arch, batch = tiny
    runtime = arch.keras_model()
    assert [layer.name for layer in runtime.layers] == arch.keras_order
    assert [tuple(w.shape) for w in runtime.weights] == [tuple(w.shape) for w in reference.weights]
    runtime.set_weights(weights)
    # head_layernorm's 768 features, then the predictions, each to 1e-5 of its scale
    assert_same_features(runtime, reference, batch)


def test_generated_module_takes_keras_weights_and_gives_its_features(tiny, tmp_path):
    reference, weights, arch, batch = tiny
    generated = import_source(arch.python_source(), tmp_path, "convnext_tiny_generated")
    model = generated.build_model()
    model.set_weights(weights)
    assert_same_features(model, reference, batch)


# --- planted faults: what only the features can show ------------------------------------------

# convnext_tiny with its block replaced: the same layers, shapes and parameters, so the
# static comparison passes, and one computation changed
PLANTED = """\
archgen: 1
extends: {base}
name: convnext_tiny
blocks:
  convnext_block:
    args: {{dim: required}}
    add:
      shortcut: []
      residual:
        - conv2d: {{filters: $dim, kernel: 7, padding: same, groups: $dim, name: depthwise_conv}}
        - layer_norm: {{epsilon: {epsilon}, name: layernorm}}
        - dense: {{units: "${{4 * dim}}", name: pointwise_conv_1}}
        - activation: {{function: {activation}, name: gelu}}
        - dense: {{units: $dim, name: pointwise_conv_2}}
        - layer_scale: {{init_values: $layer_scale, projection_dim: $dim}}
        - activation: {{function: linear, name: identity}}
    layer: false
"""
FAITHFUL = {"epsilon": "1.0e-6", "activation": "gelu"}


@pytest.mark.parametrize(
    "fault",
    [{"activation": "relu"}, {"epsilon": "1.0e-2"}],
    ids=["relu_for_gelu", "layer_norm_epsilon"],
)
def test_a_planted_fault_fails_the_feature_comparison(fault, tiny, tmp_path):
    reference, weights, _, batch = tiny
    text = PLANTED.format(base=SPECS / TINY.spec, **{**FAITHFUL, **fault})
    planted = archgen.load(write_spec(tmp_path, text))
    assert_layers_match(planted, reference)  # statically, nothing shows
    model = planted.keras_model()
    model.set_weights(weights)
    with pytest.raises(AssertionError, match="exceed"):
        assert_same_features(model, reference, batch)


def test_the_planted_spec_without_a_fault_passes(tiny, tmp_path):
    """The plant itself is faithful: the comparison fails because of the fault alone."""
    reference, weights, _, batch = tiny
    planted = archgen.load(write_spec(tmp_path, PLANTED.format(base=SPECS / TINY.spec, **FAITHFUL)))
    model = planted.keras_model()
    model.set_weights(weights)
    assert_same_features(model, reference, batch)


def test_fresh_layer_scales_would_hide_every_residual_path(tiny):
    """Why set_comparable_weights randomises constant arrays: with Keras' fresh layer scales
    (1e-6) each block adds a millionth of its residual, and ConvNeXt-T's features barely
    change whether its blocks compute anything or not (measured: 9e-6); with the
    randomised scales they do (1.3)."""
    reference, weights, arch, batch = tiny
    model = arch.keras_model()
    model.set_weights(weights)
    scales = [layer.gamma for layer in model.layers if type(layer).__name__ == "LayerScale"]
    assert len(scales) == 18
    features = {None: np.asarray(probe(reference)(batch)[0])}  # the randomised scales
    for scale in (1e-6, 0.0):
        for gamma in scales:
            gamma.assign(np.full(gamma.shape, scale, np.float32))
        features[scale] = np.asarray(probe(model)(batch)[0])
    assert relative_difference(features[1e-6], features[0.0]) < 1e-4
    assert relative_difference(features[None], features[0.0]) > 0.1
