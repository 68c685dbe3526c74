"""Static checks of what a spec's names refer to, before anything is expanded.

Runs over every block, used or not, so that a typo in a block nobody calls yet
is still reported: unknown ops and blocks, unknown or missing arguments,
literal values of the wrong type, undefined $names, and blocks that use
themselves.
"""

from __future__ import annotations

from archgen.errors import Collector, SpecError, did_you_mean
from archgen.language.ast import (
    BlockDef,
    Call,
    From,
    Merge,
    Repeat,
    Side,
    Spec,
    Split,
    Visitor,
    items_in,
)
from archgen.language.expr import NAME_RE, SHAPE_NAMES, evaluate, free_names
from archgen.limits import MAX_NESTING
from archgen.ops import AttrError, resolve, spec_op_names


def check_spec(spec: Spec) -> None:
    """Raise every problem found (a SpecErrors when there are several)."""
    collect = Collector()
    for block in spec.blocks.values():
        with collect:
            if resolve(block.name):
                raise SpecError(
                    f"block '{block.name}' has the name of an op",
                    block.loc,
                    hint="rename the block; ops cannot be redefined",
                )
            scope = set(spec.params) | set(block.args) | set(SHAPE_NAMES)
            _check_names(block.condition, block.loc, scope)
            _check_body(spec, block.body, scope)
    for size in spec.input:
        with collect:
            _check_names(size, spec.input_loc, set(spec.params))
    for condition, loc in spec.constraints.values():
        with collect:
            _check_names(condition, loc, set(spec.params))
    with collect:
        _check_path(spec, spec.model, set(spec.params) | set(SHAPE_NAMES))
    with collect:
        _check_recursion(spec)
    collect.raise_any()


def _check_body(spec: Spec, body, scope: set[str]) -> None:
    if isinstance(body, list):
        _check_path(spec, body, scope)
    else:
        _ItemCheck(spec).visit(body, scope)


def _check_path(spec: Spec, path: list, scope: set[str]) -> None:
    collect = Collector()
    check = _ItemCheck(spec)
    for item in path:
        with collect:
            check.visit(item, scope)
    collect.raise_any()


