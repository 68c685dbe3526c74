"""Expansion: Spec AST -> program -> Graph IR.

Two steps, both here, so that the source back end (which prints the program) and
every other back end (which read the graph) see the same names and the same ops:

1. **Lowering** (`lower`) walks the AST once: ops and their shorthands resolved
   to registry ops, `concat:`/`add:`/`scale` to merge ops, splits and side paths
   told apart, and every unnamed item given its name pattern:
   - an item named in the spec (`name: mixed0`) keeps that name;
   - an unnamed item is named after its op or block: `conv_bn` when it is the only
     one of its kind in its path, `conv_bn_1`, `conv_bn_2`... otherwise (items in
     a `repeat` are always numbered, counting every iteration, so the number is a
     polynomial of the repeat indices: `conv_bn_{3 * i + j + 1}`).
2. **Running** (`Expander`) runs the program with the spec's parameters: blocks
   inlined with their arguments bound, repeats unrolled, branches laid out in spec
   order, one Graph node per layer, named by its scope path (`mixed0.branch5x5.
   conv_bn_1.conv2d`); a block whose body is a merge gives its own name to the merge.
"""

from __future__ import annotations

from collections import ChainMap, Counter

from archgen.errors import Loc, SpecError, did_you_mean
from archgen.ir import (
    SCOPE_SEPARATOR,
    AutoName,
    BlockFunction,
    BlockUse,
    BranchDef,
    FromUse,
    Graph,
    LayerUse,
    MergeUse,
    Node,
    Number,
    Program,
    Region,
    RepeatRegion,
    RepeatUse,
    SideUse,
)
from archgen.language import resolve as spec_checks
from archgen.language.ast import (
    BlockDef,
    Call,
    From,
    Merge,
    Ref,
    Repeat,
    Side,
    Spec,
    Split,
    Visitor,
    item_values,
    items_in,
)
from archgen.language.expr import SHAPE_NAMES, evaluate, free_names
from archgen.language.parser import NAME_CHARS, OPTION_FIELDS
from archgen.limits import MAX_LAYERS, MAX_NAME_LENGTH, MAX_REPEAT
from archgen.ops import REGISTRY, AttrError, ShapeError, merge_op, resolve
from archgen.ops.base import OPTIONAL_ACTIVATION
from archgen.passes.order import is_layer
from archgen.passes.shapes import shape_of

# --- lowering: AST -> program ------------------------------------------------------------


def lower(spec: Spec) -> Program:
    lowering = _Lowering(spec)
    model = lowering.path(spec.model, frozenset())
    blocks = {name: lowering.block(spec.blocks[name]) for name in lowering.used_blocks()}
    referenced = lowering.references(spec.model)
    return Program(
        spec.name,
        spec.title,
        spec.source,
        spec.doc,
        spec.file,
        dict(spec.params),
        spec.input,
        spec.input_exprs,
        spec.input_name,
        {name: shape for name, (shape, _) in spec.more_inputs.items()},
        blocks,
        model,
        referenced,
    )


