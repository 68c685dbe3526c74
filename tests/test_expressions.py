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
        ("${__import__('os')}", "'__import__' is not a function"),
        ("${a.b}", "is not allowed"),
        ("${a[0].real}", "is not allowed"),
        ("${(1).bit_length()}", "is not allowed"),
        ("${open('x')}", "'open' is not a function"),
        ("${1 < 2 < 3}", "comparisons do not chain"),
        ("${1 if 2}", "missing 'else'"),
        ("${[1, 2}", "missing ','"),
        ("${1٢}", "is not allowed"),  # Arabic-Indic digit two: digits are ASCII only
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${7 / 2}", 3.5),  # true division, as in Python
        ("${int(64 * 0.75)}", 48),
        ("${max(8, int(filters * 0.25 + 0.5))}", 16),
        ("${ceil(3 * 1.1)}", 4),  # EfficientNet's round_repeats: ceil(depth * repeats)
        ("${floor(-0.5)}", -1),
        ("${round(2.5)}", 2),  # Python's rounding, half to even
        ("${abs(-3) + min(4, 2, 9)}", 5),
        ("${stride == 1}", True),
        ("${not stride == 1}", False),
        ("${stride != 2 and filters > 32 or false}", True),
        ("${'same' if stride == 1 else 'valid'}", "same"),
        ("${1 if false else 2 if true else 3}", 2),  # right-associative, as in Python
        ("${stages[1][0] * 2}", 48),
        ("${stages[-1][1]}", 3),
        ("${len(stages)}", 2),
        ("${[filters, filters * 2][1]}", 128),
        ("${-stages[0][1]}", -2),
    ],
)
def test_functions_comparisons_conditions_and_lists(text, expected):
    env = {"filters": 64, "stride": 1, "stages": [[16, 2], [24, 3]]}
    value = evaluate(parse_value(text, HERE), env)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${stages[2]}", "index 2 is out of range"),
        ("${stages['a']}", "a list index must be a whole number"),
        ("${filters[0]}", "which is not a list"),
        ("${filters if 1 else 2}", "needs true or false"),
        ("${filters and true}", "needs true or false"),
        ("${'a' < 1}", "compares"),
        ("${len(filters)}", "len takes one list"),
        ("${min()}", "min takes one or more numbers"),
        ("${ceil(1, 2)}", "ceil takes 1 arguments"),
        ("${10 ** 10}", "bad expression"),
        ("${1000000 * 1000000 * 1000000 * 1000000}", "beyond the limit"),
        ("${int(1000000.0 * 1000000 * 1000000 * 1000000)}", "beyond the limit"),
    ],
)
def test_bad_values_are_located(text, message):
    env = {"filters": 64, "stages": [[16, 2], [24, 3]]}
    with pytest.raises(SpecError) as info:
        evaluate(parse_value(text, HERE), env)
    assert message in info.value.message
    assert info.value.loc == HERE


def test_short_circuit_skips_the_other_side():
    # the right side would fail (index out of range) but is never evaluated
    assert evaluate(parse_value("${len(xs) == 0 or xs[0] > 1}", HERE), {"xs": []}) is True


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
