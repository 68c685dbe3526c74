"""Helpers for comparing Keras models: layer for layer, weight for weight, output for output.

Every "same model" test uses these, so that each comparison can fail:

- `set_comparable_weights` gives a model weights under which a wrong layer cannot hide (a
  freshly initialised network answers nearly the same whatever it is given), and returns
  them for copying into the models compared with it;
- `assert_same_features` compares what the classifiers see (and every output) relative
  to its scale;
- `assert_configs_match` compares two models layer by layer: class, `get_config()` and
  which layers feed each one, in order.
"""

from __future__ import annotations

import numpy as np

# layers of archgen that stand for a keras.applications class of another name
KERAS_CLASS_OF_CUSTOM = {"ScaledAdd": "CustomScaleLayer"}

# The relative tolerance of every output comparison: max |ours - theirs| / max |theirs|.
# Two builds of the same network run the same float32 operations in the same order, so
# the difference measured is 0; 1e-5 leaves room for a reordered sum, not for a wrong layer.
RELATIVE_TOLERANCE = 1e-5


def weight_count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def weight_shapes(model) -> list:
    return [tuple(w.shape) for w in model.weights]


def assert_layers_match(arch, reference) -> None:
    """archgen's summary lists the reference's layers one for one, in keras.Model order:
    the same class, output shape and parameter count (a keras.Sequential's layers too)."""
    ours = arch.summary()["layers"]
    theirs = reference.layers
    assert len(ours) == len(theirs)
    for mine, layer in zip(ours, theirs, strict=True):
        keras_class = _keras_class(mine)
        if keras_class == "Sequential":
            inner = [(_keras_class(m), m["params"]) for m in mine["layers"]]
            assert inner == [(type(x).__name__, x.count_params()) for x in layer.layers]
        assert keras_class == type(layer).__name__, mine["name"]
        assert tuple(mine["output_shape"]) == tuple(layer.output.shape[1:]), mine["name"]
        assert mine["params"] == layer.count_params(), mine["name"]


def _keras_class(layer: dict) -> str:
    return KERAS_CLASS_OF_CUSTOM.get(layer["class"], layer["class"])


# --- weights under which a wrong layer shows ---------------------------------------------