class _Lowering(Visitor):
    """Lowers paths; `counter` holds, per kind, the number of the last unnamed item of
    that kind in the current path, as a polynomial {factors: coefficient}."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def path(self, items: list, indices: frozenset) -> list:
        """`indices`: the repeat indices around the path (an inner count may not use them)."""
        return self.items(items, _numbered_kinds(items), {}, indices)

    def items(self, items, numbered, counter, indices) -> list:
        return [self.visit(item, numbered, counter, indices) for item in items]

    def visit_Repeat(self, item: Repeat, numbered, counter, indices) -> RepeatUse:
        per_iteration = self.kind_counts(item.body, indices | {item.index})
        if per_iteration and item.index in indices:  # the numbers need both indices
            raise SpecError(
                f"this repeat's index '{item.index}' hides the outer repeat's, which the "
                "numbers of the unnamed items inside need",
                item.loc,
                hint="give one of the repeats another index: `index: j`",
            )
        start = dict(counter)
        for kind, poly in per_iteration.items():  # numbers go on across iterations
            counter[kind] = _poly_add(start.get(kind, {}), poly, item.index)
        body = self.items(item.body, numbered, counter, indices | {item.index})
        for kind, poly in per_iteration.items():
            counter[kind] = _poly_add(start.get(kind, {}), poly, item.count)
        return RepeatUse(item.count, item.index, body, item.loc, _condition(item))

    def visit_Side(self, item: Side, numbered, counter, indices) -> SideUse:
        body = self.items(item.body, numbered, counter, indices)
        return SideUse(body, item.loc, _condition(item))

    def visit_From(self, item: From, numbered, counter, indices) -> FromUse:
        return FromUse(item.source, item.loc, _condition(item))

    def visit_Split(self, item: Split, numbered, counter, indices) -> MergeUse:
        return MergeUse(None, "split", {}, self.branches(item, indices), None, item.loc)

    def visit_Merge(self, item: Merge, numbered, counter, indices) -> MergeUse:
        return self.merge(item, self.name(item, numbered, counter), indices)

    def visit_Call(self, item: Call, numbered, counter, indices) -> LayerUse | BlockUse:
        name = self.name(item, numbered, counter)
        options = {"condition": _condition(item), "source": item.source, "bind": item.bind}
        block = self.spec.blocks.get(item.target)
        if block is not None:
            tensors = {ref.name for ref in block.inputs}
            args = {k: v for k, v in item.args.items() if k not in tensors}
            inputs = {k: Ref(item.args[k], item.arg_locs[k]) for k in sorted(tensors)}
            return BlockUse(item.target, args, name, item.loc, inputs=inputs, **options)
        op, preset = resolve(item.target)
        locs = {key: item.loc for key in preset} | item.arg_locs
        values = {**preset, **item.args}
        return LayerUse(op.name, values, locs, name, item.loc, item.target, **options)

    def merge(self, merge: Merge, name, indices) -> MergeUse:
        op = merge_op(merge.op, merge.values)  # add:, with scale: scaled_add
        branches = self.branches(merge, indices)
        return MergeUse(
            op.name,
            merge.op,
            dict(merge.values),
            branches,
            name,
            merge.loc,
            merge.activation,
            merge.option_locs,
            _condition(merge),
            merge.source,
            merge.bind,
        )

    def branches(self, merge: Merge | Split, indices) -> list[BranchDef]:
        return [
            BranchDef(b.name, self.path(b.path, indices), b.loc, _condition(b))
            for b in merge.branches
        ]

    @staticmethod
    def name(item, numbered: set, counter: dict):
        if item.name is not None:
            return item.name
        kind = item.kind
        counter[kind] = _poly_add(counter.get(kind, {}), {(): 1})
        if kind not in numbered:
            return AutoName(kind, None)
        return AutoName(kind, Number(tuple(counter[kind].items())))

    def kind_counts(self, items: list, indices: frozenset) -> dict:
        """Unnamed items of each kind in one run of `items`, as polynomials of the counts of
        the repeats inside it. A count that changes from one iteration to the next cannot be
        a factor: refused here, where check sees it, not when the source is generated."""
        counts: dict = {}
        for item in items:
            if isinstance(item, Repeat):
                inner = self.kind_counts(item.body, indices | {item.index})
                if inner and free_names(item.count) & indices:
                    raise SpecError(
                        f"a repeat count that uses an outer repeat's index "
                        f"({', '.join(sorted(free_names(item.count) & indices))}) "
                        "cannot number the unnamed items inside it",
                        item.loc,
                        hint='name the items inside (name: "unit${i}_${j}"), '
                        "or give the repeat a fixed count",
                    )
                for kind, poly in inner.items():
                    counts[kind] = _poly_add(counts.get(kind, {}), poly, item.count)
            elif isinstance(item, Side):
                for kind, poly in self.kind_counts(item.body, indices).items():
                    counts[kind] = _poly_add(counts.get(kind, {}), poly)
            elif not isinstance(item, (Split, From)) and item.name is None:
                counts[item.kind] = _poly_add(counts.get(item.kind, {}), {(): 1})
        return counts

    def block(self, block: BlockDef) -> BlockFunction:
        if isinstance(block.body, Merge):
            body = self.merge(block.body, None, frozenset())
        else:
            body = self.path(block.body, frozenset())
        if block.sequential:
            _check_sequential(block.name, body, block.loc)
        args = list(block.args.values())
        needed = sorted(self.globals_of(block.name, set()))
        referenced = self.references(block.body) | {ref.name for ref in block.outputs}
        reads = (_free_names(block.body) | free_names(block.condition)) & set(block.args)
        return BlockFunction(
            block.name,
            args,
            needed,
            body,
            block.doc,
            block.loc,
            _condition(block),
            [ref.name for ref in block.inputs],
            list(block.outputs),
            referenced,
            reads,
            block.sequential,
        )

    def references(self, body) -> set[str]:
        """The tensor names a path or block body reads: `from:` and block tensor inputs."""
        names = set()
        for item in items_in(body):
            if getattr(item, "source", None) is not None:
                names.add(item.source.name)
            block = self.spec.blocks.get(getattr(item, "target", None))
            if block is not None:
                names |= {item.args[ref.name] for ref in block.inputs if ref.name in item.args}
        return names

    def globals_of(self, name: str, seen: set) -> set[str]:
        """Model params a block reads, itself or through the blocks it calls."""
        if name in seen:
            return set()
        seen.add(name)
        block = self.spec.blocks[name]
        local = set(block.args)
        used = _free_names(block.body) | free_names(block.condition)
        found = {n for n in used if n not in local and n in self.spec.params}
        for call in spec_checks.calls_in(block.body):
            if call.target not in self.spec.blocks:
                continue
            for needed in self.globals_of(call.target, seen):
                if needed in local:
                    raise SpecError(
                        f"block '{name}' has an argument '{needed}' that hides the "
                        f"parameter '{needed}' that block '{call.target}' uses",
                        block.args[needed].loc,
                        hint="rename the argument",
                    )
                found.add(needed)
        return found

    def used_blocks(self) -> list[str]:
        """Blocks the model uses, callees before callers (the order people read them in)."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for call in spec_checks.calls_in(self.spec.blocks[name].body):
                if call.target in self.spec.blocks:
                    visit(call.target)
            order.append(name)

        for call in spec_checks.calls_in(self.spec.model):
            if call.target in self.spec.blocks:
                visit(call.target)
        return order


