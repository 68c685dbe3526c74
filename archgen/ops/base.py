"""The building blocks of the op registry: attribute types and the OpDef record.

An op is declared once, as an OpDef: its attributes (with types, defaults, an
example value and the Keras keyword each one becomes), its shape rule, its
parameter rule, its FLOP rule, its family, its short label and its Keras layer
class. Every back end, the schema, the docs' op table and the tests read the
same record (as ONNX's OpSchema or LLVM's TableGen records do).

Shapes are tuples without the batch axis, channels last: (H, W, C) for feature
maps, (N,) for vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archgen.limits import MAX_SIZE

REQUIRED = type("Required", (), {"__repr__": lambda self: "required"})()


class AttrError(ValueError):
    """A value does not fit an attribute; the message says what was expected."""


class ShapeError(Exception):
    """An op cannot take the shapes it receives."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        too_small: bool = False,
        shapes_text: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # True when a larger input would have fixed it (the min-input pass then helps).
        self.too_small = too_small
        # a merge: the part of the message that lists its inputs' shapes, which the shape
        # pass (it knows the branches) replaces with the shapes named by branch
        self.shapes_text = shapes_text


# --- attribute types: each checks a value and returns its normalized form --------


@dataclass(frozen=True)
class AttrType:
    name: str  # shown in errors, `archgen ops` and the JSON schema
    check: Callable
    schema: dict = field(default_factory=dict)

    def __call__(self, value):
        return self.check(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value):
    if not _is_int(value):
        raise AttrError(f"expected a whole number, got {_describe(value)}")
    if value < 1:
        raise AttrError(f"must be at least 1, got {value}")
    if value > MAX_SIZE:
        raise AttrError(f"{value:,} is larger than the limit of {MAX_SIZE:,}")
    return value


def _non_negative(value):
    if not _is_int(value) or value < 0:
        raise AttrError(f"expected a whole number >= 0, got {_describe(value)}")
    if value > MAX_SIZE:
        raise AttrError(f"{value:,} is larger than the limit of {MAX_SIZE:,}")
    return value


