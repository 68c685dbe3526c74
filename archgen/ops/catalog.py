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

from math import prod

from archgen.ops.base import (
    ACTIVATION,
    ANY_FLOAT,
    BOOL,
    OPTIONAL_ACTIVATION,
    OPTIONAL_NUMBERS,
    OPTIONAL_PAIR,
    PADDING,
    PADDING2D,
    PAIR,
    POSITIVE,
    POSITIVE_FLOAT,
    REQUIRED,
    UNIT_FLOAT,
    Attr,
    AttrError,
    AttrType,
    OpDef,
    ShapeError,
    choice,
    feature_map,
    format_pair,
    format_shape,
    format_window,
    no_flops,
    no_params,
    window,
)

# --- attributes shared by several ops ------------------------------------------------

KERNEL = Attr(
    "kernel",
    PAIR,
    help="window size: n or [h, w]",
    keras="kernel_size",
    positional=True,
    example=3,
)
STRIDES = Attr("strides", PAIR, 1, "step of the window: n or [h, w]", keras="strides")
CONV_PADDING = Attr("padding", PADDING, "valid", "'valid' (no padding) or 'same'", keras="padding")
DILATION = Attr("dilation", PAIR, 1, "dilation rate: n or [h, w]", keras="dilation_rate")
USE_BIAS = Attr("use_bias", BOOL, True, "add a bias vector", keras="use_bias")
FUSED_ACTIVATION = Attr(
    "activation", OPTIONAL_ACTIVATION, None, "activation applied inside the layer", "activation"
)
FILTERS = Attr(
    "filters", POSITIVE, help="output channels", keras="filters", positional=True, example=4
)
DEPTH_MULTIPLIER = Attr(
    "depth_multiplier", POSITIVE, 1, "channels out per channel in", keras="depth_multiplier"
)
GROUPS = Attr(
    "groups",
    POSITIVE,
    1,
    "channel groups convolved apart (filters and input channels divide by it); "
    "groups = channels is ConvNeXt's depthwise convolution",
    keras="groups",
)


# --- input -------------------------------------------------------------------------

