"""The runtime back end: Graph IR -> keras.Model, one Keras layer per IR node.

Each layer is made from its op's registry entry (class and keyword arguments),
the one place that says how an op maps to Keras; layer names are the IR's
scope-path names. TensorFlow is imported here and only here, on first use.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from archgen.ir import Node
from archgen.ops import REGISTRY, OpDef


def keras_arguments(node: Node) -> tuple[list, dict]:
    """Positional and keyword arguments of the node's Keras layer (without `name`)."""
    call = REGISTRY[node.op].keras_call(node.attrs)
    return list(call.args), dict(call.kwargs)


def import_keras():
    """Keras, imported on first use, without TensorFlow's start-up log lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def layer_class(op: OpDef, keras):
    """The Keras layer class an op declares: in keras.layers, or archgen's own."""
    if op.custom_layer:
        from archgen.backends import custom_layers

        return getattr(custom_layers, op.keras_class)
    return getattr(keras.layers, op.keras_class)


@contextmanager
def recursion_room(layers: int):
    """Python's recursion limit raised to fit a graph of `layers`, for the block inside.

    keras.Model walks the functional graph recursively (Functional's _build_map_helper,
    one Python frame per layer on the longest path), so a chain of some 990 layers ended
    in a RecursionError under the default limit of 1,000. Its frames are Python frames,
    which Python 3.11 runs without growing the C stack, so a higher limit is safe; the
    layer limit (archgen.limits.MAX_LAYERS) bounds it."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, layers + 1000))  # + the frames below and above ours
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def build_model(arch):
    return build_model_and_tensors(arch)[0]


def build_model_and_tensors(arch):
    """The keras.Model, and the output tensor of every IR node but those inside a
    keras.Sequential (which has only its own output in the model)."""
    with recursion_room(len(arch.graph)):
        return _build_model(arch)


def _build_model(arch):
    keras = import_keras()

    tensors = {}
    containers = arch.graph.containers
    for node in arch.graph:
        if node.op == "input":
            tensors[node.name] = keras.Input(shape=node.shape, name=node.name)
            continue
        if node.container is not None:  # a sequential block: its layers, made at its first
            inside = containers[node.container]
            if node is inside[0]:
                sequential = keras.Sequential(
                    [_layer(n, keras) for n in inside], name=node.container
                )
                tensors[inside[-1].name] = sequential(tensors[node.inputs[0]])
            continue
        inputs = [tensors[name] for name in node.inputs]
        operation = REGISTRY[node.op].operation(node.attrs)
        if operation is not None:  # keras.ops.add(a, b): no layer, so no name of ours
            tensors[node.name] = getattr(keras.ops, operation)(*inputs)
            continue
        tensors[node.name] = _layer(node, keras)(inputs if REGISTRY[node.op].merge else inputs[0])
    inputs = [tensors[node.name] for node in arch.graph if node.op == "input"]
    outputs = [tensors[name] for name in arch.graph.outputs]
    model = keras.Model(
        inputs[0] if len(inputs) == 1 else inputs,
        outputs[0] if len(outputs) == 1 else outputs,
        name=arch.name,
    )
    return model, tensors


def _layer(node: Node, keras):
    """The Keras layer of one node, named like it."""
    args, kwargs = keras_arguments(node)
    return layer_class(REGISTRY[node.op], keras)(*args, name=node.name, **kwargs)
