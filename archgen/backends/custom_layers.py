"""Layers archgen needs that keras.layers does not have.

This file is the one definition of each: the runtime builder imports it, and the
Python source generator copies the classes it needs into the generated module
(read as text, so generating source never imports Keras). Keep each class
standalone: it may use only `keras` (with `keras.ops`) and `layers`.
"""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="archgen")
class ScaledAdd(layers.Layer):
    """inputs[0] + scale * inputs[1]: the scaled residual sum of Inception-ResNet.

    The same computation, and the same place in the graph, as keras.applications'
    CustomScaleLayer, so weight files line up layer for layer.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="archgen")
class LRN2D(layers.Layer):
    """Local response normalization across channels (AlexNet; seed 003's GoogLeNet):
    x / (k + alpha * sum of x**2 over the n channels centred on x) ** beta. No weights.

    The same computation as seed 003's LRN2D (from pylearn2), on the last axis: the
    squares padded with n // 2 zero channels on each side, summed one shifted slice at
    a time in the seed's order. Like the seed, it refuses an even n.
    """

    def __init__(self, alpha=1e-4, k=2, beta=0.75, n=5, **kwargs):
        if n % 2 == 0:
            raise ValueError(f"LRN2D needs an odd n, got {n}")
        super().__init__(**kwargs)
        self.alpha = alpha
        self.k = k
        self.beta = beta
        self.n = n

    def call(self, inputs):
        channels = inputs.shape[-1]
        half = self.n // 2
        padding = [[0, 0]] * (len(inputs.shape) - 1) + [[half, half]]
        squares = keras.ops.pad(keras.ops.square(inputs), padding)
        scale = self.k
        for i in range(self.n):
            scale = scale + self.alpha * squares[..., i : i + channels]
        return inputs / scale**self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"alpha": self.alpha, "k": self.k, "beta": self.beta, "n": self.n}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="archgen")
class LayerScale(layers.Layer):
    """x * gamma: one learned factor per channel, starting at init_values (ConvNeXt's layer
    scale, Touvron et al. 2021).

    keras.applications' ConvNeXt defines this class but Keras does not export it; this is
    the same computation, the same weight (gamma, of projection_dim values) and the same
    config under the same class name, so models and weight files line up layer for layer.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=keras.initializers.Constant(self.init_values),
            trainable=True,
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = {"init_values": self.init_values, "projection_dim": self.projection_dim}
        return {**super().get_config(), **config}