INPUT = OpDef(
    name="input",
    family="input",
    help="the model input (created from the spec's `input:`)",
    attrs=(
        Attr(
            "shape",
            AttrType("shape", tuple),
            help="shape without the batch axis",
            example=(8, 8, 3),
        ),
    ),
    shape=lambda a, inputs: a["shape"],
    params=no_params,
    flops=no_flops,
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


def _conv_label(a) -> str:
    """3×3/2 · 32 · valid: the window, the filters, and what differs from the usual."""
    parts = [format_window(a["kernel"], a["strides"])]
    if "filters" in a:
        parts.append(str(a["filters"]))
    if a.get("depth_multiplier", 1) != 1:
        parts.append(f"×{a['depth_multiplier']}")
    if a.get("groups", 1) != 1:
        parts.append(f"groups {a['groups']}")
    if a["padding"] == "valid" and tuple(a["kernel"]) != (1, 1):
        parts.append("valid")
    if tuple(a["dilation"]) != (1, 1):
        parts.append(f"dilation {format_pair(a['dilation'])}")
    if a["activation"]:
        parts.append(a["activation"])
    return " · ".join(parts)


def _conv_params(a, inputs, out):
    # a filter of a grouped convolution sees only its group's channels
    kernel = prod(a["kernel"]) * inputs[0][-1] // a.get("groups", 1) * a["filters"]
    return (kernel + (a["filters"] if a["use_bias"] else 0), 0)


def _conv_flops(a, inputs, out):
    return prod(out) * prod(a["kernel"]) * inputs[0][-1] // a.get("groups", 1)


def _conv2d_shape(a, inputs):
    """A convolution's shape; with groups, filters and input channels must divide by them."""
    channels = feature_map("conv2d", inputs[0])[-1]
    for what, count in (("filters", a["filters"]), ("input channels", channels)):
        if count % a["groups"]:
            raise ShapeError(
                f"conv2d with groups {a['groups']} needs {what} that divide by it, got {count}",
                hint="choose groups that divide both the filters and the channels it receives",
            )
    return _filters_shape("conv2d")(a, inputs)


CONV2D = OpDef(
    name="conv2d",
    family="conv",
    help="2-D convolution (keras Conv2D)",
    attrs=(
        FILTERS,
        KERNEL,
        STRIDES,
        CONV_PADDING,
        DILATION,
        GROUPS,
        USE_BIAS,
        FUSED_ACTIVATION,
    ),
    shape=_conv2d_shape,
    params=_conv_params,
    flops=_conv_flops,
    keras_class="Conv2D",
    label=_conv_label,
)


def _transpose_shape(a, inputs):
    """Keras' deconv_output_length: n * stride, plus what a 'valid' kernel overhangs."""
    height, width, _ = feature_map("conv2d_transpose", inputs[0])
    sizes = []
    for n, k, s, d in zip((height, width), a["kernel"], a["strides"], a["dilation"], strict=True):
        span = (k - 1) * d + 1
        sizes.append(n * s + (max(span - s, 0) if a["padding"] == "valid" else 0))
    return (*sizes, a["filters"])


def _transpose_flops(a, inputs, out):
    # every input position spreads a kernel of `filters` channels: in * kernel * filters
    return prod(inputs[0]) * prod(a["kernel"]) * a["filters"]


CONV2D_TRANSPOSE = OpDef(
    name="conv2d_transpose",
    family="conv",
    help="transposed 2-D convolution, an up-convolution (keras Conv2DTranspose)",
    attrs=(FILTERS, KERNEL, STRIDES, CONV_PADDING, DILATION, USE_BIAS, FUSED_ACTIVATION),
    shape=_transpose_shape,
    params=_conv_params,
    flops=_transpose_flops,
    keras_class="Conv2DTranspose",
    label=_conv_label,
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
    label=_conv_label,
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
        FILTERS,
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
    label=_conv_label,
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
    flops=no_flops,
    keras_class="BatchNormalization",
)


def _layer_norm_params(a, inputs, out):
    channels = inputs[0][-1]  # normalized over the last axis, one gamma and beta per channel
    return ((int(a["center"]) + int(a["scale"])) * channels, 0)


LAYER_NORM = OpDef(
    name="layer_norm",
    family="norm",
    help="layer normalization over the channels of each position (keras LayerNormalization)",
    attrs=(
        Attr("epsilon", POSITIVE_FLOAT, 0.001, "added to the variance", keras="epsilon"),
        Attr("center", BOOL, True, "learn an offset (beta)", keras="center"),
        Attr("scale", BOOL, True, "learn a scale (gamma)", keras="scale"),
    ),
    shape=_same_shape,
    params=_layer_norm_params,
    flops=no_flops,
    keras_class="LayerNormalization",
    label=lambda a: f"ε {a['epsilon']:g}",
)


def _normalization_shape(a, inputs):
    """Same shape. Keras takes the statistics both or neither, of one form (two numbers,
    or two lists of one length), and a list has one value per channel or one for all."""
    mean, variance = a["mean"], a["variance"]
    if (mean is None) != (variance is None):
        raise ShapeError(
            "normalization takes mean and variance together, or neither",
            hint="give both (fixed statistics) or neither (statistics as weights, "
            "loaded from a weights file or set by adapt())",
        )
    if mean is None:
        return inputs[0]
    if _length(mean) != _length(variance):
        raise ShapeError(
            f"normalization's mean is {_describe_statistic(mean)} and its variance "
            f"{_describe_statistic(variance)}",
            hint="give two numbers, or two lists of the same length",
        )
    mean, variance = _per_channel(mean), _per_channel(variance)
    channels = inputs[0][-1]
    if len(mean) not in (1, channels):
        raise ShapeError(
            f"normalization's statistics have {len(mean)} values for {channels} channels",
            hint="give one value per channel, or one number for all",
        )
    if min(variance) < 0:
        raise ShapeError("normalization's variance cannot be negative", hint="a variance is σ²")
    return inputs[0]


def _length(statistic) -> int | None:
    """A list's length; None for a number (Keras compares the two's numpy shapes)."""
    return len(statistic) if isinstance(statistic, tuple) else None


def _describe_statistic(statistic) -> str:
    length = _length(statistic)
    return "a number" if length is None else f"a list of {length}"


def _per_channel(value) -> tuple:
    """A statistic as a tuple of values: a number is a list of one (Keras broadcasts it)."""
    return value if isinstance(value, tuple) else (value,)


def _normalization_params(a, inputs, out):
    # Without fixed statistics Keras keeps them as weights: mean and variance per
    # channel, and `count` (a scalar kept for old saved models), all non-trainable.
    if a["mean"] is not None:
        return (0, 0)
    return (0, 2 * inputs[0][-1] + 1)


NORMALIZATION = OpDef(
    name="normalization",
    family="norm",
    help="(x - mean) / sqrt(variance) per channel (keras Normalization); without mean "
    "and variance they are non-trainable weights, from a weights file or adapt()",
    attrs=(
        Attr("mean", OPTIONAL_NUMBERS, None, "per channel, or one for all", keras="mean"),
        Attr("variance", OPTIONAL_NUMBERS, None, "per channel, or one for all", keras="variance"),
    ),
    shape=_normalization_shape,
    params=_normalization_params,
    flops=no_flops,
    keras_class="Normalization",
    label=lambda a: "statistics as weights" if a["mean"] is None else "fixed statistics",
)


def _odd(value):
    value = POSITIVE(value)
    if value % 2 == 0:  # the window is centred on each channel
        raise AttrError(f"must be odd, got {value}")
    return value


LRN = OpDef(
    name="lrn",
    family="norm",
    help="local response normalization across channels, as in AlexNet and GoogLeNet: "
    "x / (k + alpha * sum of x^2 over the n channels around it) ^ beta",
    attrs=(
        Attr("alpha", POSITIVE_FLOAT, 1e-4, "scale of the sum of squares", keras="alpha"),
        Attr("k", POSITIVE_FLOAT, 2, "added to the scaled sum", keras="k"),
        Attr("beta", POSITIVE_FLOAT, 0.75, "exponent of the divisor", keras="beta"),
        Attr("n", AttrType("odd int >= 1", _odd, POSITIVE.schema), 5, "channels summed", "n"),
    ),
    shape=_same_shape,
    params=no_params,
    flops=no_flops,
    keras_class="LRN2D",
    custom_layer=True,
)

ACTIVATION_OP = OpDef(
    name="activation",
    family="activation",
    help="an activation function (keras Activation); `relu`, `sigmoid`... are shorthands",
    attrs=(
        Attr(
            "function",
            ACTIVATION,
            help="which function",
            keras="activation",
            positional=True,
            example="relu",
        ),
    ),
    shape=_same_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Activation",
)

DROPOUT = OpDef(
    name="dropout",
    family="regularization",
    help="randomly zeroes inputs while training (keras Dropout)",
    attrs=(
        Attr(
            "rate", UNIT_FLOAT, help="fraction dropped", keras="rate", positional=True, example=0.5
        ),
    ),
    shape=_same_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Dropout",
)

SCALE = OpDef(
    name="scale",
    family="activation",
    help="multiplies by a constant (keras Rescaling)",
    attrs=(
        Attr("scale", ANY_FLOAT, help="the factor", keras="scale", positional=True, example=0.5),
    ),
    shape=_same_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Rescaling",
)


def _layer_scale_shape(a, inputs):
    if inputs[0][-1] != a["projection_dim"]:
        raise ShapeError(
            f"layer_scale has projection_dim {a['projection_dim']} but receives "
            f"{inputs[0][-1]} channels",
            hint='projection_dim is the number of channels it scales: "${in_channels}"',
        )
    return inputs[0]


LAYER_SCALE = OpDef(
    name="layer_scale",
    family="activation",
    help="multiplies each channel by a learned factor that starts at init_values "
    "(keras.applications' ConvNeXt LayerScale)",
    attrs=(
        Attr(
            "init_values",
            UNIT_FLOAT,
            help="the factors' initial value",
            keras="init_values",
            positional=True,
            example=1e-6,
        ),
        Attr(
            "projection_dim",
            POSITIVE,
            help="the channels it receives",
            keras="projection_dim",
            positional=True,
            example=3,
        ),
    ),
    shape=_layer_scale_shape,
    params=lambda a, inputs, out: (a["projection_dim"], 0),
    flops=no_flops,
    keras_class="LayerScale",
    label=lambda a: f"× {a['init_values']:g}",
    custom_layer=True,
)


# --- pooling -------------------------------------------------------------------------------


def _pool_shape(op: str):
    def shape(a, inputs):
        strides = a["strides"] or a["size"]
        height, width = window(op, inputs[0], a["size"], strides, a["padding"])
        return (height, width, inputs[0][-1])

    return shape


def _pool_label(a) -> str:
    """3×3/2, or 3×3 · same: the window with its stride, and 'same' padding."""
    text = format_window(a["size"], a["strides"] or a["size"])
    return f"{text} · same" if a["padding"] == "same" else text


def _pool_attrs(size_default) -> tuple[Attr, ...]:
    return (
        Attr(
            "size",
            PAIR,
            size_default,
            "window: n or [h, w]",
            keras="pool_size",
            positional=True,
            example=3,
        ),
        Attr("strides", OPTIONAL_PAIR, None, "step (default: the window size)", keras="strides"),
        CONV_PADDING,
    )


MAX_POOL = OpDef(
    name="max_pool",
    family="pool",
    help="2-D max pooling (keras MaxPooling2D)",
    attrs=_pool_attrs(2),
    shape=_pool_shape("max_pool"),
    params=no_params,
    flops=no_flops,
    keras_class="MaxPooling2D",
    label=_pool_label,
)

AVG_POOL = OpDef(
    name="avg_pool",
    family="pool",
    help="2-D average pooling (keras AveragePooling2D)",
    attrs=_pool_attrs(REQUIRED),  # Keras' AveragePooling2D has no default size
    shape=_pool_shape("avg_pool"),
    params=no_params,
    flops=no_flops,
    keras_class="AveragePooling2D",
    label=_pool_label,
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
    params=no_params,
    flops=no_flops,
    keras_class="GlobalAveragePooling2D",
)

GLOBAL_MAX_POOL = OpDef(
    name="global_max_pool",
    family="pool",
    help="max over height and width (keras GlobalMaxPooling2D)",
    attrs=(),
    shape=_global_pool_shape("global_max_pool"),
    params=no_params,
    flops=no_flops,
    keras_class="GlobalMaxPooling2D",
)


# --- reshaping -----------------------------------------------------------------------------


def _zero_padding_shape(a, inputs):
    height, width, channels = feature_map("zero_padding", inputs[0])
    (top, bottom), (left, right) = a["padding"]
    return (height + top + bottom, width + left + right, channels)


def _zero_padding_label(a) -> str:
    (top, bottom), (left, right) = a["padding"]
    return f"{top},{bottom},{left},{right}"


ZERO_PADDING = OpDef(
    name="zero_padding",
    family="reshape",
    help="pads height and width with zeros (keras ZeroPadding2D)",
    attrs=(
        Attr("padding", PADDING2D, 1, "n, [h, w] or [[top, bottom], [left, right]]", "padding"),
    ),
    shape=_zero_padding_shape,
    params=no_params,
    flops=no_flops,
    keras_class="ZeroPadding2D",
    label=_zero_padding_label,
)


def _flatten_shape(a, inputs):
    return (prod(inputs[0]),)


FLATTEN = OpDef(
    name="flatten",
    family="reshape",
    help="flattens to a vector (keras Flatten)",
    attrs=(),
    shape=_flatten_shape,
    params=no_params,
    flops=no_flops,
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
        Attr("height", POSITIVE, help="output height", keras="height", positional=True, example=4),
        Attr("width", POSITIVE, help="output width", keras="width", positional=True, example=6),
        Attr(
            "interpolation",
            choice("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"),
            "bilinear",
            "how pixels are interpolated",
            keras="interpolation",
        ),
    ),
    shape=_resize_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Resizing",
    label=lambda a: f"{a['height']}×{a['width']} {a['interpolation']}",
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
        Attr("units", POSITIVE, help="output size", keras="units", positional=True, example=5),
        FUSED_ACTIVATION,
        USE_BIAS,
    ),
    shape=_dense_shape,
    params=_dense_params,
    flops=_dense_flops,
    keras_class="Dense",
    label=lambda a: " · ".join(str(v) for v in (a["units"], a["activation"]) if v),
)


