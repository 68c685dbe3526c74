"""Helpers for comparing Keras models weight for weight."""

from __future__ import annotations

import numpy as np


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
