"""Expressions that read the shape of the tensor an item receives ($in_height, $in_width,
$in_channels): by hand, the same in the generated source at two input sizes, and the
smallest input when the layers themselves depend on the size."""

from __future__ import annotations

import pytest

import archgen
from tests.generated_source import import_source
from tests.keras_compare import assert_configs_match

SPEC = """archgen: 1
name: shapes
input: [32, 32, 3]
params: {expansion: 6}
blocks:
  inverted:
    doc: MobileNetV2's expansion reads the incoming channels; the padding, Keras' correct_pad.
    args: {filters: required, strides: 1}
    seq:
      - conv2d: {filters: "${in_channels * expansion}", kernel: 1}
      - zero_padding:
          # correct_pad for a 3x3 kernel: (1 - adjust, 1) with adjust = 1 - size % 2
          padding: "${[[1 - (1 - in_height % 2), 1], [1 - (1 - in_width % 2), 1]]}"
          if: "${strides == 2}"
      - depthwise_conv2d: {kernel: 3, strides: $strides, padding: "${'valid' if strides == 2 else 'same'}"}
      - conv2d: {filters: $filters, kernel: 1}
model:
  - conv2d: {filters: 8, kernel: 3, padding: same}
  - inverted: {filters: 16, strides: 2}
  - inverted: {filters: 16}
  - avg_pool: {size: "${[in_height, in_width]}"}
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "shapes.yaml"
    path.write_text(SPEC)
    return path


def test_values_read_the_incoming_shape(spec):
    graph = archgen.load(spec).graph
    assert graph["inverted_1.conv2d_1"].attrs["filters"] == 8 * 6
    assert graph["inverted_2.conv2d_1"].attrs["filters"] == 16 * 6
    # correct_pad: an even 32 x 32 map is padded (0, 1) on each axis, an odd 33 x 33 (1, 1)
    assert graph["inverted_1.zero_padding"].attrs["padding"] == ((0, 1), (0, 1))
    odd = archgen.load(spec, overrides={"input": [33, 33, 3]}).graph
    assert odd["inverted_1.zero_padding"].attrs["padding"] == ((1, 1), (1, 1))
    assert odd["avg_pool"].attrs["size"] == (17, 17)
    assert graph["avg_pool"].shape == (1, 1, 16)


def test_each_item_of_a_branch_reads_the_shape_it_receives(tmp_path):
    path = tmp_path / "branch.yaml"
    path.write_text(
        "archgen: 1\nname: b\ninput: [8, 8, 3]\nmodel:\n  - concat:\n"
        '      a: [conv2d: {filters: 5, kernel: 1}, conv2d: {filters: "${in_channels * 2}", kernel: 1}]\n'
        "      b: []\n"
    )
    graph = archgen.load(path).graph
    assert graph["concat.a.conv2d_2"].attrs["filters"] == 5 * 2  # not the merge input's 3
    assert graph["concat"].shape == (8, 8, 10 + 3)


def test_the_generated_source_reads_shapes_the_same_way(spec, tmp_path):
    source = archgen.load(spec).python_source()
    assert "layers.Conv2D(x.shape[-1] * expansion, 1," in source
    module = import_source(source, tmp_path, "shapes_generated")
    for size in (32, 33):
        arch = archgen.load(spec, overrides={"input": [size, size, 3]})
        assert_configs_match(module.build_model(input_shape=(size, size, 3)), arch.keras_model())


def test_the_smallest_input_expands_the_spec_again_when_layers_depend_on_the_size(spec):
    arch = archgen.load(spec)
    assert arch.graph.reads_shapes

    def builds(size: int) -> bool:
        try:
            archgen.load(spec, overrides={"input": [size, size, 3]})
        except archgen.SpecError:
            return False
        return True

    brute = next(size for size in range(1, 64) if builds(size))
    assert arch.min_input == brute
    sizes = arch.input_sizes(upto=40)
    assert sizes.failing == [s for s in range(brute + 1, 41) if not builds(s)]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "params: {in_channels: 3}\nmodel: [relu]\n",
            "'in_channels' is the channels of the tensor",
            4,
        ),
        (
            'model: [global_avg_pool, dense: {units: "${in_height}"}]\n',
            "'in_height' is not defined here",
            4,
        ),
        (
            'constraints: {c: "${in_width > 1}"}\nmodel: [relu]\n',
            "'$in_width' is not defined here",
            4,
        ),
    ],
)
def test_shape_names_are_kept_for_shapes(tmp_path, text, message, line):
    path = tmp_path / "s.yaml"
    path.write_text("archgen: 1\nname: s\ninput: [8, 8, 3]\n" + text)
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(path)
    assert message in info.value.message
    assert info.value.loc.line == line
