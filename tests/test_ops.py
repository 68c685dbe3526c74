"""The op registry against Keras itself: every op complete, defaults, shapes and parameters.

`problems(op)` walks one declaration and lists what is missing or wrong in it; every op
of the registry must have none, and an op planted with one fault must show that fault.
The references are Keras' layers built from the declaration's own mapping, never
archgen's output.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np
import pytest

import archgen
from archgen.backends.keras_runtime import keras_arguments, layer_class
from archgen.errors import Loc, SpecError
from archgen.ir import Node
from archgen.ops import INTERNAL, REGISTRY, AttrError, ShapeError
from archgen.ops.base import OpDef, choice
from archgen.ops.table import BEGIN, END, markdown
from tests.conftest import ROOT, write_spec

HERE = Loc("test", 1, 1)
PROBE_INPUT = (8, 8, 3)  # every op's example attributes fit a map of this shape


def _normalize(value):
    if isinstance(value, (list, tuple)):
        return tuple(_normalize(v) for v in value)
    return value


def example_values(op: OpDef) -> dict:
    """Every attribute's normalized value: the example of a required one, else the default."""
    return {a.name: a.type(a.sample) for a in op.attrs}


def _declaration_problems(op: OpDef) -> list[str]:
    found = []
    for rule in ("shape", "params", "flops"):
        if not callable(getattr(op, rule)):
            found.append(f"no {rule} rule")
    if not op.family:  # diagrams colour it (a family without a colour of its own: grey)
        found.append("no family")
    for attr in op.attrs:
        try:
            attr.type(attr.sample)
        except (AttrError, TypeError) as exc:
            found.append(f"{attr.name}: its {'example' if attr.required else 'default'} {exc}")
    return found


def _keras_class_problems(op: OpDef, keras) -> tuple[list[str], type | None]:
    try:
        return [], layer_class(op, keras)
    except AttributeError:
        return [f"no Keras class {op.keras_class}"], None


def _rule_problems(op: OpDef, values: dict, cls, keras) -> list[str]:
    """Shape, parameters and FLOPs on the example, against the Keras layer built from it."""
    inputs = [] if op.name == "input" else [PROBE_INPUT] * (2 if op.merge else 1)
    shape = op.shape(values, inputs)
    trainable, non_trainable = op.params(values, inputs, shape)
    found = []
    if not (isinstance(op.flops(values, inputs, shape), int) and isinstance(trainable, int)):
        found.append("params or flops rule does not count in whole numbers")
    if not isinstance(op.key_attributes(values), str):
        found.append("no label")
    if op.name == "input":
        return found
    call = op.keras_call(values)
    layer = cls(*call.args, **dict(call.kwargs))
    tensors = [keras.Input(shape=s) for s in inputs]
    output = layer(tensors if op.merge else tensors[0])
    if tuple(output.shape[1:]) != shape:
        found.append(f"shape rule gives {shape}, Keras {tuple(output.shape[1:])}")
    if trainable + non_trainable != layer.count_params():
        found.append(f"params rule gives {trainable + non_trainable}, Keras {layer.count_params()}")
    return found


def _default_problems(op: OpDef, values: dict, cls) -> list[str]:
    """A back end omits an attribute the spec did not set: Keras' default must be ours."""
    call = op.keras_call(values)
    explicit = cls(*call.args, **dict(call.kwargs)).get_config()
    minimal = cls(*[values[a.name] for a in op.attrs if a.positional and a.required]).get_config()
    return [
        f"default of {attr.name} is {attr.default!r}, Keras' {minimal[attr.keras]!r}"
        for attr in op.attrs
        if attr.keras and not attr.required
        if _normalize(minimal[attr.keras]) != _normalize(explicit[attr.keras])
    ]


def _choice_problems(op: OpDef, values: dict, cls, keras) -> list[str]:
    """Every choice an attribute offers (activation names, paddings...) is one Keras takes."""
    found = []
    inputs = [keras.Input(shape=PROBE_INPUT)] * (2 if op.merge else 1)
    for attr in op.attrs:
        for option in attr.type.schema.get("enum", []) if attr.keras else []:
            call = op.keras_call({**values, attr.name: option})
            try:
                cls(*call.args, **dict(call.kwargs))(inputs if op.merge else inputs[0])
            except (ValueError, TypeError, KeyError) as exc:
                found.append(f"{attr.name}: Keras refuses {option!r} ({exc})")
    return found


