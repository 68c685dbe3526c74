"""The generated Python source: readable, ruff-clean, deterministic, and the same model."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS
from tests.generated_source import import_source
from tests.keras_compare import assert_configs_match, weight_shapes

SPEC = SPECS / "inception_v3.yaml"


@pytest.fixture(scope="module")
def source() -> str:
    return archgen.load(SPEC).python_source()


def test_reads_like_hand_written_code(source):
    tree = ast.parse(source)
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    # one function per block, then the model
    assert list(functions) == [
        "conv_bn",
        "inception_a",
        "reduction_a",
        "inception_b",
        "reduction_b",
        "inception_c",
        "build_model",
    ]
    assert all(ast.get_docstring(f) for f in functions.values())
    model = functions["build_model"]
    loops = [node for node in ast.walk(model) if isinstance(node, ast.For)]
    assert len(loops) == 3  # mixed1-2, mixed5-6, mixed9-10
    assert model.end_lineno - model.lineno < 60  # not a 300-line flat list
    assert len(source.splitlines()) < 250
    # branch variables named as in the spec; shape comments as keras.applications writes them
    assert "branch7x7 = conv_bn(branch7x7, 192, (7, 1)" in source
    assert "# mixed0: 35 x 35 x 256" in source
    assert "# mixed9, mixed10: 8 x 8 x 2048" in source
    assert 'x = inception_c(x, name=f"mixed{9 + i}")' in source


def test_only_imports_keras(source):
    imports = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [ast.unparse(n) for n in imports] == ["import keras", "from keras import layers"]


def test_passes_ruff_check_and_format(source, tmp_path):
    path = tmp_path / "inception_v3.py"
    path.write_text(source)
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--isolated", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_same_spec_same_bytes(source):
    assert archgen.load(SPEC).python_source() == source


def test_script_mode_prints_the_summary(source, tmp_path):
    path = tmp_path / "inception_v3.py"
    path.write_text(source)
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Total params: 23,851,784" in result.stdout


def test_params_become_keyword_arguments(source, tmp_path):
    module = import_source(source, tmp_path, "inception_v3_params")
    model = module.inception_v3(classes=10, input_shape=(150, 150, 3))
    expected = archgen.load(SPEC, overrides={"classes": 10, "input": [150, 150, 3]})
    assert model.count_params() == expected.totals.params


TRICKY = """archgen: 1
name: tricky
input: [16, 16, 3]
params: {classes: 5, width: 8}
blocks:
  unit:
    args: {filters: required}
    seq: [conv2d: {filters: $filters, kernel: 3, padding: same}, relu]
  stage:
    args: {blocks: required, filters: 8}
    seq:
      - unit: {filters: $filters}
      - repeat: "${blocks - 1}"
        seq: [unit: {filters: $filters}]
      - unit: {filters: "${filters * 2}"}
  residual:
    add:
      main:
        - repeat: 2
          seq: [relu, conv2d: {filters: $width, kernel: 1}]
      shortcut: []
    activation: relu
  head:
    seq: [global_avg_pool, dense: {units: $classes, activation: softmax}]
  fork:
    concat:
      a: [conv2d: {filters: 4, kernel: 1}]
      b:
        - conv2d: {filters: 4, kernel: 1}
        - split:
            a: [relu]
            c: [sigmoid]
model:
  - conv2d: {filters: $width, kernel: 1}
  - stage: {blocks: 3}
  - stage: {blocks: 1, filters: 4}
  - fork
  - conv2d: {filters: $width, kernel: 1, name: squeeze}
  - repeat: 2
    seq:
      - repeat: 3
        index: j
        seq: [residual]
  - side: [head: {name: early}]
  - residual: {name: last_residual}
  - head: {name: main}
outputs: [main, early, squeeze]
"""


def test_tricky_structures_build_the_same_model(tmp_path):
    spec = tmp_path / "tricky.yaml"
    spec.write_text(TRICKY)
    arch = archgen.load(spec)
    source = arch.python_source()
    # a repeat inside a branch carries the branch variable; numbers go on across loops
    assert "main = x\n    for i in range(2):" in source
    assert 'name=f"{name}.unit_{(blocks - 1) + 2}"' in source
    assert "squeeze = x" in source
    # a split's ends go straight into the concat, named apart from the branch `a`
    assert "x = layers.Concatenate(name=name)([a, a_2, c])" in source
    assert 'name=f"residual_{3 * i + j + 1}"' in source
    module = import_source(source, tmp_path, "tricky_generated")
    generated = module.build_model()
    runtime = arch.keras_model()
    assert [layer.name for layer in generated.layers] == [layer.name for layer in runtime.layers]
    assert weight_shapes(generated) == weight_shapes(runtime)
    assert [tuple(t.shape) for t in generated.outputs] == [(None, 5), (None, 5), (None, 16, 16, 8)]
    assert generated.count_params() == arch.totals.params


SIDE_OUTPUTS = """archgen: 1
name: side_outputs
input: [8, 8, 3]
model:
  - conv2d: {filters: 4, kernel: 3, padding: same}
  - side:
      - global_avg_pool
      - dense: {units: 8, name: middle}
      - dense: {units: 2, name: aux}
  - global_avg_pool
  - dense: {units: 3, name: main}
