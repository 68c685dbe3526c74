"""The source back end: a spec -> standalone, readable Keras source.

The generated module mirrors the spec, not the expanded graph: one function per
block (its args as parameters, with the spec's defaults), branches as variables
named like the spec's branches, a `for` loop where the spec repeats, and
`build_model(**params)` calling the blocks in order with the output shape of each
model item in a comment. It builds the same layers, with the same names, as the
runtime back end: a test holds the two together for every spec.

Safety: names that reach the source are identifiers checked by the front end
and passed through a Namespace (no keyword, builtin or clash); every other
value from the spec is printed as a Python literal (repr), and text in
docstrings is escaped, so no spec can put code into the output.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from archgen import __version__
from archgen.backends import templates
from archgen.errors import SpecError
from archgen.expand import _numbered_kinds
from archgen.language import expr as E
from archgen.language.ast import Call, Merge, Repeat, Side, item_values, items_in
from archgen.language.parser import is_split
from archgen.language.resolve import calls_in
from archgen.ops import REGISTRY, REQUIRED, resolve
from archgen.ops.base import format_shape
from archgen.report import short_flops

CUSTOM_LAYERS = Path(__file__).parent / "custom_layers.py"


# --- names ---------------------------------------------------------------------------------


class Namespace:
    """Hands out unique identifiers that never shadow a keyword, a builtin or each other."""

    def __init__(self, reserved=(), parent: Namespace | None = None) -> None:
        self.parent = parent
        self.taken: set[str] = set(reserved)

    def is_free(self, name: str) -> bool:
        if name in self.taken:
            return False
        return self.parent.is_free(name) if self.parent else True

    def add(self, candidate: str) -> str:
        name = candidate
        if keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name):
            name += "_"
        base, suffix = name, 1
        while not self.is_free(name):
            suffix += 1
            name = f"{base}_{suffix}"
        self.taken.add(name)
        return name


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A Python expression inside a layer-name f-string."""

    text: str


def polynomial_text(poly: dict) -> str:
    """{(): 1, ("i",): 2} -> "2 * i + 1"."""
    terms = []
    for factors, coef in poly.items():
        if factors and coef:
            product = " * ".join(factors)
            terms.append(product if coef == 1 else f"{coef} * {product}")
    constant = poly.get((), 0)
    if constant or not terms:
        terms.append(str(constant))
    return " + ".join(terms)


def poly_add(a: dict, b: dict, factor: str | None = None) -> dict:
    """a + b * factor, for polynomials {(factor, ...): coefficient} of repeat counts."""
    out = dict(a)
    for factors, coef in b.items():
        if factor is not None and factor.isdigit():
            coef *= int(factor)
        elif factor is not None:
            factors = tuple(sorted((*factors, factor)))
        out[factors] = out.get(factors, 0) + coef
    return out


def name_text(parts: list) -> str:
    """Layer-name parts (literal text and Code) as a Python string literal or f-string."""
    if all(isinstance(p, str) for p in parts):
        return repr("".join(parts))
    if len(parts) == 1:
        return parts[0].text
    body = "".join(
        f"{{{p.text}}}" if isinstance(p, Code) else p.replace("{", "{{").replace("}", "}}")
        for p in parts
    )
    return f'f"{body}"'


def docstring_text(text: str, width: int = 88) -> str:
    """Spec text made safe inside a triple-quoted docstring, wrapped to `width`."""
    text = text.strip().replace("\\", "\\\\")
    if '"""' in text or text.endswith('"'):
        text = text.replace('"', '\\"')
    text = "".join(
        f"\\x{ord(c):02x}" if (ord(c) < 32 and c != "\n") or ord(c) == 127 else c for c in text
    )
    paragraphs = text.split("\n\n")
    return "\n\n".join(textwrap.fill(p, width, break_long_words=False) for p in paragraphs)


# --- the generator ---------------------------------------------------------------------------


@dataclass
class Signature:
    function: str  # identifier of the block's function
    args: list  # (spec arg name, identifier, default or REQUIRED), required first
    globals: list  # (param name, identifier) the block needs from the model's params


@dataclass
class Function:
    """One generated function: its local names and its lines."""

    names: Namespace
    env: dict  # spec name ($name) -> Python expression
    lines: list = field(default_factory=list)
    taps: dict = field(default_factory=dict)  # model item name -> variable holding it
    live: list = field(default_factory=list)  # per open merge: names its branch ends hold
    depth: int = 1  # indentation
    merges: int = 0  # merges being emitted, nested

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


