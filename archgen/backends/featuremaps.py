"""Feature-map views: what chosen layers of a network make of one image.

As in the visualization section of the seed notes (InceptionV3 feature maps):
build the model from the spec (`arch.keras_model()`), load trained weights, run
one image through it and draw the first channels of each chosen layer in a
grid, one row per layer. Layer names are the spec's: a layer's full name, or a
block instance such as `mixed0` (or a branch, `mixed0.branch5x5`), which stands
for the layer that carries the block's output.

Computing the maps (`activations`) is kept apart from drawing them
(`feature_grid`). Images are read and written with Pillow (as keras.utils'
load_img/save_img do); TensorFlow is imported only by `activations`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archgen.errors import EnvError, UsageError, did_you_mean
from archgen.ops.base import format_shape
from archgen.report import groups

# --- style -----------------------------------------------------------------------------------

TILE = 96  # pixels per channel tile
GAP = 4  # between tiles
MARGIN = 12
LABEL_WIDTH = 200
FONT_SIZE = 13
BACKGROUND = (255, 255, 255)
TEXT_COLOR = (34, 34, 34)
MUTED_COLOR = (95, 107, 122)
# viridis (matplotlib's default colour map) at 0, 1/8, ..., 1; interpolated linearly
VIRIDIS = np.array(
    [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ],
    dtype=np.float64,
)

# Input scalings, applied to 0..255 pixels.
PREPROCESS = {
    "inception": lambda x: x / 127.5 - 1.0,  # keras.applications.inception_v3.preprocess_input
    "unit": lambda x: x / 255.0,
    "none": lambda x: x,
}


class FeatureMapError(UsageError):
    """A layer name or option that cannot be used for feature maps (bad usage: exit 2)."""


class UnusableFile(EnvError):
    """A weights file or an image that cannot be read or used (the environment: exit 4)."""


# --- choosing layers -------------------------------------------------------------------------


def resolve_layer(arch, name: str) -> str:
    """The layer a spec name stands for: a layer itself, or the output layer of a block
    instance (`mixed0`) or of a part of one (`mixed0.branch5x5`)."""
    graph = arch.graph
    names = [node.name for node in arch.layers]
    if name in names:
        return name
    key = tuple(name.split("."))
    members = [n for n in arch.layers if n.scope[: len(key)] == key]
    if not members:
        blocks = [g.name for g in groups(arch.layers, graph.regions)]
        raise FeatureMapError(
            f"'{name}' is neither a layer nor a block of {arch.name}",
            hint=did_you_mean(name, [*blocks, *names]) or f"blocks: {', '.join(blocks)}",
        )
    inside = {n.name for n in members}
    exits = [
        n
        for n in members
        if n.name in graph.outputs or any(c not in inside for c in graph.consumers(n.name))
    ]
    return (exits or members)[-1].name


def feature_map_layers(arch, names: list[str]) -> list[str]:
    """Resolve names; each must give a feature map (height x width x channels)."""
    layers = []
    for name in names:
        layer = resolve_layer(arch, name)
        container = arch.graph[layer].container
        if container and arch.graph.containers[container][-1].name != layer:
            raise FeatureMapError(
                f"'{name}' is a layer inside the keras.Sequential '{container}', which gives "
                "the model only its last layer's output",
                hint=f"choose '{container}'",
            )
        shape = arch.graph[layer].shape
        if len(shape) != 3:
            raise FeatureMapError(
                f"'{name}' gives {format_shape(shape)}, not a feature map "
                "(height x width x channels)",
                hint="choose a layer before global pooling or flatten",
            )
        layers.append(layer)
    return layers


# --- computing ---------------------------------------------------------------------------------


def load_image(path: str | Path, shape: tuple, preprocess: str = "inception") -> np.ndarray:
    """The image at `path` resized to the input (H, W, C) and scaled: a batch of one."""
    from PIL import Image, UnidentifiedImageError

    height, width, channels = shape
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise FeatureMapError(f"an image has 1, 3 or 4 channels; the input has {channels}")
    try:
        with warnings.catch_warnings():  # PIL only warns up to twice its pixel limit
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                pixels = image.convert(modes[channels]).resize((width, height), Image.BILINEAR)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnusableFile(
            f"the image {path} is too large to decode safely: {exc}",
            hint="resize it first: the network sees only the input size",
        ) from None
    except (OSError, UnidentifiedImageError) as exc:
        raise UnusableFile(f"cannot read the image {path}: {exc}") from None
    array = np.asarray(pixels, dtype=np.float32).reshape(height, width, channels)
    return PREPROCESS[preprocess](array)[np.newaxis]


def activations(arch, weights: str | Path, batch: np.ndarray, layers: list[str]) -> list:
    """The outputs of `layers` for `batch`, from the model with `weights` loaded."""
    from archgen.backends.keras_runtime import build_model_and_tensors, import_keras

    keras = import_keras()  # without TensorFlow's start-up lines
    model, tensors = build_model_and_tensors(arch)
    if not Path(weights).is_file():
        raise UnusableFile(f"no weights file {weights}")
    try:
        model.load_weights(str(weights))
    except ValueError as exc:
        raise UnusableFile(
            f"the weights in {weights} do not fit {arch.name}: {exc}",
            hint="save them from a model built from the same spec (and the same --set values)",
        ) from None
    # by tensor, not by layer name: an operation (keras.ops.add) has no name of ours
    probe = keras.Model(model.inputs, [tensors[name] for name in layers])
    outputs = probe.predict(batch, verbose=0)
    if len(layers) == 1:
        outputs = [outputs]
    return [np.asarray(output[0]) for output in outputs]


# --- drawing -----------------------------------------------------------------------------------


def normalize(channel: np.ndarray) -> np.ndarray:
    """Scale one channel to 0..1 (a constant channel becomes 0)."""
    channel = channel.astype(np.float64)
    low, high = float(channel.min()), float(channel.max())
    if high - low <= 1e-12:
        return np.zeros_like(channel)
    return (channel - low) / (high - low)


def colorize(values: np.ndarray) -> np.ndarray:
    """0..1 values -> viridis RGB (uint8)."""
    position = np.clip(values, 0.0, 1.0) * (len(VIRIDIS) - 1)
    lower = np.minimum(position.astype(int), len(VIRIDIS) - 2)
    fraction = (position - lower)[..., np.newaxis]
    rgb = VIRIDIS[lower] * (1 - fraction) + VIRIDIS[lower + 1] * fraction
    return np.round(rgb).astype(np.uint8)


def tile_image(pixels: np.ndarray, size: int):
    """An RGB array fitted into a size x size tile (nearest pixels: maps stay crisp)."""
    from PIL import Image

    image = Image.fromarray(pixels)
    height, width = pixels.shape[:2]
    scale = size / max(height, width)
    fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
    tile = Image.new("RGB", (size, size), BACKGROUND)
    resample = Image.NEAREST if scale >= 1 else Image.BOX
    tile.paste(image.resize(fitted, resample), ((size - fitted[0]) // 2, (size - fitted[1]) // 2))
    return tile


@dataclass(frozen=True)
class Row:
    title: str  # the name asked for
    layer: str  # the layer drawn
    maps: np.ndarray  # H x W x C


@dataclass(frozen=True)
class Geometry:
    columns: int
    rows: int  # the input row included
    tile: int = TILE

    @property
    def size(self) -> tuple[int, int]:
        width = 2 * MARGIN + LABEL_WIDTH + self.columns * (self.tile + GAP) - GAP
        height = 2 * MARGIN + self.rows * (self.tile + GAP) - GAP
        return width, height

    def cell(self, row: int, column: int) -> tuple[int, int, int, int]:
        """The box (left, top, right, bottom) of a tile; row 0 is the input."""
        left = MARGIN + LABEL_WIDTH + column * (self.tile + GAP)
        top = MARGIN + row * (self.tile + GAP)
        return left, top, left + self.tile, top + self.tile


def feature_grid(image: np.ndarray, rows: list[Row], channels: int = 8, tile: int = TILE):
    """A PIL image: the input, then one row per layer with its first `channels` maps."""
    from PIL import Image, ImageDraw, ImageFont

    columns = max(1, min(channels, max(row.maps.shape[-1] for row in rows)))
    geometry = Geometry(columns, 1 + len(rows), tile)
    canvas = Image.new("RGB", geometry.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=FONT_SIZE)

    def fit(text: str) -> str:
        """Cut long names from the left, where scope paths repeat what the row says."""
        width = LABEL_WIDTH - GAP
        if font.getlength(text) <= width:
            return text
        while text and font.getlength("…" + text) > width:
            text = text[1:]
        return "…" + text

    def label(row_index: int, lines: list[tuple[str, tuple]]) -> None:
        top = geometry.cell(row_index, 0)[1]
        for offset, (text, color) in enumerate(lines):
            position = (MARGIN, top + offset * (FONT_SIZE + 4))
            draw.text(position, fit(text), fill=color, font=font)

    display = np.clip(image, 0, 255).astype(np.uint8)
    if display.shape[-1] == 1:
        display = np.repeat(display, 3, axis=-1)
    canvas.paste(tile_image(display[..., :3], tile), geometry.cell(0, 0)[:2])
    label(0, [("input", TEXT_COLOR), (format_shape(image.shape), MUTED_COLOR)])
    for index, row in enumerate(rows, start=1):
        count = min(columns, row.maps.shape[-1])
        for channel in range(count):
            pixels = colorize(normalize(row.maps[..., channel]))
            canvas.paste(tile_image(pixels, tile), geometry.cell(index, channel)[:2])
        lines = [(row.title, TEXT_COLOR)]
        if row.layer != row.title:
            lines.append((f"layer {row.layer}", MUTED_COLOR))
        lines.append((format_shape(row.maps.shape), MUTED_COLOR))
        lines.append((f"channels 1-{count} of {row.maps.shape[-1]}", MUTED_COLOR))
        label(index, lines)
    return canvas


def feature_maps(
    arch,
    weights: str | Path,
    image_path: str | Path,
    names: list[str],
    channels: int = 8,
    tile: int = TILE,
    preprocess: str = "inception",
):
    """The grid of feature maps of the layers `names` for one image (a PIL image)."""
    if channels < 1 or tile < 8:
        raise FeatureMapError("--channels must be 1 or more and --tile 8 pixels or more")
    if not names:
        raise FeatureMapError("name at least one layer or block, e.g. --layers mixed0,mixed5")
    layers = feature_map_layers(arch, names)
    raw = load_image(image_path, arch.graph.input.shape, "none")
    maps = activations(arch, weights, PREPROCESS[preprocess](raw), layers)
    rows = [Row(name, layer, m) for name, layer, m in zip(names, layers, maps, strict=True)]
    return feature_grid(raw[0], rows, channels, tile)
