"""Feature-map views: a model archgen built, its saved weights, one image, a grid of maps."""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from archgen.backends.featuremaps import (
    FeatureMapError,
    Geometry,
    colorize,
    normalize,
    resolve_layer,
)
from archgen.cli import main
from tests.conftest import write_spec

SPEC = """\
archgen: 1
name: fm_net
title: Feature-map net
input: [16, 16, 3]
blocks:
  conv_bn:
    args: {filters: required}
    seq: [conv2d: {filters: $filters, kernel: 3, padding: same}, batch_norm, relu]
  duo:
    concat:
      a: [conv_bn: {filters: 4}]
      b: [max_pool: {size: 3, strides: 1, padding: same}]
model:
  - conv_bn: {filters: 6, name: stem}
  - duo: {name: mixed0}
  - max_pool
  - conv_bn: {filters: 5, name: block2}
  - global_avg_pool
  - dense: {units: 3, activation: softmax, name: predictions}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory, keras):
    from PIL import Image

    folder = tmp_path_factory.mktemp("featuremaps")
    spec = write_spec(folder, SPEC)
    arch = archgen.load(spec)
    weights = []
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        model = arch.keras_model()
        path = folder / f"seed{seed}.weights.h5"
        model.save_weights(path)
        weights.append(path)
    # a 40 x 30 picture: gradients and a bright square, resized to the 16 x 16 input
    ys, xs = np.mgrid[0:30, 0:40]
    pixels = np.stack([xs * 6, ys * 8, np.zeros_like(xs)], axis=-1).astype(np.uint8)
    pixels[10:20, 15:25] = 255
    image = folder / "picture.png"
    Image.fromarray(pixels).save(image)
    return arch, spec, weights, image, folder


def test_names_resolve_to_the_layer_carrying_the_output(setup):
    arch = setup[0]
    assert resolve_layer(arch, "stem") == "stem.relu"
    assert resolve_layer(arch, "mixed0") == "mixed0"  # the block's concat layer
    assert resolve_layer(arch, "mixed0.a") == "mixed0.a.conv_bn.relu"
    assert resolve_layer(arch, "block2.conv2d") == "block2.conv2d"
    with pytest.raises(FeatureMapError, match="did you mean 'mixed0'"):
        resolve_layer(arch, "mixd0")


def expected_maps(keras, arch, weights, image, layer):
    """The layer's output, computed here without archgen's feature-map code."""
    from PIL import Image

    model = arch.keras_model()
    model.load_weights(weights)
    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    with Image.open(image) as picture:
        x = np.asarray(picture.convert("RGB").resize((16, 16), Image.BILINEAR), np.float32)
    return probe.predict((x / 127.5 - 1.0)[np.newaxis], verbose=0)[0]


def test_grid_shows_the_first_channels_of_each_layer(setup, keras, tmp_path):
    from PIL import Image

    arch, spec, weights, image, _ = setup
    out = tmp_path / "maps.png"
    args = ["featuremaps", str(spec), "--weights", str(weights[0]), "--image", str(image)]
    args += ["--layers", "stem,mixed0,block2", "-o", str(out), "--channels", "4", "--tile", "16"]
    assert main(args) == 0
    grid = np.asarray(Image.open(out).convert("RGB"))
    geometry = Geometry(columns=4, rows=4, tile=16)
    assert grid.shape[:2] == geometry.size[::-1]
    for row, layer in enumerate(["stem.relu", "mixed0", "block2.relu"], start=1):
        maps = expected_maps(keras, arch, weights[0], image, layer)
        assert maps.shape[-1] == {"stem.relu": 6, "mixed0": 10, "block2.relu": 5}[layer]
        scale = 16 // maps.shape[0]  # block2 is 8 x 8, drawn 2 x 2 pixels per value
        for channel in range(4):
            left, top, right, bottom = geometry.cell(row, channel)
            tile = grid[top:bottom, left:right].astype(int)
            want = colorize(normalize(maps[..., channel]))
            want = np.repeat(np.repeat(want, scale, axis=0), scale, axis=1).astype(int)
            assert np.abs(tile - want).max() <= 1, (layer, channel)
        assert np.ptp(grid[top:bottom, left:right]) > 0  # not a flat tile
    # the input row shows the picture itself
    left, top, right, bottom = geometry.cell(0, 0)
    assert grid[top:bottom, left:right].max() == 255


def test_the_weights_loaded_are_the_ones_drawn(setup, tmp_path):
    from PIL import Image

    _, spec, weights, image, _ = setup
    grids = []
    for index, path in enumerate(weights):
        out = tmp_path / f"maps{index}.png"
        args = ["featuremaps", str(spec), "--weights", str(path), "--image", str(image)]
        assert main([*args, "--layers", "stem", "-o", str(out), "--tile", "16"]) == 0
        grids.append(np.asarray(Image.open(out)))
    assert grids[0].shape == grids[1].shape
    assert not np.array_equal(grids[0], grids[1])


def test_clear_errors(setup, tmp_path, capsys):
    _, spec, weights, image, folder = setup
    base = ["featuremaps", str(spec), "--image", str(image), "-o", str(tmp_path / "x.png")]
    assert main([*base, "--weights", str(weights[0]), "--layers", "predictions"]) == 2
    err = capsys.readouterr().err
    assert "'predictions' gives 3, not a feature map (height x width x channels)" in err
    assert "archgen: error:" in err and "<unknown>" not in err
    other = write_spec(folder, SPEC.replace("filters: 6", "filters: 7"), "other.yaml")
    assert (
        main([*base[:1], str(other), *base[2:], "--weights", str(weights[0]), "--layers", "stem"])
        == 4  # a user file that cannot be used: the environment
    )
    assert "do not fit" in capsys.readouterr().err
    assert main([*base, "--weights", str(folder / "nothing.h5"), "--layers", "stem"]) == 4
    assert "no weights file" in capsys.readouterr().err
    not_an_image = folder / "notes.png"
    not_an_image.write_text("not a picture")
    bad_image = [*base[:2], "--image", str(not_an_image), *base[4:]]
    assert main([*bad_image, "--weights", str(weights[0]), "--layers", "stem"]) == 4
    assert f"cannot read the image {not_an_image}" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("side", [15_000, 30_000])  # PIL warns past 179M pixels, refuses past 358M
def test_a_decompression_bomb_is_refused_as_an_unusable_file(setup, tmp_path, capsys, side):
    from PIL import Image

    _, spec, weights, _, _ = setup
    bomb = tmp_path / "bomb.png"
    Image.new("1", (side, side)).save(bomb, optimize=True)  # a few kB on disk
    args = ["featuremaps", str(spec), "--image", str(bomb), "--weights", str(weights[0])]
    assert main([*args, "--layers", "stem", "-o", str(tmp_path / "x.png")]) == 4
    assert "is too large to decode safely" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