def _check_sequential(block: str, body: list, loc: Loc) -> None:
    """A keras.Sequential is a list of layers, each applied to the one before: a sequential
    block's body may hold only ops, used plainly."""
    if not body:
        raise SpecError(
            f"the sequential block '{block}' holds no layer",
            loc,
            hint="list the ops of its keras.Sequential under seq:",
        )
    for item in body:
        if not isinstance(item, LayerUse):
            what = (
                "block" if isinstance(item, BlockUse) else type(item).__name__.removesuffix("Use")
            )
            raise SpecError(
                f"the sequential block '{block}' holds a {what.lower()}, not an op",
                item.loc,
                hint="a keras.Sequential lists layers: write the ops themselves here",
            )
        option = next((o for o, f in OPTION_FIELDS.items() if getattr(item, f) is not None), None)
        if option or any(set(SHAPE_NAMES) & free_names(v) for v in item.values.values()):
            raise SpecError(
                f"an op of the sequential block '{block}' cannot use "
                + (f"'{option}:'" if option else "the shape it receives"),
                item.loc,
                hint="a keras.Sequential applies its layers one after the other, to tensors "
                "it does not name; give the values as parameters of the block",
            )


def _condition(node):
    """An item's `if:`, None when there is none or it is the constant true."""
    return None if node.condition is True else node.condition


def _poly_add(a: dict, b: dict, factor=None) -> dict:
    """a + b * factor, for polynomials {(factor, ...): coefficient}; a factor is a repeat
    index (its name) or count (a number, folded into the coefficient, or an expression)."""
    out = dict(a)
    for factors, coefficient in b.items():
        if isinstance(factor, int):
            coefficient *= factor
        elif factor is not None:
            factors = tuple(sorted((*factors, factor), key=_factor_key))
        out[factors] = out.get(factors, 0) + coefficient
    return out


def _factor_key(factor) -> str:
    return factor if isinstance(factor, str) else f"({factor.text})"


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
            elif not isinstance(item, (Split, From)) and item.name is None:
                counts[item.kind] += 1
                if in_repeat:
                    repeated.add(item.kind)

    walk(items, False)
    return repeated | {kind for kind, n in counts.items() if n > 1}


def _free_names(body) -> set[str]:
    """Every $name read anywhere in a block body or path."""
    found: set[str] = set()
    for item in items_in(body):
        for value in item_values(item):
            found |= free_names(value)
    return found


# --- running: program -> graph -----------------------------------------------------------


