"""`archgen min-input` against what Keras can actually build."""

from __future__ import annotations

import pytest

import archgen
from archgen.cli import main
from archgen.passes import input_sizes
from tests.conftest import SPECS, write_spec


def keras_builds(spec, size: int) -> bool:
    """Whether Keras builds the network for a size x size input, skipping archgen's checks."""
    arch = archgen.load(spec)
    for node in arch.graph:  # the IR with the input replaced, shapes left to Keras
        if node.op == "input":
            node.shape = (size, size, node.shape[-1])
    try:
        arch.keras_model()
    except ValueError:
        return False
    return True


def test_inception_v3_minimum_is_where_keras_starts_to_build(capsys):
    assert main(["min-input", str(SPECS / "inception_v3.yaml"), "--upto", "120"]) == 0
    out = capsys.readouterr().out
    assert "every layer accepts is 75x75" in out
    assert "every size from 75 to 120 works" in out
    spec = SPECS / "inception_v3.yaml"
    assert not keras_builds(spec, 74)
    assert keras_builds(spec, 75)


def test_sizes_that_fail_between_valid_ones(tmp_path, capsys):
    # an odd size gives the strided branch ceil(n/2) and the valid one floor((n-1)/2)
    spec = write_spec(
        tmp_path,
        "archgen: 1\nname: t\ninput: [16, 16, 3]\nmodel:\n"
        "  - concat:\n"
        "      a: [conv2d: {filters: 4, kernel: 1, strides: 2, padding: same}]\n"
        "      b: [max_pool: {size: 2, strides: 2}]\n",
    )
    arch = archgen.load(spec)
    assert input_sizes(arch.graph, 10) == [2, 4, 6, 8, 10]
    main(["min-input", str(spec), "--upto", "10"])
    assert "sizes from 2 to 10 that fail: 3, 5, 7, 9" in capsys.readouterr().out
    with pytest.raises(ValueError):  # Keras agrees: 7 fails, 8 builds
        arch.graph.input.shape = (7, 7, 3)
        arch.keras_model()
    arch.graph.input.shape = (8, 8, 3)
    assert arch.keras_model().output.shape[1:] == (4, 4, 7)


def test_notes_on_resize_and_flatten(capsys):
    main(["min-input", str(SPECS / "inception_v4_mnist.yaml"), "--upto", "80"])
    out = capsys.readouterr().out
    assert "every layer accepts is 1x1" in out
    assert "brings every input to 75x75" in out
    main(["min-input", str(SPECS / "vgg16.yaml"), "--upto", "40"])
    assert "makes the parameter count of the layers after it depend" in capsys.readouterr().out
