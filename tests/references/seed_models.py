"""Keras 3 ports of the hand-written reference networks in the seed documents.

The seed documents live in /work/shared/seeds/ (see its README.md). Their code uses Keras 1/2
(and, for seed 001, TF2 subclassed layers). Each function below rebuilds one of those networks
with the Keras 3 functional API: same layers in the same order, same kernel sizes, strides,
paddings, biases, BatchNormalization settings, activations, dropout rates, initializers and
regularizers, same input shape and number of classes as the seed. Every function returns an
uncompiled ``keras.Model``.

Conventions:

* "Seed 003 line N" is the line number in the seed *file* (``sed -n Np``), not the number that
  the blog's listing prints in front of each code line.
* Only what Keras 3 requires is changed; each such place carries a ``Keras 3:`` comment. Where a
  seed is ambiguous or buggy, the comment says ``Seed:`` and explains the reading chosen here.
* Changes made everywhere, not repeated at each place: ``Convolution2D(f, r, c,
  border_mode=...)`` becomes ``Conv2D(f, (r, c), padding=...)``; ``Dense(output_dim=...)``
  becomes ``Dense(units)``; ``Model(input=..., output=...)`` becomes
  ``Model(inputs, outputs)``; ``Sequential`` models become functional ones with the same
  layers; the seeds' explicit layer names are dropped (Keras 3 rejects the ``/`` they all
  contain, and seed 003's Inception-v3 even gives two layers the same name, line 1591); model
  names are the function names.
* The Keras 2 regularizer ``l1_l2(l1=0.01, l2=0.01)`` has non-zero defaults, Keras 3's
  ``L1L2`` does not, so both factors are always spelled out here (see ``_l1_l2``).
* Keras 1's ``dim_ordering="tf"`` / Keras 2's default ``channels_last`` are kept: all inputs
  are (height, width, channels).
"""

import math

import keras
from keras import layers


def _l1_l2(l1=0.01, l2=0.01):
    """Keras 2's ``keras.regularizers.l1_l2``, whose defaults are l1=0.01 and l2=0.01.

    Keras 3: ``keras.regularizers.l1_l2`` is now an alias of ``L1L2``, whose defaults are 0, so
    the seeds' ``l1_l2(0.0001)`` means ``L1L2(l1=0.0001, l2=0.01)``.
    """
    return keras.regularizers.L1L2(l1=l1, l2=l2)


# ---------------------------------------------------------------------------------------------
# LeNet-5, AlexNet: seed 003, Sequential models
# ---------------------------------------------------------------------------------------------


def lenet5():
    """LeNet-5 of seed 003, ``build_LeNet5`` (lines 212-226): MNIST, 28x28x1, 10 classes."""
    inputs = keras.Input(shape=(28, 28, 1))
    # Keras 3: Convolution2D(6, 5, 5, border_mode="valid", dim_ordering="tf") -> Conv2D.
    x = layers.Conv2D(6, (5, 5), padding="valid")(inputs)
    # Seed: pooling comes before the activation (lines 215-216), kept in that order.
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(16, (5, 5), padding="valid")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Activation("relu")(x)
    # Seed: C5 is a 1x1 convolution without activation (line 220; the prose at line 179 also
    # says 1x1), not the paper's 5x5 convolution, so the feature map stays 4x4x120.
    x = layers.Conv2D(120, (1, 1), padding="valid")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(84)(x)
    x = layers.Activation("sigmoid")(x)
    x = layers.Dense(10)(x)
    outputs = layers.Activation("softmax")(x)
    return keras.Model(inputs, outputs, name="lenet5")