class Generator:
    def __init__(self, arch) -> None:
        self.arch = arch
        self.spec = arch.spec
        self.graph = arch.graph
        self.custom = sorted(
            {REGISTRY[n.op].keras_class for n in self.graph if REGISTRY[n.op].custom_layer}
        )
        self.module = Namespace({"keras", "layers", "build_model", *self.custom})
        self.blocks = self._used_blocks()
        self.output_taps = {tap for tap, _ in self.spec.outputs}
        self.signatures = {name: self._signature(name) for name in self.blocks}

    # --- blocks and their signatures ----------------------------------------------------

    def _used_blocks(self) -> list[str]:
        """Blocks the model uses, callees before callers (the order people read them in)."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for call in calls_in(self.spec.blocks[name].body):
                if call.target in self.spec.blocks:
                    visit(call.target)
            order.append(name)

        for call in calls_in(self.spec.model):
            if call.target in self.spec.blocks:
                visit(call.target)
        return order

    def _signature(self, name: str) -> Signature:
        block = self.spec.blocks[name]
        function = self.module.add(name)
        ordered = [a for a in block.args.values() if a.required]
        ordered += [a for a in block.args.values() if not a.required]
        names = Namespace({"x", "name"})
        args = [(a.name, names.add(a.name), a.default) for a in ordered]
        needed = sorted(self._globals_of(name, set()))
        return Signature(function, args, [(p, names.add(p)) for p in needed])

    def _globals_of(self, name: str, seen: set) -> set[str]:
        """Model params a block reads, itself or through the blocks it calls."""
        if name in seen:
            return set()
        seen.add(name)
        block = self.spec.blocks[name]
        local = set(block.args)
        found = {n for n in _free_names(block.body) if n not in local and n in self.spec.params}
        for call in calls_in(block.body):
            if call.target in self.spec.blocks:
                for needed in self._globals_of(call.target, seen):
                    if needed in local:
                        raise SpecError(
                            f"block '{name}' has an argument '{needed}' that hides the "
                            f"parameter '{needed}' that block '{call.target}' uses",
                            block.args[needed].loc,
                            hint="rename the argument",
                        )
                    found.add(needed)
        return found

    # --- expressions ------------------------------------------------------------------------

    def expr(self, tree, fn: Function) -> str:
        if isinstance(tree, E.Num):
            return repr(tree.value)
        if isinstance(tree, E.Name):
            return fn.env[tree.id]
        if isinstance(tree, E.Neg):
            return f"-{self._operand(tree.operand, fn, 3)}"
        level = E.PRECEDENCE[tree.op]
        left = self._operand(tree.left, fn, level)
        right = self._operand(tree.right, fn, level + 1)
        return f"{left} {tree.op} {right}"

    def _operand(self, tree, fn: Function, level: int) -> str:
        text = self.expr(tree, fn)
        if isinstance(tree, E.BinOp) and E.PRECEDENCE[tree.op] < level:
            return f"({text})"
        return text

    def value(self, value, fn: Function) -> str:
        if isinstance(value, E.Expr):
            return self.expr(value.tree, fn)
        if isinstance(value, E.Template):
            return name_text(self.template_parts(value, fn))
        if isinstance(value, (list, tuple)):
            items = [self.value(v, fn) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return repr(value)

    def template_parts(self, template: E.Template, fn: Function) -> list:
        return [p if isinstance(p, str) else Code(self.expr(p.tree, fn)) for p in template.parts]

    # --- paths --------------------------------------------------------------------------------

    def path(self, items: list, source: str, target: str, fn: Function, prefix: list) -> str:
        """Emit `items` reading `source`; returns the variable that holds the result."""
        return self._items(items, source, target, fn, prefix, _numbered_kinds(items), {})

    def _items(self, items, source, target, fn, prefix, numbered, counter) -> str:
        current = source
        for item in items:
            if isinstance(item, Repeat):
                current = self._repeat(item, current, target, fn, prefix, numbered, counter)
            elif isinstance(item, Side):
                self._side(item, current, fn, prefix, numbered, counter)
            elif is_split(item):  # ends a concat branch: one variable per sub-branch
                return self._branch_ends(item, current, fn, prefix)
            else:
                name = [*prefix, *self._local_name(item, fn, numbered, counter)]
                self._shape_comment(item, fn)
                if isinstance(item, Merge):
                    self.merge(item, current, target, fn, name)
                else:
                    fn.emit(f"{target} = {self.call(item, current, fn, name)}")
                current = target
                if not prefix and item.name in self.output_taps:
                    self._keep_tap(item, current, fn)
        return current

    def _keep_tap(self, item, current: str, fn: Function) -> None:
        """An output taken from the middle of the model gets a variable of its own."""
        if current != "x" or item is self.spec.model[-1]:  # a side path's own variable
            fn.taps[item.name] = current
        else:
            fn.taps[item.name] = fn.names.add(item.name)
            fn.emit(f"{fn.taps[item.name]} = {current}")

    def _local_name(self, item, fn: Function, numbered: set, counter: dict) -> list:
        """The item's own part of its layer name, as the expander names it."""
        if isinstance(item.name, E.Template):
            return self.template_parts(item.name, fn)
        if item.name is not None:
            return [item.name]
        kind = item.kind
        counter[kind] = poly_add(counter.get(kind, {}), {(): 1})
        if kind not in numbered:
            return [kind]
        text = polynomial_text(counter[kind])
        return [f"{kind}_{text}"] if text.isdigit() else [f"{kind}_", Code(text)]

    def _repeat(self, item: Repeat, source, target, fn, prefix, numbered, counter) -> str:
        count = self.value(item.count, fn)
        index = fn.names.add(item.index)
        per_iteration = self._kind_counts(item.body, item.index, fn)
        start = dict(counter)
        for kind, poly in per_iteration.items():  # numbers go on across iterations
            counter[kind] = poly_add(start.get(kind, {}), poly, index)
        if source != target:  # the loop carries `target` from one iteration to the next
            fn.emit(f"{target} = {source}")
            source = target
        fn.emit(f"for {index} in range({count}):")
        fn.depth += 1
        outer_env = fn.env
        fn.env = {**outer_env, item.index: index}
        body_start = len(fn.lines)
        self._items(item.body, source, target, fn, prefix, numbered, counter)
        if len(fn.lines) == body_start:  # nothing to repeat (`seq: []`): Python needs a statement
            fn.emit("pass")
        fn.env = outer_env
        fn.depth -= 1
        fn.names.taken.discard(index)  # the next loop may use the same index
        for kind, poly in per_iteration.items():
            counter[kind] = poly_add(start.get(kind, {}), poly, _factor(count))
        return target

    def _kind_counts(self, items: list, index: str, fn: Function) -> dict:
        """Unnamed items of each kind in one iteration, as polynomials of inner repeat counts."""
        counts: dict = {}
        for item in items:
            if isinstance(item, Repeat):
                if index in E.free_names(item.count):
                    raise SpecError(
                        "the source generator needs inner repeat counts that do not depend "
                        f"on the outer index '{index}'",
                        item.loc,
                    )
                factor = _factor(self.value(item.count, fn))
                for kind, poly in self._kind_counts(item.body, item.index, fn).items():
                    counts[kind] = poly_add(counts.get(kind, {}), poly, factor)
            elif isinstance(item, Side):
                for kind, poly in self._kind_counts(item.body, index, fn).items():
                    counts[kind] = poly_add(counts.get(kind, {}), poly)
            elif item.name is None:
                counts[item.kind] = poly_add(counts.get(item.kind, {}), {(): 1})
        return counts

    def _side(self, item: Side, source, fn, prefix, numbered, counter) -> None:
        """A side path writes its own variable, named after its last item."""
        last = item.body[-1] if item.body else None
        named = isinstance(getattr(last, "name", None), str)
        variable = fn.names.add(last.name if named else "side")
        self._items(item.body, source, variable, fn, prefix, numbered, counter)

    def _shape_comment(self, item, fn: Function) -> None:
        """`# mixed0: 35 x 35 x 256` above each model item, as keras.applications marks them."""
        outputs = self.graph.item_outputs.get(id(item))
        if not outputs:
            return
        shapes = " | ".join(dict.fromkeys(format_shape(self.graph[n].shape) for _, n in outputs))
        names = [name for name, _ in outputs]
        names = ", ".join(names) if len(names) <= 3 else f"{names[0]} ... {names[-1]}"
        fn.emit(f"# {names}: {shapes}")

    # --- items --------------------------------------------------------------------------------

    def call(self, call: Call, source: str, fn: Function, name: list) -> str:
        if call.target in self.spec.blocks:
            return self.block_call(call, source, fn, name)
        return self.op_call(call, source, fn, name)

    def op_call(self, call: Call, source: str, fn: Function, name: list) -> str:
        op, preset = resolve(call.target)
        values = {k: self.value(v, fn) for k, v in {**preset, **call.args}.items()}
        keras_call = op.keras_call(values, constant=repr)
        layer = keras_call.class_name if keras_call.custom else f"layers.{keras_call.class_name}"
        keywords = [f"{keyword}={text}" for keyword, text in keras_call.kwargs]
        arguments = ", ".join([*keras_call.args, *keywords, f"name={name_text(name)}"])
        return f"{layer}({arguments})({source})"

    def block_call(self, call: Call, source: str, fn: Function, name: list) -> str:
        signature = self.signatures[call.target]
        args, keywords = [], []
        for spec_name, identifier, default in signature.args:
            if spec_name not in call.args:
                continue
            text = self.value(call.args[spec_name], fn)
            if default is REQUIRED:
                args.append(text)
            else:
                keywords.append(f"{identifier}={text}")
        keywords += [f"{identifier}={fn.env[param]}" for param, identifier in signature.globals]
        arguments = ", ".join([source, *args, *keywords, f"name={name_text(name)}"])
        return f"{signature.function}({arguments})"

    def merge(self, merge: Merge, source: str, target: str, fn: Function, name: list) -> None:
        """Emit the branches, each into a variable named like the branch, then the merge."""
        fn.live.append(Namespace(parent=fn.names))  # branch ends wait here for the merge
        ends = self._branch_ends(merge, source, fn, name)
        fn.live.pop()
        inputs = f"[{', '.join(ends)}]"
        if merge.op == "concat":
            fn.emit(f"{target} = layers.Concatenate(name={name_text(name)})({inputs})")
        elif merge.scale is None:
            fn.emit(f"{target} = layers.Add(name={name_text(name)})({inputs})")
        else:
            scale = self.value(merge.scale, fn)
            fn.emit(f"{target} = ScaledAdd({scale}, name={name_text(name)})({inputs})")
        if merge.activation is None:
            return
        function = self.value(merge.activation, fn)
        if isinstance(merge.activation, str):
            fn.emit(self._activation(function, [*name, f".{merge.activation}"], target))
            return
        # an argument may be None, meaning no activation, as keras.applications writes it
        fn.emit(f"if {function} is not None:")
        fn.depth += 1
        fn.emit(self._activation(function, [*name, ".", Code(function)], target))
        fn.depth -= 1

    def _branch_ends(self, merge: Merge, source: str, fn: Function, name: list) -> list[str]:
        """Emit each branch into a variable named like it; a split's variables join them."""
        outer, live = fn.names, fn.live[-1]
        ends: list[str] = []
        for branch in merge.branches:
            if not branch.path:
                ends.append(source)  # an empty path is the identity
                continue
            if any(end != source for end in ends) and not fn.merges:
                fn.lines.append("")  # a merge's branches read as paragraphs
            variable = live.add(branch.name)
            fn.names = Namespace(parent=live)
            fn.merges += 1
            # a split's branches live in the scope of the branch it ends
            prefix = [*name, branch.name, "."] if is_split(merge) else [*name, f".{branch.name}."]
            end = self.path(branch.path, source, variable, fn, prefix)
            fn.merges -= 1
            fn.names = outer
            ends.extend(end if isinstance(end, list) else [end])
        return ends

    def _activation(self, function: str, name: list, target: str) -> str:
        return f"{target} = layers.Activation({function}, name={name_text(name)})({target})"

    # --- module ------------------------------------------------------------------------------

    def block_function(self, name: str) -> dict:
        block = self.spec.blocks[name]
        signature = self.signatures[name]
        names = Namespace({"x", "name"}, parent=self.module)
        names.taken.update(i for _, i, _ in signature.args)
        names.taken.update(i for _, i in signature.globals)
        env = {a: i for a, i, _ in signature.args} | dict(signature.globals)
        fn = Function(names, env)
        if isinstance(block.body, Merge):
            self.merge(block.body, "x", "x", fn, [Code("name")])
            fn.emit("return x")
        else:
            fn.emit(f"return {self.path(block.body, 'x', 'x', fn, [Code('name'), '.'])}")
        params = ["x"]
        for _, identifier, default in signature.args:
            required = default is REQUIRED
            params.append(identifier if required else f"{identifier}={self.value(default, fn)}")
        params += [f"{i}={self.value(self.spec.params[p], fn)}" for p, i in signature.globals]
        params.append(f"name={name!r}")
        return {
            "name": signature.function,
            "params": ", ".join(params),
            "doc": docstring_text(block.doc or f"The {name} block."),
            "body": "\n".join(fn.lines),
        }

    def model_function(self) -> dict:
        names = Namespace({"inputs", "x", "input_shape"}, parent=self.module)
        env = {p: names.add(p) for p in self.spec.params}
        fn = Function(names, env)
        fn.emit(f"inputs = keras.Input(shape=input_shape, name={self.graph.input.name!r})")
        result = self.path(self.spec.model, "inputs", "x", fn, [])
        outputs = [fn.taps.get(tap) or self._untapped(tap) for tap, _ in self.spec.outputs]
        if not outputs:
            outputs = [result]
        returned = outputs[0] if len(outputs) == 1 else f"[{', '.join(outputs)}]"
        fn.emit(f"return keras.Model(inputs, {returned}, name={self.spec.name!r})")
        params = [f"{env[p]}={self.value(v, fn)}" for p, v in self.spec.params.items()]
        params.append(f"input_shape={self.value(list(self.spec.input), fn)}")
        return {"params": ", ".join(params), "body": "\n".join(fn.lines)}

    def _untapped(self, tap: str) -> str:
        raise SpecError(
            f"the source generator cannot return '{tap}' as an output: name an item of the "
            "model, or the last item of a side path",
            self.spec.loc,
        )

    def module_docstring(self) -> str:
        spec, totals = self.spec, self.arch.totals
        lines = [docstring_text(spec.title) + "."]
        for text in (spec.source, spec.doc):
            if text:
                lines += ["", docstring_text(text)]
        outputs = ", ".join(format_shape(n.shape) for n in self.arch.outputs)
        lines += [
            "",
            f"Input: {format_shape(spec.input)}; output: {outputs}.",
            f"Parameters: {totals.params:,} (trainable {totals.trainable:,}, "
            f"non-trainable {totals.non_trainable:,}).",
            f"FLOPs: {short_flops(totals.flops)} multiply-accumulates.",
            "",
            f"Generated by archgen {__version__} from {Path(spec.file).name}; do not edit:",
            "change the spec and run `archgen build`.",
        ]
        return "\n".join(lines)

    def generate(self) -> str:
        source = (
            templates()
            .get_template("module.py.j2")
            .render(
                docstring=self.module_docstring(),
                custom_layers=[custom_layer_source(name) for name in self.custom],
                blocks=[self.block_function(name) for name in self.blocks],
                model=self.model_function(),
                alias=self.module.add(self.spec.name),
                spec_name=self.spec.name,
            )
        )
        return ruff_format(source)


def _free_names(body) -> set[str]:
    """Every $name read anywhere in a block body or path."""
    found: set[str] = set()
    for item in items_in(body):
        for value in item_values(item):
            found |= E.free_names(value)
    return found


def _factor(count: str) -> str:
    """A repeat count as a factor of a polynomial: a number or a (parenthesized) expression."""
    return count if count.isdigit() or count.isidentifier() else f"({count})"


def custom_layer_source(class_name: str) -> str:
    """The source of one class of custom_layers.py, read as text (no Keras import)."""
    text = CUSTOM_LAYERS.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    raise KeyError(class_name)


def ruff_format(source: str) -> str:
    """Format with ruff (a dependency), so the output is the style people check in."""
    result = subprocess.run(
        # ruff's defaults (88 columns), not this project's: a user's check is what counts
        [sys.executable, "-m", "ruff", "format", "--isolated", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:  # a bug in the generator, not in the spec
        raise RuntimeError(f"generated source does not parse:\n{result.stderr}\n{source}")
    return result.stdout


def generate(arch) -> str:
    return Generator(arch).generate()
