"""`archgen new`: a new spec, or a variant of an existing one, ready to edit.

What it writes always passes `archgen check`, so the first edit starts from
something that works.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from archgen.errors import UsageError
from archgen.language.expr import NAME_RE
from archgen.outputs import write_all

SCHEMA = Path("schema") / "archgen.schema.json"

NEW = """{schema}archgen: 1
name: {name}
title: {name}
source: where this architecture comes from (a paper, a repository)
doc: What the network is for, in a sentence or two.
input: [224, 224, 3]
params: {{classes: 1000}}

blocks:
  conv_bn:
    doc: Convolution without bias, batch normalization, ReLU.
    args: {{filters: required, kernel: 3, strides: 1}}
    seq:
      - conv2d:
          {{filters: $filters, kernel: $kernel, strides: $strides, padding: same, use_bias: false}}
      - batch_norm
      - relu

model:
  # 224 x 224 x 3 -> 112 x 112 x 32
  - conv_bn: {{filters: 32, strides: 2, name: stem}}
  # three stages, each halving the grid and doubling the channels: 56, 28, 14
  - repeat: 3
    seq: [conv_bn: {{filters: "${{64 * (i + 1)}}", strides: 2, name: "stage${{i + 1}}"}}]
  - global_avg_pool: {{name: avg_pool}}
  - dense: {{units: $classes, activation: softmax, name: predictions}}
"""

VARIANT = """{schema}archgen: 1
extends: {base}
name: {name}
title: {title}
doc: What this variant changes, and why.
# Uncomment what changes; everything else comes from {base}.
# input: {input}
# params: {params}
# prepend:                 # layers put in front of the base model, for example:
#   - resize: {{height: {height}, width: {width}}}
# blocks:                  # a block of the base redefined by name ({blocks})
"""


def new_spec(name: str, folder: Path, base: Path | None = None) -> Path:
    """Write folder/name.yaml; refuses to overwrite. Returns the path written."""
    if not NAME_RE.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a valid spec name",
            hint="use letters, digits and _, not starting with a digit",
        )
    path = folder / f"{name}.yaml"
    if path.exists():
        raise UsageError(f"{path} exists already", hint="choose another name; nothing was written")
    schema = _schema_line(folder)
    if base is None:
        text = NEW.format(schema=schema, name=name)
    else:
        from archgen.language import load_spec

        spec = load_spec(base)
        height, width = (spec.input[0], spec.input[1]) if len(spec.input) == 3 else (224, 224)
        text = VARIANT.format(
            schema=schema,
            base=Path(os.path.relpath(base, folder)).as_posix(),
            name=name,
            # a JSON string is a YAML string; emoji stay characters (not surrogate escapes)
            title=json.dumps(f"{spec.title} (variant)", ensure_ascii=False),
            input=list(spec.input),
            params=json.dumps(spec.params, separators=(", ", ": "), ensure_ascii=False),
            height=height,
            width=width,
            blocks=", ".join(spec.blocks) or "none",
        )
    write_all({path: text})
    _check_written(path)
    return path


def _check_written(path: Path) -> None:
    """What `new` writes must pass `archgen check`; if it does not, it is not left behind."""
    import archgen

    try:
        archgen.load(path)
    except BaseException:
        path.unlink()
        raise


def _schema_line(folder: Path) -> str:
    """The editor-schema comment, when the schema is where archgen keeps it."""
    if not SCHEMA.exists():
        return ""
    relative = Path(os.path.relpath(SCHEMA, folder)).as_posix()
    return f"# yaml-language-server: $schema={relative}\n"