# --- merges ------------------------------------------------------------------------------------


def _concat_shape(a, inputs):
    if len({len(s) for s in inputs}) != 1 or any(s[:-1] != inputs[0][:-1] for s in inputs):
        shapes = ", ".join(format_shape(s) for s in inputs)
        raise ShapeError(
            f"concat joins channels, so every branch must have the same height and width; "
            f"the branches give {shapes}",
            hint="give the branches the same strides and padding",
            shapes_text=shapes,
        )
    return (*inputs[0][:-1], sum(s[-1] for s in inputs))


CONCAT = OpDef(
    name="concat",
    family="merge",
    help="joins branches along the channels (keras Concatenate)",
    attrs=(),
    shape=_concat_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Concatenate",
    merge=True,
    construct="concat",
)


def _add_shape(a, inputs):
    if not a.get("layer", True) and len(inputs) != 2:
        raise ShapeError(
            f"add with layer: false is keras.ops.add, which sums two paths, not {len(inputs)}",
            hint="nest the sums, or leave out layer: false for an Add layer",
        )
    if any(s != inputs[0] for s in inputs):
        shapes = ", ".join(format_shape(s) for s in inputs)
        if all(s[:-1] == inputs[0][:-1] for s in inputs):  # only the channels differ
            hint = (
                "project the shortcut (a 1x1 conv2d with the residual's filters) "
                "or fix the residual's filters"
            )
        else:  # the sizes differ: filters would not help
            hint = (
                "the paths give different sizes: check their strides and padding (a "
                "projection shortcut needs the residual's strides)"
            )
        raise ShapeError(
            f"add needs paths of the same shape; they give {shapes}",
            hint=hint,
            shapes_text=shapes,
        )
    return inputs[0]


