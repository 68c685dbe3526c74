"""Layers archgen needs that keras.layers does not have.

This file is the one definition of each: the runtime builder imports it, and the
Python source generator copies the classes it needs into the generated module
(read as text, so generating source never imports Keras). Keep each class
standalone: it may use only `keras` and `layers`.
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
