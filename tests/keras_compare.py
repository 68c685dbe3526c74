"""Helpers for comparing Keras models weight for weight."""

from __future__ import annotations

import numpy as np

from archgen.ops import REGISTRY

# layers of archgen that stand for a keras.applications class of another name
KERAS_CLASS_OF_CUSTOM = {"ScaledAdd": "CustomScaleLayer"}


def weight_count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def weight_shapes(model) -> list:
    return [tuple(w.shape) for w in model.weights]


def distinguishable(weights: list, rng: np.random.Generator) -> list:
    """The weights, with every constant array (zero biases, fresh batch-norm statistics)
    made random, so that two layers of the same shape cannot trade places unnoticed.
    Arrays of ones stay positive: some are variances."""
    out = []
    for w in weights:
        if np.all(w == 1):
            w = rng.uniform(0.5, 1.5, w.shape)
        elif np.all(w == 0):
            w = rng.normal(0.0, 0.05, w.shape)
        out.append(np.asarray(w, dtype=np.float32))
    return out


def assert_layers_match(arch, reference) -> None:
    """archgen's summary lists the reference's layers one for one, in keras.Model order:
    the same class, output shape and parameter count."""
    ours = arch.summary()["layers"]
    theirs = reference.layers
    assert len(ours) == len(theirs)
    for mine, layer in zip(ours, theirs, strict=True):
        keras_class = REGISTRY[mine["op"]].keras_class
        keras_class = KERAS_CLASS_OF_CUSTOM.get(keras_class, keras_class)
        assert keras_class == type(layer).__name__, mine["name"]
        assert tuple(mine["output_shape"]) == tuple(layer.output.shape[1:]), mine["name"]
        assert mine["params"] == layer.count_params(), mine["name"]
