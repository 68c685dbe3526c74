"""Sequential blocks (one keras.Sequential) and `add` with `layer: false` (keras.ops.add).

keras.applications' ConvNeXt builds its stem and downsampling layers as nested
keras.Sequential models and sums its residuals with `inputs + x`, an operation that
keras.Model.layers does not list. A spec says both; here a small network with the two in
several places (inside a concat branch, in a repeat, under an activation, as an output)
is compared with the same network written by hand in Keras: the same layers in
keras.Model.layers order, the same weights, the same outputs; then each misuse is a
located error.
"""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from archgen.errors import SpecError
from tests.conftest import write_spec
from tests.generated_source import import_source
from tests.keras_compare import (
    assert_configs_match,
    assert_layers_match,
    assert_same_features,
    random_batch,
    set_comparable_weights,
)

SPEC = """\
archgen: 1
name: nested
input: [16, 16, 3]
blocks:
  norm_conv:
    args: {filters: required, strides: 1}
    sequential: true
    seq:
      - layer_norm: {epsilon: 1.0e-6}
      - conv2d: {filters: $filters, kernel: 3, strides: $strides, padding: same}
  residual:
    args: {dim: required}
    add:
      shortcut: []
      residual: [conv2d: {filters: $dim, kernel: 3, padding: same, groups: 2}, gelu]
    layer: false
model:
  - norm_conv: {filters: 8, name: stem}
  - concat:
      a: [norm_conv: {filters: 8, strides: 2}]
      b: [max_pool, conv2d: {filters: 8, kernel: 1}]
    name: joined
  - repeat: 2
    seq:
      - residual: {dim: 16}
      - norm_conv: {filters: 16}
  - add: {a: [], b: [conv2d: {filters: 16, kernel: 1}]}
    layer: false
    activation: relu
    name: last_sum
  - global_avg_pool
  - dense: {units: 5, activation: softmax, name: head}
outputs: [head, norm_conv_2]
"""


def keras_reference(keras):
    """The same network by hand, as keras.applications' ConvNeXt writes such things."""
    layers = keras.layers

    def norm_conv(x, filters, name, strides=1):
        return keras.Sequential(
            [
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}.layer_norm"),
                layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}.conv2d"),
            ],
            name=name,
        )(x)

    inputs = keras.Input((16, 16, 3), name="input")
    x = norm_conv(inputs, 8, "stem")
    a = norm_conv(x, 8, "joined.a.norm_conv", strides=2)
    b = layers.MaxPooling2D(name="joined.b.max_pool")(x)
    b = layers.Conv2D(8, 1, name="joined.b.conv2d")(b)
    x = layers.Concatenate(name="joined")([a, b])
    for i in (1, 2):
        r = layers.Conv2D(16, 3, padding="same", groups=2, name=f"residual_{i}.residual.conv2d")(x)
        r = layers.Activation("gelu", name=f"residual_{i}.residual.gelu")(r)
        x = x + r
        x = norm_conv(x, 16, f"norm_conv_{i}")
    deep = x
    b = layers.Conv2D(16, 1, name="last_sum.b.conv2d")(x)
    x = layers.Activation("relu", name="last_sum.relu")(x + b)
    x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    x = layers.Dense(5, activation="softmax", name="head")(x)
    return keras.Model(inputs, [x, deep], name="nested")


@pytest.fixture(scope="module")
def nested(tmp_path_factory, keras):
    arch = archgen.load(write_spec(tmp_path_factory.mktemp("nested"), SPEC))
    return arch, keras_reference(keras)


def test_the_summary_lists_what_keras_model_layers_lists(nested):
    arch, reference = nested
    assert_layers_match(arch, reference)
    assert arch.keras_order == [layer.name for layer in reference.layers]
    classes = [layer["class"] for layer in arch.summary()["layers"]]
    assert classes.count("Sequential") == 4 and "Add" not in classes
    stem = arch.summary()["layers"][1]
    assert [layer["name"] for layer in stem["layers"]] == ["stem.layer_norm", "stem.conv2d"]
    assert stem["params"] == 6 + (3 * 3 * 3 * 8 + 8) and stem["line"] == 18


def test_the_runtime_model_is_the_reference(nested):
    arch, reference = nested
    runtime = arch.keras_model()
    assert [layer.name for layer in runtime.layers] == arch.keras_order
    assert len(runtime.operations) == len(reference.operations)  # the three sums
    runtime.set_weights(set_comparable_weights(reference))
    batch = random_batch(reference, np.random.default_rng(1))
    assert_same_features(runtime, reference, batch)