def alexnet():
    """AlexNet of seed 003, ``build_AlexNet`` (lines 369-398): CIFAR-10, 32x32x3, 10 classes.

    The seed leaves out LRN on purpose (line 368). Its input shape is ``X_train.shape[1:]`` of
    CIFAR-10 (line 411), reshaped to (32, 32, 3) at line 419.
    """
    inputs = keras.Input(shape=(32, 32, 3))
    # Keras 3: Convolution2D(96, 11, 11, border_mode="same") -> Conv2D, likewise below.
    x = layers.Conv2D(96, (11, 11), padding="same")(inputs)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(256, (5, 5), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    # Seed: each of the three 3x3 convolutions is preceded by ZeroPadding2D((1, 1)) *and* uses
    # border_mode="same" (lines 377-386), so the maps grow 8 -> 10 -> 12 -> 14. Kept as written.
    for filters in (512, 1024, 1024):
        x = layers.ZeroPadding2D((1, 1))(x)
        x = layers.Conv2D(filters, (3, 3), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(3072, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(4096, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(10)(x)
    outputs = layers.Activation("softmax")(x)
    return keras.Model(inputs, outputs, name="alexnet")


# ---------------------------------------------------------------------------------------------
# Pre-activation ResNet-34: seed 003, class ResNet (lines 714-834)
# ---------------------------------------------------------------------------------------------


def _resnet_bn_relu(x):
    """``ResNet.bn_relu`` (lines 719-722)."""
    x = layers.BatchNormalization(axis=3)(x)
    return layers.Activation("relu")(x)


def _resnet_conv(x, filters, kernel_size, strides, regularizer):
    """The seed's 'same'-padded, he_normal, regularized Conv2D (e.g. lines 727-732)."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        kernel_initializer="he_normal",
        kernel_regularizer=regularizer,
    )(x)


def _resnet_basic_block(x, filters, strides, is_first_block):
    """``ResNet.basic_block`` (lines 764-783) followed by ``ResNet.shortcut`` (lines 745-763)."""
    if is_first_block:
        # The very first block gets the max-pooled (already BN-ReLU'd) stem output and starts
        # with a plain convolution (lines 768-772).
        y = _resnet_conv(x, filters, (3, 3), strides, _l1_l2(0.01, 0.0001))
    else:
        # bn_relu_weight: BN -> ReLU -> Conv (lines 723-734).
        y = _resnet_conv(_resnet_bn_relu(x), filters, (3, 3), strides, _l1_l2(0.0001))
    y = _resnet_conv(_resnet_bn_relu(y), filters, (3, 3), (1, 1), _l1_l2(0.0001))

    shortcut = x
    if x.shape != y.shape:
        # Projection shortcut (lines 749-756): 1x1 convolution, stride = ratio of the sizes.
        shortcut = layers.Conv2D(
            y.shape[3],
            (1, 1),
            strides=(round(x.shape[1] / y.shape[1]), round(x.shape[2] / y.shape[2])),
            padding="valid",
            kernel_initializer="he_normal",
            kernel_regularizer=_l1_l2(0.01, 0.0001),
        )(x)
    return layers.add([shortcut, y])  # Keras 3: keras.layers.merge.add -> layers.add


def resnet34():
    """Pre-activation ResNet-34 of seed 003: CIFAR-10, 32x32x3, 10 classes.

    Built as in the seed's driver, ``residual_builder(s, 10, basic_block, [3, 4, 6, 3])``
    (line 898), with ``s`` the CIFAR-10 image shape (lines 872, 895).
    """
    inputs = keras.Input(shape=(32, 32, 3))
    # weight_bn_relu: Conv -> BN -> ReLU (lines 735-744, 806).
    x = _resnet_conv(inputs, 64, (7, 7), (2, 2), _l1_l2(0.0001))
    x = _resnet_bn_relu(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="same")(x)

    filters = 64
    for stage, repeat_times in enumerate((3, 4, 6, 3)):
        # residual_block (lines 784-801): stride 2 in the first block of every stage but the
        # first one.
        for i in range(repeat_times):
            strides = (2, 2) if stage > 0 and i == 0 else (1, 1)
            x = _resnet_basic_block(x, filters, strides, is_first_block=stage == 0 and i == 0)
        filters *= 2

    x = _resnet_bn_relu(x)
    x = layers.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]), strides=(1, 1))(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, kernel_initializer="he_normal", activation="softmax")(x)
    return keras.Model(inputs, outputs, name="resnet34")


# ---------------------------------------------------------------------------------------------
# GoogLeNet (Inception-v1): seed 002, and seed 003's variant with LRN
# ---------------------------------------------------------------------------------------------


def _googlenet_inception(x, filter1, filter3, filter5, kernel1=1, kernel3=3, kernel5=5):
    """Seed 002's ``Inception`` module (lines 40-58).

    ``filter1`` = [1x1, 3x3 reduce, 5x5 reduce, pool projection].
    """
    branch_1x1 = layers.Conv2D(filter1[0], kernel1, padding="same", activation="relu")(x)
    reduce_3x3 = layers.Conv2D(filter1[1], kernel1, padding="same", activation="relu")(x)
    branch_3x3 = layers.Conv2D(filter3, kernel3, padding="same", activation="relu")(reduce_3x3)
    reduce_5x5 = layers.Conv2D(filter1[2], kernel1, padding="same", activation="relu")(x)
    branch_5x5 = layers.Conv2D(filter5, kernel5, padding="same", activation="relu")(reduce_5x5)
    pool = layers.MaxPooling2D(pool_size=3, strides=1, padding="same")(x)
    pool_proj = layers.Conv2D(filter1[3], kernel1, padding="same", activation="relu")(pool)
    return layers.concatenate([branch_1x1, branch_3x3, branch_5x5, pool_proj])


def _googlenet_aux_head(x, aux_flatten):
    """Seed 002's auxiliary classifier ``output`` (lines 61-67)."""
    x = layers.AveragePooling2D(pool_size=5, strides=3, padding="valid")(x)
    x = layers.Conv2D(128, kernel_size=1, strides=1, padding="valid", activation="relu")(x)
    if aux_flatten:
        x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(0.7)(x)
    return layers.Dense(1000, activation="softmax")(x)


def googlenet(aux_flatten=False):
    """GoogLeNet / Inception-v1 of seed 002, ``Inception_v1`` (lines 70-104).

    224x224x3 input, 1000 classes, three softmax outputs [aux1, aux2, main].

    Seed: the auxiliary heads (lines 61-67) have no Flatten, so their Dense layers act on the
    last axis of the 4x4x128 map and each auxiliary output is (4, 4, 1000) instead of (1000,)
    (the seed only plots the model, it never trains it). ``aux_flatten=False`` (default) keeps
    the code as written; ``aux_flatten=True`` adds the Flatten that the paper (and seed 003's
    GoogLeNet, line 1120) have, which makes each auxiliary fc layer 2048x1024 instead of
    128x1024.
    """
    inputs = keras.Input(shape=(224, 224, 3))
    x = layers.Conv2D(64, kernel_size=7, strides=2, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)

    x = layers.Conv2D(64, kernel_size=1, strides=1, padding="same", activation="relu")(x)
    x = layers.Conv2D(192, kernel_size=3, strides=1, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)

    x = _googlenet_inception(x, filter1=[64, 96, 16, 32], filter3=128, filter5=32)  # 3a
    x = _googlenet_inception(x, filter1=[128, 128, 32, 64], filter3=192, filter5=96)  # 3b
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)

    x = _googlenet_inception(x, filter1=[192, 96, 16, 64], filter3=208, filter5=48)  # 4a
    out1 = _googlenet_aux_head(x, aux_flatten)
    x = _googlenet_inception(x, filter1=[160, 112, 24, 64], filter3=224, filter5=64)  # 4b
    x = _googlenet_inception(x, filter1=[128, 128, 24, 64], filter3=256, filter5=64)  # 4c
    x = _googlenet_inception(x, filter1=[112, 144, 32, 64], filter3=288, filter5=64)  # 4d
    out2 = _googlenet_aux_head(x, aux_flatten)
    x = _googlenet_inception(x, filter1=[256, 160, 32, 128], filter3=320, filter5=128)  # 4e
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)

    # Seed: 5a and 5b use 32 and 48 filters for the 5x5 convolution (lines 95-96) where the
    # paper (and seed 003) use 128 and 128. Kept as written.
    x = _googlenet_inception(x, filter1=[256, 160, 32, 128], filter3=320, filter5=32)  # 5a
    x = _googlenet_inception(x, filter1=[384, 192, 48, 128], filter3=384, filter5=48)  # 5b
    x = layers.AveragePooling2D(pool_size=7, strides=1, padding="valid")(x)

    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    out3 = layers.Dense(1000, activation="softmax")(x)
    return keras.Model(inputs, [out1, out2, out3], name="googlenet")


class LRN2D(layers.Layer):
    """Local response normalization across channels, as in seed 003's ``LRN2D`` (lines 1188-1223).

    ``x / (k + alpha * sum(x**2 over the n neighbouring channels)) ** beta``. No weights.

    Keras 3: the seed's layer uses the Keras 0.x API (``get_output``/``get_input``, which Keras 2
    and 3 never call) and channels-first indexing. This is the same formula with ``keras.ops``
    on the last (channels) axis; it matches ``tf.nn.local_response_normalization`` with
    ``depth_radius=n // 2, bias=k, alpha=alpha, beta=beta``.
    """

    def __init__(self, alpha=1e-4, k=2, beta=0.75, n=5, **kwargs):
        if n % 2 == 0:
            raise NotImplementedError(f"LRN2D only works with odd n. n provided: {n}")
        super().__init__(**kwargs)
        self.alpha = alpha
        self.k = k
        self.beta = beta
        self.n = n

    def call(self, inputs):
        channels = inputs.shape[-1]
        half_n = self.n // 2
        squared = keras.ops.pad(
            keras.ops.square(inputs), [[0, 0], [0, 0], [0, 0], [half_n, half_n]]
        )
        scale = self.k
        for i in range(self.n):
            scale = scale + self.alpha * squared[..., i : i + channels]
        return inputs / scale**self.beta

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "k": self.k, "beta": self.beta, "n": self.n})
        return config


