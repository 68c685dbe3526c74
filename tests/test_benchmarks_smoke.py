"""The benchmark runner runs end to end (--quick: one run, small sizes, InceptionV3 only).

Only that it runs and writes every table is checked here: no time is asserted.
The recorded measurements are benchmarks/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SECTIONS = [
    "## 1. Checking a spec against building it in Keras",
    "## 2. Scaling: checking specs of 100 to 50,000 layers",
    "## 3. Building the Keras model",
    "## 4. Inference: InceptionV3, batch 1",
    "## 5. Diagrams: InceptionV3, every layer",
]


def test_quick_benchmark_writes_every_table(tmp_path):
    out = tmp_path / "RESULTS.md"
    script = ROOT / "benchmarks" / "run.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Benchmarks: archgen against Keras")
    assert "benchmarks/run.py --quick -o" in text
    assert "A quick run (`--quick`)" in text
    for heading in SECTIONS:
        assert heading in text
    assert "| InceptionV3 | `archgen check specs/inception_v3.yaml` |" in text
    assert "| InceptionV3 | `archgen summary specs/inception_v3.yaml` |" in text
    assert "| 100 |" in text and "| 1,000 |" in text
    assert "`archgen.load(spec).keras_model()`" in text and "`build_model()`" in text