class Expander:
    def __init__(self, spec: Spec, program: Program, max_layers: int = MAX_LAYERS) -> None:
        self.spec = spec
        self.program = program
        self.max_layers = max_layers
        self.graph = Graph()
        # name of a model item -> (its output layer, the item, why it may not run once:
        # "inside a repeat", "under a condition", or None)
        self.taps: dict[str, tuple[str, object, str | None]] = {}
        self.site: Loc = spec.loc
        self.static_attrs: dict[int, dict] = {}  # layer use without $names -> its attributes
        # tensors the current path can name: name -> (layer, fixed: named by `name:`);
        # a branch sees its path's names, a block only its own inputs
        self.tensors: ChainMap = ChainMap({})
        self.unshaped: list[Node] = []  # nodes whose shape no expression has needed yet
        self.container: str | None = None  # the sequential block whose layers are being made

    def run(self) -> Graph:
        spec = self.spec
        self.check_constraints()
        inputs = {spec.input_name: (spec.input, spec.input_loc), **spec.more_inputs}
        for name, (shape, loc) in inputs.items():  # the path starts from the first
            node = self.add(name, "input", {"shape": shape}, [], (name,), loc)
            self.tensors[name] = (node, True)
        x = self.items(self.program.model, spec.input_name, dict(spec.params), (), None)
        outputs = [self.output(name, loc) for name, loc in spec.outputs]
        self.graph.outputs = [node for node, _ in outputs] or [x]
        self.graph.output_items = [
            (name, item) for (name, _), (_, item) in zip(spec.outputs, outputs, strict=True)
        ]
        self.check_deep_outputs(outputs, x)
        self.graph.program = self.program
        return self.graph

    def check_deep_outputs(self, outputs: list, last: str) -> None:
        """An output taken from inside a block (or from a repeat) is read, in the generated
        source, from the model that the other outputs make: it must feed one of them."""
        trunk = [node for node, item in outputs if item is not None] or [last]
        feeding, stack = set(), list(trunk)
        while stack:
            node = stack.pop()
            if node not in feeding:
                feeding.add(node)
                stack.extend(self.graph[node].inputs)
        for (node, item), (name, loc) in zip(outputs, self.spec.outputs, strict=True):
            container = self.graph[node].container
            if item is None and container and self.graph.containers[container][-1].name != node:
                raise SpecError(
                    f"the output '{name}' is a layer inside the keras.Sequential '{container}'",
                    loc,
                    hint=f"a keras.Sequential gives the model one tensor: take '{container}'",
                )
            if item is None and not is_layer(self.graph[node]):
                raise SpecError(
                    f"the output '{name}' is {self.graph[node].op} with layer: false, an "
                    "operation of keras.ops, which has no name to read it by",
                    loc,
                    hint="name a layer after it, or an item of the model",
                )
            if item is None and node not in feeding:
                raise SpecError(
                    f"the output '{name}' feeds none of the model's other outputs",
                    loc,
                    hint="an output inside a block must lie on the way to another output; "
                    "name an item of the model instead",
                )

    def check_constraints(self) -> None:
        """The spec's constraints on its params, before anything is built from them."""
        for name, (condition, loc) in self.spec.constraints.items():
            if self.holds(condition, self.spec.params):
                continue
            used = sorted(free_names(condition))
            values = ", ".join(f"{p} = {self.spec.params[p]!r}" for p in used)
            origins = [
                f"{p} from {self.spec.param_locs[p].file}"
                for p in used
                if self.spec.param_locs[p].line == 0  # a --set value
            ]
            raise SpecError(
                f"the parameters break the constraint '{name}': "
                f"{getattr(condition, 'text', condition)} is false with {values or 'them'}",
                loc,
                hint="; ".join(origins) or f"change the parameters so that '{name}' holds",
            )

    def output(self, name: str, loc: Loc) -> tuple[str, object]:
        """The layer an output names, and the model item it is (None: taken by its layer's
        name, from inside a block or a branch, or made by a repeat)."""
        if name in self.taps:
            node, item, unsure = self.taps[name]
            if unsure == "under a condition":
                raise SpecError(
                    f"the output '{name}' is made {unsure}",
                    loc,
                    hint="an output names an item that is always there: take it from a "
                    "named item after the condition",
                )
            return node, item if unsure is None else None
        region = self.graph.regions.get(tuple(name.split(SCOPE_SEPARATOR)))
        if region is not None and region.output is not None:
            return region.output, None
        if name in self.graph:
            return name, None
        raise SpecError(
            f"unknown tap '{name}' in outputs",
            loc,
            hint=did_you_mean(name, self.taps)
            or "outputs name items of the model, or any tensor by its scope path "
            "(mixed5.branch7x7dbl, a layer's name)",
        )

    # --- paths -----------------------------------------------------------------------

    def items(self, items, x, env, scope, repeat: tuple | None, guarded: bool = False):
        """Run a path; `repeat` is the (RepeatRegion, iteration) running it, if any;
        `guarded`: it runs under a condition."""
        for item in items:
            if not scope:
                self.site = item.loc
            source = getattr(item, "source", None)
            here = _Incoming(env, self, self.lookup(source) if source else x)
            if not self.holds(item.condition, here):
                continue
            guarded_here = guarded or item.condition is not None
            if isinstance(item, RepeatUse):
                try:
                    count = _repeat_count(item, here)
                except SpecError as exc:  # say where it was used, as a layer's error does
                    if scope and exc.scope is None:
                        used = f" (used at line {self.site.line})" if self.site != item.loc else ""
                        exc.scope = " > ".join(scope) + used
                    raise
                region = RepeatRegion(scope, item.index, count, item.loc)
                self.graph.repeats.append(region)
                for i in range(region.count):
                    inner = {**env, item.index: i}
                    x = self.items(item.body, x, inner, scope, (region, i), guarded_here)
            elif isinstance(item, SideUse):
                self.items(item.body, x, env, scope, repeat, guarded_here)
            elif isinstance(item, MergeUse) and item.is_split:  # ends a concat branch
                return self.branches(item, x, env, scope)
            elif isinstance(item, FromUse):
                x = self.lookup(item.source)
            else:
                x = self.item(item, x, here, scope, repeat, guarded_here)
        return x

    def shape(self, name: str) -> tuple:
        """A layer's output shape, for expressions that read it: the shape rules run now
        on the layers made so far (the passes check them all again later)."""
        for node in self.unshaped:
            try:
                node.shape = shape_of(node, self.graph)
            except ShapeError as exc:
                raise node.error(exc.message, exc.hint) from None
        self.unshaped.clear()
        self.graph.reads_shapes = True
        return self.graph[name].shape

    def lookup(self, ref: Ref) -> str:
        if ref.name not in self.tensors:
            raise SpecError(
                f"'{ref.name}' names no tensor here",
                ref.loc,
                hint=did_you_mean(ref.name, list(self.tensors))
                or "name an earlier item (name: ...), bind one with as: ..., "
                "or declare the block's inputs: [...]",
            )
        return self.tensors[ref.name][0]

    def bind(self, ref: Ref, node: str, fixed: bool) -> None:
        """Make `ref.name` name `node` from here on in this scope (`_` names nothing)."""
        if ref.name == "_":
            return
        if ref.name in self.tensors:
            if self.tensors[ref.name][1]:
                raise SpecError(
                    f"'{ref.name}' already names a tensor here",
                    ref.loc,
                    hint="names of items and inputs are given once; as: binds a name of its own",
                )
            if ref.name not in self.tensors.maps[0]:
                raise SpecError(
                    f"'{ref.name}' is bound outside this branch, which cannot rebind it",
                    ref.loc,
                    hint="bind a name of the branch's own, or bind it after the merge",
                )
        self.tensors[ref.name] = (node, fixed)

    def bind_outputs(self, bind, outputs: list[str], what: str) -> None:
        refs = bind if isinstance(bind, list) else [bind]
        if len(refs) != len(outputs):
            loc = (refs[0] if refs else bind).loc
            raise SpecError(
                f"{what} gives {len(outputs)} tensor{'s' * (len(outputs) > 1)}, "
                f"and as: binds {len(refs)}",
                loc,
                hint="bind one name, or a list of one per output ([_, p] skips the first)",
            )
        for ref, node in zip(refs, outputs, strict=True):
            self.bind(ref, node, fixed=False)

    def holds(self, condition, env: dict) -> bool:
        """Whether an `if:` holds; the error names the expression and its value."""
        if condition is None:
            return True
        value = evaluate(condition, env)
        if not isinstance(value, bool):
            text = getattr(condition, "text", repr(condition))
            raise SpecError(
                f"the condition '{text}' is {value!r}, not true or false",
                getattr(condition, "loc", self.site),
                hint='compare it, for example: if: "${strides == 2}"',
            )
        return value

    def item(self, item, x: str, env: dict, scope: tuple, repeat, guarded: bool) -> str:
        local = self.local_name(item, env, scope)
        item_scope = (*scope, local)
        if len(item_scope) > spec_checks.MAX_NESTING:  # read here: raisable
            raise SpecError(
                f"blocks and branches nest more than {spec_checks.MAX_NESTING} levels deep",
                item.loc,
                hint="flatten the structure",
                scope=" > ".join([*scope[:3], "...", *scope[-2:]]),
            )
        kind = item.block if isinstance(item, BlockUse) else item.spelling
        region = Region(kind, item.loc, repeat=repeat)
        self.graph.regions[item_scope] = region
        if item.source is not None:
            x = self.lookup(item.source)
        outputs = None
        if isinstance(item, MergeUse):
            x = self.merge(item, x, env, item_scope)
        elif isinstance(item, BlockUse):
            outputs = self.block(item, x, env, item_scope, region)
            x = outputs[0]
        else:
            x = self.layer(item, x, env, item_scope)
        if isinstance(item.name, str):
            self.bind(Ref(item.name, item.loc), x, fixed=True)
        if item.bind is not None:
            self.bind_outputs(item.bind, outputs or [x], f"'{local}'")
        region.output = x
        if not scope:  # the model's own items are taps, for `outputs:`
            unsure = "inside a repeat" if repeat else "under a condition" if guarded else None
            self.taps[local] = (x, item, unsure)
            self.graph.item_outputs.setdefault(id(item), []).append((local, x))
        return x

    def local_name(self, item, env: dict, scope: tuple) -> str:
        name = item.name
        if isinstance(name, str):
            return name
        if isinstance(name, AutoName):
            return name.kind if name.number is None else f"{name.kind}_{name.number.evaluate(env)}"
        local = name.evaluate(env)
        if len(local) > MAX_NAME_LENGTH:  # a template filled with a long text
            raise SpecError(
                f"the name {name.text!r} makes a name of {len(local):,} characters, more than "
                f"the limit of {MAX_NAME_LENGTH}",
                name.loc,
                hint="names become layer names and scope paths; keep them short",
                scope=" > ".join(scope),
            )
        if not NAME_CHARS.fullmatch(local):  # a template filled with text: check what it made
            raise SpecError(
                f"the name {name.text!r} makes {local!r}, which has characters "
                "other than letters, digits and _",
                name.loc,
                hint="layer names use letters, digits and _ (the '.' separates scopes)",
                scope=" > ".join(scope),
            )
        return local

    # --- items -----------------------------------------------------------------------

    def layer(self, use: LayerUse, x: str, env: dict, scope: tuple) -> str:
        op = REGISTRY[use.op]
        static = self.static_attrs.get(id(use))
        if static is not None:  # no $names in its values: checked once, shared
            return self.add(scope_name(scope), op.name, static, [x], scope, use.loc)
        attrs = {}
        for attr in op.attrs:
            value = attr.default
            if attr.name in use.values:
                value = evaluate(use.values[attr.name], env)
            try:
                attrs[attr.name] = attr.type(value)
            except AttrError as exc:
                raise SpecError(
                    f"{use.spelling} '{attr.name}': {exc}",
                    use.value_locs.get(attr.name, use.loc),
                    hint=self._origin(use.values.get(attr.name), env) or attr.help,
                    scope=" > ".join(scope),
                ) from None
        if not any(free_names(value) for value in use.values.values()):
            self.static_attrs[id(use)] = attrs
        return self.add(scope_name(scope), op.name, attrs, [x], scope, use.loc)

    def _origin(self, value, env: dict) -> str | None:
        """Where a bad value set through a parameter was set: the line to fix."""
        for name in sorted(free_names(value)):
            param_loc = self.spec.param_locs.get(name)
            if param_loc and env.get(name) is self.spec.params.get(name):
                return f"${name} is {env[name]!r}, set at {param_loc}"
        return None

    def block(self, use: BlockUse, x: str, env: dict, scope: tuple, region: Region) -> list:
        """Run a block's body in a scope of its own; the tensors it returns."""
        function = self.program.blocks[use.block]
        tensors = {"x": (x, True)}
        tensors |= {name: (self.lookup(use.inputs[name]), True) for name in function.inputs}
        inner = dict(self.spec.params)
        for arg in function.args:
            if arg.name not in function.reads:  # never read: not worth evaluating
                continue
            given = arg.name in use.args
            inner[arg.name] = evaluate(use.args[arg.name], env) if given else arg.default
            region.args[arg.name] = inner[arg.name]
        if not self.holds(function.condition, inner):
            return [x] * max(1, len(function.outputs))  # the block is the identity here
        outer, self.tensors = self.tensors, ChainMap(tensors)
        if function.sequential:
            self.container = scope_name(scope)
        if isinstance(function.body, MergeUse):
            result = self.merge(function.body, x, inner, scope)
        else:
            result = self.items(function.body, x, inner, scope, None)
        outputs = [self.lookup(ref) for ref in function.outputs] or [result]
        self.tensors, self.container = outer, None  # a sequential block holds no blocks
        return outputs

    def branches(self, merge: MergeUse, x: str, env: dict, scope: tuple) -> list[str]:
        """The end of every branch, in order; a branch ending in a split gives several."""
        ends = []
        outer = self.tensors
        merge_scope = outer.new_child()  # a later branch may read an earlier one by name
        for branch in merge.branches:
            if not self.holds(branch.condition, env):
                continue
            region = Region("branch", branch.loc)
            self.graph.regions[(*scope, branch.name)] = region
            self.tensors = merge_scope.new_child()
            end = self.items(branch.path, x, env, (*scope, branch.name), None)
            if not isinstance(end, list):
                merge_scope[branch.name] = (end, True)
                region.output = end
            ends.extend(end if isinstance(end, list) else [end])
        self.tensors = outer
        return ends

    def merge(self, merge: MergeUse, x: str, env: dict, scope: tuple) -> str:
        ends = self.branches(merge, x, env, scope)
        if len(ends) < 2:
            raise SpecError(
                f"{merge.spelling} needs at least two inputs; its conditions leave {len(ends)}",
                merge.loc,
                hint="make a path optional with an item's `if:` instead of the branch's",
                scope=" > ".join(scope),
            )
        op = REGISTRY[merge.op]
        attrs = {
            attr.name: _option(merge, attr.name, attr.type, env)
            if attr.name in merge.values
            else attr.default
            for attr in op.attrs
        }
        out = self.add(scope_name(scope), op.name, attrs, ends, scope, merge.loc)
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
        node = Node(name or op, op, attrs, inputs, scope or (op,), loc, self.site, self.container)
        self.unshaped.append(node)
        return self.graph.add(node)