def _lrn_conv(x, filters, kernel_size, strides=(1, 1)):
    """Seed 003's GoogLeNet convolution: 'same', he_normal, ReLU, ``l1_l2(0.0001)``."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        kernel_initializer="he_normal",
        activation="relu",
        kernel_regularizer=_l1_l2(0.0001),
    )(x)


def _lrn_inception(x, n_1x1, n_3x3_reduce, n_3x3, n_5x5_reduce, n_5x5, n_pool_proj):
    """Seed 003's ``inception_module`` (lines 983-1051)."""
    branch_1x1 = _lrn_conv(x, n_1x1, (1, 1))
    branch_3x3 = _lrn_conv(_lrn_conv(x, n_3x3_reduce, (1, 1)), n_3x3, (3, 3))
    branch_5x5 = _lrn_conv(_lrn_conv(x, n_5x5_reduce, (1, 1)), n_5x5, (5, 5))
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=(1, 1), padding="same")(x)
    pool_proj = _lrn_conv(pool, n_pool_proj, (1, 1))
    # Keras 3: keras.layers.merge.concatenate -> layers.concatenate (the seed's note about
    # patching tf.concat's argument order, lines 1046-1049, no longer applies).
    return layers.concatenate([branch_1x1, branch_3x3, branch_5x5, pool_proj])