def test_the_generated_module_is_the_runtime_model(nested, tmp_path, keras):
    arch, reference = nested
    source = arch.python_source()
    assert "return keras.Sequential(" in source and "keras.ops.add(x, residual_2)" in source
    assert 'trunk.get_layer("norm_conv_2").output' in source  # an output: the Sequential's
    keras.utils.clear_session()  # Keras' own names (add, add_1, ...) count afresh
    generated = import_source(source, tmp_path, "nested_generated").build_model()
    keras.utils.clear_session()
    runtime = arch.keras_model()
    assert_configs_match(generated, runtime)
    generated.set_weights(set_comparable_weights(reference))
    assert_same_features(generated, reference, random_batch(reference, np.random.default_rng(2)))


# --- misuse: located errors ------------------------------------------------------------------

HEAD = "archgen: 1\nname: t\ninput: [8, 8, 4]\n"
SEQUENTIAL = HEAD + "blocks:\n  s:\n    sequential: true\n    seq:\n"

BAD = {
    "a_block_inside": (
        HEAD + "blocks:\n  inner:\n    seq: [relu]\n  s:\n    sequential: true\n"
        "    seq:\n      - inner\nmodel: [s]\n",
        "the sequential block 's' holds a block, not an op",
        10,
    ),
    "a_merge_inside": (
        SEQUENTIAL + "      - add: {a: [], b: [relu]}\nmodel: [s]\n",
        "the sequential block 's' holds a merge, not an op",
        8,
    ),
    "a_condition_inside": (
        SEQUENTIAL + "      - relu: {if: false}\nmodel: [s]\n",
        "cannot use 'if:'",
        8,
    ),
    "a_shape_read_inside": (
        SEQUENTIAL + '      - conv2d: {filters: "${in_channels}", kernel: 1}\nmodel: [s]\n',
        "cannot use the shape it receives",
        8,
    ),
    "no_layer": (SEQUENTIAL.replace("seq:\n", "seq: []\n") + "model: [s]\n", "holds no layer", 5),
    "not_a_bool": (
        HEAD + "blocks:\n  s:\n    sequential: yes please\n    seq: [relu]\nmodel: [s]\n",
        "sequential must be true or false",
        6,
    ),
    "a_merge_body": (
        HEAD + "blocks:\n  s:\n    sequential: true\n    add: {a: [], b: [relu]}\nmodel: [s]\n",
        "a sequential block needs a 'seq' body",
        6,
    ),
    "tensor_inputs": (
        HEAD
        + "blocks:\n  s:\n    sequential: true\n    inputs: [p]\n    seq: [relu]\nmodel: [s]\n",
        "a sequential block takes no 'inputs'",
        7,
    ),
    "an_output_inside": (
        HEAD + "blocks:\n  s:\n    sequential: true\n    seq: [relu, sigmoid]\n"
        "model:\n  - repeat: 1\n    seq: [s]\n  - flatten\noutputs: [flatten, s_1.relu]\n",
        "the output 's_1.relu' is a layer inside the keras.Sequential 's_1'",
        12,
    ),
    "layer_from_a_parameter": (
        HEAD + "params: {plain: false}\nmodel:\n  - add: {a: [], b: [relu]}\n    layer: $plain\n",
        "'add' 'layer' must be written as a value, not '$plain'",
        7,
    ),
    "layer_with_scale": (
        HEAD + "model:\n  - add: {a: [], b: [relu]}\n    scale: 0.5\n    layer: false\n",
        "'add' with scale is scaled_add, which takes no 'layer'",
        7,
    ),
    "three_paths": (
        HEAD + "model:\n  - add: {a: [], b: [relu], c: [sigmoid]}\n    layer: false\n",
        "add with layer: false is keras.ops.add, which sums two paths, not 3",
        5,
    ),
    "an_operation_as_output": (
        HEAD + "blocks:\n  r:\n    add: {a: [], b: [relu]}\n    layer: false\n"
        "model:\n  - repeat: 1\n    seq: [r]\n  - flatten\noutputs: [flatten, r_1]\n",
        "the output 'r_1' is add with layer: false, an operation of keras.ops",
        12,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_misuse_is_a_located_error(case, tmp_path):
    text, message, line = BAD[case]
    with pytest.raises(SpecError) as error:
        archgen.load(write_spec(tmp_path, text))
    assert message in error.value.message
    assert error.value.loc.line == line, error.value.render()
    assert error.value.hint
