"""The generated module against the runtime model, and both against keras.applications.

For every spec in specs/, the module `python_source()` writes builds the runtime model
layer by layer: the same class, the same `get_config()`, the same layers feeding each
one in the same order (tests/keras_compare.assert_configs_match). For a representative
set, on small inputs, both models holding the same weights (He kernels, non-trivial
batch-norm statistics: tests/keras_compare.set_comparable_weights) give the same
features before each classifier and the same outputs, every output of a multi-output
network included.

The generated InceptionV3 module and the runtime model, holding keras.applications'
weights with randomised batch-norm statistics, give the features before the classifier
(avg_pool) equal to keras.applications' to 1e-5 relative; the last tests plant a fault
in the generated module (one batch norm's epsilon, two concat branches swapped, one
batch norm's momentum) and show that the comparison meant to catch it fails.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS
from tests.generated_source import import_source
from tests.keras_compare import (
    assert_configs_match,
    assert_same_features,
    probe,
    random_batch,
    set_comparable_weights,
    weight_shapes,
)

SPEC_FILES = sorted(SPECS.glob("*.yaml"))


def build_generated(source: str, folder, module_name: str):
    """Import `source` as a fresh module, the way a user would, and call its build_model()."""
    return import_source(source, folder, module_name).build_model()


# --- every spec: the same layers, configs and connections ------------------------------------


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_generated_module_builds_the_runtime_model_config_for_config(spec, tmp_path, keras):
    arch = archgen.load(spec)
    # Keras numbers what it names itself (keras.ops.add's operations, a Sequential's input)
    # per process: each build starts the count afresh, so that the two can be compared
    keras.utils.clear_session()
    generated = build_generated(arch.python_source(), tmp_path, f"{arch.name}_generated")
    keras.utils.clear_session()
    runtime = arch.keras_model()
    assert_configs_match(generated, runtime)
    assert weight_shapes(generated) == weight_shapes(runtime)
    assert generated.count_params() == runtime.count_params() == arch.totals.params


# --- a representative set: the same outputs for the same weights ------------------------------

# spec -> input side (None: the spec's own input). Chosen for what each adds, on inputs
# small enough to keep the file quick (each is at least the spec's min_input).
OUTPUT_CASES = {
    "lenet5": None,  # a plain stack ending in a softmax layer of its own
    "googlenet": None,  # three outputs: two auxiliary heads and the classifier
    "inception_v3": 75,  # factorized convolutions, nested concats, batch norm
    "inception_resnet_v2": 75,  # ScaledAdd, the layer class the generated module defines
    "xception": 71,  # separable convolutions, projection shortcuts
    "resnet34": None,  # residual sums, identity and projection shortcuts
    "vgg16": 32,  # flatten and fully connected layers, no batch norm
    "inception_v4_mnist": None,  # a resize in front of the network
}


@pytest.mark.parametrize(("name", "side"), OUTPUT_CASES.items(), ids=list(OUTPUT_CASES))
def test_generated_module_computes_the_runtime_outputs(name, side, tmp_path):
    path = SPECS / f"{name}.yaml"
    overrides = {}
    if side is not None:
        channels = archgen.load(path).spec.input[-1]
        overrides = {"input": [side, side, channels]}
    arch = archgen.load(path, overrides=overrides)
    assert side is None or side >= arch.min_input
    runtime = arch.keras_model()
    generated = build_generated(arch.python_source(), tmp_path, f"{name}_generated")
    generated.set_weights(set_comparable_weights(runtime))
    batch = random_batch(runtime, np.random.default_rng(1))
    # features, then outputs, each to 1e-5 of its scale (keras_compare.RELATIVE_TOLERANCE)
    differences = assert_same_features(generated, runtime, batch)
    assert len(differences) == 2 * len(arch.summary()["outputs"])


def test_every_output_case_is_a_library_spec():
    assert {f"{name}.yaml" for name in OUTPUT_CASES} <= {p.name for p in SPEC_FILES}


# --- InceptionV3: generated, runtime and keras.applications --------------------------------


@pytest.fixture(scope="module")
def inception_v3(keras):
    """keras.applications.InceptionV3 holding comparable weights, its spec and a batch."""
    reference = keras.applications.InceptionV3(weights=None)
    weights = set_comparable_weights(reference)
    arch = archgen.load(SPECS / "inception_v3.yaml")
    batch = random_batch(reference, np.random.default_rng(1))
    return reference, weights, arch, batch


def generated_inception_v3(inception_v3, folder, source=None):
    _, weights, arch, _ = inception_v3
    model = build_generated(source or arch.python_source(), folder, "inception_v3_generated")
    model.set_weights(weights)
    return model


def test_generated_inception_v3_gives_keras_applications_features(inception_v3, tmp_path):
    reference, weights, arch, batch = inception_v3
    # the features compared are avg_pool's 2048, what the classifier sees
    assert [tuple(t.shape) for t in probe(reference).outputs] == [(None, 2048), (None, 1000)]
    generated = generated_inception_v3(inception_v3, tmp_path)
    runtime = arch.keras_model()
    runtime.set_weights(weights)
    # avg_pool and predictions, to 1e-5 of their scale (keras_compare.RELATIVE_TOLERANCE)
    assert_same_features(generated, reference, batch)
    assert_same_features(runtime, reference, batch)


# Faults planted in the generated source, each in exactly one layer. A wrapper replaces
# the Keras class where the module calls it and changes the one layer of that name, so
# the plant does not depend on how the generator lays out its functions.
PLANT = """

