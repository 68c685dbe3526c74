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

# Ops a spec may not name directly: the input is declared with `input:`, merges
# with the `concat:` and `add:` constructs (which know their branches).
INTERNAL = {"input", "concat", "add", "scaled_add"}


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
    "INTERNAL",
    "REGISTRY",
    "REQUIRED",
    "AttrError",
    "OpDef",
    "ShapeError",
    "resolve",
    "spec_op_names",
]
