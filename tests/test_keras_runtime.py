"""The runtime back end's InceptionV3: layer names and order come from the spec.

That it is keras.applications.InceptionV3 weight for weight, with the same features and
predictions, is checked with the other keras.applications networks in
tests/test_library_applications.py; the generated module against it, in
tests/test_generated_parity.py.
"""

from __future__ import annotations

import pytest

import archgen
from tests.conftest import SPECS


@pytest.fixture(scope="module")
def arch():
    return archgen.load(SPECS / "inception_v3.yaml")


@pytest.fixture(scope="module")
def runtime_inception_v3(arch):
    return arch.keras_model()


def test_layer_names_come_from_the_scope_path(runtime_inception_v3):
    names = [layer.name for layer in runtime_inception_v3.layers]
    assert "mixed0.branch5x5.conv_bn_2.conv2d" in names
    assert {"mixed0", "mixed10", "avg_pool", "predictions"} <= set(names)
    assert not any("/" in name for name in names)


def test_layer_order_is_the_static_keras_order(arch, runtime_inception_v3):
    assert [layer.name for layer in runtime_inception_v3.layers] == arch.keras_order
