"""U-Net (Ronneberger et al. 2015), written by hand in Keras 3 from the paper, as the
reference for specs/unet.yaml.

The paper's network (Figure 1): a contracting path of four steps, each two 3x3
convolutions with ReLU then a 2x2 max pooling that halves the map, with 64 filters
doubling at each step; a bottleneck of two 3x3 convolutions with 1024 filters; an
expansive path of four steps, each a 2x2 up-convolution that halves the filters, a
concatenation with the contracting path's map of the same scale, and two 3x3
convolutions with ReLU; then a 1x1 convolution to the classes. As most Keras ports do,
the convolutions use 'same' padding, so no cropping is needed and any input whose side
is a multiple of 16 works (the paper's 'valid' convolutions need 572 x 572 tiles).
"""

import keras
from keras import layers


def _double_conv(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


def unet(input_shape=(256, 256, 1), filters=64, classes=2):
    inputs = keras.Input(input_shape)
    skips = []
    x = inputs
    for level in range(4):
        x = _double_conv(x, filters * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = _double_conv(x, filters * 16)
    for level in reversed(range(4)):
        x = layers.Conv2DTranspose(filters * 2**level, 2, strides=2)(x)
        x = layers.Concatenate()([x, skips[level]])
        x = _double_conv(x, filters * 2**level)
    outputs = layers.Conv2D(classes, 1, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="unet")
