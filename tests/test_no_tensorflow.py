"""The analysis path never imports TensorFlow or Keras."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
from archgen.cli import main
code = main(["check", "specs/inception_v3.yaml"])
code |= main(["summary", "specs/inception_v3.yaml", "--format", "json"])
code |= main(["min-input", "specs/inception_v3.yaml"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "jax", "torch"))
print("HEAVY:", heavy)
sys.exit(code)
"""


def test_check_summary_and_min_input_never_import_tensorflow():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY: []" in result.stdout
