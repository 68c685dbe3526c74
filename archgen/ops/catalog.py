"""Every op archgen knows, each declared once.

Conventions:
- shapes are channels-last without the batch axis;
- parameters are counted as Keras counts them (batch-norm moving statistics are
  non-trainable);
- FLOPs are multiply-accumulates (MACs) of the layers with weights: convolutions
  and dense layers. Pooling, normalization, activations and merges count 0, as in
  the figures papers quote (InceptionV3: 5.7 G).
"""

from __future__ import annotations

from archgen.ops.base import (
    ACTIVATION,
    ANY_FLOAT,
    BOOL,
    OPTIONAL_ACTIVATION,
    OPTIONAL_PAIR,
    PADDING,
    PADDING2D,
    PAIR,
    POSITIVE,
    POSITIVE_FLOAT,
    REQUIRED,
    UNIT_FLOAT,
    Attr,
    AttrType,
    OpDef,
    ShapeError,
    choice,
    feature_map,
    format_shape,
    prod,
    window,
)

# --- attributes shared by several ops ------------------------------------------------

KERNEL = Attr("kernel", PAIR, help="window size: n or [h, w]", keras="kernel_size", positional=True)
STRIDES = Attr("strides", PAIR, 1, "step of the window: n or [h, w]", keras="strides")
CONV_PADDING = Attr("padding", PADDING, "valid", "'valid' (no padding) or 'same'", keras="padding")
DILATION = Attr("dilation", PAIR, 1, "dilation rate: n or [h, w]", keras="dilation_rate")
USE_BIAS = Attr("use_bias", BOOL, True, "add a bias vector", keras="use_bias")
FUSED_ACTIVATION = Attr(
    "activation", OPTIONAL_ACTIVATION, None, "activation applied inside the layer", "activation"
)
DEPTH_MULTIPLIER = Attr(
    "depth_multiplier", POSITIVE, 1, "channels out per channel in", keras="depth_multiplier"
)


# --- input -------------------------------------------------------------------------

INPUT = OpDef(
    name="input",
    family="input",
    help="the model input (created from the spec's `input:`)",
    attrs=(Attr("shape", AttrType("shape", tuple), help="shape without the batch axis"),),
    shape=lambda a, inputs: a["shape"],
    keras_class="InputLayer",
)


# --- convolutions ----------------------------------------------------------------------


def _window(op: str, a, inputs) -> tuple[int, int]:
    """Output height and width of a convolution's sliding window."""
    return window(op, inputs[0], a["kernel"], a["strides"], a["padding"], a["dilation"])


def _filters_shape(op: str):
    """Shape rule of a convolution with `filters` output channels."""

    def shape(a, inputs):
        return (*_window(op, a, inputs), a["filters"])

    return shape


def _conv_params(a, inputs, out):
    kernel = prod(a["kernel"]) * inputs[0][-1] * a["filters"]
    return (kernel + (a["filters"] if a["use_bias"] else 0), 0)


def _conv_flops(a, inputs, out):
    return prod(out) * prod(a["kernel"]) * inputs[0][-1]


CONV2D = OpDef(
    name="conv2d",
    family="conv",
    help="2-D convolution (keras Conv2D)",
    attrs=(
        Attr("filters", POSITIVE, help="output channels", keras="filters", positional=True),
        KERNEL,
        STRIDES,
        CONV_PADDING,
        DILATION,
        USE_BIAS,
        FUSED_ACTIVATION,
    ),
    shape=_filters_shape("conv2d"),
    params=_conv_params,
    flops=_conv_flops,
    keras_class="Conv2D",
)


def _depthwise_shape(a, inputs):
    return (*_window("depthwise_conv2d", a, inputs), inputs[0][-1] * a["depth_multiplier"])


def _depthwise_params(a, inputs, out):
    channels = inputs[0][-1] * a["depth_multiplier"]
    return (prod(a["kernel"]) * channels + (channels if a["use_bias"] else 0), 0)


def _depthwise_flops(a, inputs, out):
    return prod(out) * prod(a["kernel"])


DEPTHWISE_CONV2D = OpDef(
    name="depthwise_conv2d",
    family="conv",
    help="depthwise 2-D convolution, one filter per channel (keras DepthwiseConv2D)",
    attrs=(KERNEL, STRIDES, CONV_PADDING, DEPTH_MULTIPLIER, DILATION, USE_BIAS, FUSED_ACTIVATION),
    shape=_depthwise_shape,
    params=_depthwise_params,
    flops=_depthwise_flops,
    keras_class="DepthwiseConv2D",
)


def _separable_params(a, inputs, out):
    depthwise = prod(a["kernel"]) * inputs[0][-1] * a["depth_multiplier"]
    pointwise = inputs[0][-1] * a["depth_multiplier"] * a["filters"]
    return (depthwise + pointwise + (a["filters"] if a["use_bias"] else 0), 0)