def _lrn_aux_head(x, num_classes):
    """Seed 003's auxiliary classifiers loss1 / loss2 (lines 1110-1129, 1137-1156)."""
    x = layers.AveragePooling2D(pool_size=(5, 5), strides=(3, 3))(x)
    x = _lrn_conv(x, 128, (1, 1))
    x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu", kernel_regularizer=_l1_l2(0.0001))(x)
    x = layers.Dropout(0.7)(x)
    x = layers.Dense(num_classes, kernel_regularizer=_l1_l2(0.0001))(x)
    return layers.Activation("softmax")(x)


def googlenet_lrn():
    """GoogLeNet / Inception-v1 with LRN of seed 003, ``googLeNet_inception_v1_building``.

    Lines 1052-1185; 10 classes as in its driver (line 1265); three softmax outputs
    [loss1, loss2, loss3].

    Differs materially from seed 002's ``googlenet``: LRN instead of BatchNormalization,
    ZeroPadding2D + "valid" max pooling instead of "same" pooling, Flatten in the auxiliary
    heads, 128 5x5 filters in 5a/5b, softmax as separate Activation layers, he_normal
    initialization and L1L2 regularization, 10 classes.

    Seed: the driver builds it for CIFAR-10, 32x32x3 (lines 1283-1285), which fails: inception_4a
    is 2x2 there and the 5x5 average pool of loss1 (line 1110) cannot be applied. The network
    (7x7 final pool at line 1170) is laid out for 224x224x3, the paper's input, used here.
    The seed's unused ``PoolHelper`` layer (lines 1224-1232) is not ported.
    """
    num_classes = 10
    inputs = keras.Input(shape=(224, 224, 3))
    x = _lrn_conv(inputs, 64, (7, 7), strides=(2, 2))
    x = layers.ZeroPadding2D(padding=(1, 1))(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)
    # Seed: LRN2D with its defaults (alpha=1e-4, k=2, beta=0.75, n=5), lines 1096 and 1115.
    x = LRN2D()(x)
    x = _lrn_conv(x, 64, (1, 1))
    x = _lrn_conv(x, 192, (3, 3))
    x = LRN2D()(x)
    x = layers.ZeroPadding2D(padding=(1, 1))(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)

    x = _lrn_inception(x, 64, 96, 128, 16, 32, 32)  # 3a
    x = _lrn_inception(x, 128, 128, 192, 32, 96, 64)  # 3b
    x = layers.ZeroPadding2D(padding=(1, 1))(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)

    x = _lrn_inception(x, 192, 96, 208, 16, 48, 64)  # 4a
    loss1 = _lrn_aux_head(x, num_classes)
    x = _lrn_inception(x, 160, 112, 224, 24, 64, 64)  # 4b
    x = _lrn_inception(x, 128, 128, 256, 24, 64, 64)  # 4c
    x = _lrn_inception(x, 112, 144, 288, 32, 64, 64)  # 4d
    loss2 = _lrn_aux_head(x, num_classes)
    x = _lrn_inception(x, 256, 160, 320, 32, 128, 128)  # 4e
    x = layers.ZeroPadding2D(padding=(1, 1))(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)

    x = _lrn_inception(x, 256, 160, 320, 32, 128, 128)  # 5a
    x = _lrn_inception(x, 384, 192, 384, 48, 128, 128)  # 5b
    x = layers.AveragePooling2D(pool_size=(7, 7), strides=(1, 1))(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    x = layers.Dense(num_classes, kernel_regularizer=_l1_l2(0.0001))(x)
    loss3 = layers.Activation("softmax")(x)
    # Keras 3: Model(name=..., input=..., output=[...]) -> Model(inputs, outputs); the seed's
    # layer names ("conv1_7x7/2", ...) are dropped because Keras 3 rejects "/" in names.
    return keras.Model(inputs, [loss1, loss2, loss3], name="googlenet_lrn")


# ---------------------------------------------------------------------------------------------
# Inception-v3 for CIFAR-10 and Inception-ResNet-v2 "small": seed 003
# ---------------------------------------------------------------------------------------------


def _bn_relu(x):
    """``bn_relu`` of seed 003 (lines 1454-1458 and 1862-1866)."""
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def _conv(x, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
    """A Conv2D with ReLU unless ``activation`` is given; ``kwargs`` go to ``Conv2D``."""
    kwargs.setdefault("activation", "relu")
    return layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, **kwargs)(x)


def inception_v3_cifar10(filter_control=8, small_mode=True):
    """Inception-v3 for CIFAR-10 of seed 003, ``create_inception_v3`` (lines 1753-1772).

    32x32x3 input (line 1790), 10 classes; every filter count is divided by the module-level
    ``filter_control = 8`` (line 1453).

    Seed: the driver calls ``create_inception_v3(s, nb_classes)`` (line 1794), i.e. with the
    default ``small_mode=False`` (stride-2 stem), which fails on 32x32 inputs: the stem shrinks
    the map to 1x1 before its last 3x3 "valid" convolution. The seed's own shape note
    "(20,20,288)" (line 1518) and the prose ("the input strides were adjusted for CIFAR-10",
    line 1429) describe ``small_mode=True`` (stride-1 stem), used here by default.
    """

    def conv(x, filters, kernel_size, strides=(1, 1), padding="valid"):
        # All convolutions: he_normal, ReLU, l1_l2(0.00001) (e.g. lines 1465-1471).
        return _conv(
            x,
            filters // filter_control,
            kernel_size,
            strides,
            padding,
            kernel_initializer="he_normal",
            kernel_regularizer=_l1_l2(0.00001),
        )

    def avg_pool(x):
        return layers.AveragePooling2D(pool_size=(3, 3), strides=(1, 1), padding="same")(x)

    strides = (1, 1) if small_mode else (2, 2)
    inputs = keras.Input(shape=(32, 32, 3))

    # before_inception (lines 1459-1515).
    x = conv(inputs, 32, (3, 3), strides)
    x = conv(x, 32, (3, 3))
    x = conv(x, 64, (3, 3), padding="same")
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=strides, padding="valid")(x)
    x = conv(x, 80, (3, 3))
    x = conv(x, 192, (3, 3), strides)
    x = conv(x, 288, (3, 3))

    # 3 x inception_A (lines 1516-1580).
    for _ in range(3):
        b1 = conv(x, 64, (1, 1), padding="same")
        b1 = conv(b1, 96, (3, 3), padding="same")
        b1 = conv(b1, 96, (3, 3), padding="same")
        b2 = conv(conv(x, 48, (1, 1), padding="same"), 64, (3, 3), padding="same")
        b3 = conv(avg_pool(x), 64, (1, 1), padding="same")
        b4 = conv(x, 64, (1, 1), padding="same")
        x = _bn_relu(layers.concatenate([b1, b2, b3, b4]))

    # 5 x inception_B (lines 1581-1669).
    for _ in range(5):
        b1 = conv(x, 128, (1, 1), padding="same")
        b1 = conv(b1, 128, (1, 7), padding="same")
        b1 = conv(b1, 128, (7, 1), padding="same")
        b1 = conv(b1, 128, (1, 7), padding="same")
        b1 = conv(b1, 192, (7, 1), padding="same")
        b2 = conv(x, 128, (1, 1), padding="same")
        b2 = conv(b2, 128, (1, 7), padding="same")
        b2 = conv(b2, 192, (7, 1), padding="same")
        b3 = conv(avg_pool(x), 192, (1, 1), padding="same")
        b4 = conv(x, 192, (1, 1), padding="same")
        x = _bn_relu(layers.concatenate([b1, b2, b3, b4]))

    # 2 x inception_C (lines 1670-1752).
    for _ in range(2):
        b1 = conv(x, 448, (1, 1), padding="same")
        b1 = conv(b1, 384, (3, 3), padding="same")
        b1 = layers.concatenate(
            [conv(b1, 384, (1, 3), padding="same"), conv(b1, 384, (3, 1), padding="same")]
        )
        b2 = conv(x, 384, (1, 1), padding="same")
        b2 = layers.concatenate(
            [conv(b2, 384, (1, 3), padding="same"), conv(b2, 384, (3, 1), padding="same")]
        )
        b3 = conv(avg_pool(x), 192, (1, 1), padding="same")
        b4 = conv(x, 320, (1, 1), padding="same")
        x = _bn_relu(layers.concatenate([b1, b2, b3, b4]))

    # Seed: an 8x8 average pool with stride 1 on the 20x20 map (line 1765), so 13x13 positions
    # are flattened into the classifier. Kept as written.
    x = layers.AveragePooling2D((8, 8), strides=(1, 1))(x)
    x = layers.Dropout(0.8)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)  # Keras 3: Dense(output_dim=...) -> units
    # Keras 3: Model(input_layer, output=out) -> Model(inputs, outputs).
    return keras.Model(inputs, outputs, name="inception_v3_cifar10")