outputs: [main, middle, aux]
"""


def test_an_output_in_the_middle_of_a_side_path_is_its_own_tensor(tmp_path):
    """Every item of a side path writes the side path's variable: an output taken from the
    middle must be kept apart, or the generated model returns the last item twice."""
    spec = tmp_path / "side_outputs.yaml"
    spec.write_text(SIDE_OUTPUTS)
    arch = archgen.load(spec)
    assert [n.shape for n in arch.outputs] == [(3,), (8,), (2,)]
    runtime = arch.keras_model()
    generated = import_source(arch.python_source(), tmp_path, "side_outputs").build_model()
    assert [tuple(t.shape) for t in generated.outputs] == [(None, 3), (None, 8), (None, 2)]
    generated.set_weights(runtime.get_weights())
    batch = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32)
    for ours, theirs in zip(
        generated.predict(batch, verbose=0), runtime.predict(batch, verbose=0), strict=True
    ):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


DEEP_OUTPUTS = """archgen: 1
name: deep
input: [8, 8, 3]
blocks:
  tower:
    concat:
      left: [conv2d: {filters: 4, kernel: 1}, relu]
      right: [conv2d: {filters: 2, kernel: 3, padding: same}]
model:
  - repeat: 2
    seq: [conv2d: {filters: 4, kernel: 1, name: "c${i}"}]
  - tower: {name: mixed}
  - global_avg_pool
  - dense: {units: 3, name: main}
