"""`archgen build`: check a spec, then write its source, summary and diagrams together."""

from __future__ import annotations

import json
import types
from pathlib import Path

from archgen.outputs import safe_child, write_all


def render_outputs(arch, diagrams: bool = True, notes: list | None = None) -> dict:
    """Every build output of one spec, by file name, rendered in memory (no TensorFlow).

    The diagrams need Graphviz's `dot` (GraphvizMissing says how to install it); a note
    for the user (a layers view too large to draw) is appended to `notes`.
    """
    name = arch.name
    outputs = {
        f"{name}.py": arch.python_source(),
        f"{name}.json": json.dumps(arch.summary(), indent=2) + "\n",
    }
    if diagrams:
        from archgen.backends.graphviz import standard_diagrams

        svgs, note = standard_diagrams(arch)
        outputs.update({f"{name}.{level}.svg": svg for level, svg in svgs.items()})
        if note and notes is not None:
            notes.append(note)
    return outputs


def verify_in_keras(arch, source: str) -> int:
    """Keras builds the model twice, from the IR and from the generated source as a user
    imports it: both with the analysis's parameter count and the same layers. A
    difference is a bug in archgen, never the spec's fault."""
    runtime = arch.keras_model()
    module = types.ModuleType(f"archgen_build_{arch.name}")
    exec(compile(source, f"{arch.name}.py", "exec"), module.__dict__)  # archgen's own output
    generated = module.build_model()
    for where, model in (("the runtime model", runtime), ("the generated source", generated)):
        if model.count_params() != arch.totals.params:
            raise RuntimeError(
                f"{arch.name}: Keras counts {model.count_params():,} parameters in {where}, "
                f"the analysis {arch.totals.params:,}"
            )
    if [layer.name for layer in generated.layers] != [layer.name for layer in runtime.layers]:
        raise RuntimeError(f"{arch.name}: the generated source builds other layers")
    return runtime.count_params()


def build(
    arch, out_dir: Path, verify: bool = True, diagrams: bool = True, notes: list | None = None
) -> list[Path]:
    """Write the outputs of `arch` into `out_dir`; all of them or, on any failure, none."""
    outputs = render_outputs(arch, diagrams, notes)
    if verify:
        verify_in_keras(arch, outputs[f"{arch.name}.py"])
    files = {safe_child(out_dir, filename): content for filename, content in outputs.items()}
    write_all(files)
    return list(files)
