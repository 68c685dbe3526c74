"""`archgen min-input` and Architecture.input_sizes() against what Keras can actually build."""

from __future__ import annotations

import pytest

import archgen
from archgen.cli import main
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
    sizes = arch.input_sizes(10)
    assert (sizes.smallest, sizes.upto, sizes.failing, sizes.notes) == (2, 10, [3, 5, 7, 9], [])
    assert sizes.step == 2  # exactly the even sizes work
    main(["min-input", str(spec), "--upto", "10"])
    assert "from 2 to 10, every multiple of 2 works, and no other size" in capsys.readouterr().out
    with pytest.raises(ValueError):  # Keras agrees: 7 fails, 8 builds
        arch.graph.input.shape = (7, 7, 3)
        arch.keras_model()
    arch.graph.input.shape = (8, 8, 3)
    assert arch.keras_model().output.shape[1:] == (4, 4, 7)


def test_notes_on_resize_and_flatten(capsys):
    mnist = archgen.load(SPECS / "inception_v4_mnist.yaml").input_sizes(80)
    assert (mnist.smallest, mnist.failing) == (1, [])
    [resize] = mnist.notes
    assert "brings every input to 75x75" in resize
    [flatten] = archgen.load(SPECS / "vgg16.yaml").input_sizes(40).notes
    assert "makes the parameter count of the layers after it depend" in flatten
    main(["min-input", str(SPECS / "inception_v4_mnist.yaml"), "--upto", "80"])
    out = capsys.readouterr().out
    assert "every layer accepts is 1x1" in out
    assert f"note: {resize}" in out


def test_upto_below_the_smallest_scans_nothing_above_it():
    sizes = archgen.load(SPECS / "inception_v3.yaml").input_sizes(10)
    assert (sizes.smallest, sizes.upto, sizes.failing) == (75, 75, [])


def test_no_square_input_up_to_the_scan_limit(tmp_path, monkeypatch, capsys):
    import archgen.passes.min_input as min_input

    monkeypatch.setattr(min_input, "MIN_INPUT_SCAN_LIMIT", 40)  # the limit as it is read
    spec = write_spec(
        tmp_path,
        "archgen: 1\nname: t\ninput: [64, 64, 3]\nmodel:\n  - conv2d: {filters: 4, kernel: 50}\n",
    )
    arch = archgen.load(spec)
    assert arch.min_input is None and arch.input_sizes().upto == 40
    assert main(["min-input", str(spec)]) == 0  # an answer: the spec itself is valid
    assert "t: no square input up to 40 works" in capsys.readouterr().out


def test_check_recomputes_every_fact_after_the_ir_changes(tmp_path):
    """min_input and totals follow the IR: check() forgets what it derived before."""
    spec = write_spec(
        tmp_path,
        "archgen: 1\nname: t\ninput: [16, 16, 3]\nmodel:\n  - conv2d: {filters: 4, kernel: 3}\n",
    )
    arch = archgen.load(spec)
    assert (arch.min_input, arch.totals.params) == (3, 3 * 3 * 3 * 4 + 4)
    conv = next(node for node in arch.graph if node.op == "conv2d")
    conv.attrs["kernel"] = (5, 5)
    conv.attrs["filters"] = 8
    arch.check()
    assert (arch.min_input, arch.totals.params) == (5, 5 * 5 * 3 * 8 + 8)


def test_check_rebuilds_the_graph_view_after_edges_change(tmp_path):
    spec = write_spec(
        tmp_path,
        "archgen: 1\nname: t\ninput: [8]\noutputs: [a, b]\n"
        "model:\n  - relu: {name: a}\n  - relu: {name: b}\n",
    )
    arch = archgen.load(spec)
    assert arch.graph.consumers("a") == ["b"]
    arch.graph["b"].inputs = ["input"]
    arch.check()
    assert arch.graph.consumers("a") == [] and arch.graph.consumers("input") == ["a", "b"]