def _planted_{cls}(*args, **kwargs):
    import keras

    layer = keras.layers.{cls}(*args, **kwargs)
    if kwargs.get("name") != {name!r}:
        return layer
{body}
"""

CHANGE_ATTRIBUTES = """    config = {**layer.get_config(), **%r}
    return keras.layers.%s.from_config(config)"""

SWAP_FIRST_TWO_INPUTS = """    return lambda inputs: layer([inputs[1], inputs[0], *inputs[2:]])"""


def plant(source: str, cls: str, name: str, body: str) -> str:
    call = re.compile(rf"\b(?:keras\.)?layers\.{cls}\(")
    assert call.search(source), f"the generated source no longer calls layers.{cls}"
    return call.sub(f"_planted_{cls}(", source) + PLANT.format(cls=cls, name=name, body=body)


def planted_attributes(source: str, cls: str, name: str, **changes) -> str:
    return plant(source, cls, name, CHANGE_ATTRIBUTES % (changes, cls))


def batch_norms(model) -> dict:
    return {
        layer.name: layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"
    }


def test_a_planted_epsilon_fails_the_feature_comparison(inception_v3, tmp_path):
    reference, _, arch, batch = inception_v3
    # the first batch norm of the stem, as far from avg_pool as a layer can be
    target = "conv_bn_1.batch_norm"
    source = planted_attributes(arch.python_source(), "BatchNormalization", target, epsilon=0.5)
    planted = generated_inception_v3(inception_v3, tmp_path, source)
    epsilons = {name: layer.epsilon for name, layer in batch_norms(planted).items()}
    assert epsilons.pop(target) == 0.5 and set(epsilons.values()) == {0.001}
    with pytest.raises(AssertionError, match="exceed"):
        assert_same_features(planted, reference, batch)
    with pytest.raises(AssertionError, match="epsilon"):
        assert_configs_match(planted, arch.keras_model())


def test_two_swapped_concat_branches_fail_the_feature_and_config_comparisons(
    inception_v3, tmp_path
):
    reference, weights, arch, batch = inception_v3
    # mixed5's branch1x1 and branch7x7 have 192 channels each: every shape stays the same
    source = plant(arch.python_source(), "Concatenate", "mixed5", SWAP_FIRST_TWO_INPUTS)
    planted = build_generated(source, tmp_path, "inception_v3_planted")
    # Keras orders layers, and so weights, by walking the graph: the swap reorders them,
    # and set_weights by position refuses. Copied layer by layer, by name, they fit.
    runtime = arch.keras_model()
    runtime.set_weights(weights)
    assert [layer.name for layer in planted.layers] != [layer.name for layer in runtime.layers]
    with pytest.raises(ValueError, match="not compatible"):
        planted.set_weights(weights)
    for layer in planted.layers:
        layer.set_weights(runtime.get_layer(layer.name).get_weights())
    with pytest.raises(AssertionError, match="exceed"):
        assert_same_features(planted, reference, batch)
    with pytest.raises(AssertionError, match="layer mixed5: inbound_nodes"):
        assert_configs_match(planted, runtime)


def test_a_changed_attribute_that_outputs_cannot_show_fails_the_config_comparison(
    inception_v3, tmp_path
):
    reference, _, arch, batch = inception_v3
    # momentum acts only in training: inference is the same, the config is not
    target = "mixed10.branch_pool.conv_bn.batch_norm"
    source = planted_attributes(arch.python_source(), "BatchNormalization", target, momentum=0.5)
    planted = generated_inception_v3(inception_v3, tmp_path, source)
    assert batch_norms(planted)[target].momentum == 0.5
    assert_same_features(planted, reference, batch)
    with pytest.raises(AssertionError, match=f"layer {re.escape(target)}: config.momentum"):
        assert_configs_match(planted, arch.keras_model())
