"""References to earlier tensors (`from:`, `as:`), and blocks with several inputs and
outputs: the graph they make, the same model from the generated source, and located
errors."""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from tests.generated_source import import_source
from tests.keras_compare import assert_configs_match

SKIPS = """archgen: 1
name: skips
input: [16, 16, 3]
blocks:
  double:
    args: {filters: required}
    seq:
      - conv2d: {filters: $filters, kernel: 3, padding: same}
      - relu
      - conv2d: {filters: $filters, kernel: 3, padding: same}
      - relu
  up:
    doc: A U-Net decoder step; skip is the encoder output of its scale.
    inputs: [skip]
    args: {filters: required, size: required}
    seq:
      - resize: {height: $size, width: $size}
      - conv2d: {filters: $filters, kernel: 1}
      - concat: {up: [], skip: [from: skip]}
      - double: {filters: $filters}
    # the size is an argument until expressions can read the incoming shape
  cell:
    doc: A NASNet-style cell; h feeds two merges; it returns its output and its input.
    inputs: [p]
    outputs: [out, x]
    args: {filters: required}
    seq:
      - conv2d: {filters: $filters, kernel: 1, as: h}
      - add:
          a: [relu]
          b: [from: p, conv2d: {filters: $filters, kernel: 1}]
        name: sum1
      - add:
          a: []
          b: [from: h, sigmoid]
        name: sum2
      - concat: {a: [], b: [from: sum1]}
        name: out
model:
  - double: {filters: 8, name: enc1}
  - max_pool
  - double: {filters: 16, name: enc2}
  - max_pool
  - double: {filters: 32, name: bottleneck}
  - up: {filters: 16, skip: enc2, size: 8}
  - up: {filters: 8, skip: enc1, size: 16}
  - conv2d: {filters: 8, kernel: 1, as: p}
  - repeat: 3
    seq: [cell: {filters: 8, p: p, as: [_, p]}]
  - global_avg_pool
"""


@pytest.fixture
def skips(tmp_path):
    spec = tmp_path / "skips.yaml"
    spec.write_text(SKIPS)
    return spec


def test_skips_and_carried_tensors_make_the_graph_by_hand(skips):
    graph = archgen.load(skips).graph
    # the decoder concatenates the encoder output of its scale
    assert graph["up_1.concat"].inputs == ["up_1.conv2d", "enc2.relu_2"]
    assert graph["up_2.concat"].inputs == ["up_2.conv2d", "enc1.relu_2"]
    # x, p = cell(x, p): each cell's p is the previous cell's input
    assert graph["cell_1.sum1.b.conv2d"].inputs == ["conv2d"]
    assert graph["cell_2.sum1.b.conv2d"].inputs == ["conv2d"]
    assert graph["cell_3.sum1.b.conv2d"].inputs == ["cell_1.out"]
    # h feeds the first add's residual and the second add's branch
    assert sorted(graph.consumers("cell_1.conv2d")) == [
        "cell_1.sum1.a.relu",
        "cell_1.sum2.b.sigmoid",
    ]
    assert graph["cell_1.out"].inputs == ["cell_1.sum2", "cell_1.sum1"]


def test_the_generated_source_builds_the_same_graph(skips, tmp_path):
    arch = archgen.load(skips)
    source = arch.python_source()
    assert 'def up(x, skip, filters, size, name="up"):' in source
    assert 'x, p = cell(x, p, 8, name=f"cell_{i + 1}")' in source
    assert "return out, x" in source
    generated = import_source(source, tmp_path, "skips_generated").build_model()
    runtime = arch.keras_model()
    assert_configs_match(generated, runtime)  # every layer, and what feeds it
    rng = np.random.default_rng(0)
    generated.set_weights(
        [rng.normal(size=w.shape).astype(np.float32) for w in runtime.get_weights()]
    )
    runtime.set_weights(generated.get_weights())
    batch = rng.normal(size=(2, 16, 16, 3)).astype(np.float32)
    ours, theirs = generated.predict(batch, verbose=0), runtime.predict(batch, verbose=0)
    assert np.abs(ours - theirs).max() <= 1e-6 * np.abs(theirs).max()


HEAD = "archgen: 1\nname: r\ninput: [8, 8, 3]\n"
BLOCKS = (
    "blocks:\n  two:\n    inputs: [p]\n    outputs: [y, x]\n    seq: [relu: {name: y}]\n"
    "  merged:\n    inputs: [p]\n    concat: {a: [], b: [from: p]}\n"
)


