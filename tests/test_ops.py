"""The op registry against Keras itself: defaults, shapes and parameter counts."""

from __future__ import annotations

import itertools

import pytest

from archgen.backends.keras_runtime import keras_arguments, layer_class
from archgen.errors import Loc
from archgen.ir import Node
from archgen.ops import REGISTRY

HERE = Loc("test", 1, 1)
REQUIRED_VALUES = {
    "filters": 4,
    "kernel": 3,
    "units": 5,
    "rate": 0.5,
    "function": "relu",
    "height": 4,
    "width": 6,
    "scale": 0.5,
    "shape": (8, 8, 3),
    "size": 3,
}


def _normalize(value):
    if isinstance(value, list):
        return tuple(_normalize(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_normalize(v) for v in value)
    return value


@pytest.mark.parametrize(
    "op", [op for op in REGISTRY.values() if op.name != "input"], ids=lambda op: op.name
)
def test_defaults_are_keras_defaults(op, keras):
    """A back end may omit an attribute the spec did not set only if Keras' default is ours."""
    required = {a.name: REQUIRED_VALUES[a.name] for a in op.attrs if a.required}
    node = Node(
        "probe",
        op.name,
        {a.name: a.type(required.get(a.name, a.default)) for a in op.attrs},
        [],
        ("probe",),
        HERE,
        HERE,
    )
    args, kwargs = keras_arguments(node)
    explicit = layer_class(op.name, keras)(*args, **kwargs).get_config()
    positional = [a for a in op.attrs if a.positional]
    minimal = layer_class(op.name, keras)(*[required[a.name] for a in positional if a.required])
    minimal = minimal.get_config()
    for attr in op.attrs:
        if attr.keras and not attr.required:
            assert _normalize(minimal[attr.keras]) == _normalize(explicit[attr.keras]), attr.name


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
        layer = layer_class(op, keras)(*args, **kwargs)
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
        theirs = tuple(
            layer_class(op, keras)(*args, **kwargs).compute_output_shape((None, n, n, 4))[1:]
        )
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
