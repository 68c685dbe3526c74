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
            "runs exactly once",
        ),
        (
            "model:\n  - relu: {if: true}\n    if: true\n",
            "'relu' has two conditions",
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