def inception_resnet_v2_small(filter_control=8, small_mode=True):
    """Inception-ResNet-v2 of seed 003, ``create_inception_resnet_v2`` (lines 2181-2223).

    32x32x3 input (CIFAR-10, line 2241), 10 classes (line 2244); every filter count is divided by
    the module-level ``filter_control = 8`` (line 1861).

    Seed: the driver calls ``create_inception_resnet_v2(s, nb_classes, False, True)``
    (line 2245), one positional argument more than the function takes (TypeError). The default
    ``small_mode=False`` (stride-2 stem, lines 1869-1872) fails on 32x32 inputs (the map is 1x1
    before reduction_A's 3x3 "valid" max pool), so the trailing ``True`` is read as
    ``small_mode=True``, the default here.

    Seed: the residual adds need matching channel counts; with the seed's widths that holds for
    filter_control = 4, 8, 16, 32 but not 1 or 2 (reduction_A gives 3 * (384 // f) channels,
    the Inception-ResNet-B projection 1154 // f).
    """
    he_reg = {"kernel_initializer": "he_normal", "kernel_regularizer": _l1_l2(0.0001)}

    def conv(x, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
        return _conv(x, filters // filter_control, kernel_size, strides, padding, **kwargs)

    strides = (1, 1) if small_mode else (2, 2)
    inputs = keras.Input(shape=(32, 32, 3))

    # inception_resnet_stem (lines 1867-1969): he_normal + l1_l2(0.0001) on every convolution.
    x = conv(inputs, 32, (3, 3), strides, **he_reg)
    x = conv(x, 32, (3, 3), **he_reg)
    x = conv(x, 64, (3, 3), padding="same", **he_reg)
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=strides, padding="valid")(x)
    x = layers.concatenate([pool, conv(x, 96, (3, 3), strides, **he_reg)])
    b1 = conv(conv(x, 64, (1, 1), padding="same", **he_reg), 96, (3, 3), **he_reg)
    b2 = conv(x, 64, (1, 1), padding="same", **he_reg)
    b2 = conv(b2, 64, (7, 1), padding="same", **he_reg)
    b2 = conv(b2, 64, (1, 7), padding="same", **he_reg)
    b2 = conv(b2, 96, (3, 3), **he_reg)
    x = layers.concatenate([b1, b2])
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=strides, padding="valid")(x)
    x = _bn_relu(layers.concatenate([pool, conv(x, 192, (3, 3), strides, **he_reg)]))

    # Seed: none of the three Inception-ResNet blocks scales its residual (the paper scales by
    # 0.1-0.3), and the 1x1 projection before the add is linear. Kept as written.

    # 10 x inception_resnet_v2_A (lines 1970-2029): he_normal + l1_l2(0.0001) except the
    # linear projection.
    for _ in range(10):
        b1 = conv(x, 32, (1, 1), padding="same", **he_reg)
        b2 = conv(x, 32, (1, 1), padding="same", **he_reg)
        b2 = conv(b2, 32, (3, 3), padding="same", **he_reg)
        b3 = conv(x, 32, (1, 1), padding="same", **he_reg)
        b3 = conv(b3, 48, (3, 3), padding="same", **he_reg)
        b3 = conv(b3, 64, (3, 3), padding="same", **he_reg)
        merged = layers.concatenate([b1, b2, b3])
        up = conv(merged, 384, (1, 1), padding="same", activation="linear")
        x = _bn_relu(layers.add([x, up]))

    # reduction_A(x, k=256, l=256, m=384, n=384) (lines 2101-2131, 2188); from here on the
    # convolutions use the Conv2D defaults (glorot_uniform, no regularizer).
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)
    b1 = conv(x, 384, (3, 3), (2, 2))
    b2 = conv(conv(x, 256, (1, 1), padding="same"), 256, (3, 3), padding="same")
    b2 = conv(b2, 384, (3, 3), (2, 2))
    x = layers.concatenate([pool, b1, b2])

    # 20 x inception_resnet_v2_B (lines 2030-2065).
    for _ in range(20):
        b1 = conv(x, 192, (1, 1), padding="same")
        b2 = conv(x, 128, (1, 1), padding="same")
        b2 = conv(b2, 160, (1, 7), padding="same")
        b2 = conv(b2, 192, (7, 1), padding="same")
        merged = layers.concatenate([b1, b2])
        up = conv(merged, 1154, (1, 1), padding="same", activation="linear")
        x = _bn_relu(layers.add([x, up]))

    # Seed: an auxiliary head is built here (lines 2193-2207) but left out of the model's
    # outputs ("removed the auxiliary objective for simplicity", lines 2220-2222), so a
    # functional model does not contain it. Not ported.

    # reduction_B (lines 2132-2180).
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid")(x)
    b1 = conv(conv(x, 256, (1, 1), padding="same"), 288, (3, 3), (2, 2))
    b2 = conv(conv(x, 256, (1, 1), padding="same"), 288, (3, 3), (2, 2))
    b3 = conv(conv(x, 256, (1, 1), padding="same"), 288, (3, 3), padding="same")
    b3 = conv(b3, 320, (3, 3), (2, 2))
    x = layers.concatenate([pool, b1, b2, b3])

    # 10 x inception_resnet_v2_C (lines 2066-2100).
    for _ in range(10):
        b1 = conv(x, 192, (1, 1), padding="same")
        b2 = conv(x, 192, (1, 1), padding="same")
        b2 = conv(b2, 224, (1, 3), padding="same")
        b2 = conv(b2, 256, (3, 1), padding="same")
        merged = layers.concatenate([b1, b2])
        up = conv(merged, 2048, (1, 1), padding="same", activation="linear")
        x = _bn_relu(layers.add([x, up]))

    x = layers.AveragePooling2D((4, 4), strides=(1, 1))(x)
    x = layers.Dropout(0.8)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)  # Keras 3: Dense(output_dim=...) -> units
    # Keras 3: Model(input_layer, output=out) -> Model(inputs, outputs).
    return keras.Model(inputs, outputs, name="inception_resnet_v2_small")


