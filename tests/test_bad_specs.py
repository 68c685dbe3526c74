"""Bad specs: each gets a SpecError with the message, file, line and column of the cause.

Every case is a small spec with the message expected and its (line, column),
1-based, as an editor shows them.
"""

from __future__ import annotations

import textwrap

import pytest

import archgen
from archgen.errors import SpecError

HEADER = "archgen: 1\nname: t\ninput: [32, 32, 3]\n"

CASES = {
    # --- the YAML itself -----------------------------------------------------------------
    "yaml_syntax": (
        "archgen: 1\nname: t\ninput: [32, 32, 3\nmodel: [relu]\n",
        "YAML syntax error",
        4,
        6,
    ),
    "duplicate_key": (
        HEADER + "model:\n  - conv2d: {filters: 8, kernel: 3, filters: 4}\n",
        "duplicate key 'filters' (first defined at line 5)",
        5,
        37,
    ),
    "duplicate_top_level_key": (
        HEADER + "model: [relu]\nmodel: [relu]\n",
        "duplicate key 'model'",
        5,
        1,
    ),
    "python_tag": (
        HEADER + "model: !!python/object/apply:os.system ['echo hi']\n",
        "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
        4,
        8,
    ),
    "custom_tag": (
        HEADER + "model:\n  - conv2d: {filters: !weird 8, kernel: 3}\n",
        "the YAML tag '!weird' is not allowed",
        5,
        23,
    ),
    "not_a_mapping": ("- relu\n- relu\n", "a spec must be a mapping, not a list", 1, 1),
    "empty_file": ("", "the file is empty", 1, 1),
    "missing_version": (
        "name: t\ninput: [32, 32, 3]\nmodel: [relu]\n",
        "missing 'archgen: 1'",
        1,
        1,
    ),
    "missing_model": (HEADER, "the spec has no 'model'", 1, 1),
    "unknown_top_level_key": (
        HEADER + "modle: [relu]\nmodel: [relu]\n",
        "unknown key 'modle' in the spec",
        4,
        1,
    ),
    "bad_input": (
        "archgen: 1\nname: t\ninput: [32, -1, 3]\nmodel: [relu]\n",
        "input must be",
        3,
        8,
    ),
    # --- ops and arguments -----------------------------------------------------------------
    "unknown_op": (
        HEADER + "model:\n  - conv2: {filters: 8, kernel: 3}\n",
        "unknown op or block 'conv2'",
        5,
        5,
    ),
    "unknown_argument": (
        HEADER + "model:\n  - conv2d: {filters: 8, kernal: 3}\n",
        "'conv2d' has no argument 'kernal'",
        5,
        26,
    ),
    "missing_required_argument": (
        HEADER + "model:\n  - conv2d: {filters: 8}\n",
        "'conv2d' needs 'kernel'",
        5,
        5,
    ),
    "wrong_type": (
        HEADER + "model:\n  - conv2d: {filters: eight, kernel: 3}\n",
        "conv2d 'filters': expected a whole number, got the text 'eight'",
        5,
        23,
    ),
    "zero_size": (
        HEADER + "model:\n  - conv2d: {filters: 0, kernel: 3}\n",
        "conv2d 'filters': must be at least 1, got 0",
        5,
        23,
    ),
    "negative_size": (
        HEADER + "model:\n  - max_pool: {size: -2}\n",
        "max_pool 'size': must be at least 1, got -2",
        5,
        22,
    ),
    "bad_choice": (
        HEADER + "model:\n  - conv2d: {filters: 8, kernel: 3, padding: full}\n",
        "expected one of valid, same; got the text 'full'",
        5,
        46,
    ),
    "item_with_two_ops": (
        HEADER + "model:\n  - conv2d: {filters: 8, kernel: 3}\n    relu: null\n",
        "a path item names one op or block; this one has 2 keys",
        6,
        5,
    ),
    # --- blocks and references ---------------------------------------------------------------
    "missing_block_argument": (
        HEADER
        + "blocks:\n  unit:\n    args: {filters: required}\n    seq: [conv2d: {filters: $filters, kernel: 1}]\n"
        + "model:\n  - unit: {}\n",
        "block 'unit' needs the argument 'filters'",
        9,
        5,
    ),
    "unknown_block_argument": (
        HEADER
        + "blocks:\n  unit:\n    args: {filters: required}\n    seq: [conv2d: {filters: $filters, kernel: 1}]\n"
        + "model:\n  - unit: {filters: 8, strides: 2}\n",
        "block 'unit' has no argument 'strides'",
        9,
        24,
    ),
    "undefined_reference": (
        HEADER
        + "blocks:\n  unit:\n    args: {filters: required}\n    seq: [conv2d: {filters: $filter, kernel: 1}]\n"
        + "model:\n  - unit: {filters: 8}\n",
        "'$filter' is not defined here",
        7,
        29,
    ),
    "self_recursive_block": (
        HEADER + "blocks:\n  unit:\n    seq: [relu, unit]\nmodel: [unit]\n",
        "block 'unit' uses itself (unit -> unit)",
        6,
        17,
    ),
    "mutually_recursive_blocks": (
        HEADER + "blocks:\n  a:\n    seq: [b]\n  b:\n    seq: [a]\nmodel: [a]\n",
        "block 'a' uses itself (a -> b -> a)",
        8,
        11,
    ),
    "block_without_body": (
        HEADER + "blocks:\n  unit:\n    args: {filters: 3}\nmodel: [unit]\n",
        "block 'unit' has no body",
        5,
        3,
    ),
    "block_named_like_an_op": (
        HEADER + "blocks:\n  relu:\n    seq: [sigmoid]\nmodel: [relu]\n",
        "block 'relu' has the name of an op",
        5,
        3,
    ),
    "bad_expression": (
        HEADER + "params: {w: 8}\nmodel:\n  - conv2d: {filters: '${w ** 2}', kernel: 1}\n",
        "bad expression 'w ** 2'",
        6,
        23,
    ),
    "unknown_tap": (
        HEADER + "model:\n  - dense: {units: 3, name: head}\noutputs: [head, aux]\n",
        "unknown tap 'aux' in outputs",
        6,
        17,
    ),
    "unused_side_path": (
        HEADER
        + "model:\n  - flatten\n  - side: [dense: {units: 2, name: aux}]\n  - dense: {units: 3}\n",
        "no output depends on 'aux'",
        6,
        12,
    ),
    "duplicate_layer_name": (
        HEADER + "model:\n  - relu: {name: act}\n  - sigmoid: {name: act}\n",
        "two layers are named 'act' (the first at line 5)",
        6,
        5,
    ),
    "name_with_a_dot": (
        HEADER + "model:\n  - relu: {name: a.b}\n",
        "has characters other than letters, digits and _",
        5,
        18,
    ),
    "huge_repeat": (
        HEADER + "model:\n  - repeat: 1000000\n    seq: [relu]\n",
        "repeat 1,000,000 is more than the limit of 10,000",
        5,
        5,
    ),
    "split_outside_a_concat": (
        HEADER + "model:\n  - split:\n      a: [relu]\n      b: [sigmoid]\n",
        "'split' can only be the last item of a concat branch",
        5,
        5,
    ),
    "split_before_the_end_of_a_branch": (
        HEADER
        + "model:\n  - concat:\n      a:\n        - split: {x: [relu], y: [sigmoid]}\n"
        + "        - relu\n      b: [relu]\n",
        "'split' can only be the last item of a concat branch",
        7,
        11,
    ),
    # --- shapes -------------------------------------------------------------------------------
    "concat_of_mismatched_sizes": (
        HEADER
        + "model:\n  - concat:\n      a: [conv2d: {filters: 8, kernel: 3, strides: 2}]\n"
        + "      b: [conv2d: {filters: 8, kernel: 3}]\n",
        "every branch must have the same height and width; the branches give "
        "a: 15 x 15 x 8, b: 30 x 30 x 8",
        5,
        5,
    ),
    "add_of_mismatched_shapes": (
        HEADER
        + "model:\n  - add:\n      shortcut: []\n      residual: [conv2d: {filters: 8, kernel: 1}]\n",
        "add needs paths of the same shape; they give shortcut: 32 x 32 x 3, residual: 32 x 32 x 8",
        5,
        5,
    ),
    "input_too_small": (
        "archgen: 1\nname: t\ninput: [4, 4, 3]\nmodel:\n  - conv2d: {filters: 8, kernel: 3}\n"
        + "  - conv2d: {filters: 8, kernel: 3}\n",
        "conv2d 3x3 with padding 'valid' does not fit the 2x2 map it receives",
        6,
        5,
    ),
    "conv_after_flatten": (
        HEADER + "model:\n  - flatten\n  - conv2d: {filters: 8, kernel: 3}\n",
        "conv2d needs a feature map",
        6,
        5,
    ),
    "huge_filters": (
        HEADER + "model:\n  - conv2d: {filters: 1000000000, kernel: 3}\n",
        "larger than the limit",
        5,
        23,
    ),
    "huge_tensor": (
        "archgen: 1\nname: t\ninput: [4096, 4096, 3]\nmodel:\n  - conv2d: {filters: 1000000, kernel: 1}\n",
        "values per example",
        5,
        5,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_located(tmp_path, case):
    text, message, line, col = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    error = info.value
    assert message in error.message
    assert (error.loc.file, error.loc.line, error.loc.col) == (str(path), line, col)
    assert f"{path}:{line}:{col}: error: " in error.render()


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_did_you_mean_for_ops_and_arguments(tmp_path):
    for text, hint in [
        (CASES["unknown_op"][0], "did you mean 'conv2d'?"),
        (CASES["unknown_argument"][0], "did you mean 'kernel'?"),
    ]:
        path = tmp_path / "spec.yaml"
        path.write_text(text)
        with pytest.raises(SpecError) as info:
            archgen.load(path)
        assert info.value.hint == hint


def test_input_too_small_hint_names_the_smallest_size(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(CASES["input_too_small"][0])
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert "the smallest it accepts is 5x5" in info.value.hint


def test_errors_inside_blocks_name_the_scope(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "archgen: 1\nname: t\ninput: [8, 8, 3]\n"
        "blocks:\n  unit:\n    seq: [conv2d: {filters: 8, kernel: 5}]\n"
        "model:\n  - unit\n  - unit: {name: second}\n"
    )
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert info.value.scope == "second > conv2d (used at line 9)"
    assert (info.value.loc.line, info.value.loc.col) == (6, 11)


def test_not_utf8_is_located(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"archgen: 1\nname: t\xff\n")
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert "not UTF-8" in info.value.message
    assert (info.value.loc.line, info.value.loc.col) == (2, 8)


def test_extends_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("archgen: 1\nextends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("archgen: 1\nextends: a.yaml\n")
    with pytest.raises(SpecError) as info:
        archgen.load(tmp_path / "a.yaml")
    assert "'extends' makes a cycle: a.yaml -> b.yaml -> a.yaml" in info.value.message
    assert (info.value.loc.line, info.value.loc.col) == (2, 10)


def test_override_of_an_unknown_parameter():
    from tests.conftest import SPECS

    with pytest.raises(SpecError) as info:
        archgen.load(SPECS / "inception_v3.yaml", overrides={"clases": 10})
    assert info.value.message == "the spec has no parameter 'clases'"
    assert info.value.hint == "did you mean 'classes'?"


def test_override_of_the_wrong_type():
    from tests.conftest import SPECS

    with pytest.raises(SpecError, match="parameter 'classes' is a whole number"):
        archgen.load(SPECS / "inception_v3.yaml", overrides={"classes": "ten"})


def test_a_bad_parameter_value_names_where_it_was_set(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "archgen: 1\nname: base\ninput: [8, 8, 3]\nparams: {classes: 10}\n"
        "model: [flatten, dense: {units: $classes}]\n"
    )
    variant = tmp_path / "variant.yaml"
    variant.write_text("archgen: 1\nextends: base.yaml\nname: v\nparams: {classes: ten}\n")
    with pytest.raises(SpecError) as info:
        archgen.load(variant)
    assert (info.value.loc.file, info.value.loc.line) == (str(tmp_path / "base.yaml"), 5)
    assert info.value.hint == f"$classes is 'ten', set at {variant}:4:19"


def test_override_errors_name_the_option(capsys):
    from archgen.cli import main
    from tests.conftest import SPECS

    assert main(["check", str(SPECS / "inception_v3.yaml"), "--set", "classes=ten"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--set classes='ten': error: parameter 'classes' is a whole number")


# --- diagnostics that tell the truth (issue 14) ------------------------------------------------


def load_error(tmp_path, text: str) -> SpecError:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    return info.value


def test_an_add_of_different_sizes_is_not_hinted_as_a_filters_problem(tmp_path):
    error = load_error(
        tmp_path,
        HEADER
        + "model:\n  - add:\n      shortcut: []\n"
        + "      residual: [conv2d: {filters: 3, kernel: 3, strides: 2, padding: same}]\n",
    )
    assert "shortcut: 32 x 32 x 3, residual: 16 x 16 x 3" in error.message
    assert "filters" not in error.hint and "strides and padding" in error.hint
    # only the channels differ: then the filters are the fix
    error = load_error(tmp_path, CASES["add_of_mismatched_shapes"][0])
    assert "filters" in error.hint


def test_an_error_in_a_block_whose_body_is_a_merge_points_at_the_merge_key(tmp_path):
    error = load_error(
        tmp_path,
        HEADER
        + "blocks:\n  res:\n    doc: a residual\n    args: {f: 8}\n    add:\n"
        + "      a: [conv2d: {filters: $f, kernel: 1}]\n      b: []\n"
        + "model:\n  - res\n",
    )
    assert (error.loc.line, error.loc.col) == (8, 5), error.render()  # `add:`, not `doc:`
    assert "(used at line 12)" in error.scope


def test_an_unknown_op_is_offered_typos_not_other_ops(tmp_path):
    error = load_error(tmp_path, HEADER + "model:\n  - reshape: {shape: [4]}\n")
    assert "resize" not in (error.hint or "")
    error = load_error(tmp_path, HEADER + "model:\n  - conv2: {filters: 4, kernel: 3}\n")
    assert error.hint == "did you mean 'conv2d'?"


@pytest.mark.parametrize(
    "text, hint",
    [
        # an unquoted ': ' in a title: quote it (not "check the indentation")
        (
            "archgen: 1\nname: t\ntitle: Net: a test\ninput: [8, 8, 3]\nmodel: [relu]\n",
            "quote a value that holds ': ': title: \"Net: a test\"",
        ),
        # a mis-indented item that holds a quoted ${...}: the quotes are fine
        (
            "archgen: 1\nname: t\ninput: [8, 8, 3]\nparams: {w: 2}\nmodel:\n"
            "  - conv2d: {filters: 4, kernel: 3}\n"
            '   - conv2d: {filters: "${8 // w}", kernel: 3}\n',
            "check the indentation: the items of a list start in the same column",
        ),
        # an unquoted ${...} in a flow mapping: quote it
        (
            "archgen: 1\nname: t\ninput: [8, 8, 3]\nparams: {w: 2}\nmodel:\n"
            "  - conv2d: {filters: ${8 // w}, kernel: 3}\n",
            "quote values that hold ${...} inside {...} or [...]",
        ),
    ],
)
def test_yaml_syntax_hints_name_the_likely_mistake(tmp_path, text, hint):
    error = load_error(tmp_path, text)
    assert error.message.startswith("YAML syntax error")
    assert hint in error.hint, error.hint


def test_shape_errors_of_independent_items_are_all_reported(tmp_path):
    """The concat fails; the conv after it depends on it (not reported: its input is
    unknown); the path from the stem does not, and its own error is reported too."""
    error = load_error(
        tmp_path,
        "archgen: 1\nname: t\ninput: [8, 8, 3]\nmodel:\n"
        "  - conv2d: {filters: 4, kernel: 3, as: stem}\n"
        "  - concat:\n"
        "      a: [conv2d: {filters: 4, kernel: 3}]\n"
        "      b: [conv2d: {filters: 4, kernel: 3, strides: 2}]\n"
        "  - conv2d: {filters: 4, kernel: 30}\n"
        "  - from: stem\n"
        "  - conv2d: {filters: 4, kernel: 9}\n"
        "  - global_avg_pool\n",
    )
    assert [e.loc.line for e in error.errors] == [6, 11]
    assert "the branches give a: 4 x 4 x 4, b: 2 x 2 x 4" in error.errors[0].message
    assert "9x9" in error.errors[1].message


def test_a_repeat_count_error_in_a_block_says_where_the_block_was_used(tmp_path):
    error = load_error(
        tmp_path,
        HEADER + "blocks:\n  stack:\n    args: {n: required}\n    seq:\n"
        "      - repeat: $n\n        seq: [relu]\n"
        "model:\n  - stack: {n: 2}\n  - stack: {n: -1, name: second}\n",
    )
    assert "repeat takes a whole number >= 0, not -1" in error.message
    assert error.loc.line == 8
    assert error.scope == "second (used at line 12)"
    assert "in: second (used at line 12)" in error.render()


def test_an_input_too_small_for_several_branches_is_one_error(tmp_path):
    """Every branch of a concat fails on a small input: one cause, one error (the first),
    with the smallest-input hint; not one per branch."""
    error = load_error(
        tmp_path,
        "archgen: 1\nname: t\ninput: [4, 4, 3]\nmodel:\n  - concat:\n"
        "      a: [conv2d: {filters: 4, kernel: 5}]\n"
        "      b: [conv2d: {filters: 8, kernel: 5}]\n",
    )
    assert not hasattr(error, "errors")
    assert error.loc.line == 6 and "smallest it accepts is 5x5" in error.hint


def test_nested_repeats_sharing_an_index_cannot_number_unnamed_items(tmp_path):
    """Both repeats default to index `i`: the inner one hid the outer's, and the unnamed
    layers were numbered relu_1..3 twice (a duplicate-name error blaming the user)."""
    nested = "model:\n  - repeat: 2\n{index}    seq:\n      - repeat: 3\n        seq: [relu]\n"
    error = load_error(tmp_path, HEADER + nested.format(index=""))
    assert "hides the outer repeat's" in error.message and error.loc.line == 7
    path = tmp_path / "spec.yaml"
    path.write_text(HEADER + nested.format(index="    index: k\n"))
    names = [node.name for node in archgen.load(path).layers]
    assert names == ["input"] + [f"relu_{n}" for n in range(1, 7)]


@pytest.mark.parametrize("count", ["[]", "[2]", "true", "1.5", "two", "null"])
def test_a_repeat_count_that_is_not_a_number_is_a_located_error(tmp_path, count):
    """The long fuzz run found `repeat: []` reaching the lowering (an internal error)."""
    error = load_error(tmp_path, HEADER + f"model:\n  - repeat: {count}\n    seq: [relu]\n")
    assert "repeat takes a whole number >= 0" in error.message
    assert (error.loc.line, error.loc.col) == (5, 13)