def set_comparable_weights(model, seed: int = 0) -> list[np.ndarray]:
    """Give `model` weights under which every layer matters, and return them (in
    `get_weights()` order) to copy into the models compared with it.

    Fresh weights hide faults: every batch norm starts at mean 0, variance 1, gamma 1,
    beta 0, the same for every channel, so statistics swapped between channels or layers
    change nothing. Random constants are not enough either. Measured on InceptionV3 at
    75 x 75 with standard normal images, comparing avg_pool: with random statistics alone
    (mean ~ N(0, 0.5), variance ~ U(0.5, 2)) the constant offsets drown the signal, the
    features of two images differ by 7e-5 (relative) and a 5% change of one stem kernel
    moves them by 2e-6, under the 1e-5 tolerance; on VGG16, random biases over Glorot
    kernels (which shrink the signal layer after layer) leave that change at 1.3e-5. So:

    - kernels are He-normal (standard deviation sqrt(2 / fan_in)), which keeps the
      signal's scale through ReLU stacks (VGG, LeNet and AlexNet have no batch norm);
    - every array of zeros (biases) becomes N(0, 0.05), so that two layers of the same
      shape cannot trade places unnoticed;
    - batch norm gets gamma ~ U(0.5, 1.5) and beta ~ N(0, 0.25), then moving statistics
      measured on a batch of random images (one training-mode pass with momentum 0), so
      that every layer sees its input at the data's scale, then randomised around that:
      mean + N(0, 0.5) standard deviations, variance x U(0.5, 2);
    - every other trainable array of one constant (a layer normalization's gamma of ones;
      ConvNeXt's layer scale of 1e-6, which would make each residual block the identity
      to within 1e-6) becomes U(0.5, 1.5), so that every residual path counts;
    - layers inside a nested model (a keras.Sequential) are treated as the others.

    With these, InceptionV3's features of two images differ by 0.21 and the 5% kernel
    change moves them by 0.014 (VGG16: 0.12 and 0.003; Xception: 0.32 and 0.006).
    """
    import keras

    rng = np.random.default_rng(seed)
    layers = list(_all_layers(model))
    batch_norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        for name in ("kernel", "pointwise_kernel", "depthwise_kernel"):
            variable = getattr(layer, name, None)
            if variable is None:
                continue
            shape = tuple(variable.shape)
            # a depthwise kernel (h, w, channels, multiplier) sees h * w inputs per output
            fan_in = np.prod(shape[:-2] if name == "depthwise_kernel" else shape[:-1])
            variable.assign(rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32))
        for variable in layer.weights:
            value = np.asarray(variable)
            if np.all(value == 0):
                variable.assign(rng.normal(0.0, 0.05, value.shape).astype(np.float32))
            elif _constant(variable) and layer not in batch_norms:  # those come below
                variable.assign(rng.uniform(0.5, 1.5, value.shape).astype(np.float32))
    _randomise_normalization_statistics(model, rng)
    for layer in batch_norms:
        channels = layer.moving_mean.shape[-1]
        if layer.gamma is not None:
            layer.gamma.assign(rng.uniform(0.5, 1.5, channels).astype(np.float32))
        if layer.beta is not None:
            layer.beta.assign(rng.normal(0.0, 0.25, channels).astype(np.float32))
    if batch_norms:
        _measure_batch_norm_statistics(model, batch_norms, rng)
        for layer in batch_norms:
            channels = layer.moving_mean.shape[-1]
            mean = np.asarray(layer.moving_mean)
            variance = np.asarray(layer.moving_variance)
            shift = rng.normal(0.0, 0.5, channels) * np.sqrt(variance + layer.epsilon)
            layer.moving_mean.assign((mean + shift).astype(np.float32))
            layer.moving_variance.assign(
                (variance * rng.uniform(0.5, 2.0, channels)).astype(np.float32)
            )
    return [np.asarray(w) for w in model.get_weights()]


