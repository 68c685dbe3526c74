"""Outputs never lie or destroy: build refuses two specs that would write the same files,
its "Keras agrees" covers the generated source (which imports whatever names a spec uses),
and `new` writes a spec that loads, or nothing."""

from __future__ import annotations

import pytest

import archgen
from archgen.cli import main

SPEC = "archgen: 1\nname: net\ninput: [8, 8, 3]\nmodel: [conv2d: {filters: 2, kernel: 1}, global_avg_pool]\n"


def test_build_refuses_two_specs_that_would_write_the_same_outputs(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(SPEC)
    (tmp_path / "b.yaml").write_text(SPEC.replace("filters: 2", "filters: 3"))
    out = tmp_path / "out"
    code = main(
        [
            "build",
            str(tmp_path / "a.yaml"),
            str(tmp_path / "b.yaml"),
            "--no-diagrams",
            "-o",
            str(out),
        ]
    )
    assert code == 1
    assert "b.yaml:2:7: error: 'net' is also the name of" in capsys.readouterr().err
    assert (
        "filters=2" not in (out / "net.py").read_text()
        or "Conv2D(2," in (out / "net.py").read_text()
    )
    assert "Conv2D(3," not in (out / "net.py").read_text()  # a.yaml's, not overwritten


# names a block's arguments may take that a generated module also needs
SHADOWING = """archgen: 1
name: shadows
input: [8, 8, 3]
params: {classes: 3}
blocks:
  unit:
    args: {layers: 2, keras: 1, math: 3, build_model: 1}
    seq: [conv2d: {filters: "${layers + keras + math + build_model}", kernel: 1}]
  head:
    args: {unit: 4}
    seq: [unit: {layers: $unit}, global_avg_pool, dense: {units: $classes}]
model: [unit, head: {unit: 5}]
"""


def test_generated_source_imports_whatever_names_a_spec_uses(tmp_path, capsys):
    spec = tmp_path / "shadows.yaml"
    spec.write_text(SHADOWING)
    out = tmp_path / "out"
    # build imports the module it wrote and builds it: "Keras agrees" covers the source
    assert main(["build", str(spec), "--no-diagrams", "-o", str(out)]) == 0, capsys.readouterr().err
    source = (out / "shadows.py").read_text()
    assert "def unit(x, layers_2=2, keras_2=1, math_2=3, build_model_2=1," in source
    assert "def head(x, unit_2=4," in source


def test_a_parameter_that_is_not_a_finite_number_is_refused(tmp_path):
    spec = tmp_path / "nan.yaml"
    spec.write_text(SPEC.replace("name: net\n", "name: net\nparams: {rate: .nan}\n"))
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(spec)
    assert "parameter 'rate' is nan, not a finite number" in info.value.message
    assert info.value.loc.line == 3


def test_new_writes_a_variant_that_loads_for_any_title(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(
        SPEC.replace("name: net\n", 'name: net\ntitle: "Rocket \\U0001F680: fast \\"net\\""\n')
    )
    assert main(["new", "fast", "--from", str(base), "-o", str(tmp_path)]) == 0
    variant = archgen.load(tmp_path / "fast.yaml")
    assert variant.spec.title == 'Rocket \U0001f680: fast "net" (variant)'
