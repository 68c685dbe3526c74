"""`archgen diff`, `new`, `ops`, `--version` and help, used as a person would."""

from __future__ import annotations

import pytest

import archgen
from archgen.cli import main
from archgen.ops import spec_op_names
from tests.conftest import SPECS


def test_diff_shows_what_a_variant_changes(capsys):
    assert main(["diff", str(SPECS / "vgg16.yaml"), str(SPECS / "vgg19.yaml")]) == 0
    out = capsys.readouterr().out
    assert "param deep_convs: 3 -> 4" in out
    # VGG-19 adds one 3x3 conv to stages 3-5: 256*256*9+256, 512*512*9+512, 512*512*9+512
    assert "block3  vgg_block  28 x 28 x 256  1,475,328 -> 2,065,408" in out
    assert "(7 blocks unchanged; --all shows them)" in out
    assert "params: 138,357,544 -> 143,667,240 (+5,309,696)" in out


def test_diff_aligns_a_layer_put_in_front(tmp_path, capsys):
    base = tmp_path / "base.yaml"
    base.write_text(
        "archgen: 1\nname: base\ninput: [32, 32, 3]\nparams: {classes: 10}\n"
        "model: [conv2d: {filters: 8, kernel: 3, name: conv}, flatten, "
        "dense: {units: $classes, name: out}]\n"
    )
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        "archgen: 1\nextends: base.yaml\nname: variant\ninput: [28, 28, 1]\n"
        "prepend: [resize: {height: 32, width: 32}]\n"
    )
    main(["diff", str(base), str(variant), "--all"])
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert ["+", "resize"] in rows
    assert ["=", "flatten"] in rows and ["=", "out"] in rows
    assert ["~", "conv"] in rows  # 3 -> 1 input channels: fewer weights


def test_new_spec_checks_and_variant_extends(tmp_path, capsys):
    assert main(["new", "my_net", "-o", str(tmp_path)]) == 0
    assert archgen.load(tmp_path / "my_net.yaml").totals.params > 0
    base = SPECS / "inception_v3.yaml"
    assert main(["new", "small_v3", "--from", str(base), "-o", str(tmp_path)]) == 0
    text = (tmp_path / "small_v3.yaml").read_text()
    assert "extends: " in text and "inception_v3.yaml" in text
    variant = archgen.load(tmp_path / "small_v3.yaml")
    assert variant.totals.params == archgen.load(base).totals.params
    capsys.readouterr()
    assert main(["new", "my_net", "-o", str(tmp_path)]) == 2  # never overwrites: bad usage
    assert "exists already" in capsys.readouterr().err


def test_ops_lists_every_op_with_its_arguments(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in spec_op_names():
        assert f"\n{name} " in f"\n{out}"
    assert "kernel           int or [h, w] (required)" in out


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"archgen {archgen.__version__}"
    for command in ("check", "summary", "build", "diff", "new", "min-input"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "example" in capsys.readouterr().out


def test_bash_completion_completes_commands_and_options(tmp_path):
    import subprocess

    from archgen.cli import completion_script

    script = tmp_path / "archgen.bash"
    script.write_text(completion_script("bash"))
    probe = (
        f"source {script}; "
        "COMP_WORDS=(archgen su); COMP_CWORD=1; _archgen; echo ${COMPREPLY[@]}; "
        "COMP_WORDS=(archgen build --no); COMP_CWORD=2; _archgen; echo ${COMPREPLY[@]}"
    )
    result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["summary", "--no-diagrams --no-verify"]
    assert completion_script("zsh").startswith("autoload -U +X bashcompinit")


def test_output_into_a_closed_pipe_is_not_an_error():
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run(
        f"{sys.executable} -m archgen summary specs/inception_resnet_v2.yaml --format json | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == "{\n"
    assert result.stderr == ""


def test_new_variant_of_a_spec_whose_title_has_yaml_syntax(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(
        "archgen: 1\nname: base\ntitle: 'Net: v2 # \"quoted\"'\ninput: [8, 8, 3]\n"
        'params: {classes: 10, note: "it\'s: odd"}\nmodel: [flatten, dense: {units: $classes}]\n'
    )
    assert main(["new", "variant", "--from", str(base), "-o", str(tmp_path)]) == 0
    assert archgen.load(tmp_path / "variant.yaml").spec.title == 'Net: v2 # "quoted" (variant)'


def test_ops_prints_the_docs_table_as_markdown(capsys):
    from archgen.cli import main
    from archgen.ops.table import markdown

    assert main(["ops", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == markdown()
