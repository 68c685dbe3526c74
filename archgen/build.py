"""`archgen build`: check a spec, then write its source, summary and diagrams together."""

from __future__ import annotations

import json
from pathlib import Path

from archgen.outputs import safe_child, write_all


def render_outputs(arch, diagrams: bool = True) -> dict[str, str | bytes]:
    """Every build output of one spec, by file name, rendered in memory (no TensorFlow).

    The diagrams need Graphviz's `dot` (GraphvizMissing says how to install it).
    """
    name = arch.name
    outputs = {
        f"{name}.py": arch.python_source(),
        f"{name}.json": json.dumps(arch.summary(), indent=2) + "\n",
    }
    if diagrams:
        from archgen.backends.graphviz import dot_source, render

        for level in ("blocks", "layers"):
            outputs[f"{name}.{level}.svg"] = render(dot_source(arch, level), "svg")
    return outputs


def verify_runtime(arch) -> int:
    """Build the Keras model and check its parameter count against the static analysis."""
    model = arch.keras_model()
    counted = model.count_params()
    if counted != arch.totals.params:  # a bug in archgen, never the spec's fault
        raise RuntimeError(
            f"{arch.name}: Keras counts {counted:,} parameters, the analysis {arch.totals.params:,}"
        )
    return counted


def build(arch, out_dir: Path, verify: bool = True, diagrams: bool = True) -> list[Path]:
    """Write the outputs of `arch` into `out_dir`; all of them or, on any failure, none."""
    outputs = render_outputs(arch, diagrams)
    if verify:
        verify_runtime(arch)
    files = {safe_child(out_dir, filename): content for filename, content in outputs.items()}
    write_all(files)
    return list(files)
