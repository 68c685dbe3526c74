"""Names and text from a spec can never become code in the generated source."""

from __future__ import annotations

import ast

import pytest

import archgen
from archgen.errors import SpecError
from tests.conftest import write_spec
from tests.generated_source import import_source

BASE = """archgen: 1
name: {name}
title: {title}
input: [16, 16, 3]
params: {{classes: 4}}
blocks:
  {block}:
    args: {{{arg}: 8}}
    concat:
      {branch}: [conv2d: {{filters: ${arg}, kernel: 1}}]
      other: [conv2d: {{filters: 4, kernel: 1}}]
model:
  - {block}: {{name: {layer}}}
  - global_avg_pool
  - dense: {{units: $classes}}
"""

SAFE = {
    "name": "net",
    "title": "Net",
    "block": "unit",
    "arg": "width",
    "branch": "left",
    "layer": "first",
}


def spec_text(**changes) -> str:
    return BASE.format(**{**SAFE, **changes})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("layer", "'a\"); import os; os.system(\"echo pwned'", "characters other than"),
        ("layer", '"first\\nimport os"', "characters other than"),
        ("layer", "__class__", "may not start with '__'"),
        ("block", "__init__", "may not start with '__'"),
        ("block", "'unit(x): pass\\nimport os\\ndef f'", "not a valid name"),
        ("arg", "__builtins__", "may not start with '__'"),
        ("branch", "'left]); import os; ([x'", "not a valid name"),
        ("name", "'net\"; import os; \"'", "not a valid name"),
        ("layer", "a" * 200, "not a valid name"),
        ("block", "b" * 200, "not a valid name"),
    ],
)
def test_hostile_names_are_refused(tmp_path, field, value, message):
    path = write_spec(tmp_path, spec_text(**{field: value}))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert message in info.value.message
    assert info.value.loc.line > 0


def top_level_statements(source: str) -> list[str]:
    return [type(node).__name__ for node in ast.parse(source).body]


def test_hostile_text_stays_in_the_docstring(tmp_path):
    title = '\'Net"""\\nimport os\\nos.system("echo pwned")\\n"""\''
    path = write_spec(tmp_path, spec_text(title=title))
    source = archgen.load(path).python_source()
    tree = ast.parse(source)
    assert "import os" in ast.get_docstring(tree)
    # the module holds a docstring, two imports, functions, the alias and the main guard
    assert top_level_statements(source) == [
        "Expr",
        "Import",
        "ImportFrom",
        "FunctionDef",
        "FunctionDef",
        "Assign",
        "If",
    ]
    assert not any(
        isinstance(node, ast.Attribute) and node.attr == "system" for node in ast.walk(tree)
    )


def test_hostile_parameter_values_are_literals(tmp_path):
    text = spec_text().replace(
        "params: {classes: 4}", "params: {classes: 4, note: \"'); import os; ('\"}"
    )
    source = archgen.load(write_spec(tmp_path, text)).python_source()
    build = next(
        n
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef) and n.name == "build_model"
    )
    defaults = [ast.literal_eval(d) for d in build.args.defaults]
    assert "'); import os; ('" in defaults
    assert "import os" not in source.replace("'); import os; ('", "")


def test_names_that_shadow_python_get_renamed_and_still_build(tmp_path):
    # a block called like a builtin, an argument called like the tensor variable,
    # a branch called like the name parameter, a parameter called like the input shape
    text = spec_text(block="input", arg="x", branch="name").replace(
        "params: {classes: 4}", "params: {classes: 4, input_shape: 3}"
    )
    arch = archgen.load(write_spec(tmp_path, text))
    source = arch.python_source()
    assert "def input_(x, x_2=8, name=" in source
    module = import_source(source, tmp_path, "shadowing")
    model = module.build_model()
    runtime = arch.keras_model()
    assert [layer.name for layer in model.layers] == [layer.name for layer in runtime.layers]
    assert model.count_params() == arch.totals.params


def test_keyword_named_block(tmp_path):
    arch = archgen.load(write_spec(tmp_path, spec_text(block="lambda")))
    source = arch.python_source()
    assert "def lambda_(" in source
    module = import_source(source, tmp_path, "keyword_block")
    assert module.build_model().count_params() == arch.totals.params