def problems(op: OpDef, keras) -> list[str]:
    found = _declaration_problems(op)
    missing, cls = _keras_class_problems(op, keras)
    found += missing
    if found:  # the rest needs a whole declaration
        return found
    values = example_values(op)
    found += _rule_problems(op, values, cls, keras)
    if op.name != "input":
        found += _default_problems(op, values, cls)
        found += _choice_problems(op, values, cls, keras)
    return found


@pytest.mark.parametrize("op", REGISTRY.values(), ids=lambda op: op.name)
def test_every_op_is_declared_completely(op, keras):
    assert problems(op, keras) == []


CONV2D = REGISTRY["conv2d"]
PLANTED = [
    (dataclasses.replace(CONV2D, flops=None), "no flops rule"),
    (dataclasses.replace(CONV2D, params=REGISTRY["flatten"].params), "params"),
    (dataclasses.replace(CONV2D, keras_class="Conv9D"), "no Keras class Conv9D"),
    (
        dataclasses.replace(
            CONV2D, attrs=(dataclasses.replace(CONV2D.attrs[0], example=None), *CONV2D.attrs[1:])
        ),
        "filters: its example",
    ),
    (
        dataclasses.replace(
            REGISTRY["batch_norm"],
            attrs=tuple(
                dataclasses.replace(a, default=0.9) if a.name == "momentum" else a
                for a in REGISTRY["batch_norm"].attrs
            ),
        ),
        "default of momentum is 0.9",
    ),
    (dataclasses.replace(REGISTRY["max_pool"], shape=REGISTRY["flatten"].shape), "shape rule"),
    (
        dataclasses.replace(
            REGISTRY["activation"],
            attrs=(
                dataclasses.replace(REGISTRY["activation"].attrs[0], type=choice("relu", "rleu")),
            ),
        ),
        "function: Keras refuses 'rleu'",
    ),
]


@pytest.mark.parametrize(("op", "fault"), PLANTED, ids=[fault for _, fault in PLANTED])
def test_a_planted_incomplete_op_is_caught(op, fault, keras):
    assert any(fault in problem for problem in problems(op, keras)), problems(op, keras)


def test_op_declarations_cannot_leave_out_a_rule():
    """params and flops are required keywords: "no parameters" is said, not assumed."""
    declared = {f.name: f for f in dataclasses.fields(OpDef)}
    for rule in ("shape", "params", "flops", "keras_class"):
        assert declared[rule].default is dataclasses.MISSING, rule
    with pytest.raises(TypeError, match="flops"):
        OpDef(
            name="x",
            family="norm",
            help="",
            attrs=(),
            shape=CONV2D.shape,
            params=CONV2D.params,
            keras_class="Conv2D",
        )


def test_docs_op_table_is_the_registry():
    text = (ROOT / "docs" / "spec-language.md").read_text()
    committed = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert committed, "docs/spec-language.md lost its op table markers"
    assert committed.group(1) == markdown(), (
        "the op table is stale: run .venv/bin/python -m archgen.ops.table docs/spec-language.md"
    )
    for name in REGISTRY:
        assert (f"| `{name}` |" in markdown()) == (name not in INTERNAL)


# --- shapes and parameters over many settings ------------------------------------------------


def _node(op: str, **attrs) -> Node:
    definition = REGISTRY[op]
    values = {a.name: a.type(attrs.get(a.name, a.default)) for a in definition.attrs}
    return Node("probe", op, values, [], ("probe",), HERE, HERE)


CONV_CASES = list(
    itertools.product((1, 3, (1, 7), 5), (1, 2, 3), ("valid", "same"), (1, 2), (17, 32, 35))
)


@pytest.mark.parametrize("op", ["conv2d", "separable_conv2d", "depthwise_conv2d"])
def test_conv_shapes_and_params_match_keras(op, keras):
    checked = 0
    for kernel, strides, padding, dilation, size in CONV_CASES:
        if dilation > 1 and strides > 1:
            continue  # Keras refuses strides and dilation together
        attrs = {"kernel": kernel, "strides": strides, "padding": padding, "dilation": dilation}
        if op != "depthwise_conv2d":
            attrs["filters"] = 6
        node = _node(op, **attrs)
        shape = (size, size, 3)
        try:
            ours = REGISTRY[op].shape(node.attrs, [shape])
        except Exception:
            ours = None
        args, kwargs = keras_arguments(node)
        layer = layer_class(REGISTRY[op], keras)(*args, **kwargs)
        theirs = tuple(layer.compute_output_shape((None, *shape))[1:])
        if min(theirs) <= 0:
            assert ours is None, (attrs, size)
            continue
        assert ours == theirs, (attrs, size)
        layer.build((None, *shape))
        assert sum(REGISTRY[op].params(node.attrs, [shape], ours)) == layer.count_params()
        checked += 1
    assert checked > 80


