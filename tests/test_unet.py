"""specs/unet.yaml against a U-Net written by hand from the paper (tests/references/unet.py):
layers, parameters and outputs at several input sizes, from the runtime model and the
generated source; the smallest input and the block diagram's skip edges."""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from tests.conftest import SPECS
from tests.generated_source import import_source
from tests.keras_compare import assert_layers_match
from tests.references.unet import unet as reference_unet
from tests.test_diagrams import read_svg

SPEC = SPECS / "unet.yaml"


@pytest.mark.parametrize("size", [128, 256, 512])
def test_layers_and_parameters_equal_the_reference_at_every_multiple_of_16(size):
    arch = archgen.load(SPEC, overrides={"size": size})
    reference = reference_unet((size, size, 1))
    assert arch.totals.params == reference.count_params() == 31_030_658
    assert_layers_match(arch, reference)


def test_outputs_equal_the_reference_with_its_weights(tmp_path):
    """At 64 x 64, with the reference's weights randomised: the decoder's last features
    (before the 1x1 classifier) and the segmentation, from the runtime model and the
    generated module."""
    arch = archgen.load(SPEC, overrides={"size": 64, "filters": 8})
    reference = reference_unet((64, 64, 1), filters=8)
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.2, w.shape).astype(np.float32) for w in reference.get_weights()]
    reference.set_weights(weights)
    generated = import_source(arch.python_source(), tmp_path, "unet_generated")
    batch = rng.normal(size=(2, 64, 64, 1)).astype(np.float32)
    theirs = reference.predict(batch, verbose=0)
    features_theirs = _features(reference, reference.layers[-2].name, batch)
    for model in (arch.keras_model(), generated.build_model(size=64, filters=8)):
        model.set_weights(weights)
        ours = model.predict(batch, verbose=0)
        assert np.abs(ours - theirs).max() <= 1e-5 * np.abs(theirs).max()
        features = _features(model, "dec1.double_conv.conv2d_2", batch)
        assert np.abs(features - features_theirs).max() <= 1e-5 * np.abs(features_theirs).max()
        assert np.abs(features_theirs).max() > 1.0  # not a vanishing signal


def _features(model, layer: str, batch):
    import keras

    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    return probe.predict(batch, verbose=0)


def test_min_input_says_multiples_of_16():
    sizes = archgen.load(SPEC).input_sizes(upto=200)
    assert (sizes.smallest, sizes.step) == (16, 16)
    # four 2x2 poolings then four 2x up-convolutions: a side not divisible by 16 comes
    # back a different size and the skip's concat refuses it
    assert sizes.failing == [s for s in range(17, 201) if s % 16]
    with pytest.raises(archgen.SpecError) as info:
        archgen.load(SPEC, overrides={"size": 100})
    assert "size_is_a_multiple_of_16" in info.value.message


def test_the_block_diagram_shows_the_u_with_its_skips():
    drawing = read_svg(archgen.load(SPEC).diagram("blocks", "svg").encode())
    rows = ["enc1", "enc2", "enc3", "enc4", "bottleneck", "dec4", "dec3", "dec2", "dec1"]
    assert all(name in drawing.nodes for name in rows)
    edges = {(tail, head) for tail, head, _ in drawing.edges}
    for level in range(1, 5):
        assert (f"enc{level}", f"dec{level}") in edges  # the skip connection
    # one row each: every box of the U below the one before it
    tops = [drawing.nodes[name][1] for name in rows]
    assert tops == sorted(tops)