def _separable_flops(a, inputs, out):
    height, width, _ = out
    depthwise_channels = inputs[0][-1] * a["depth_multiplier"]
    per_position = depthwise_channels * (prod(a["kernel"]) + a["filters"])
    return height * width * per_position


SEPARABLE_CONV2D = OpDef(
    name="separable_conv2d",
    family="conv",
    help="depthwise then pointwise 2-D convolution (keras SeparableConv2D)",
    attrs=(
        Attr("filters", POSITIVE, help="output channels", keras="filters", positional=True),
        KERNEL,
        STRIDES,
        CONV_PADDING,
        DEPTH_MULTIPLIER,
        DILATION,
        USE_BIAS,
        FUSED_ACTIVATION,
    ),
    shape=_filters_shape("separable_conv2d"),
    params=_separable_params,
    flops=_separable_flops,
    keras_class="SeparableConv2D",
)


# --- normalization, activations, regularization ---------------------------------------


def _same_shape(a, inputs):
    return inputs[0]


def _batch_norm_params(a, inputs, out):
    channels = inputs[0][-1]
    return ((int(a["center"]) + int(a["scale"])) * channels, 2 * channels)


BATCH_NORM = OpDef(
    name="batch_norm",
    family="norm",
    help="batch normalization over the channels (keras BatchNormalization)",
    attrs=(
        Attr("center", BOOL, True, "learn an offset (beta)", keras="center"),
        Attr("scale", BOOL, True, "learn a scale (gamma)", keras="scale"),
        Attr("epsilon", POSITIVE_FLOAT, 0.001, "added to the variance", keras="epsilon"),
        Attr("momentum", UNIT_FLOAT, 0.99, "moving-average momentum", keras="momentum"),
    ),
    shape=_same_shape,
    params=_batch_norm_params,
    keras_class="BatchNormalization",
)

ACTIVATION_OP = OpDef(
    name="activation",
    family="activation",
    help="an activation function (keras Activation); `relu`, `sigmoid`... are shorthands",
    attrs=(
        Attr("function", ACTIVATION, help="which function", keras="activation", positional=True),
    ),
    shape=_same_shape,
    keras_class="Activation",
)

DROPOUT = OpDef(
    name="dropout",
    family="regularization",
    help="randomly zeroes inputs while training (keras Dropout)",
    attrs=(Attr("rate", UNIT_FLOAT, help="fraction dropped", keras="rate", positional=True),),
    shape=_same_shape,
    keras_class="Dropout",
)

SCALE = OpDef(
    name="scale",
    family="activation",
    help="multiplies by a constant (keras Rescaling)",
    attrs=(Attr("scale", ANY_FLOAT, help="the factor", keras="scale", positional=True),),
    shape=_same_shape,
    keras_class="Rescaling",
)


# --- pooling -------------------------------------------------------------------------------


def _pool_shape(op: str):
    def shape(a, inputs):
        strides = a["strides"] or a["size"]
        height, width = window(op, inputs[0], a["size"], strides, a["padding"])
        return (height, width, inputs[0][-1])

    return shape


def _pool_attrs(size_default) -> tuple[Attr, ...]:
    return (
        Attr("size", PAIR, size_default, "window: n or [h, w]", keras="pool_size", positional=True),
        Attr("strides", OPTIONAL_PAIR, None, "step (default: the window size)", keras="strides"),
        CONV_PADDING,
    )


MAX_POOL = OpDef(
    name="max_pool",
    family="pool",
    help="2-D max pooling (keras MaxPooling2D)",
    attrs=_pool_attrs(2),
    shape=_pool_shape("max_pool"),
    keras_class="MaxPooling2D",
)

AVG_POOL = OpDef(
    name="avg_pool",
    family="pool",
    help="2-D average pooling (keras AveragePooling2D)",
    attrs=_pool_attrs(REQUIRED),  # Keras' AveragePooling2D has no default size
    shape=_pool_shape("avg_pool"),
    keras_class="AveragePooling2D",
)


def _global_pool_shape(op: str):
    def shape(a, inputs):
        return (feature_map(op, inputs[0])[-1],)

    return shape


GLOBAL_AVG_POOL = OpDef(
    name="global_avg_pool",
    family="pool",
    help="mean over height and width (keras GlobalAveragePooling2D)",
    attrs=(),
    shape=_global_pool_shape("global_avg_pool"),
    keras_class="GlobalAveragePooling2D",
)

GLOBAL_MAX_POOL = OpDef(
    name="global_max_pool",
    family="pool",
    help="max over height and width (keras GlobalMaxPooling2D)",
    attrs=(),
    shape=_global_pool_shape("global_max_pool"),
    keras_class="GlobalMaxPooling2D",
)