class _Incoming(ChainMap):
    """The names an item's values can read, with the shape of the tensor it receives
    (in_height, in_width, in_channels), worked out only if an expression reads it. A view
    of the path's names, not a copy: one is made for every item."""

    def __init__(self, env: dict, expander: Expander, tensor: str) -> None:
        # a branch's items get the merge's view as env: look through it to the names, so
        # that no item reads the shape of the tensor another item received
        super().__init__(env.maps[0] if isinstance(env, _Incoming) else env)
        self.expander, self.tensor = expander, tensor

    def __contains__(self, name) -> bool:
        if super().__contains__(name):
            return True
        return name in SHAPE_NAMES and name in self._shape_names()

    def __missing__(self, name):
        names = self._shape_names()
        if name in names:
            return names[name]
        raise KeyError(name)

    def _shape_names(self) -> dict:
        shape = self.expander.shape(self.tensor)
        if len(shape) == 3:
            return dict(zip(SHAPE_NAMES, shape, strict=True))
        return {"in_channels": shape[-1]}


def scope_name(scope: tuple) -> str:
    return SCOPE_SEPARATOR.join(scope)


def _option(merge: MergeUse, key: str, check, env: dict):
    value = merge.values.get(key, merge.activation if key == "activation" else None)
    if value is None:
        return None
    loc = merge.option_locs[key]
    try:
        return check(evaluate(value, env))
    except AttrError as exc:
        raise SpecError(f"{merge.spelling} '{key}': {exc}", loc) from None


def _repeat_count(item: RepeatUse, env: dict) -> int:
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


def expand(spec: Spec, max_layers: int = MAX_LAYERS) -> Graph:
    return Expander(spec, lower(spec), max_layers).run()
