"""The static analysis of specs/inception_v3.yaml against keras.applications.InceptionV3."""

from __future__ import annotations

import json

import archgen
from archgen.cli import main
from tests.conftest import SPECS
from tests.keras_compare import assert_layers_match

SPEC = SPECS / "inception_v3.yaml"


def test_summary_json_totals(capsys):
    assert main(["summary", str(SPEC), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # keras.applications.InceptionV3(weights=None).count_params() and its trainable share
    assert summary["params"] == {
        "total": 23_851_784,
        "trainable": 23_817_352,
        "non_trainable": 34_432,
    }
    assert summary["input_shape"] == [299, 299, 3]
    assert summary["outputs"] == [{"name": "predictions", "shape": [1000]}]
    assert summary["min_input"] == 75  # keras.applications' own min_size for InceptionV3
    assert len(summary["layers"]) == 313


def test_layers_match_keras_one_for_one(reference_inception_v3):
    assert_layers_match(archgen.load(SPEC), reference_inception_v3)


def test_trainable_split_matches_keras(reference_inception_v3):
    arch = archgen.load(SPEC)
    trainable = sum(int(w.numpy().size) for w in reference_inception_v3.trainable_weights)
    assert arch.totals.trainable == trainable


def test_flops_are_the_published_figure():
    # Szegedy et al. 2016 quote about 5.7 billion multiply-adds for Inception-v3.
    arch = archgen.load(SPEC)
    assert 5.70e9 < arch.totals.flops < 5.75e9


def test_classes_override_changes_the_head():
    arch = archgen.load(SPEC, overrides={"classes": 10})
    # the 2048 -> 1000 dense layer (2,049,000) becomes 2048 -> 10 (20,490)
    assert arch.totals.params == 23_851_784 - 2_049_000 + 20_490
