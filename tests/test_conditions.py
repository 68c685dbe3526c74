"""`if:` on items, branches and blocks: what exists, and located errors when a condition
cannot decide it. (The generated source for conditions: tests/test_python_source.py.)"""

from __future__ import annotations

import pytest

import archgen

HEAD = "archgen: 1\nname: c\ninput: [8, 8, 3]\nparams: {n: 3, flag: true}\n"


def load(tmp_path, text: str, **overrides):
    spec = tmp_path / "c.yaml"
    spec.write_text(HEAD + text)
    return archgen.load(spec, overrides=overrides)


def error_of(tmp_path, text: str, **overrides) -> archgen.SpecError:
    with pytest.raises(archgen.SpecError) as info:
        load(tmp_path, text, **overrides)
    return info.value


def test_an_item_exists_only_when_its_condition_holds(tmp_path):
    text = "model:\n  - relu: {if: $flag}\n  - conv2d: {filters: 2, kernel: 1}\n    if: ${n > 2}\n"
    assert [n.op for n in load(tmp_path, text).graph] == ["input", "activation", "conv2d"]
    assert [n.op for n in load(tmp_path, text, flag=False, n=1).graph] == ["input"]


@pytest.mark.parametrize(
    ("text", "message", "line", "hint"),
    [
        # the value is not a boolean: the error names the expression and its value
        (
            'model:\n  - relu: {if: "${n + 1}"}\n',
            "the condition 'n + 1' is 4, not true or false",
            6,
            "compare it",
        ),
        ("model:\n  - relu: {if: $nn}\n", "'$nn' is not defined here", 6, "did you mean 'n'?"),
        (
            "model:\n  - relu: {if: yes please}\n",
            "a condition is true, false, $name or ${...}",
            6,
            "for example",
        ),
        (
            "model:\n  - concat:\n      a: [relu]\n      b: {if: false, seq: [relu]}\n",
            "concat needs at least two inputs; its conditions leave 1",
            6,
            "item's `if:`",
        ),
        (
            "model:\n  - concat:\n      a: [relu]\n      b: {seq: [relu]}\n",
            "branch 'b' is a mapping without 'if'",
            8,
            "a branch is a path",
        ),
        (
            "model:\n  - relu: {name: r, if: $flag}\n  - global_avg_pool\noutputs: [r, global_avg_pool]\n",
            "the output 'r' is made under a condition",
            8,
            "always there",
        ),
        (
            "model:\n  - relu: {if: true}\n    if: true\n",
            "'relu' has 'if' twice",
            7,
            "keep one",
        ),
    ],
)
def test_conditions_that_cannot_decide_are_located(tmp_path, text, message, line, hint):
    error = error_of(tmp_path, text)
    assert message in error.message
    assert error.loc.line == line
    assert hint in error.hint


def test_a_block_condition_makes_each_use_the_identity(tmp_path):
    text = (
        "blocks:\n  maybe:\n    args: {enabled: required}\n    if: $enabled\n    seq: [relu, sigmoid]\n"
        'model:\n  - maybe: {enabled: true}\n  - maybe: {enabled: false}\n  - maybe: {enabled: "${n == 3}"}\n'
    )
    ops = [n.name for n in load(tmp_path, text).graph]
    assert ops == ["input", "maybe_1.relu", "maybe_1.sigmoid", "maybe_3.relu", "maybe_3.sigmoid"]


WIDE_RESNET = """archgen: 1
name: wrn
input: [32, 32, 3]
params: {depth: 28, width: 10}
constraints:
  depth_is_6n_plus_4: "${(depth - 4) % 6 == 0}"
  positive_width: "${width > 0}"
model:
  - repeat: "${(depth - 4) // 6}"
    seq: [conv2d: {filters: "${16 * width}", kernel: 3, padding: same}]
  - global_avg_pool
"""


def test_constraints_refuse_bad_parameters_at_their_line(tmp_path):
    spec = tmp_path / "wrn.yaml"
    spec.write_text(WIDE_RESNET)
    assert len(archgen.load(spec).graph) == 1 + 4 + 1
    assert len(archgen.load(spec, overrides={"depth": 40}).graph) == 1 + 6 + 1
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec, overrides={"depth": 27})
    error = info.value
    assert error.message == (
        "the parameters break the constraint 'depth_is_6n_plus_4': "
        "(depth - 4) % 6 == 0 is false with depth = 27"
    )
    assert (error.loc.file, error.loc.line, error.loc.col) == (str(spec), 6, 23)
    assert error.hint == "depth from --set depth=27"


def test_a_variant_adds_constraints_and_bad_ones_are_located(tmp_path):
    (tmp_path / "wrn.yaml").write_text(WIDE_RESNET)
    variant = tmp_path / "thin.yaml"
    variant.write_text(
        "archgen: 1\nextends: wrn.yaml\nname: thin\nparams: {width: 1}\n"
        'constraints:\n  thin: "${width < 4}"\n  typo: "${widht > 0}"\n'
    )
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(variant)
    assert "'$widht' is not defined here" in info.value.message
    assert info.value.loc.line == 7
    variant.write_text(variant.read_text().replace("widht", "width"))
    assert archgen.load(variant).name == "thin"
    with pytest.raises(archgen.SpecError, match="break the constraint 'thin'"):
        archgen.load(variant, overrides={"width": 8})


def test_the_input_follows_the_parameters_it_is_written_with(tmp_path):
    spec = tmp_path / "sized.yaml"
    spec.write_text(
        'archgen: 1\nname: sized\ninput: [$size, "${size // 2}", 3]\nparams: {size: 32}\n'
        "model: [conv2d: {filters: 4, kernel: 3}, global_avg_pool]\n"
    )
    assert archgen.load(spec).spec.input == (32, 16, 3)
    assert archgen.load(spec, overrides={"size": 64}).graph["conv2d"].shape == (62, 30, 4)
    assert archgen.load(spec, overrides={"input": [9, 9, 1]}).spec.input == (9, 9, 1)
    source = archgen.load(spec).python_source()
    assert "input_shape = (size, size // 2, 3)" in source
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec, overrides={"size": 1})
    assert "input makes [1, 0, 3]" in info.value.message and info.value.loc.line == 3
    spec.write_text(spec.read_text().replace("$size,", "$sise,"))
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec)
    assert "'$sise' is not defined here" in info.value.message and info.value.loc.line == 3