@pytest.mark.parametrize(
    ("text", "message", "line", "hint"),
    [
        (
            "model:\n  - relu: {name: early}\n  - sigmoid: {from: erly}\n",
            "'erly' names no tensor here",
            6,
            "did you mean 'early'?",
        ),
        (
            "model:\n  - relu: {from: later}\n  - sigmoid: {name: later}\n",
            "'later' names no tensor here",
            5,
            "name an earlier item",
        ),
        (
            "model:\n  - relu: {name: a}\n  - sigmoid: {as: a}\n",
            "'a' already names a tensor here",
            6,
            "as: binds a name of its own",
        ),
        (
            "model:\n  - relu: {as: t}\n  - concat:\n      a: [sigmoid: {as: t}]\n      b: []\n",
            "'t' is bound outside this branch",
            7,
            "bind it after the merge",
        ),
        (BLOCKS + "model:\n  - two\n", "block 'two' needs the tensor 'p'", 13, "add p:"),
        (
            BLOCKS + "model:\n  - two: {p: 3}\n",
            "the tensor input 'p' takes the name of a tensor, not 3",
            13,
            "an earlier item's name",
        ),
        (
            BLOCKS + "model:\n  - relu: {as: t}\n  - two: {p: t, as: q}\n",
            "'two' gives 2 tensors, and as: binds 1",
            14,
            "one per output",
        ),
        (
            BLOCKS + "model:\n  - merged: {p: nothing}\n",
            "'nothing' names no tensor here",
            13,
            "name an earlier item",
        ),
        (
            "blocks:\n  b:\n    inputs: [x]\n    seq: [relu]\nmodel: [b: {x: input}]\n",
            "the input 'x' has the name of the tensor that flows in",
            6,
            "a name of its own",
        ),
        (
            "blocks:\n  b:\n    outputs: [x]\n    concat: {a: [], b: []}\nmodel: [b]\n",
            "a block whose body is a merge takes no 'outputs'",
            6,
            "as a seq",
        ),
    ],
)
def test_bad_references_are_located(tmp_path, text, message, line, hint):
    spec = tmp_path / "r.yaml"
    spec.write_text(HEAD + text)
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec)
    assert message in info.value.message
    assert info.value.loc.line == line
    assert hint in (info.value.hint or "")


SEVERAL_INPUTS = """archgen: 1
name: two
inputs:
  image: [16, 16, 3]
  mask: [16, 16, 1]
  meta: [4]
model:
  - conv2d: {filters: 4, kernel: 3, padding: same}
  - concat: {features: [], mask: [from: mask]}
  - global_avg_pool
  - concat: {pooled: [], meta: [from: meta, dense: {units: 3}]}
  - dense: {units: 2, name: predictions}
"""


def test_a_model_with_several_inputs(tmp_path):
    spec = tmp_path / "two.yaml"
    spec.write_text(SEVERAL_INPUTS)
    arch = archgen.load(spec)
    graph = arch.graph
    assert [(n.name, n.shape) for n in graph if n.op == "input"] == [
        ("image", (16, 16, 3)),
        ("mask", (16, 16, 1)),
        ("meta", (4,)),
    ]
    assert graph["concat_1"].inputs == ["conv2d", "mask"]
    assert graph["concat_2.meta.dense"].inputs == ["meta"]
    assert arch.summary()["inputs"][1] == {"name": "mask", "shape": [16, 16, 1]}
    runtime = arch.keras_model()
    assert [t.name for t in runtime.inputs] == ["image", "mask", "meta"]
    source = arch.python_source()
    assert "return keras.Model([inputs, mask, meta], x," in source
    generated = import_source(source, tmp_path, "two_inputs").build_model()
    assert_configs_match(generated, runtime)
    rng = np.random.default_rng(5)
    generated.set_weights(
        [rng.normal(size=w.shape).astype(np.float32) for w in runtime.get_weights()]
    )
    runtime.set_weights(generated.get_weights())
    batch = [
        rng.normal(size=(2, *shape)).astype(np.float32)
        for shape in ((16, 16, 3), (16, 16, 1), (4,))
    ]
    np.testing.assert_allclose(
        generated.predict(batch, verbose=0), runtime.predict(batch, verbose=0), rtol=1e-6
    )
    # min-input scans the first input; the mask's fixed 16 x 16 must match it
    assert arch.input_sizes(upto=40).failing == [s for s in range(17, 41)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SEVERAL_INPUTS.replace("inputs:", "input: [8, 8, 3]\ninputs:"),
            "'input' or 'inputs', not both",
        ),
        (
            SEVERAL_INPUTS.replace("[from: meta, dense: {units: 3}]", "[dense: {units: 3}]"),
            "no output depends on 'meta'",
        ),
        (SEVERAL_INPUTS.replace("inputs:\n  image", "inputs:\n  9image"), "not a valid name"),
    ],
)
def test_several_inputs_errors_are_located(tmp_path, text, message):
    spec = tmp_path / "two.yaml"
    spec.write_text(text)
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec)
    assert message in info.value.message
    assert info.value.loc.line >= 3
