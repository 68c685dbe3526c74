"""The diagram benchmark script runs (one quick round, no Keras): no timing is asserted."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_bench_diagrams_runs_and_writes_its_table(tmp_path):
    out = tmp_path / "diagrams.md"
    script = ROOT / "benchmarks" / "bench_diagrams.py"
    args = [sys.executable, str(script), "--runs", "1", "--warmup", "0", "--no-keras"]
    result = subprocess.run(
        [*args, "-o", str(out)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Diagram benchmark: InceptionV3, every layer")
    rows = [line for line in text.splitlines() if line.startswith("| archgen")]
    assert len(rows) == 4
    assert "| archgen layers, PNG |" in text and " px |" in text
    assert "keras.utils.plot_model was not run" in text