# --- reshaping -----------------------------------------------------------------------------


def _zero_padding_shape(a, inputs):
    height, width, channels = feature_map("zero_padding", inputs[0])
    (top, bottom), (left, right) = a["padding"]
    return (height + top + bottom, width + left + right, channels)


ZERO_PADDING = OpDef(
    name="zero_padding",
    family="reshape",
    help="pads height and width with zeros (keras ZeroPadding2D)",
    attrs=(
        Attr("padding", PADDING2D, 1, "n, [h, w] or [[top, bottom], [left, right]]", "padding"),
    ),
    shape=_zero_padding_shape,
    keras_class="ZeroPadding2D",
)


def _flatten_shape(a, inputs):
    return (prod(inputs[0]),)


FLATTEN = OpDef(
    name="flatten",
    family="reshape",
    help="flattens to a vector (keras Flatten)",
    attrs=(),
    shape=_flatten_shape,
    keras_class="Flatten",
)


def _resize_shape(a, inputs):
    channels = feature_map("resize", inputs[0])[-1]
    return (a["height"], a["width"], channels)


RESIZE = OpDef(
    name="resize",
    family="reshape",
    help="resizes height and width to a fixed size (keras Resizing)",
    attrs=(
        Attr("height", POSITIVE, help="output height", keras="height", positional=True),
        Attr("width", POSITIVE, help="output width", keras="width", positional=True),
        Attr(
            "interpolation",
            choice("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"),
            "bilinear",
            "how pixels are interpolated",
            keras="interpolation",
        ),
    ),
    shape=_resize_shape,
    keras_class="Resizing",
)


# --- dense -------------------------------------------------------------------------------------


def _dense_shape(a, inputs):
    return (*inputs[0][:-1], a["units"])


def _dense_params(a, inputs, out):
    return (inputs[0][-1] * a["units"] + (a["units"] if a["use_bias"] else 0), 0)


def _dense_flops(a, inputs, out):
    return prod(inputs[0]) * a["units"]


DENSE = OpDef(
    name="dense",
    family="dense",
    help="fully connected layer on the last axis (keras Dense)",
    attrs=(
        Attr("units", POSITIVE, help="output size", keras="units", positional=True),
        FUSED_ACTIVATION,
        USE_BIAS,
    ),
    shape=_dense_shape,
    params=_dense_params,
    flops=_dense_flops,
    keras_class="Dense",
)


# --- merges ------------------------------------------------------------------------------------


def _concat_shape(a, inputs):
    if len({len(s) for s in inputs}) != 1 or any(s[:-1] != inputs[0][:-1] for s in inputs):
        shapes = ", ".join(format_shape(s) for s in inputs)
        raise ShapeError(
            f"concat joins channels, so every branch must have the same height and width; "
            f"the branches give {shapes}",
            hint="give the branches the same strides and padding",
        )
    return (*inputs[0][:-1], sum(s[-1] for s in inputs))


CONCAT = OpDef(
    name="concat",
    family="merge",
    help="joins branches along the channels (keras Concatenate)",
    attrs=(),
    shape=_concat_shape,
    keras_class="Concatenate",
    merge=True,
)


def _add_shape(a, inputs):
    if any(s != inputs[0] for s in inputs):
        shapes = ", ".join(format_shape(s) for s in inputs)
        raise ShapeError(
            f"add needs paths of the same shape; they give {shapes}",
            hint="project the shortcut (a 1x1 conv2d with the same strides and filters) "
            "or fix the residual's filters",
        )
    return inputs[0]


ADD = OpDef(
    name="add",
    family="merge",
    help="sums paths of the same shape (keras Add)",
    attrs=(),
    shape=_add_shape,
    keras_class="Add",
    merge=True,
)

SCALED_ADD = OpDef(
    name="scaled_add",
    family="merge",
    help="first path + scale * second path, as Inception-ResNet's residuals "
    "(keras.applications' CustomScaleLayer)",
    attrs=(
        Attr("scale", ANY_FLOAT, help="factor on the residual", keras="scale", positional=True),
    ),
    shape=_add_shape,
    keras_class="ScaledAdd",
    merge=True,
    custom_layer=True,
)

ALL = (
    INPUT,
    CONV2D,
    DEPTHWISE_CONV2D,
    SEPARABLE_CONV2D,
    BATCH_NORM,
    ACTIVATION_OP,
    DROPOUT,
    SCALE,
    MAX_POOL,
    AVG_POOL,
    GLOBAL_AVG_POOL,
    GLOBAL_MAX_POOL,
    ZERO_PADDING,
    FLATTEN,
    RESIZE,
    DENSE,
    CONCAT,
    ADD,
    SCALED_ADD,
)