# ---------------------------------------------------------------------------------------------
# Inception-v4: seed 001, TF2 subclassed layers (lines 462-939)
# ---------------------------------------------------------------------------------------------


def _basic_conv(x, filters, kernel_size, strides=1, padding="same"):
    """``BasicConv2D`` (lines 462-476): Conv2D (with bias) -> BatchNormalization -> ReLU."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)(x)
    x = layers.BatchNormalization()(x)
    # Keras 3 functional API: tf.nn.relu becomes a ReLU activation layer (no weights).
    return layers.Activation("relu")(x)


def _v4_stem(x):
    """``Stem`` (lines 481-553). Keras 3: ``tf.concat(axis=-1)`` becomes ``concatenate``."""
    x = _basic_conv(x, 32, (3, 3), strides=2, padding="valid")
    x = _basic_conv(x, 32, (3, 3), strides=1, padding="valid")
    x = _basic_conv(x, 64, (3, 3), strides=1, padding="same")
    branch_1 = layers.MaxPooling2D(pool_size=(3, 3), strides=2, padding="valid")(x)
    branch_2 = _basic_conv(x, 96, (3, 3), strides=2, padding="valid")
    x = layers.concatenate([branch_1, branch_2])
    branch_3 = _basic_conv(x, 64, (1, 1))
    branch_3 = _basic_conv(branch_3, 96, (3, 3), padding="valid")
    branch_4 = _basic_conv(x, 64, (1, 1))
    branch_4 = _basic_conv(branch_4, 64, (7, 1))
    branch_4 = _basic_conv(branch_4, 64, (1, 7))
    branch_4 = _basic_conv(branch_4, 96, (3, 3), padding="valid")
    x = layers.concatenate([branch_3, branch_4])
    branch_5 = _basic_conv(x, 192, (3, 3), strides=2, padding="valid")
    branch_6 = layers.MaxPooling2D(pool_size=(3, 3), strides=2, padding="valid")(x)
    return layers.concatenate([branch_5, branch_6])


def _v4_avg_pool(x):
    return layers.AveragePooling2D(pool_size=(3, 3), strides=1, padding="same")(x)


def _v4_block_a(x):
    """``InceptionBlockA`` (lines 556-604)."""
    b1 = _basic_conv(_v4_avg_pool(x), 96, (1, 1))
    b2 = _basic_conv(x, 96, (1, 1))
    b3 = _basic_conv(_basic_conv(x, 64, (1, 1)), 96, (3, 3))
    b4 = _basic_conv(x, 64, (1, 1))
    b4 = _basic_conv(b4, 96, (3, 3))
    b4 = _basic_conv(b4, 96, (3, 3))
    return layers.concatenate([b1, b2, b3, b4])


def _v4_reduction_a(x, filters):
    """``ReductionA(k, l, m, n)`` (lines 607-639), with ``filters = (k, l, m, n)``."""
    k, l_, m, n = filters
    b1 = layers.MaxPooling2D(pool_size=(3, 3), strides=2, padding="valid")(x)
    b2 = _basic_conv(x, n, (3, 3), strides=2, padding="valid")
    b3 = _basic_conv(x, k, (1, 1))
    b3 = _basic_conv(b3, l_, (3, 3))
    b3 = _basic_conv(b3, m, (3, 3), strides=2, padding="valid")
    return layers.concatenate([b1, b2, b3])


def _v4_block_b(x):
    """``InceptionBlockB`` (lines 642-705)."""
    b1 = _basic_conv(_v4_avg_pool(x), 128, (1, 1))
    b2 = _basic_conv(x, 384, (1, 1))
    b3 = _basic_conv(x, 192, (1, 1))
    b3 = _basic_conv(b3, 224, (1, 7))
    # Seed: the third convolution of this branch is 1x7 again (lines 664-667); the paper has
    # 7x1. Kept as written (same parameter count either way).
    b3 = _basic_conv(b3, 256, (1, 7))
    b4 = _basic_conv(x, 192, (1, 1))
    b4 = _basic_conv(b4, 192, (1, 7))
    b4 = _basic_conv(b4, 224, (7, 1))
    b4 = _basic_conv(b4, 224, (1, 7))
    b4 = _basic_conv(b4, 256, (7, 1))
    return layers.concatenate([b1, b2, b3, b4])


def _v4_reduction_b(x):
    """``ReductionB`` (lines 708-750)."""
    b1 = layers.MaxPooling2D(pool_size=(3, 3), strides=2, padding="valid")(x)
    b2 = _basic_conv(x, 192, (1, 1))
    b2 = _basic_conv(b2, 192, (3, 3), strides=2, padding="valid")
    b3 = _basic_conv(x, 256, (1, 1))
    b3 = _basic_conv(b3, 256, (1, 7))
    b3 = _basic_conv(b3, 320, (7, 1))
    b3 = _basic_conv(b3, 320, (3, 3), strides=2, padding="valid")
    return layers.concatenate([b1, b2, b3])


def _v4_block_c(x):
    """``InceptionBlockC`` (lines 753-816)."""
    b1 = _basic_conv(_v4_avg_pool(x), 256, (1, 1))
    b2 = _basic_conv(x, 256, (1, 1))
    b3 = _basic_conv(x, 384, (1, 1))
    b3_1 = _basic_conv(b3, 256, (1, 3))
    b3_2 = _basic_conv(b3, 256, (3, 1))
    b4 = _basic_conv(x, 384, (1, 1))
    b4 = _basic_conv(b4, 448, (1, 3))
    b4 = _basic_conv(b4, 512, (3, 1))
    # Seed: 3x1 before 1x3 here (lines 791-798), the paper lists them the other way round.
    b4_1 = _basic_conv(b4, 256, (3, 1))
    b4_2 = _basic_conv(b4, 256, (1, 3))
    return layers.concatenate([b1, b2, b3_1, b3_2, b4_1, b4_2])


def inception_v4_seed(input_shape=(299, 299, 1)):
    """Inception-v4 of seed 001, ``InceptionV4`` (lines 908-939), 10 classes (line 884).

    The subclassed model (Stem, 4 x InceptionBlockA, ReductionA(192, 224, 256, 384),
    7 x InceptionBlockB, ReductionB, 3 x InceptionBlockC, 8x8 average pool, Dropout(0.2),
    Flatten, softmax Dense) flattened into one functional model, layer by layer in call order,
    so parameter counts equal the subclassed original's.

    Seed: the model is built with ``model.build(input_shape=(None, 299, 299, 1))`` (line 1087),
    the default here; the MNIST images it is then trained on (28x28, line 1064) are too small,
    as the author notes (lines 941-965). The paper's 299x299x3 input changes only the first
    convolution (+576 weights): ``inception_v4_seed((299, 299, 3))``.

    Keras 3 functional API: the seed's ``call`` defaults to ``training=True`` (line 925) and
    forwards it to BatchNormalization and Dropout; here the training flag comes from the
    caller as usual (``model(x, training=...)``).
    """
    inputs = keras.Input(shape=input_shape)
    x = _v4_stem(inputs)
    for _ in range(4):
        x = _v4_block_a(x)
    x = _v4_reduction_a(x, filters=(192, 224, 256, 384))  # k, l, m, n
    for _ in range(7):
        x = _v4_block_b(x)
    x = _v4_reduction_b(x)
    for _ in range(3):
        x = _v4_block_c(x)
    x = layers.AveragePooling2D(pool_size=(8, 8))(x)
    x = layers.Dropout(rate=0.2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="inception_v4_seed")


REFERENCES = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "resnet34": resnet34,
    "googlenet": googlenet,
    "googlenet_lrn": googlenet_lrn,
    "inception_v3_cifar10": inception_v3_cifar10,
    "inception_resnet_v2_small": inception_resnet_v2_small,
    "inception_v4_seed": inception_v4_seed,
}


def _count(weights):
    return sum(math.prod(w.shape) for w in weights)


if __name__ == "__main__":
    for name, build in REFERENCES.items():
        model = build()
        total = model.count_params()
        trainable = _count(model.trainable_weights)
        non_trainable = _count(model.non_trainable_weights)
        output_shapes = [tuple(output.shape) for output in model.outputs]
        print(
            f"{name}: total={total:,} trainable={trainable:,} non_trainable={non_trainable:,} "
            f"layers={len(model.layers)} input={tuple(model.inputs[0].shape)} "
            f"outputs={output_shapes}"
        )
