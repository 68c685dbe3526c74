"""The editor schema: generated from the registry, current, and every shipped spec fits it."""

from __future__ import annotations

import json

import jsonschema
import pytest

from archgen.language.yaml_loader import load_file
from archgen.schema import SCHEMA_PATH, schema_text, spec_schema
from tests.conftest import ROOT, SPECS

SPEC_FILES = sorted(SPECS.glob("*.yaml"))


def test_committed_schema_is_current():
    assert (ROOT / SCHEMA_PATH).read_text() == schema_text(), (
        "schema is stale; run: .venv/bin/python -m archgen.schema > schema/archgen.schema.json"
    )


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft7Validator.check_schema(spec_schema())


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_shipped_spec_validates_and_names_the_schema(spec):
    assert spec.read_text().splitlines()[0] == (
        "# yaml-language-server: $schema=../schema/archgen.schema.json"
    )
    jsonschema.validate(json.loads(json.dumps(load_file(spec))), spec_schema())


def test_schema_catches_what_an_editor_should_flag():
    validator = jsonschema.Draft7Validator(spec_schema())
    good = {"archgen": 1, "name": "t", "input": [8, 8, 3], "model": ["relu"]}
    assert not list(validator.iter_errors(good))
    for bad_model in (
        [{"conv2d": {"filters": 8}}],  # kernel is required
        [{"conv2d": {"filters": 8, "kernel": 3, "kernal": 3}}],  # unknown argument
        [{"conv2d": {"filters": 8, "kernel": 3, "padding": "full"}}],  # not a choice
    ):
        assert list(validator.iter_errors({**good, "model": bad_model})), bad_model
    assert list(validator.iter_errors({**good, "modle": []}))


def test_the_schema_knows_every_construct_of_the_language():
    """Conditions, references, blocks with inputs and outputs, constraints, shapes in
    expressions: the specs the language tests use validate, and a typo beside them does not."""
    import yaml

    from tests import test_conditions, test_python_source, test_references, test_shape_expressions

    schema = json.loads((ROOT / SCHEMA_PATH).read_text())
    texts = [
        test_references.SKIPS,
        test_references.SEVERAL_INPUTS,
        test_python_source.CONDITIONS,
        test_python_source.EXPRESSIONS,
        test_python_source.DEEP_OUTPUTS,
        test_conditions.WIDE_RESNET,
        test_shape_expressions.SPEC,
    ]
    validator = jsonschema.Draft7Validator(schema)
    for text in texts:
        assert not list(validator.iter_errors(yaml.safe_load(text)))
        typo = yaml.safe_load(text.replace("model:\n", "model:\n  - relu: {fromm: x}\n", 1))
        assert list(validator.iter_errors(typo))