def _all_layers(model):
    """Every layer of `model`, those of a nested model (a keras.Sequential) in its place."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
        else:
            yield layer


def _constant(variable) -> bool:
    """A trainable array of one value repeated (not a scalar, not zeros)."""
    value = np.asarray(variable)
    return variable.trainable and value.size > 1 and np.all(value == value.flat[0])


def _randomise_normalization_statistics(model, rng) -> None:
    """Input normalizations whose statistics are weights (EfficientNet's) get a mean
    ~ N(0, 0.5) and a variance ~ U(0.5, 2) per channel: fresh, they are 0 and 1, the
    identity, which a dropped or misplaced normalization would equal."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization) and layer.input_mean is None:
            shape = tuple(layer.adapt_mean.shape)
            layer.adapt_mean.assign(rng.normal(0.0, 0.5, shape).astype(np.float32))
            layer.adapt_variance.assign(rng.uniform(0.5, 2.0, shape).astype(np.float32))
    finalize_statistics(model)


def finalize_statistics(model) -> None:
    """Make Keras' Normalization use the statistics its weights hold.

    Normalization computes its mean and variance tensors from its weights when it is
    built (or loaded from a file): `set_weights` changes the weights but the layer goes on
    computing with the old tensors until `finalize_state()` is called."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()


def load_weights(model, weights) -> None:
    """`model.set_weights(weights)`, then every layer computes with them (see
    `finalize_statistics`)."""
    model.set_weights(weights)
    finalize_statistics(model)


def _measure_batch_norm_statistics(model, batch_norms, rng) -> None:
    """One training-mode pass over random images with momentum 0: each batch norm's moving
    statistics become those of its input on that batch."""
    momenta = [layer.momentum for layer in batch_norms]
    for layer in batch_norms:
        layer.momentum = 0.0
    try:
        model(random_batch(model, rng, size=4), training=True)
    finally:
        for layer, momentum in zip(batch_norms, momenta, strict=True):
            layer.momentum = momentum


def random_batch(model, rng: np.random.Generator, size: int = 2) -> np.ndarray:
    """Standard normal images of the model's input shape (the scale of preprocessed images)."""
    shape = tuple(model.inputs[0].shape[1:])
    return rng.standard_normal((size, *shape)).astype(np.float32)


# --- comparing outputs ---------------------------------------------------------------------


def probe(model):
    """`model` answering, for one input, its features then its outputs. The features are
    the inputs of its output layers: what each classifier sees (for InceptionV3,
    `avg_pool`; for a network ending in a softmax layer of its own, the logits). A
    softmax of 1000 classes hides what feeds it: fresh, all its outputs sit near 0.001."""
    import keras

    producers = {id(layer.output): layer for layer in model.layers}
    features = [producers[id(output)].input for output in model.outputs]
    return keras.Model(model.inputs[0], [*features, *model.outputs])


def relative_difference(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours - theirs| / max |theirs|: the difference relative to the scale of the output."""
    assert ours.shape == theirs.shape
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))
    scale = np.abs(theirs).max()
    assert scale > 0, "an all-zero output compares nothing"
    return float(np.abs(ours - theirs).max() / scale)


def assert_same_features(ours, theirs, batch: np.ndarray) -> list[float]:
    """`ours` and `theirs` (holding the same weights) give the same features and outputs
    for `batch`, to RELATIVE_TOLERANCE of each one's scale. Returns the relative
    differences, features first."""
    mine = [np.asarray(t) for t in probe(ours)(batch, training=False)]
    their = [np.asarray(t) for t in probe(theirs)(batch, training=False)]
    assert len(mine) == len(their) == 2 * len(theirs.outputs)
    for features in their[: len(theirs.outputs)]:
        # the comparison can fail only if the features depend on the input
        assert relative_difference(features[0], features[1]) > 1e-3, "features ignore the input"
    differences = [relative_difference(a, b) for a, b in zip(mine, their, strict=True)]
    # relative tolerance: max |ours - theirs| <= 1e-5 * max |theirs|, output by output
    assert max(differences) <= RELATIVE_TOLERANCE, (
        f"relative differences {differences} exceed {RELATIVE_TOLERANCE}"
    )
    return differences


# --- comparing configurations ------------------------------------------------------------


def assert_configs_match(ours, theirs) -> None:
    """`ours` and `theirs` are the same network, layer by layer: the same class, the same
    `get_config()` (every attribute, dtype policy and initialisers included), the same
    input layers feeding it in the same order, the same order of layers, and the same
    model name, inputs and outputs.

    The one thing left out is the Python module of a layer class that a generated module
    defines itself (archgen's ScaledAdd): it is the generated module, not
    archgen.backends.custom_layers, by design (the generated source imports only Keras).
    Its class name and config are still compared."""
    mine = ours.get_config()
    their = theirs.get_config()
    my_layers = {layer["name"]: layer for layer in mine["layers"]}
    their_layers = {layer["name"]: layer for layer in their["layers"]}
    assert set(my_layers) == set(their_layers), "not the same layer names"
    # layer by layer first, so that a difference names the layer it is in
    for name, b in their_layers.items():
        a = my_layers[name]
        if _own_class(a) and _own_class(b):
            a, b = dict(a), dict(b)
            del a["module"], b["module"]
        assert a == b, f"layer {name}: {_first_difference(a, b)}"
    assert list(my_layers) == list(their_layers), "the same layers in another order"
    # the model's own entries: its name, input and output layers
    for key in sorted((set(mine) | set(their)) - {"layers"}):
        assert mine.get(key) == their.get(key), f"model {key}"


def _own_class(layer_config: dict) -> bool:
    return not str(layer_config.get("module")).startswith("keras")


def _first_difference(a: dict, b: dict) -> str:
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            if isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
                return f"{key}.{_first_difference(a[key], b[key])}"
            return f"{key}: {a.get(key)!r} != {b.get(key)!r}"
    return "equal"