class _ItemCheck(Visitor):
    """The names one item uses, and the items inside it (not into the blocks it calls)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def visit_Call(self, item: Call, scope: set[str]) -> None:
        _check_call(self.spec, item, scope)

    def visit_Split(self, item: Split, scope: set[str]) -> None:
        for branch in item.branches:
            _check_names(branch.condition, branch.loc, scope)
            _check_path(self.spec, branch.path, scope)

    def visit_Merge(self, item: Merge, scope: set[str]) -> None:
        self.visit_Split(item, scope)
        for option, value in [*item.values.items(), ("activation", item.activation)]:
            _check_names(value, item.option_locs.get(option, item.loc), scope)
        _check_names(item.name, item.loc, scope)
        _check_names(item.condition, item.loc, scope)

    def visit_Repeat(self, item: Repeat, scope: set[str]) -> None:
        _check_names(item.count, item.loc, scope)
        _check_names(item.condition, item.loc, scope)
        _check_path(self.spec, item.body, scope | {item.index})

    def visit_From(self, item: From, scope: set[str]) -> None:
        _check_names(item.condition, item.loc, scope)

    def visit_Side(self, item: Side, scope: set[str]) -> None:
        _check_names(item.condition, item.loc, scope)
        _check_path(self.spec, item.body, scope)


def _check_names(value, loc, scope: set[str]) -> None:
    for name in sorted(free_names(value)):
        if name not in scope:
            raise SpecError(
                f"'${name}' is not defined here",
                getattr(value, "loc", loc),
                hint=did_you_mean(name, scope)
                or "names come from params, the block's args, or a repeat index",
            )


def _check_call(spec: Spec, call: Call, scope: set[str]) -> None:
    _check_names(call.name, call.loc, scope)
    _check_names(call.condition, call.loc, scope)
    for key, value in call.args.items():
        _check_names(value, call.arg_locs[key], scope)
    block = spec.blocks.get(call.target)
    if block is not None:
        _check_block_args(call, block)
        return
    found = resolve(call.target)
    if found is None:
        # lazily: did_you_mean reads them only for the errors shown (a list per error
        # made 20,000 errors among 20,000 blocks quadratic)
        candidates = (name for names in (spec.blocks, spec_op_names()) for name in names)
        raise SpecError(
            f"unknown op or block '{call.target}'",
            call.loc,
            hint=did_you_mean(call.target, candidates)
            or "run `archgen ops` for the list of ops, or define a block under 'blocks:'",
        )
    op, preset = found
    settable = [a.name for a in op.attrs if a.name not in preset]
    for key, value in call.args.items():
        attr = op.attr(key)
        if attr is None or key in preset:
            raise SpecError(
                f"'{call.target}' has no argument '{key}'",
                call.key_locs.get(key, call.loc),
                hint=did_you_mean(key, settable)
                or f"its arguments: {', '.join(settable) or 'none'}",
            )
        if not free_names(value):
            try:
                attr.type(evaluate(value, {}))  # a constant: "${2 * 3}" is 6
            except AttrError as exc:
                raise SpecError(
                    f"{call.target} '{key}': {exc}", call.arg_locs[key], hint=attr.help
                ) from None
    for attr in op.attrs:
        if attr.required and attr.name not in call.args and attr.name not in preset:
            raise SpecError(
                f"'{call.target}' needs '{attr.name}' ({attr.help})",
                call.loc,
                hint=f"add {attr.name}: ... to its arguments",
            )


def _check_block_args(call: Call, block: BlockDef) -> None:
    inputs = [ref.name for ref in block.inputs]
    for key in call.args:
        if key not in block.args and key not in inputs:
            known = [*inputs, *block.args]
            raise SpecError(
                f"block '{block.name}' has no argument '{key}'",
                call.key_locs.get(key, call.loc),
                hint=did_you_mean(key, known) or f"its arguments: {', '.join(known) or 'none'}",
            )
    for name in inputs:
        if name not in call.args:
            raise SpecError(
                f"block '{block.name}' needs the tensor '{name}'",
                call.loc,
                hint=f"add {name}: <the name of an earlier item> (one of its inputs: "
                f"{', '.join(inputs)})",
            )
        value = call.args[name]
        if not isinstance(value, str) or not NAME_RE.fullmatch(value):
            raise SpecError(
                f"the tensor input '{name}' takes the name of a tensor, not {value!r}",
                call.arg_locs[name],
                hint="an earlier item's name, a name bound with as:, or an input of the block",
            )
    for arg in block.args.values():
        if arg.required and arg.name not in call.args:
            raise SpecError(
                f"block '{block.name}' needs the argument '{arg.name}'",
                call.loc,
                hint=f"add {arg.name}: ... (it is required, line {arg.loc.line})",
            )


def calls_in(body) -> list[Call]:
    """Every call in a block body or path, in order, through branches and repeats."""
    return [item for item in items_in(body) if isinstance(item, Call)]


def _check_recursion(spec: Spec) -> None:
    """A block that uses itself, directly or through others, would never end; a chain of
    blocks deeper than MAX_NESTING is refused too, whatever order the blocks are in."""
    heights: dict[str, int] = {}  # block -> how many levels of blocks it makes, itself too

    def visit(name: str, chain: list[str]) -> int:
        if name in heights:
            return heights[name]
        path, height = [*chain, name], 1
        for call in calls_in(spec.blocks[name].body):
            if call.target not in spec.blocks:
                continue
            if call.target in path:
                cycle = " -> ".join([*path[path.index(call.target) :], call.target])
                raise SpecError(
                    f"block '{call.target}' uses itself ({cycle})",
                    call.loc,
                    hint="a block cannot contain itself; use 'repeat' to stack copies",
                )
            below = heights.get(call.target, 0)
            if len(path) + below >= MAX_NESTING:  # also keeps this walk within recursion
                shown = [*path[:3], "...", *path[-2:]] if len(path) > 5 else path
                raise SpecError(
                    f"blocks use blocks more than {MAX_NESTING} levels deep "
                    f"({' -> '.join([*shown, call.target])}{' -> ...' if below else ''})",
                    call.loc,
                    hint="flatten the chain of blocks",
                )
            height = max(height, 1 + visit(call.target, path))
        heights[name] = height
        return height

    for name in spec.blocks:
        visit(name, [])
