"""Static checks of what a spec's names refer to, before anything is expanded.

Runs over every block, used or not, so that a typo in a block nobody calls yet
is still reported: unknown ops and blocks, unknown or missing arguments,
literal values of the wrong type, undefined $names, and blocks that use
themselves.
"""

from __future__ import annotations

from archgen.errors import Collector, SpecError, did_you_mean
from archgen.language.ast import BlockDef, Call, Merge, Repeat, Side, Spec, items_in
from archgen.language.expr import evaluate, free_names
from archgen.limits import MAX_NESTING
from archgen.ops import AttrError, resolve


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
            _check_body(spec, block.body, set(spec.params) | set(block.args))
    with collect:
        _check_path(spec, spec.model, set(spec.params))
    with collect:
        _check_recursion(spec)
    collect.raise_any()


def _check_body(spec: Spec, body, scope: set[str]) -> None:
    if isinstance(body, list):
        _check_path(spec, body, scope)
    else:
        _check_item(spec, body, scope)


def _check_path(spec: Spec, path: list, scope: set[str]) -> None:
    collect = Collector()
    for item in path:
        with collect:
            _check_item(spec, item, scope)
    collect.raise_any()


def _check_item(spec: Spec, item, scope: set[str]) -> None:
    if isinstance(item, Call):
        _check_call(spec, item, scope)
    elif isinstance(item, Merge):
        for branch in item.branches:
            _check_path(spec, branch.path, scope)
        for option in ("scale", "activation"):
            _check_names(getattr(item, option), item.option_locs.get(option, item.loc), scope)
        _check_names(item.name, item.loc, scope)
    elif isinstance(item, Repeat):
        _check_names(item.count, item.loc, scope)
        _check_path(spec, item.body, scope | {item.index})
    elif isinstance(item, Side):
        _check_path(spec, item.body, scope)


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
    for key, value in call.args.items():
        _check_names(value, call.arg_locs[key], scope)
    block = spec.blocks.get(call.target)
    if block is not None:
        _check_block_args(call, block)
        return
    found = resolve(call.target)
    if found is None:
        candidates = [*spec.blocks, *_op_names()]
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
    for key in call.args:
        if key not in block.args:
            raise SpecError(
                f"block '{block.name}' has no argument '{key}'",
                call.key_locs.get(key, call.loc),
                hint=did_you_mean(key, block.args)
                or f"its arguments: {', '.join(block.args) or 'none'}",
            )
    for arg in block.args.values():
        if arg.required and arg.name not in call.args:
            raise SpecError(
                f"block '{block.name}' needs the argument '{arg.name}'",
                call.loc,
                hint=f"add {arg.name}: ... (it is required, line {arg.loc.line})",
            )


def _op_names() -> list[str]:
    from archgen.ops import spec_op_names

    return spec_op_names()


def calls_in(body) -> list[Call]:
    """Every call in a block body or path, in order, through branches and repeats."""
    return [item for item in items_in(body) if isinstance(item, Call)]


def _check_recursion(spec: Spec) -> None:
    """A block that uses itself, directly or through others, would never end."""
    done: set[str] = set()

    def visit(name: str, chain: list[str]) -> None:
        if name in done:
            return
        for call in calls_in(spec.blocks[name].body):
            if call.target not in spec.blocks:
                continue
            path = [*chain, name]
            if len(path) >= MAX_NESTING:  # also keeps this walk within Python's recursion
                raise SpecError(
                    f"blocks use blocks more than {MAX_NESTING} levels deep "
                    f"({' -> '.join([*path[:3], '...', *path[-2:], call.target])})",
                    call.loc,
                    hint="flatten the chain of blocks",
                )
            if call.target in path:
                cycle = " -> ".join([*path[path.index(call.target) :], call.target])
                raise SpecError(
                    f"block '{call.target}' uses itself ({cycle})",
                    call.loc,
                    hint="a block cannot contain itself; use 'repeat' to stack copies",
                )
            visit(call.target, path)
        done.add(name)

    for name in spec.blocks:
        visit(name, [])