@pytest.mark.parametrize("op", ["max_pool", "avg_pool"])
def test_pool_shapes_match_keras(op, keras):
    for size, strides, padding, n in itertools.product(
        (2, 3, (1, 3)), (None, 1, 2), ("valid", "same"), (7, 8, 35)
    ):
        node = _node(op, size=size, strides=strides, padding=padding)
        args, kwargs = keras_arguments(node)
        layer = layer_class(REGISTRY[op], keras)(*args, **kwargs)
        theirs = tuple(layer.compute_output_shape((None, n, n, 4))[1:])
        assert REGISTRY[op].shape(node.attrs, [(n, n, 4)]) == theirs


def test_batch_norm_params_split_like_keras(keras):
    for center, scale in itertools.product((True, False), repeat=2):
        node = _node("batch_norm", center=center, scale=scale)
        layer = keras.layers.BatchNormalization(center=center, scale=scale)
        layer.build((None, 4, 4, 10))
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        assert REGISTRY["batch_norm"].params(node.attrs, [(4, 4, 10)], (4, 4, 10)) == (
            trainable,
            layer.count_params() - trainable,
        )


@pytest.mark.parametrize(
    "settings", [{}, {"alpha": 0.3, "k": 1.0, "beta": 0.5, "n": 3}, {"n": 7, "alpha": 0.05}]
)
def test_lrn_computes_what_seed_003_and_tensorflow_compute(settings, keras):
    """archgen's LRN2D against the seed's (its Keras 3 port) and tf.nn's own LRN."""
    import numpy as np
    import tensorflow as tf

    from archgen.backends.custom_layers import LRN2D
    from tests.references.seed_models import LRN2D as SeedLRN2D

    x = np.random.default_rng(0).normal(0.0, 3.0, (2, 5, 4, 9)).astype(np.float32)
    ours = np.asarray(LRN2D(**settings)(x))
    np.testing.assert_array_equal(ours, np.asarray(SeedLRN2D(**settings)(x)))
    seed = {"alpha": 1e-4, "k": 2, "beta": 0.75, "n": 5, **settings}
    theirs = tf.nn.local_response_normalization(
        x, depth_radius=seed["n"] // 2, bias=seed["k"], alpha=seed["alpha"], beta=seed["beta"]
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5)
    assert np.abs(ours - x / seed["k"] ** seed["beta"]).max() > 1e-3  # the sum counts


def test_lrn_refuses_an_even_window(tmp_path):
    path = write_spec(tmp_path, "archgen: 1\nname: n\ninput: [4, 4, 8]\nmodel: [lrn: {n: 4}]\n")
    with pytest.raises(SpecError, match="must be odd, got 4") as error:
        archgen.load(path)
    assert error.value.loc.line == 4


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    ("kernel", "strides", "dilation"), [(2, 2, 1), (3, 2, 1), (1, 2, 1), (3, 1, 2), (4, 3, 1)]
)
def test_conv2d_transpose_shapes_and_parameters_are_keras_own(kernel, strides, dilation, padding):
    """Keras computes a transposed convolution's size as n * stride plus what a 'valid'
    kernel overhangs (not (n - 1) * stride + kernel: they differ for a 1x1 kernel)."""
    import keras

    op = REGISTRY["conv2d_transpose"]
    attrs = {a.name: a.default for a in op.attrs} | {
        "filters": 5,
        "kernel": (kernel, kernel),
        "strides": (strides, strides),
        "dilation": (dilation, dilation),
        "padding": padding,
    }
    layer = keras.layers.Conv2DTranspose(
        5, kernel, strides=strides, dilation_rate=dilation, padding=padding
    )
    model = keras.Sequential([keras.Input((7, 6, 3)), layer])
    assert op.shape(attrs, [(7, 6, 3)]) == tuple(model.output_shape[1:])
    assert sum(op.params(attrs, [(7, 6, 3)], None)) == layer.count_params()


# --- ConvNeXt's ops: grouped convolution, layer normalization, layer scale -------------------


