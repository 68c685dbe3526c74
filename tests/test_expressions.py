"""The spec's expression language: parsed safely, evaluated without eval()."""

from __future__ import annotations

import pytest

from archgen.errors import Loc, SpecError
from archgen.language.expr import Expr, Template, evaluate, parse_value

HERE = Loc("t.yaml", 3, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${7 // 2}", 3),
        ("${7 % 4}", 3),
        ("${-3 + 10}", 7),
        ("${2 - 3 - 4}", -5),  # left-associative
        ("${64 // 2 // 4}", 8),
        ("${filters * 2}", 128),
        ("${0.5 * 2}", 1.0),
        ("$filters", 64),
    ],
)
def test_arithmetic(text, expected):
    assert evaluate(parse_value(text, HERE), {"filters": 64}) == expected


def test_template_formats_numbers_into_names():
    value = parse_value("mixed${9 + i}", HERE)
    assert isinstance(value, Template)
    assert [value.evaluate({"i": i}) for i in range(2)] == ["mixed9", "mixed10"]


def test_whole_reference_keeps_any_type():
    assert evaluate(parse_value("$padding", HERE), {"padding": "same"}) == "same"
    assert evaluate(parse_value("$kernel", HERE), {"kernel": [1, 7]}) == [1, 7]


def test_plain_values_pass_through():
    assert parse_value("same", HERE) == "same"
    assert parse_value(3, HERE) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${__import__('os')}", "is not allowed"),
        ("${a.b}", "is not allowed"),
        ("${1 / 2}", "is not allowed"),
        ("${2 ** 8}", "bad expression"),
        ("${(1 + 2}", "missing ')'"),
        ("${1 +}", "ends too early"),
        ("${}", "ends too early"),
        ("mixed${i", "unclosed"),
        ("cost $5", "is not a reference"),
    ],
)
def test_rejected_syntax_points_at_the_value(text, message):
    with pytest.raises(SpecError) as info:
        evaluate(parse_value(text, HERE), {"a": 1, "i": 0})
    assert message in info.value.message
    assert info.value.loc == HERE


def test_division_hint_suggests_floor_division():
    with pytest.raises(SpecError) as info:
        parse_value("${8 / 2}", HERE)
    assert info.value.hint == "use // for whole-number division"


def test_undefined_name_suggests_the_closest():
    expr = parse_value("${filtres * 2}", HERE)
    assert isinstance(expr, Expr)
    with pytest.raises(SpecError) as info:
        expr.evaluate({"filters": 3})
    assert "'filtres' is not defined" in info.value.message
    assert info.value.hint == "did you mean 'filters'?"


def test_division_by_zero_and_arithmetic_on_text():
    with pytest.raises(SpecError, match="division by zero"):
        evaluate(parse_value("${4 // n}", HERE), {"n": 0})
    with pytest.raises(SpecError, match="arithmetic on 'same'"):
        evaluate(parse_value("${p * 2}", HERE), {"p": "same"})
