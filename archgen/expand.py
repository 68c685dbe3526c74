"""Expansion: Spec AST -> Graph IR.

Blocks are inlined with their arguments bound, repeats unrolled, branches laid
out in spec order. Every layer gets a unique name from its scope path:

- an item named in the spec (`name: mixed0`) keeps that name;
- an unnamed item is named after its op or block: `conv_bn` when it is the only
  one of its kind in its path, `conv_bn_1`, `conv_bn_2`... otherwise (items in
  a `repeat` are always numbered, counting every iteration);
- a block's or merge's layers live under its name (`mixed0.branch5x5.conv_bn_1.conv2d`);
  a block whose body is a concat/add gives its own name to the merge layer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from archgen.errors import Loc, SpecError, did_you_mean
from archgen.ir import SCOPE_SEPARATOR, Graph, Node
from archgen.language import resolve as spec_checks
from archgen.language.ast import BlockDef, Call, Merge, Repeat, Side, Spec
from archgen.language.expr import Template, evaluate, free_names
from archgen.language.parser import NAME_CHARS, is_split
from archgen.limits import MAX_LAYERS, MAX_REPEAT
from archgen.ops import REGISTRY, AttrError, resolve
from archgen.ops.base import OPTIONAL_ACTIVATION


@dataclass
class _Namer:
    """Hands out the local names of the unnamed items of one path."""

    numbered: set  # kinds that get a number in this path
    seen: Counter

    def next(self, kind: str) -> str:
        self.seen[kind] += 1
        return f"{kind}_{self.seen[kind]}" if kind in self.numbered else kind


class Expander:
    def __init__(self, spec: Spec, max_layers: int = MAX_LAYERS) -> None:
        self.spec = spec
        self.max_layers = max_layers
        self.graph = Graph()
        self.taps: dict[str, str] = {}  # name of a model item -> its output layer
        # id of a model item (AST) -> (its name, its output layer), once per repeat iteration
        self.item_outputs: dict[int, list[tuple[str, str]]] = {}
        self.site: Loc = spec.loc
        # caches keyed by the id of AST objects, which live as long as the spec
        self.numbered: dict[int, set] = {}  # path -> kinds numbered in it
        self.static_attrs: dict[int, dict] = {}  # op call without $names -> its attributes

    def run(self) -> Graph:
        spec = self.spec
        x = self.add("input", "input", {"shape": spec.input}, [], (), spec.input_loc)
        x = self.path(spec.model, x, dict(spec.params), ())
        self.graph.outputs = [self.output(name, loc) for name, loc in spec.outputs] or [x]
        self.graph.item_outputs = self.item_outputs
        return self.graph

    def output(self, name: str, loc: Loc) -> str:
        if name not in self.taps:
            raise SpecError(
                f"unknown tap '{name}' in outputs",
                loc,
                hint=did_you_mean(name, self.taps)
                or "outputs name items of the model (or of its side paths)",
            )
        return self.taps[name]

    # --- paths -----------------------------------------------------------------------

    def path(self, items: list, x: str, env: dict, scope: tuple) -> str | list[str]:
        key = id(items)  # a block's paths expand once per use; their kinds are the same
        if key not in self.numbered:
            self.numbered[key] = _numbered_kinds(items)
        return self.items(items, x, env, scope, _Namer(self.numbered[key], Counter()))

    def items(self, items, x, env, scope, namer) -> str | list[str]:
        for item in items:
            if not scope:
                self.site = item.loc
            if isinstance(item, Repeat):
                for i in range(_repeat_count(item, env)):
                    x = self.items(item.body, x, {**env, item.index: i}, scope, namer)
            elif isinstance(item, Side):
                self.items(item.body, x, env, scope, namer)
            elif is_split(item):  # the last item of a concat branch (the parser checks)
                return self.split(item, x, env, scope)
            else:
                local = self.local_name(item, env, scope) or namer.next(item.kind)
                item_scope = (*scope, local)
                if len(item_scope) > spec_checks.MAX_NESTING:  # read here: raisable
                    raise SpecError(
                        f"blocks and branches nest more than {spec_checks.MAX_NESTING} levels deep",
                        item.loc,
                        hint="flatten the structure",
                        scope=" > ".join([*scope[:3], "...", *scope[-2:]]),
                    )
                self.graph.scope_kinds[item_scope] = item.kind
                if isinstance(item, Merge):
                    x = self.merge(item, x, env, item_scope)
                else:
                    x = self.call(item, x, env, item_scope)
                if not scope:  # the model's own items are taps, for `outputs:`
                    self.taps[local] = x
                    self.item_outputs.setdefault(id(item), []).append((local, x))
        return x

    def local_name(self, item, env: dict, scope: tuple) -> str | None:
        """The name the spec gives an item (None: it is named after its kind)."""
        if not isinstance(item.name, Template):
            return item.name
        local = item.name.evaluate(env)
        if not NAME_CHARS.fullmatch(local):  # a template filled with text: check what it made
            raise SpecError(
                f"the name {item.name.text!r} makes {local!r}, which has characters "
                "other than letters, digits and _",
                item.name.loc,
                hint="layer names use letters, digits and _ (the '.' separates scopes)",
                scope=" > ".join(scope),
            )
        return local

    # --- items -----------------------------------------------------------------------

    def call(self, call: Call, x: str, env: dict, scope: tuple) -> str:
        block = self.spec.blocks.get(call.target)
        if block is not None:
            return self.block(block, call, x, env, scope)
        op, preset = resolve(call.target)
        static = self.static_attrs.get(id(call))
        if static is not None:  # no $names in its arguments: checked once, shared
            return self.add(scope_name(scope), op.name, static, [x], scope, call.loc)
        attrs = {}
        for attr in op.attrs:
            if attr.name in call.args:
                value = evaluate(call.args[attr.name], env)
                loc = call.arg_locs[attr.name]
            else:
                value, loc = preset.get(attr.name, attr.default), call.loc
            try:
                attrs[attr.name] = attr.type(value)
            except AttrError as exc:
                raise SpecError(
                    f"{call.target} '{attr.name}': {exc}",
                    loc,
                    hint=self._origin(call.args.get(attr.name), env) or attr.help,
                    scope=" > ".join(scope),
                ) from None
        if not any(free_names(value) for value in call.args.values()):
            self.static_attrs[id(call)] = attrs
        return self.add(scope_name(scope), op.name, attrs, [x], scope, call.loc)

    def _origin(self, value, env: dict) -> str | None:
        """Where a bad value set through a parameter was set: the line to fix."""
        for name in sorted(free_names(value)):
            param_loc = self.spec.param_locs.get(name)
            if param_loc and env.get(name) is self.spec.params.get(name):
                return f"${name} is {env[name]!r}, set at {param_loc}"
        return None

    def block(self, block: BlockDef, call: Call, x: str, env: dict, scope: tuple) -> str:
        inner = dict(self.spec.params)
        for arg in block.args.values():
            inner[arg.name] = (
                evaluate(call.args[arg.name], env) if arg.name in call.args else arg.default
            )
        if isinstance(block.body, Merge):
            return self.merge(block.body, x, inner, scope)
        return self.path(block.body, x, inner, scope)

    def branches(self, merge: Merge, x: str, env: dict, scope: tuple) -> list[str]:
        """The end of every branch, in order; a branch ending in a split gives several."""
        ends = []
        for branch in merge.branches:
            self.graph.scope_kinds[(*scope, branch.name)] = "branch"
            end = self.path(branch.path, x, env, (*scope, branch.name))
            ends.extend(end if isinstance(end, list) else [end])
        return ends

    def split(self, split: Merge, x: str, env: dict, scope: tuple) -> list[str]:
        return self.branches(split, x, env, scope)

    def merge(self, merge: Merge, x: str, env: dict, scope: tuple) -> str:
        ends = self.branches(merge, x, env, scope)
        name = scope_name(scope)
        if merge.op == "concat":
            return self.add(name, "concat", {}, ends, scope, merge.loc)
        if merge.scale is None:
            out = self.add(name, "add", {}, ends, scope, merge.loc)
        else:
            scale = _option(merge, "scale", REGISTRY["scaled_add"].attrs[0].type, env)
            out = self.add(name, "scaled_add", {"scale": scale}, ends, scope, merge.loc)
        # `activation: $activation` may be null: no activation (Inception-ResNet's last block)
        function = _option(merge, "activation", OPTIONAL_ACTIVATION, env)
        if function is None:
            return out
        act_scope = (*scope, function)
        loc = merge.option_locs["activation"]
        return self.add(
            scope_name(act_scope), "activation", {"function": function}, [out], act_scope, loc
        )

    def add(self, name, op, attrs, inputs, scope, loc) -> str:
        if len(self.graph) >= self.max_layers:
            raise SpecError(
                f"the model expands to more than {self.max_layers:,} layers",
                loc,
                hint="check the repeat counts; raise the limit with --max-layers if intended",
            )
        node = Node(name or op, op, attrs, inputs, scope or (op,), loc, self.site)
        return self.graph.add(node)


def scope_name(scope: tuple) -> str:
    return SCOPE_SEPARATOR.join(scope)


def _option(merge: Merge, key: str, check, env: dict):
    if getattr(merge, key) is None:
        return None
    loc = merge.option_locs[key]
    try:
        return check(evaluate(getattr(merge, key), env))
    except AttrError as exc:
        raise SpecError(f"{merge.op} '{key}': {exc}", loc) from None


def _repeat_count(item: Repeat, env: dict) -> int:
    count = evaluate(item.count, env)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise SpecError(
            f"repeat takes a whole number >= 0, not {count!r}",
            item.loc,
            hint="repeat: 3",
        )
    if count > MAX_REPEAT:
        raise SpecError(
            f"repeat {count:,} is more than the limit of {MAX_REPEAT:,}",
            item.loc,
            hint="check the count",
        )
    return count


def _numbered_kinds(items: list) -> set:
    """Kinds that occur more than once in a path, or at all inside a repeat."""
    counts: Counter = Counter()
    repeated: set = set()

    def walk(items, in_repeat: bool) -> None:
        for item in items:
            if isinstance(item, Repeat):
                walk(item.body, True)
            elif isinstance(item, Side):
                walk(item.body, in_repeat)
            elif item.name is None and not is_split(item):
                counts[item.kind] += 1
                if in_repeat:
                    repeated.add(item.kind)

    walk(items, False)
    return repeated | {kind for kind, n in counts.items() if n > 1}


def expand(spec: Spec, max_layers: int = MAX_LAYERS) -> Graph:
    return Expander(spec, max_layers).run()
