"""The op registry: one OpDef per op, looked up by the name a spec uses.

Activation functions are also ops of their own name (`relu`, `sigmoid`, ...):
shorthands for `activation: {function: relu}`.
"""

from __future__ import annotations

from archgen.ops.base import ACTIVATION_NAMES, REQUIRED, AttrError, OpDef, ShapeError
from archgen.ops.catalog import ALL

REGISTRY: dict[str, OpDef] = {op.name: op for op in ALL}

# shorthand name -> (op, preset attributes)
ALIASES: dict[str, tuple[str, dict]] = {
    name: ("activation", {"function": name}) for name in ACTIVATION_NAMES if name != "linear"
}

# Ops a spec may not name directly: the input is declared with `input:`, merges with
# their constructs (`concat:`, `add:`), which know their branches.
INTERNAL = {op.name for op in ALL if op.merge or op.family == "input"}

# merge keyword -> the ops it can make (`add:` makes add, or scaled_add with `scale`)
CONSTRUCTS: dict[str, list[OpDef]] = {}
for _op in ALL:
    if _op.construct:
        CONSTRUCTS.setdefault(_op.construct, []).append(_op)


def merge_options(keyword: str) -> list[str]:
    """The attributes a merge construct may be given: those of the ops it can make."""
    return list(dict.fromkeys(a.name for op in CONSTRUCTS[keyword] for a in op.attrs))


def merge_op(keyword: str, given) -> OpDef:
    """The op a merge construct makes with the attributes `given`: the one whose required
    attributes are all given, with the most of them (`add:` with `scale:` is scaled_add)."""
    fitting = [
        op for op in CONSTRUCTS[keyword] if {a.name for a in op.attrs if a.required} <= set(given)
    ]
    return max(fitting, key=lambda op: sum(a.required for a in op.attrs))


def spec_op_names() -> list[str]:
    """Every op name a spec may call, registry ops first, then shorthands."""
    return [name for name in REGISTRY if name not in INTERNAL] + sorted(ALIASES)


def resolve(name: str) -> tuple[OpDef, dict] | None:
    """The OpDef and preset attributes a spec's op name stands for, or None."""
    if name in ALIASES:
        op, preset = ALIASES[name]
        return REGISTRY[op], preset
    if name in REGISTRY and name not in INTERNAL:
        return REGISTRY[name], {}
    return None


__all__ = [
    "ALIASES",
    "CONSTRUCTS",
    "INTERNAL",
    "REGISTRY",
    "REQUIRED",
    "AttrError",
    "OpDef",
    "ShapeError",
    "merge_op",
    "merge_options",
    "resolve",
    "spec_op_names",
]
