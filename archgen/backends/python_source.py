"""The source back end: the IR's program -> standalone, readable Keras source.

It prints the program that expansion lowered (archgen/ir.py), not the expanded
graph, and never the Spec AST: one function per block (its args as parameters,
with the spec's defaults), branches as variables named like the spec's branches,
a `for` loop where the spec repeats, and `build_model(**params)` calling the
blocks in order with the output shape of each model item (from the graph) in a
comment. Layer names are the IR's name patterns and ops go through the registry's
one Keras mapping (`OpDef.keras_call`), so it builds the same layers, with the same
names, as the runtime back end; tests hold the two together for every file in specs/.
Values are printed from the expression trees the program holds (language/expr.py
defines them; they are data here, as numbers are).

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
from collections import ChainMap
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from archgen import __version__
from archgen.backends import templates
from archgen.ir import (
    BlockFunction,
    BlockUse,
    FromUse,
    LayerUse,
    MergeUse,
    Number,
    Program,
    RepeatUse,
    SideUse,
    items_of,
)
from archgen.language import expr as E
from archgen.language.ast import Ref
from archgen.ops import REGISTRY, REQUIRED
from archgen.ops.base import format_shape
from archgen.report import short_flops

CUSTOM_LAYERS = Path(__file__).parent / "custom_layers.py"
MATH_FUNCTIONS = ("ceil", "floor")  # the expression language's functions that live in math
ATOM = 10  # names, literals, calls, lists and indexing bind tightest
SHAPE_INDEX = {"in_height": 1, "in_width": 2, "in_channels": -1}  # axes of a Keras tensor
# layers on the longest path: keras.Model walks it recursively, a Python frame per layer,
# and a chain of about 990 exhausts the default limit of 1,000 (with the caller's frames)
DEEP_GRAPH = 800


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
    inputs: list  # (tensor input name, identifier), after x
    args: list  # (spec arg name, identifier, default or REQUIRED), required first
    globals: list  # (param name, identifier) the block needs from the model's params
    outputs: int  # how many tensors it returns


@dataclass
class Function:
    """One generated function: its local names and its lines."""

    names: Namespace
    env: dict  # spec name ($name) -> Python expression
    lines: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)  # id of an output item -> variable holding it
    # tensors the spec names here -> the variable holding each (a branch's names are its own)
    tensors: ChainMap = field(default_factory=ChainMap)
    variables: dict = field(default_factory=dict)  # names bound in the function -> variable
    referenced: set = field(default_factory=set)  # named items read by name later
    live: list = field(default_factory=list)  # per open merge: names its branch ends hold
    side_last: object = None  # the last item of the side path being emitted
    depth: int = 1  # indentation
    merges: int = 0  # merges being emitted, nested

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


class Generator:
    def __init__(self, arch) -> None:
        self.arch = arch
        self.graph = arch.graph
        self.program: Program = arch.graph.program
        self.custom = sorted(
            {REGISTRY[n.op].keras_class for n in self.graph if REGISTRY[n.op].custom_layer}
        )
        self.module = Namespace({"keras", "layers", "math", "sys", "build_model", *self.custom})
        self.imports_math = False  # set when an expression uses ceil or floor
        self.longest_path = _longest_path(self.graph)
        self.deep = self.longest_path > DEEP_GRAPH  # the module then raises the limit
        self.output_ids = {id(item) for _, item in self.graph.output_items if item is not None}
        # every function's name first: no argument of one may shadow another, or keras
        functions = {name: self.module.add(name) for name in self.program.blocks}
        self.signatures = {
            name: self._signature(f, functions[name]) for name, f in self.program.blocks.items()
        }

    def _signature(self, function: BlockFunction, identifier: str) -> Signature:
        ordered = [a for a in function.args if a.required] + [
            a for a in function.args if not a.required
        ]
        names = Namespace({"x", "name"}, parent=self.module)
        inputs = [(name, names.add(name)) for name in function.inputs]
        args = [(a.name, names.add(a.name), a.default) for a in ordered]
        needed = [(p, names.add(p)) for p in function.globals]
        return Signature(identifier, inputs, args, needed, max(1, len(function.outputs)))

    # --- expressions ------------------------------------------------------------------------

    def expr(self, tree, fn: Function, level: float = 0) -> str:
        """Python text of an expression tree; parenthesized when it binds looser than
        `level` (Python's own precedence: the expression language follows it)."""
        text, own = self._expr(tree, fn)
        return f"({text})" if own < level else text

    def _expr(self, tree, fn: Function) -> tuple[str, float]:
        """The text of `tree` and the precedence of its outermost operator."""
        if isinstance(tree, (E.Num, E.Str)):
            return repr(tree.value), ATOM
        if isinstance(tree, E.Name):
            return fn.env[tree.id], ATOM
        if isinstance(tree, E.Neg):
            return f"-{self.expr(tree.operand, fn, E.UNARY_LEVEL)}", E.UNARY_LEVEL
        if isinstance(tree, E.Not):
            return f"not {self.expr(tree.operand, fn, E.NOT_LEVEL)}", E.NOT_LEVEL
        if isinstance(tree, E.IfElse):
            then = self.expr(tree.then, fn, 1)
            test = self.expr(tree.test, fn, 1)
            return f"{then} if {test} else {self.expr(tree.otherwise, fn)}", 0
        if isinstance(tree, E.Call):
            function = f"math.{tree.function}" if tree.function in MATH_FUNCTIONS else tree.function
            self.imports_math |= tree.function in MATH_FUNCTIONS
            return f"{function}({', '.join(self.expr(a, fn) for a in tree.args)})", ATOM
        if isinstance(tree, E.ListOf):
            return f"[{', '.join(self.expr(item, fn) for item in tree.items)}]", ATOM
        if isinstance(tree, E.Index):
            return f"{self.expr(tree.value, fn, ATOM)}[{self.expr(tree.index, fn)}]", ATOM
        level = E.PRECEDENCE[tree.op]
        # comparisons do not chain: an operand that is a comparison keeps its parentheses
        left = self.expr(tree.left, fn, level + 1 if level == E.COMPARISON_LEVEL else level)
        right = self.expr(tree.right, fn, level + 1)
        return f"{left} {tree.op} {right}", level

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

    def local_name(self, name, fn: Function) -> list:
        """An item's own part of its layer name, as the IR's name pattern says."""
        if isinstance(name, str):
            return [name]
        if isinstance(name, E.Template):
            return self.template_parts(name, fn)
        if name.number is None:
            return [name.kind]
        text = self.number(name.number, fn)
        return [f"{name.kind}_{text}"] if text.isdigit() else [f"{name.kind}_", Code(text)]

    def number(self, number: Number, fn: Function) -> str:
        """{(): 1, ("i",): 2} -> "2 * i + 1"."""
        terms, constant = [], 0
        for factors, coefficient in number.terms:
            if not factors:
                constant = coefficient
            elif coefficient:
                product = " * ".join(self.factor(f, fn) for f in factors)
                terms.append(product if coefficient == 1 else f"{coefficient} * {product}")
        if constant or not terms:
            terms.append(str(constant))
        return " + ".join(terms)

    def factor(self, factor, fn: Function) -> str:
        """A repeat index (its loop variable) or a repeat count (parenthesized if need be)."""
        text = fn.env[factor] if isinstance(factor, str) else self.value(factor, fn)
        return text if text.isdigit() or text.isidentifier() else f"({text})"

    # --- paths --------------------------------------------------------------------------------

    def path(self, items: list, source: str, target: str, fn: Function, prefix: list):
        """Emit `items` reading `source`; returns the variable that holds the result (or,
        for a path that ends in a split, the variables of the split's branches)."""
        current = source
        for item in items:
            if item.condition is False:  # `if: false`: never there
                continue
            # $in_height, $in_width, $in_channels: the shape of what the item receives
            received = fn.tensors[item.source.name] if getattr(item, "source", None) else current
            fn.env = {**fn.env, **{n: f"{received}.shape[{i}]" for n, i in SHAPE_INDEX.items()}}
            if isinstance(item, MergeUse) and item.is_split:  # one variable per branch
                return self._branch_ends(item, current, fn, prefix)
            if isinstance(item, FromUse) and item.condition is None:
                current = fn.tensors[item.source.name]
                continue
            if item.condition is None:
                current = self._item(item, current, target, fn, prefix)
                continue
            if current != target and not isinstance(item, SideUse):
                fn.emit(f"{target} = {current}")  # what the path holds when it does not hold
                current = target
            with self._guard(item.condition, fn):
                current = self._item(item, current, target, fn, prefix)
        return current

    def _item(self, item, current: str, target: str, fn: Function, prefix: list) -> str:
        if isinstance(item, RepeatUse):
            return self._repeat(item, current, target, fn, prefix)
        if isinstance(item, SideUse):
            self._side(item, current, fn, prefix)
            return current
        if isinstance(item, FromUse):  # under a condition: the path may go on from there
            fn.emit(f"{target} = {fn.tensors[item.source.name]}")
            return target
        if item.source is not None:
            current = fn.tensors[item.source.name]
        name = [*prefix, *self.local_name(item.name, fn)]
        self._shape_comment(item, fn)
        if isinstance(item, MergeUse):
            self.merge(item, current, target, fn, name)
        elif isinstance(item, BlockUse) and self.signatures[item.block].outputs > 1:
            self._several_outputs(item, current, target, fn, name)
        else:
            fn.emit(f"{target} = {self.call(item, current, fn, name)}")
        if isinstance(item.name, str) and item.name in fn.referenced:
            self._bind(item.name, target, fn)
        if isinstance(item.bind, Ref) and item.bind.name in fn.referenced:
            self._bind(item.bind.name, target, fn)
        if id(item) in self.output_ids:
            self._keep_output(item, target, fn)
        return target

    def _several_outputs(self, use: BlockUse, source, target, fn: Function, name) -> None:
        """`x, p = cell(x, p, ...)`: the first output flows on; `as:` names the others."""
        refs = use.bind if isinstance(use.bind, list) else []
        targets = [target] + [fn.variables.get(ref.name, "_") for ref in refs[1:]]
        targets += ["_"] * (self.signatures[use.block].outputs - len(targets))
        fn.emit(f"{', '.join(targets)} = {self.call(use, source, fn, name)}")
        for ref, variable in zip(refs[1:], targets[1:], strict=False):
            fn.tensors[ref.name] = variable
        if refs and refs[0].name in fn.variables:
            self._bind(refs[0].name, target, fn)

    def _bind(self, tensor: str, variable: str, fn: Function) -> None:
        """Keep a named tensor in its own variable: the path's variable moves on."""
        own = fn.variables[tensor]
        if own != variable:
            fn.emit(f"{own} = {variable}")
        fn.tensors[tensor] = own

    def _guard(self, condition, fn: Function):
        """`if condition:` around what is emitted inside."""
        return self._guard_text(self.value(condition, fn), fn)

    @staticmethod
    @contextmanager
    def _guard_text(test: str, fn: Function):
        fn.emit(f"if {test}:")
        fn.depth += 1
        yield
        fn.depth -= 1

    def _keep_output(self, item, current: str, fn: Function) -> None:
        """An output keeps the variable it was written to only when nothing writes that
        variable again: the model's last item, or the last item of a side path."""
        if item is self.program.model[-1] or item is fn.side_last:
            fn.outputs[id(item)] = current
            return
        name = next(name for name, output in self.graph.output_items if output is item)
        fn.outputs[id(item)] = fn.names.add(name)
        fn.emit(f"{fn.outputs[id(item)]} = {current}")

    def _repeat(self, item: RepeatUse, source, target, fn: Function, prefix) -> str:
        count = self.value(item.count, fn)
        index = fn.names.add(item.index)
        if source != target:  # the loop carries `target` from one iteration to the next
            fn.emit(f"{target} = {source}")
            source = target
        fn.emit(f"for {index} in range({count}):")
        fn.depth += 1
        outer_env = fn.env
        fn.env = {**outer_env, item.index: index}
        body_start = len(fn.lines)
        self.path(item.body, source, target, fn, prefix)
        if len(fn.lines) == body_start:  # nothing to repeat (`seq: []`): Python needs a statement
            fn.emit("pass")
        fn.env = outer_env
        fn.depth -= 1
        fn.names.taken.discard(index)  # the next loop may use the same index
        return target

    def _side(self, item: SideUse, source, fn: Function, prefix) -> None:
        """A side path writes its own variable, named after its last item."""
        last = item.body[-1] if item.body else None
        named = isinstance(getattr(last, "name", None), str)
        variable = fn.names.add(last.name if named else "side")
        outer, fn.side_last = fn.side_last, last
        self.path(item.body, source, variable, fn, prefix)
        fn.side_last = outer

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

    def call(self, use: LayerUse | BlockUse, source: str, fn: Function, name: list) -> str:
        if isinstance(use, BlockUse):
            return self.block_call(use, source, fn, name)
        return f"{self.layer(use.op, use.values, fn, name)}({source})"

    def layer(self, op_name: str, values: dict, fn: Function, name: list) -> str:
        """`layers.Conv2D(64, 3, name=...)`, from the registry's one Keras mapping."""
        texts = {key: self.value(value, fn) for key, value in values.items()}
        call = REGISTRY[op_name].keras_call(texts)
        layer = call.class_name if call.custom else f"layers.{call.class_name}"
        keywords = [f"{keyword}={text}" for keyword, text in call.kwargs]
        return f"{layer}({', '.join([*call.args, *keywords, f'name={name_text(name)}'])})"

    def block_call(self, use: BlockUse, source: str, fn: Function, name: list) -> str:
        signature = self.signatures[use.block]
        args, keywords = [], []
        for spec_name, identifier, default in signature.args:
            if spec_name not in use.args:
                continue
            text = self.value(use.args[spec_name], fn)
            if default is REQUIRED:
                args.append(text)
            else:
                keywords.append(f"{identifier}={text}")
        keywords += [f"{identifier}={fn.env[param]}" for param, identifier in signature.globals]
        tensors = [fn.tensors[use.inputs[name].name] for name, _ in signature.inputs]
        arguments = ", ".join([source, *tensors, *args, *keywords, f"name={name_text(name)}"])
        return f"{signature.function}({arguments})"

    def merge(self, merge: MergeUse, source: str, target: str, fn: Function, name: list) -> None:
        """Emit the branches, each into a variable named like the branch, then the merge."""
        fn.live.append(Namespace(parent=fn.names))  # branch ends wait here for the merge
        outer, fn.tensors = fn.tensors, fn.tensors.new_child()  # the branches' names
        if any(branch.condition is not None for branch in merge.branches):
            inputs = self._conditional_inputs(merge, source, fn, name)
        else:
            inputs = f"[{', '.join(self._branch_ends(merge, source, fn, name))}]"
        fn.tensors = outer
        fn.live.pop()
        fn.emit(f"{target} = {self.merge_call(merge, fn, name, inputs)}")
        if merge.activation is None:
            return
        function = self.value(merge.activation, fn)
        if isinstance(merge.activation, str):
            fn.emit(self._activation(function, [*name, f".{merge.activation}"], target))
            return
        # an argument may be None, meaning no activation, as keras.applications writes it
        with self._guard_text(f"{function} is not None", fn):
            fn.emit(self._activation(function, [*name, ".", Code(function)], target))

    def merge_call(self, merge: MergeUse, fn: Function, name: list, inputs: str) -> str:
        """`layers.Add(name=...)([a, b])`, or for an operation `keras.ops.add(a, b)` (its
        deciding attributes are constants: the parser saw to it)."""
        op = REGISTRY[merge.op]
        operation = op.operation({a.name: merge.values.get(a.name, a.default) for a in op.attrs})
        if operation is None:
            return f"{self.layer(merge.op, merge.values, fn, name)}({inputs})"
        spread = inputs[1:-1] if inputs.startswith("[") else f"*{inputs}"
        return f"keras.ops.{operation}({spread})"

    def _branch_ends(self, merge: MergeUse, source: str, fn: Function, name: list) -> list[str]:
        """Emit each branch into a variable named like it; a split's variables join them."""
        ends: list[str] = []
        for branch in merge.branches:
            if branch.path and any(end != source for end in ends) and not fn.merges:
                fn.lines.append("")  # a merge's branches read as paragraphs
            ends.extend(self._branch(merge, branch, source, fn, name))
        return ends

    def _branch(self, merge: MergeUse, branch, source: str, fn: Function, name: list) -> list:
        """Emit one branch into a variable named like it; its end (or a split's ends).
        A later branch of the same merge may read it by its name."""
        outer = fn.tensors
        fn.tensors = outer.new_child()
        ends = self._branch_code(merge, branch, source, fn, name)
        fn.tensors = outer
        if len(ends) == 1:
            outer[branch.name] = ends[0]
        return ends

    def _conditional_inputs(self, merge: MergeUse, source: str, fn: Function, name: list) -> str:
        """A merge with optional branches gathers its inputs in a list, in branch order."""
        inputs = fn.live[-1].add("inputs")
        fn.emit(f"{inputs} = []")
        for branch in merge.branches:
            if branch.condition is False:
                continue
            guard = self._guard(branch.condition, fn) if branch.condition is not None else None
            with guard or nullcontext():
                for end in self._branch(merge, branch, source, fn, name):
                    fn.emit(f"{inputs}.append({end})")
        return inputs

    def _branch_code(self, merge: MergeUse, branch, source: str, fn: Function, name) -> list:
        if not branch.path:
            return [source]  # an empty path is the identity
        outer, live = fn.names, fn.live[-1]
        variable = live.add(branch.name)
        fn.names = Namespace(parent=live)
        fn.merges += 1
        # a split's branches live in the scope of the branch it ends
        prefix = [*name, branch.name, "."] if merge.is_split else [*name, f".{branch.name}."]
        end = self.path(branch.path, source, variable, fn, prefix)
        fn.merges -= 1
        fn.names = outer
        return end if isinstance(end, list) else [end]

    def sequential(self, body: list, fn: Function) -> str:
        """`keras.Sequential([layers.LayerNormalization(...), ...], name=name)`: a sequential
        block's ops (no conditions or references: lowering saw to it)."""
        prefix = [Code("name"), "."]
        made = [
            self.layer(u.op, u.values, fn, [*prefix, *self.local_name(u.name, fn)]) for u in body
        ]
        return f"keras.Sequential([{', '.join(made)}], name=name)"

    def _activation(self, function: str, name: list, target: str) -> str:
        return f"{target} = layers.Activation({function}, name={name_text(name)})({target})"

    # --- module ------------------------------------------------------------------------------

    def block_function(self, function: BlockFunction) -> dict:
        signature = self.signatures[function.name]
        names = Namespace({"x", "name"}, parent=self.module)
        names.taken.update(i for _, i, _ in signature.args)
        names.taken.update(i for _, i in signature.globals)
        names.taken.update(i for _, i in signature.inputs)
        env = {a: i for a, i, _ in signature.args} | dict(signature.globals)
        fn = Function(names, env, referenced=function.referenced)
        fn.tensors = ChainMap({"x": "x", **dict(signature.inputs)})
        self._allocate(function.body, fn)
        # the tensor flowing through the body; `x` stays the block's input when it is read
        flow = names.add("y") if "x" in function.referenced else "x"
        if function.condition is False:  # `if: false`: always the identity
            fn.emit("return x")
        elif function.condition is not None:  # the identity when the condition does not hold
            test = self.expr(function.condition.tree, fn, E.NOT_LEVEL)
            with self._guard_text(f"not {test}", fn):
                fn.emit("return x")
        if function.condition is False:
            pass
        elif isinstance(function.body, MergeUse):
            self.merge(function.body, "x", flow, fn, [Code("name")])
            fn.emit(f"return {flow}")
        elif function.sequential:
            fn.emit(f"return {self.sequential(function.body, fn)}(x)")
        else:
            result = self.path(function.body, "x", flow, fn, [Code("name"), "."])
            returned = [fn.tensors[ref.name] for ref in function.outputs] or [result]
            fn.emit(f"return {', '.join(returned)}")
        params = ["x", *(identifier for _, identifier in signature.inputs)]
        for _, identifier, default in signature.args:
            required = default is REQUIRED
            params.append(identifier if required else f"{identifier}={self.value(default, fn)}")
        params += [f"{i}={self.value(self.program.params[p], fn)}" for p, i in signature.globals]
        params.append(f"name={function.name!r}")
        return {
            "name": signature.function,
            "params": ", ".join(params),
            "doc": docstring_text(function.doc or f"The {function.name} block."),
            "body": "\n".join(fn.lines),
        }

    def model_function(self) -> dict:
        program = self.program
        names = Namespace({"inputs", "x", "input_shape"}, parent=self.module)
        env = {p: names.add(p) for p in program.params}
        fn = Function(names, env, referenced=program.referenced)
        if self.deep:
            fn.emit("# keras.Model walks the graph recursively, a Python frame per layer")
            limit = self.longest_path + 1000
            fn.emit(f"sys.setrecursionlimit(max(sys.getrecursionlimit(), {limit}))")
        # the other inputs: a variable and a shape parameter each, named after them
        more = {name: (names.add(name), names.add(f"{name}_shape")) for name in program.more_inputs}
        fn.tensors = ChainMap({program.input_name: "inputs"} | {n: v for n, (v, _) in more.items()})
        self._allocate(program.model, fn)
        if program.input_exprs:  # the input follows the params it is written with
            with self._guard_text("input_shape is None", fn):
                fn.emit(f"input_shape = {self.value(list(program.input_exprs), fn)}")
        fn.emit(f"inputs = keras.Input(shape=input_shape, name={program.input_name!r})")
        for name, (variable, shape) in more.items():
            fn.emit(f"{variable} = keras.Input(shape={shape}, name={name!r})")
        result = self.path(program.model, "inputs", "x", fn, [])
        outputs = self._outputs(fn, result)
        returned = outputs[0] if len(outputs) == 1 else f"[{', '.join(outputs)}]"
        fn.emit(f"return keras.Model({self._model_inputs(fn)}, {returned}, name={program.name!r})")
        params = [f"{env[p]}={self.value(v, fn)}" for p, v in program.params.items()]
        default = None if program.input_exprs else list(program.input)
        params.append(f"input_shape={self.value(default, fn)}")
        params += [
            f"{s}={self.value(list(program.more_inputs[n]), fn)}" for n, (_, s) in more.items()
        ]
        return {"params": ", ".join(params), "body": "\n".join(fn.lines)}

    def _outputs(self, fn: Function, result: str) -> list[str]:
        """What build_model returns. An output from inside a block (or made by a repeat) is
        read by its layer's name from the model the other outputs make."""
        items = self.graph.output_items
        direct = [fn.outputs[id(item)] for _, item in items if item is not None]
        if all(item is not None for _, item in items):
            return direct or [result]
        trunk = fn.names.add("trunk")
        trunk_outputs = ", ".join(dict.fromkeys(direct or [result]))
        fn.emit(f"{trunk} = keras.Model({self._model_inputs(fn)}, [{trunk_outputs}])")
        return [
            fn.outputs[id(item)]
            if item is not None
            else f"{trunk}.get_layer({self.graph[node].container or node!r}).output"
            for (_, item), node in zip(items, self.graph.outputs, strict=True)
        ]

    def _model_inputs(self, fn: Function) -> str:
        """What keras.Model takes: `inputs`, or the list of every input, the first first."""
        names = ["inputs", *(fn.tensors[name] for name in self.program.more_inputs)]
        return f"[{', '.join(names)}]" if len(names) > 1 else names[0]

    def _allocate(self, body, fn: Function) -> None:
        """A variable for each tensor the function reads by name (an item's name, or one
        bound with `as:`), given before anything else so no branch variable takes it."""
        needed = []
        for item in items_of(body):
            needed.append(getattr(item, "name", None))
            bind = getattr(item, "bind", None)
            needed += [ref.name for ref in (bind if isinstance(bind, list) else [bind]) if ref]
        for tensor in dict.fromkeys(needed):
            if tensor in fn.referenced and tensor not in fn.variables:
                fn.variables[tensor] = fn.names.add(tensor)

    def module_docstring(self) -> str:
        program, totals = self.program, self.arch.totals
        lines = [docstring_text(program.title) + "."]
        for text in (program.source, program.doc):
            if text:
                lines += ["", docstring_text(text)]
        outputs = ", ".join(format_shape(n.shape) for n in self.arch.outputs)
        lines += [
            "",
            f"Input: {format_shape(program.input)}; output: {outputs}.",
            f"Parameters: {totals.params:,} (trainable {totals.trainable:,}, "
            f"non-trainable {totals.non_trainable:,}).",
            f"FLOPs: {short_flops(totals.flops)} multiply-accumulates.",
            "",
            f"Generated by archgen {__version__} from {Path(program.file).name}; do not edit:",
            "change the spec and run `archgen build`.",
        ]
        return "\n".join(lines)

    def generate(self) -> str:
        blocks = [self.block_function(f) for f in self.program.blocks.values()]
        model = self.model_function()  # printing the functions tells whether math is used
        source = (
            templates()
            .get_template("module.py.j2")
            .render(
                docstring=self.module_docstring(),
                stdlib=[m for m, used in (("math", self.imports_math), ("sys", self.deep)) if used],
                custom_layers=[custom_layer_source(name) for name in self.custom],
                blocks=blocks,
                model=model,
                alias=self.module.add(self.program.name),
                spec_name=self.program.name,
            )
        )
        return ruff_format(source)


def _longest_path(graph) -> int:
    """Layers on the longest path from an input to an output (nodes are in topological order)."""
    depth: dict[str, int] = {}
    for node in graph:
        depth[node.name] = 1 + max((depth[name] for name in node.inputs), default=0)
    return max(depth.values())


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