@pytest.mark.parametrize(
    ("groups", "filters", "channels"), [(1, 6, 4), (2, 6, 4), (4, 8, 4), (12, 12, 12), (3, 9, 6)]
)
def test_grouped_conv2d_shapes_params_and_flops_match_keras(groups, filters, channels, keras):
    """A filter of a grouped convolution sees channels / groups inputs: weights and
    multiply-accumulates shrink by the number of groups (ConvNeXt: groups = channels)."""
    import numpy as np

    node = _node("conv2d", filters=filters, kernel=3, padding="same", groups=groups)
    shape = (9, 7, channels)
    args, kwargs = keras_arguments(node)
    layer = keras.layers.Conv2D(*args, **kwargs)
    model = keras.Sequential([keras.Input(shape), layer])
    out = REGISTRY["conv2d"].shape(node.attrs, [shape])
    assert out == tuple(model.output_shape[1:])
    assert sum(REGISTRY["conv2d"].params(node.attrs, [shape], out)) == layer.count_params()
    # MACs counted by hand: each output value sums 3 x 3 x (channels / groups) products
    assert REGISTRY["conv2d"].flops(node.attrs, [shape], out) == (
        9 * 7 * filters * 9 * (channels // groups)
    )
    # and it is the computation Keras does: group g of the output reads group g of the input
    x = np.random.default_rng(0).normal(size=(1, *shape)).astype(np.float32)
    per_group = channels // groups
    kernel = np.asarray(layer.kernel)
    first = x[..., :per_group]
    alone = keras.layers.Conv2D(filters // groups, 3, padding="same", use_bias=False)
    alone.build((None, *first.shape[1:]))
    alone.kernel.assign(kernel[..., : filters // groups])
    grouped = (
        np.asarray(model(x))[..., : filters // groups] - np.asarray(layer.bias)[: filters // groups]
    )
    np.testing.assert_allclose(grouped, np.asarray(alone(first)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("groups", "filters", "channels"), [(4, 6, 8), (3, 9, 8)])
def test_grouped_conv2d_that_keras_refuses_is_a_shape_error(groups, filters, channels, keras):
    node = _node("conv2d", filters=filters, kernel=1, groups=groups)
    with pytest.raises(ShapeError, match=f"groups {groups} needs"):
        REGISTRY["conv2d"].shape(node.attrs, [(5, 5, channels)])
    with pytest.raises(ValueError, match="divisible"):  # Keras: at creation or when built
        keras.Sequential(
            [keras.Input((5, 5, channels)), keras.layers.Conv2D(filters, 1, groups=groups)]
        )


@pytest.mark.parametrize("shape", [(6, 5, 7), (11,)])
@pytest.mark.parametrize(("center", "scale"), [(True, True), (False, True), (True, False)])
def test_layer_norm_params_and_output_match_keras(shape, center, scale, keras):
    import numpy as np

    node = _node("layer_norm", epsilon=1e-6, center=center, scale=scale)
    args, kwargs = keras_arguments(node)
    layer = keras.layers.LayerNormalization(*args, **kwargs)
    model = keras.Sequential([keras.Input(shape), layer])
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert REGISTRY["layer_norm"].params(node.attrs, [shape], shape) == (trainable, 0)
    assert trainable == (center + scale) * shape[-1]
    assert REGISTRY["layer_norm"].shape(node.attrs, [shape]) == tuple(model.output_shape[1:])
    # over the last axis, with that epsilon: (x - mean) / sqrt(var + eps), by hand
    x = np.random.default_rng(1).normal(2.0, 3.0, (2, *shape)).astype(np.float32)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(model(x), (x - mean) / np.sqrt(var + 1e-6), rtol=1e-4, atol=1e-5)


def test_layer_scale_is_keras_applications_own_layer_scale(keras):
    """archgen's LayerScale against the class keras.applications' ConvNeXt defines (and
    Keras does not export): the same weight, config, output and class name."""
    import numpy as np
    from keras.src.applications.convnext import LayerScale as KerasLayerScale

    from archgen.backends.custom_layers import LayerScale

    ours, theirs = LayerScale(0.25, 5, name="s"), KerasLayerScale(0.25, 5, name="s")
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(ours(x), theirs(x))
    np.testing.assert_array_equal(ours(x), x * 0.25)
    # one weight each, unnamed in both (Keras numbers it: variable_1, variable_2)
    assert [(tuple(w.shape), w.trainable) for w in ours.weights] == [
        (tuple(w.shape), w.trainable) for w in theirs.weights
    ]
    assert ours.get_config() == theirs.get_config()
    assert type(ours).__name__ == type(theirs).__name__ == REGISTRY["layer_scale"].keras_class
    node = _node("layer_scale", init_values=0.25, projection_dim=5)
    assert REGISTRY["layer_scale"].params(node.attrs, [(3, 4, 5)], (3, 4, 5)) == (
        theirs.count_params(),
        0,
    )


def test_layer_scale_of_other_channels_is_a_shape_error():
    node = _node("layer_scale", init_values=1e-6, projection_dim=96)
    with pytest.raises(ShapeError, match="projection_dim 96 but receives 192 channels"):
        REGISTRY["layer_scale"].shape(node.attrs, [(7, 7, 192)])


# --- normalization: statistics as weights, or fixed ------------------------------------------

NORMALIZATION_CASES = [
    ({}, 1),
    ({}, 3),  # EfficientNet's: 3 means, 3 variances and a count, non-trainable
    ({}, 10),
    ({"mean": 0.5, "variance": 2.0}, 3),
    ({"mean": [123.675, 116.28, 103.53], "variance": [3409.98, 3262.69, 3291.89]}, 3),  # ConvNeXt
    ({"mean": [1.0], "variance": [4.0]}, 5),  # one value for every channel
]


@pytest.mark.parametrize(("statistics", "channels"), NORMALIZATION_CASES)
def test_normalization_shapes_and_parameters_are_keras_own(statistics, channels, keras):
    op = REGISTRY["normalization"]
    node = _node("normalization", **statistics)
    args, kwargs = keras_arguments(node)
    layer = keras.layers.Normalization(*args, **kwargs)
    model = keras.Sequential([keras.Input((4, 5, channels)), layer])
    assert op.shape(node.attrs, [(4, 5, channels)]) == tuple(model.output_shape[1:])
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
    assert op.params(node.attrs, [(4, 5, channels)], None) == (trainable, non_trainable)


NORMALIZATION_SPEC = """archgen: 1
name: n
input: [3, 4, 3]
model: [normalization: {STATISTICS}]
"""


def _normalized_by_hand(x, mean, variance):
    return (x - np.asarray(mean)) / np.sqrt(np.asarray(variance))


def test_normalization_with_fixed_statistics_computes_them(tmp_path):
    text = NORMALIZATION_SPEC.replace("STATISTICS", "mean: [1, -2, 0.5], variance: [4, 0.25, 9]")
    model = archgen.load(write_spec(tmp_path, text)).keras_model()
    x = np.random.default_rng(0).normal(0.0, 3.0, (2, 3, 4, 3)).astype(np.float32)
    expected = _normalized_by_hand(x, [1, -2, 0.5], [4, 0.25, 9])
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-6)


def test_normalization_statistics_as_weights_load_like_keras(tmp_path):
    from tests.keras_compare import load_weights

    text = NORMALIZATION_SPEC.replace("STATISTICS", "")
    model = archgen.load(write_spec(tmp_path, text)).keras_model()
    mean, variance = np.array([1, -2, 0.5], np.float32), np.array([4, 0.25, 9], np.float32)
    # Keras' order: mean, variance, count (kept for old weight files)
    load_weights(model, [mean, variance, np.array(7)])
    x = np.random.default_rng(0).normal(0.0, 3.0, (2, 3, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), _normalized_by_hand(x, mean, variance), 1e-6)


@pytest.mark.parametrize(
    ("statistics", "message", "column"),
    [
        # each is refused by Keras too (when it makes or builds the layer), but with a
        # traceback; a negative variance Keras takes, and answers NaN. The item is blamed,
        # or the value when the value alone is wrong.
        ("mean: [1, 2, 3]", "takes mean and variance together, or neither", 5),
        ("mean: [1, 2], variance: [1, 2]", "statistics have 2 values for 3 channels", 5),
        ("mean: 0.5, variance: [2]", "mean is a number and its variance a list of 1", 5),
        ("mean: [0, 0, 0], variance: [1, -1, 1]", "variance cannot be negative", 5),
        ("mean: [], variance: []", "one number per channel, got an empty list", 27),
    ],
)
def test_normalization_refuses_statistics_that_do_not_fit(statistics, message, column, tmp_path):
    text = NORMALIZATION_SPEC.replace("model: [normalization: {STATISTICS}]", "model:\n  - relu")
    text += f"  - normalization: {{{statistics}}}\n"
    with pytest.raises(SpecError, match=re.escape(message)) as error:
        archgen.load(write_spec(tmp_path, text))
    assert (error.value.loc.line, error.value.loc.col) == (6, column)
