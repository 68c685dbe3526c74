"""Inception-v4 from the paper, in Keras 3: an independent reference for specs/inception_v4.yaml.

Szegedy, Ioffe, Vanhoucke, Alemi 2016, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning" (arXiv:1602.07261). Figure numbers below are the paper's:
Figure 9 (the whole network), 3 (stem), 4 (Inception-A), 7 (Reduction-A, with k, l, m, n =
192, 224, 256, 384 from Table 1), 5 (Inception-B), 8 (Reduction-B), 6 (Inception-C). Input
299x299x3, 1000 classes.

What the figures leave open, and how it is read here:

* Paddings: the paper's convention, "convolutions marked with V are valid padded", all
  others 'same'. The stem's last 3x3 convolution (192 filters) is drawn without "stride 2"
  in Figure 3, but its concat partner is a stride-2 max pool and the output is 35x35, so it
  has stride 2 (as in every implementation).
* The convolution unit: Conv2D without bias, BatchNormalization without scale (gamma),
  epsilon 0.001, momentum 0.9997, then ReLU - the TF-slim definition that the paper's
  released checkpoint was trained with (tensorflow/models research/slim/nets/inception_v4.py,
  inception_v4_arg_scope), as ported to Keras by kentsommer/keras-inceptionV4
  (inception_v4.py, conv2d_bn). timm (pytorch-image-models timm/models/inception_v4.py)
  uses the same convolution but a BN with an affine scale.
* Branch order in each concatenation: the figures' left-to-right order (pooling branch
  first), which is also seed 001's. TF-slim, kentsommer and timm put the pooling branch last
  (1x1, 3x3, double 3x3, pool in Inception-A): the same weights, channels permuted.
* Kernel order inside factorized towers, as drawn: stem 7x1 then 1x7 (TF-slim/timm: 1x7
  then 7x1); Inception-B's 7x7 tower 1x7 then 7x1, its double tower 1x7, 7x1, 1x7, 7x1
  (TF-slim/timm start that one with 7x1); Inception-C's double tower 1x3 (448) then 3x1
  (512) (TF-slim/timm: 3x1 then 1x3), each tower ending in a 1x3 | 3x1 split. Parameter
  counts do not depend on these orders.
* Head (Figure 9): "Average Pooling", "Dropout (keep 0.8)", "Softmax". Average pooling is
  global average pooling here (as in timm), which equals TF-slim's 8x8 'valid' pool at
  299x299 but also accepts smaller inputs; dropout rate 0.2; a softmax Dense layer of 1000
  classes (TF-slim's checkpoint has 1001, with a background class).

Every ``keras.Model`` returned is uncompiled.
"""

import keras
from keras import layers


def conv_bn(x, filters, kernel_size, strides=1, padding="same"):
    """Convolution (no bias) -> BatchNormalization (no scale) -> ReLU."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization(scale=False, epsilon=0.001, momentum=0.9997)(x)
    return layers.Activation("relu")(x)


def _max_pool(x):
    return layers.MaxPooling2D(3, strides=2, padding="valid")(x)


def _avg_pool(x):
    return layers.AveragePooling2D(3, strides=1, padding="same")(x)


def stem(x):
    """Figure 3: 299x299x3 -> 35x35x384."""
    x = conv_bn(x, 32, 3, strides=2, padding="valid")  # 149x149x32
    x = conv_bn(x, 32, 3, padding="valid")  # 147x147x32
    x = conv_bn(x, 64, 3)  # 147x147x64
    x = layers.concatenate([_max_pool(x), conv_bn(x, 96, 3, strides=2, padding="valid")])
    # 73x73x160
    b0 = conv_bn(conv_bn(x, 64, 1), 96, 3, padding="valid")
    b1 = conv_bn(x, 64, 1)
    b1 = conv_bn(b1, 64, (7, 1))
    b1 = conv_bn(b1, 64, (1, 7))
    b1 = conv_bn(b1, 96, 3, padding="valid")
    x = layers.concatenate([b0, b1])  # 71x71x192
    return layers.concatenate([conv_bn(x, 192, 3, strides=2, padding="valid"), _max_pool(x)])


def inception_a(x):
    """Figure 4: 35x35x384 -> 35x35x384."""
    b0 = conv_bn(_avg_pool(x), 96, 1)
    b1 = conv_bn(x, 96, 1)
    b2 = conv_bn(conv_bn(x, 64, 1), 96, 3)
    b3 = conv_bn(conv_bn(conv_bn(x, 64, 1), 96, 3), 96, 3)
    return layers.concatenate([b0, b1, b2, b3])


def reduction_a(x, k=192, l=224, m=256, n=384):  # noqa: E741 - the paper's names
    """Figure 7 with Table 1's Inception-v4 row: 35x35x384 -> 17x17x1024."""
    b1 = conv_bn(x, n, 3, strides=2, padding="valid")
    b2 = conv_bn(conv_bn(conv_bn(x, k, 1), l, 3), m, 3, strides=2, padding="valid")
    return layers.concatenate([_max_pool(x), b1, b2])


def inception_b(x):
    """Figure 5: 17x17x1024 -> 17x17x1024."""
    b0 = conv_bn(_avg_pool(x), 128, 1)
    b1 = conv_bn(x, 384, 1)
    b2 = conv_bn(conv_bn(conv_bn(x, 192, 1), 224, (1, 7)), 256, (7, 1))
    b3 = conv_bn(x, 192, 1)
    b3 = conv_bn(b3, 192, (1, 7))
    b3 = conv_bn(b3, 224, (7, 1))
    b3 = conv_bn(b3, 224, (1, 7))
    b3 = conv_bn(b3, 256, (7, 1))
    return layers.concatenate([b0, b1, b2, b3])


def reduction_b(x):
    """Figure 8: 17x17x1024 -> 8x8x1536."""
    b1 = conv_bn(conv_bn(x, 192, 1), 192, 3, strides=2, padding="valid")
    b2 = conv_bn(x, 256, 1)
    b2 = conv_bn(b2, 256, (1, 7))
    b2 = conv_bn(b2, 320, (7, 1))
    b2 = conv_bn(b2, 320, 3, strides=2, padding="valid")
    return layers.concatenate([_max_pool(x), b1, b2])


def _split_1x3_3x1(x):
    return layers.concatenate([conv_bn(x, 256, (1, 3)), conv_bn(x, 256, (3, 1))])


def inception_c(x):
    """Figure 6: 8x8x1536 -> 8x8x1536."""
    b0 = conv_bn(_avg_pool(x), 256, 1)
    b1 = conv_bn(x, 256, 1)
    b2 = _split_1x3_3x1(conv_bn(x, 384, 1))
    b3 = conv_bn(conv_bn(conv_bn(x, 384, 1), 448, (1, 3)), 512, (3, 1))
    return layers.concatenate([b0, b1, b2, _split_1x3_3x1(b3)])


def inception_v4(input_shape=(299, 299, 3), classes=1000):
    """Figure 9: stem, 4 x A, Reduction-A, 7 x B, Reduction-B, 3 x C, pool, dropout, softmax."""
    inputs = keras.Input(shape=input_shape)
    x = stem(inputs)
    for _ in range(4):
        x = inception_a(x)
    x = reduction_a(x)
    for _ in range(7):
        x = inception_b(x)
    x = reduction_b(x)
    for _ in range(3):
        x = inception_c(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="inception_v4")