def _pair_of(item_check):
    def check(value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise AttrError(f"expected one number or two [height, width], got {len(value)}")
            return (item_check(value[0]), item_check(value[1]))
        return (item_check(value), item_check(value))

    return check


def _float_between(low: float, high: float):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AttrError(f"expected a number, got {_describe(value)}")
        if not low <= value <= high:
            raise AttrError(f"must be between {low} and {high}, got {value}")
        return float(value)

    return check


def _optional_numbers(value):
    """null, a number, or a list of numbers (one per channel): Normalization's statistics."""
    number = _float_between(-1e9, 1e9)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            raise AttrError("expected one number per channel, got an empty list")
        return tuple(number(v) for v in value)
    return number(value)


def _bool(value):
    if not isinstance(value, bool):
        raise AttrError(f"expected true or false, got {_describe(value)}")
    return value


def _padding2d(value):
    """Keras ZeroPadding2D: n, [h, w] or [[top, bottom], [left, right]]."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        if len(value) != 2:
            raise AttrError("expected [[top, bottom], [left, right]]")
        return tuple(_pair_of(_non_negative)(side) for side in value)
    height, width = _pair_of(_non_negative)(value)
    return ((height, height), (width, width))


def choice(*options: str) -> AttrType:
    def check(value):
        if value not in options:
            raise AttrError(f"expected one of {', '.join(options)}; got {_describe(value)}")
        return value

    return AttrType("|".join(options), check, {"enum": list(options)})


def _describe(value) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return f"the list {list(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


_INT_SCHEMA = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\$"}]}
_PAIR_SCHEMA = {"anyOf": [_INT_SCHEMA, {"type": "array", "maxItems": 2, "minItems": 2}]}
POSITIVE = AttrType("int >= 1", _positive, _INT_SCHEMA)
PAIR = AttrType("int or [h, w]", _pair_of(_positive), _PAIR_SCHEMA)
OPTIONAL_PAIR = AttrType(
    "int or [h, w] (default: the pool size)",
    lambda v: None if v is None else _pair_of(_positive)(v),
    _PAIR_SCHEMA,
)
PADDING2D = AttrType(
    "int, [h, w] or [[top, bottom], [left, right]]",
    _padding2d,
    {"anyOf": [{"type": "integer"}, {"type": "array", "minItems": 2, "maxItems": 2}]},
)
BOOL = AttrType("bool", _bool, {"type": "boolean"})
_NUMBER = {"type": "number"}
OPTIONAL_NUMBERS = AttrType(
    "number, list of numbers or null",
    _optional_numbers,
    {"anyOf": [_NUMBER, {"type": "array", "items": _NUMBER}, {"type": "null"}]},
)
UNIT_FLOAT = AttrType("number in [0, 1]", _float_between(0.0, 1.0), _NUMBER)
ANY_FLOAT = AttrType("number", _float_between(-1e9, 1e9), _NUMBER)
POSITIVE_FLOAT = AttrType("number > 0", _float_between(1e-12, 1e9), _NUMBER)
PADDING = choice("valid", "same")
ACTIVATION_NAMES = (
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "hard_swish",
    "mish",
    "exponential",
)
ACTIVATION = choice(*ACTIVATION_NAMES)
OPTIONAL_ACTIVATION = AttrType(
    "activation name or null",
    lambda v: None if v is None else ACTIVATION(v),
    {"enum": [None, *ACTIVATION_NAMES]},
)


@dataclass(frozen=True)
class Attr:
    """One attribute of an op.

    `keras` is the keyword it becomes on the Keras layer (None: not passed);
    `positional` passes it positionally, as people write Conv2D(64, 3).
    Defaults equal Keras' own defaults (a test checks it), so a back end may omit
    an attribute the spec did not set. A required attribute has an `example`, a
    value that fits it: the schema shows it and the tests build the op with it.
    """

    name: str
    type: AttrType
    default: object = REQUIRED
    help: str = ""
    keras: str | None = None
    positional: bool = False
    example: object = None
    # the spec must write it as a constant, not a $name: it decides what code is generated
    constant: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def sample(self):
        """A value that fits: the example of a required attribute, else the default."""
        return self.example if self.required else self.default


# The rules of an op without weights, declared by name so that "no parameters" is
# a statement of the op's entry, never a default standing in for a forgotten rule.


def no_params(attrs, inputs, output) -> tuple[int, int]:
    return (0, 0)


def no_flops(attrs, inputs, output) -> int:
    return 0


@dataclass(frozen=True, kw_only=True)
class OpDef:
    """One op. The rules are required keywords: an entry without one does not import."""

    name: str
    family: str  # conv, norm, activation, pool, merge, reshape, dense, input, ...
    help: str
    attrs: tuple[Attr, ...]
    shape: Callable  # (attrs, [input shapes]) -> output shape
    params: Callable  # (attrs, inputs, output) -> (trainable, non_trainable)
    flops: Callable  # (attrs, inputs, output) -> multiply-accumulates
    keras_class: str  # a class in keras.layers, or in backends/custom_layers.py
    # (attrs) -> the key attributes, short, for diagrams: "3×3/2 · 32". None: the
    # required attributes' values (see `key_attributes`).
    label: Callable | None = None
    merge: bool = False  # takes several inputs (concat, add)
    # a merge: the spec keyword that makes it (`concat:`, `add:`); when several ops share
    # one, the merge whose attributes a spec gives picks the op that has them (add, scale)
    construct: str | None = None
    arity: int | None = None  # a merge that takes exactly this many inputs
    custom_layer: bool = False  # keras_class is defined by archgen, not keras.layers
    # (attrs) -> the keras.ops function the op is with these attributes (applied to its
    # inputs: an operation, which keras.Model.layers does not list), or None: a layer
    keras_operation: Callable | None = None

    def operation(self, attrs: dict) -> str | None:
        """The keras.ops function the op is with `attrs`, or None when it is a layer."""
        return self.keras_operation(attrs) if self.keras_operation else None

    def attr(self, name: str) -> Attr | None:
        return next((a for a in self.attrs if a.name == name), None)

    def key_attributes(self, attrs: dict) -> str:
        """What a diagram writes after the op's name: the op's label rule, or by default
        its required attributes' values ("0.5" for dropout, "relu" for activation)."""
        if self.label is not None:
            return self.label(attrs)
        return " · ".join(format_value(attrs[a.name]) for a in self.attrs if a.required)

    def keras_call(self, values: dict) -> KerasCall:
        """The Keras layer call for `values` (attribute name -> value), the one mapping
        both back ends use: the runtime builder passes values, the source generator the
        text of expressions. An attribute missing from `values` is left to Keras' default
        (equal to the declared one); a positional attribute after a missing one becomes a
        keyword.
        """
        args, kwargs, positional = [], [], True
        for attr in self.attrs:
            if attr.keras is None or attr.name not in values:
                positional = positional and not attr.positional
                continue
            if attr.positional and positional:
                args.append(values[attr.name])
            else:
                kwargs.append((attr.keras, values[attr.name]))
        return KerasCall(self.keras_class, self.custom_layer, tuple(args), tuple(kwargs))


@dataclass(frozen=True)
class KerasCall:
    """One Keras layer as code writes it: `Conv2D(64, 3, strides=2)`, without `name`."""

    class_name: str  # in keras.layers, or (custom) in backends/custom_layers.py
    custom: bool
    args: tuple
    kwargs: tuple  # (keyword, value) pairs, in declaration order


# --- shape arithmetic shared by convolutions and pools -----------------------------


def spatial(size: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Keras' output size along one axis (floor for 'valid', ceil for 'same')."""
    if padding == "same":
        return -(-size // stride)
    span = (kernel - 1) * dilation + 1
    return (size - span) // stride + 1 if size >= span else 0


def feature_map(op: str, shape: tuple) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(
            f"{op} needs a feature map (height x width x channels), "
            f"but receives a tensor of shape {format_shape(shape)}",
            hint="feature-map ops come before flatten / global pooling",
        )
    return shape


def window(op: str, shape: tuple, kernel, strides, padding: str, dilation=(1, 1)):
    """Output (H, W) of a sliding window, or a ShapeError saying why it does not fit."""
    height, width, _ = feature_map(op, shape)
    if max(strides) > 1 and max(dilation) > 1:  # Keras refuses the pair when it builds
        raise ShapeError(
            f"{op} cannot combine strides > 1 with dilation > 1",
            hint="use strides 1 with a dilated window, or dilation 1 with strides",
        )
    out = tuple(
        spatial(n, k, s, padding, d)
        for n, k, s, d in zip((height, width), kernel, strides, dilation, strict=True)
    )
    if min(out) < 1:
        span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
        raise ShapeError(
            f"{op} {span[0]}x{span[1]} with padding 'valid' does not fit "
            f"the {height}x{width} map it receives",
            hint="the input is too small for this network",
            too_small=True,
        )
    return out


def format_shape(shape) -> str:
    return " x ".join(str(n) for n in shape)


# --- short labels: how diagrams write attribute values -------------------------------------


def format_value(value) -> str:
    """An attribute value, short: 3×3 for a pair or a shape, 0.5, relu."""
    if isinstance(value, (list, tuple)):
        return "×".join(format_value(v) for v in value)
    return str(value)


def format_pair(value) -> str:
    """A pair, shortest: 2 for (2, 2), 1×7 otherwise."""
    height, width = value
    return str(height) if height == width else f"{height}×{width}"


def format_window(kernel, strides=None) -> str:
    """3×3, 3×3/2, 1×7: a kernel or pool window with its stride when not 1."""
    text = f"{kernel[0]}×{kernel[1]}"
    if strides and tuple(strides) != (1, 1):
        text += f"/{format_pair(strides)}"
    return text