ADD = OpDef(
    name="add",
    family="merge",
    help="sums paths of the same shape (keras Add)",
    attrs=(
        Attr(
            "layer",
            BOOL,
            True,
            "false: the sum is keras.ops.add(a, b), an operation that keras.Model.layers "
            "does not list, as keras.applications' ConvNeXt writes `inputs + x`",
            constant=True,
        ),
    ),
    shape=_add_shape,
    params=no_params,
    flops=no_flops,
    keras_class="Add",
    merge=True,
    construct="add",
    keras_operation=lambda a: None if a["layer"] else "add",
)

SCALED_ADD = OpDef(
    name="scaled_add",
    family="merge",
    help="first path + scale * second path, as Inception-ResNet's residuals "
    "(keras.applications' CustomScaleLayer)",
    attrs=(
        Attr(
            "scale",
            ANY_FLOAT,
            help="factor on the residual",
            keras="scale",
            positional=True,
            example=0.5,
        ),
    ),
    shape=_add_shape,
    params=no_params,
    flops=no_flops,
    keras_class="ScaledAdd",
    merge=True,
    construct="add",
    arity=2,  # the shortcut, and the residual it scales
    custom_layer=True,
)

ALL = (
    INPUT,
    CONV2D,
    CONV2D_TRANSPOSE,
    DEPTHWISE_CONV2D,
    SEPARABLE_CONV2D,
    BATCH_NORM,
    LAYER_NORM,
    NORMALIZATION,
    LRN,
    ACTIVATION_OP,
    DROPOUT,
    SCALE,
    LAYER_SCALE,
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