outputs: [main, c0, mixed.left, mixed.right.conv2d]
"""


def test_outputs_name_any_tensor_by_its_scope_path(tmp_path):
    """An output from a repeat or from inside a block or branch: the generated source reads
    it by its layer's name from the model the other outputs make."""
    spec = tmp_path / "deep.yaml"
    spec.write_text(DEEP_OUTPUTS)
    arch = archgen.load(spec)
    assert arch.graph.outputs == ["main", "c0", "mixed.left.relu", "mixed.right.conv2d"]
    assert [n.shape for n in arch.outputs] == [(3,), (8, 8, 4), (8, 8, 4), (8, 8, 2)]
    source = arch.python_source()
    assert 'trunk.get_layer("mixed.left.relu").output' in source
    generated = import_source(source, tmp_path, "deep_outputs").build_model()
    runtime = arch.keras_model()
    generated.set_weights(runtime.get_weights())
    batch = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32)
    for ours, theirs in zip(
        generated.predict(batch, verbose=0), runtime.predict(batch, verbose=0), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    # an output inside a block that feeds no other output cannot be read that way
    spec.write_text(
        "archgen: 1\nname: d\ninput: [8, 8, 3]\nblocks:\n  head:\n    seq:\n"
        "      - side: [global_max_pool: {name: peek}]\n      - global_avg_pool\n"
        "model: [head: {name: h}]\noutputs: [h, h.peek]\n"
    )
    with pytest.raises(archgen.SpecError) as error:
        archgen.load(spec)
    assert error.value.message == "the output 'h.peek' feeds none of the model's other outputs"
    assert error.value.loc.line == 10


EXPRESSIONS = """archgen: 1
name: scaled
input: [32, 32, 3]
params: {width: 0.75, stages: [[16, 1, 2], [24, 2, 3]], depth: 1.2, classes: 10}
blocks:
  unit:
    args: {filters: required, strides: 1}
    seq:
      - conv2d:
          filters: "${max(8, int(filters * width + 4) // 8 * 8)}"
          kernel: "${3 if strides == 1 else 5}"
          strides: $strides
          padding: "${'same' if strides == 1 or not width < 1 else 'valid'}"
      - relu
model:
  - unit: {filters: "${stages[0][0]}", strides: "${stages[0][1]}"}
  - repeat: "${ceil(depth * stages[-1][2])}"
    seq: [unit: {filters: "${stages[len(stages) - 1][0]}", strides: "${stages[1][1] if i == 0 else 1}"}]
  - unit: {filters: "${abs(-round(stages[1][0] / 2.5))}"}
  - global_avg_pool
  - dense: {units: "${floor(classes / 1)}", name: "head${min(1, 2)}"}
"""


def test_expressions_compile_to_the_same_model(tmp_path):
    spec = tmp_path / "scaled.yaml"
    spec.write_text(EXPRESSIONS)
    arch = archgen.load(spec)
    source = arch.python_source()
    assert "import math\n\nimport keras" in source
    assert "for i in range(math.ceil(depth * stages[-1][2])):" in source
    assert "3 if strides == 1 else 5" in source
    assert "max(8, int(filters * width + 4) // 8 * 8)" in source
    # Keras' own arithmetic, by hand: ceil(1.2 * 3) = 4 repeats; 24 * 0.75 + 4 = 22 -> 16
    assert arch.graph["unit_2.conv2d"].attrs["filters"] == 16
    assert arch.graph["unit_2.conv2d"].attrs["padding"] == "valid"
    assert [n.name for n in arch.graph if n.op == "conv2d"][-1] == "unit_6.conv2d"
    module = import_source(source, tmp_path, "scaled_generated")
    for overrides in ({}, {"width": 1.0, "depth": 2.0}):
        expected = archgen.load(spec, overrides=overrides)
        assert_configs_match(module.build_model(**overrides), expected.keras_model())


CONDITIONS = """archgen: 1
name: conditions
input: [16, 16, 3]
params: {wide: true, aux: false, pool: true, stages: [[8, 1], [16, 2], [16, 1]]}
blocks:
  residual:
    doc: A residual block whose shortcut is projected only when the shape changes.
    args: {filters: required, strides: 1, project: false}
    add:
      residual:
        - conv2d: {filters: $filters, kernel: 3, strides: $strides, padding: same}
        - relu
        - conv2d: {filters: $filters, kernel: 3, padding: same}
      shortcut:
        - conv2d: {filters: $filters, kernel: 1, strides: $strides, name: projection}
          if: $project
    activation: relu
  squeeze:
    if: $pool
    seq: [global_avg_pool]
  towers:
    args: {filters: required}
    concat:
      a: [conv2d: {filters: $filters, kernel: 1}]
      b:
        if: "${filters > 8 and wide}"
        seq: [conv2d: {filters: "${filters // 2}", kernel: 3, padding: same}]
      c: [max_pool: {size: 3, strides: 1, padding: same}]
model:
  - conv2d: {filters: 8, kernel: 3, padding: same, name: stem}
  - repeat: "${len(stages)}"
    seq:
      - residual:
          filters: "${stages[i][0]}"
          strides: "${stages[i][1]}"
          project: "${i == 0 or stages[i][0] != stages[i - 1][0]}"
          name: "stage${i}"
  - towers: {filters: 16, name: mixed}
  - dropout: {rate: 0.5, if: "${not wide}"}
  - side:
      - global_avg_pool
      - dense: {units: 3, name: aux_head}
    if: $aux
  - squeeze: {name: pooled}
  - dense: {units: 5, name: predictions, if: $pool}
"""


def test_conditions_compile_to_the_same_model(tmp_path):
    spec = tmp_path / "conditions.yaml"
    spec.write_text(CONDITIONS)
    source = archgen.load(spec).python_source()
    assert "if project:" in source
    assert "if not pool:\n        return x" in source
    assert "if filters > 8 and wide:" in source
    assert "inputs.append(b)" in source
    module = import_source(source, tmp_path, "conditions_generated")
    for overrides in ({}, {"wide": False, "pool": False}, {"stages": [[8, 1], [8, 1]]}):
        arch = archgen.load(spec, overrides=overrides)
        assert_configs_match(module.build_model(**overrides), arch.keras_model())
    # by hand: stage0 projects (8 -> 8 but the first), stage1 projects (8 -> 16, stride 2),
    # stage2 does not (16 -> 16); the tower's b exists (16 > 8 and wide); no dropout
    arch = archgen.load(spec)
    names = [n.name for n in arch.graph]
    assert [n for n in names if n.endswith("projection")] == [
        "stage0.shortcut.projection",
        "stage1.shortcut.projection",
    ]
    assert arch.graph["mixed"].inputs == ["mixed.a.conv2d", "mixed.b.conv2d", "mixed.c.max_pool"]
    assert not any(n.startswith("dropout") for n in names)
    narrow = archgen.load(spec, overrides={"wide": False, "pool": False})
    assert narrow.graph["mixed"].inputs == ["mixed.a.conv2d", "mixed.c.max_pool"]
    assert [n.name for n in narrow.outputs] == ["dropout"]  # squeeze and the head are gone
