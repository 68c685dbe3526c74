"""Front end, second half: located YAML values -> Spec AST.

This module checks the form of a spec (which keys exist, what type each value
has); `resolve.py` checks what the names refer to; the shape passes check what
the layers compute.
"""

from __future__ import annotations

import dataclasses
import math
import re

from archgen.errors import Collector, Loc, SpecError, did_you_mean
from archgen.language.ast import (
    Arg,
    BlockDef,
    Branch,
    Call,
    From,
    Merge,
    Ref,
    Repeat,
    Side,
    Spec,
    Split,
)
from archgen.language.expr import NAME_RE, SHAPE_NAMES, Expr, Template, evaluate, parse_value
from archgen.language.yaml_loader import YList, YMap, located
from archgen.limits import MAX_NAME_LENGTH, MAX_SIZE
from archgen.ops import CONSTRUCTS as MERGES
from archgen.ops import REQUIRED, merge_op, merge_options

SPEC_VERSION = 1
TOP_LEVEL_KEYS = (
    "archgen",
    "name",
    "title",
    "source",
    "doc",
    "extends",
    "input",
    "inputs",
    "params",
    "blocks",
    "model",
    "prepend",
    "outputs",
    "constraints",
)
CONSTRUCTS = (*MERGES, "split", "repeat", "side")  # merges: the registry's (concat, add)
# Words with a meaning of their own in a path or a block: no block may take them as a name.
# Keys any item may carry beside its own (a call also among its arguments).
ITEM_OPTIONS = ("if", "from", "as")
RESERVED = {
    *CONSTRUCTS,
    *ITEM_OPTIONS,
    "seq",
    "args",
    "doc",
    "name",
    "index",
    *(option for merge in MERGES for option in merge_options(merge)),
    "activation",
    "inputs",
    "outputs",
    "sequential",
}
CONDITION_EXAMPLE = 'if: "${strides == 2}"'
NAME_CHARS = re.compile(r"[A-Za-z0-9_]*")


def expect(value, kind: type, what: str, loc: Loc, example: str):
    """`value` if it has the type a spec needs there, else a SpecError showing an example."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "a whole number",
        bool: "true or false",
    }
    raise SpecError(
        f"{what} must be {names.get(kind, kind.__name__)}, not {_kind_of(value)}",
        loc,
        hint=f"for example: {example}",
    )


def _kind_of(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text ({value!r})"
    return f"{type(value).__name__} ({value!r})"


def identifier(value, what: str, loc: Loc) -> str:
    """A name that becomes a Python identifier in generated source."""
    expect(value, str, what, loc, "conv_bn")
    if not NAME_RE.fullmatch(value) or len(value) > MAX_NAME_LENGTH:
        raise SpecError(
            f"{what} {value!r} is not a valid name",
            loc,
            hint=f"use letters, digits and _, not starting with a digit, "
            f"at most {MAX_NAME_LENGTH} characters",
        )
    if value.startswith("__"):
        raise SpecError(f"{what} {value!r} may not start with '__'", loc, hint="rename it")
    return value


def layer_name(value, loc: Loc):
    """An instance name: plain text or a template such as "mixed${9 + i}"."""
    if not isinstance(value, str):
        raise SpecError(
            f"a name must be text, not {_kind_of(value)}", loc, hint='for example: name: "mixed0"'
        )
    parsed = parse_value(value, loc)
    literal = [parsed] if isinstance(parsed, str) else getattr(parsed, "parts", None)
    if literal is None:
        raise SpecError(
            f"the name {value!r} is a whole reference",
            loc,
            hint='names are text with optional ${...} parts, such as "block${i + 1}"',
        )
    for part in literal:
        if isinstance(part, str) and not NAME_CHARS.fullmatch(part):
            raise SpecError(
                f"the name {value!r} has characters other than letters, digits and _",
                loc,
                hint="layer names use letters, digits and _ (the '.' separates scopes)",
            )
    if isinstance(parsed, str):
        return identifier(parsed, "the name", loc)
    if len(value) > MAX_NAME_LENGTH:
        raise SpecError(f"the name {value!r} is too long", loc, hint="shorten it")
    return parsed


def _own_name(name: str, loc: Loc) -> None:
    """Parameters and arguments may not take the names expressions keep for shapes."""
    if name in SHAPE_NAMES:
        raise SpecError(
            f"'{name}' is the {name.removeprefix('in_')} of the tensor an item receives",
            loc,
            hint=f"expressions read it as ${name}; give the parameter another name",
        )


def check_keys(mapping: YMap, allowed, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise SpecError(
                f"unknown key '{key}' in {what}",
                mapping.key_loc(key),
                hint=did_you_mean(key, allowed) or f"allowed here: {', '.join(allowed)}",
            )


# --- values ---------------------------------------------------------------------------------


def _item_loc(items: list, index: int, loc: Loc) -> Loc:
    """Where a list's item is: the YAML's own place for it, else the list's `loc`."""
    return items.item_loc(index) if isinstance(items, YList) else loc


def parse_arg_value(value, loc: Loc):
    """A value inside a call: numbers, text, lists, with $references anywhere."""
    if isinstance(value, list):
        return [parse_arg_value(v, _item_loc(value, i, loc)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        raise SpecError(
            "an argument value cannot be a mapping",
            loc,
            hint="arguments take numbers, text, true/false or lists",
        )
    return parse_value(value, loc)


def literal(value, what: str, loc: Loc):
    """A plain value (params, defaults): no $references, no infinity or NaN (nothing a
    layer takes, and no Python literal to write them in the generated source)."""
    if isinstance(value, dict):
        raise SpecError(f"{what} cannot be a mapping", loc)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"{what} is {value}, not a finite number", loc, hint="give a number")
    if isinstance(value, list):
        return [literal(v, what, loc) for v in value]
    if isinstance(value, str) and "$" in value:
        raise SpecError(
            f"{what} must be a plain value, not {value!r}",
            loc,
            hint="references ($name) are for arguments inside blocks and the model",
        )
    return value


def parse_condition(value, loc: Loc):
    """`if:` true, false, $name or ${expression}: evaluated where the item is used."""
    if isinstance(value, bool):
        return value
    parsed = parse_value(value, loc) if isinstance(value, str) else value
    if isinstance(parsed, Expr):
        return parsed
    raise SpecError(
        f"a condition is true, false, $name or ${{...}}, not {_kind_of(value)}",
        loc,
        hint=f"for example: {CONDITION_EXAMPLE}",
    )


def parse_input(value, loc: Loc, example: str = "[224, 224, 3]", params: bool = True) -> tuple:
    """[height, width, channels] for images, [size] for vectors; with `params`, a size may
    be `$size` or `${...}` of the spec's parameters (evaluated once they are known)."""
    expect(value, list, "input", loc, f"input: {example}")
    sizes = [
        parse_value(n, _item_loc(value, i, loc)) if params and isinstance(n, str) else n
        for i, n in enumerate(value)
    ]
    if len(sizes) not in (1, 3) or not all(isinstance(n, Expr) or _is_size(n) for n in sizes):
        raise SpecError(
            "input must be [height, width, channels] (or [size] for a vector) of whole "
            f"numbers from 1 to {MAX_SIZE:,}, not {list(value)}",
            loc,
            hint=f"input: {example}" + (" (or $size)" if params else ""),
        )
    return tuple(sizes)


def _is_size(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_SIZE


def evaluate_input(spec: Spec) -> Spec:
    """The spec with its input evaluated from its params (`input: [$size, $size, 3]`);
    the sizes as written stay in `input_exprs`, for the generated source."""
    if not any(isinstance(n, Expr) for n in spec.input):
        return spec
    shape = tuple(evaluate(n, spec.params) for n in spec.input)
    if not all(_is_size(n) for n in shape):
        raise SpecError(
            f"input makes {list(shape)}, not whole numbers >= 1",
            spec.input_loc,
            hint="check the parameters it uses",
        )
    return dataclasses.replace(spec, input=shape, input_exprs=spec.input)


# --- paths and items ------------------------------------------------------------------------


def parse_path(value, loc: Loc, what: str = "a path", concat_branch: bool = False) -> list:
    """A list of items; a `split` may only end a branch of a concat."""
    if value is None:
        return []
    expect(value, list, what, loc, "[conv2d: {filters: 32, kernel: 3}, relu]")
    items, collect = [], Collector()
    for index, item in enumerate(value):
        with collect:
            items.append(parse_item(item, _item_loc(value, index, loc)))
            if isinstance(items[-1], Split) and (not concat_branch or index != len(value) - 1):
                raise SpecError(
                    "'split' can only be the last item of a concat branch",
                    items[-1].loc,
                    hint="its branches become separate inputs of that concat; "
                    "elsewhere, use 'concat' to join them",
                )
    collect.raise_any()
    return items


def parse_item(value, loc: Loc):
    if isinstance(value, str):
        return Call(identifier(value, "an op or block", loc), {}, {}, None, loc)
    if not isinstance(value, dict) or not value:
        raise SpecError(
            f"a path item must be an op or block, not {_kind_of(value)}",
            loc,
            hint="for example: - conv2d: {filters: 32, kernel: 3}   or   - relu",
        )
    constructs = [k for k in value if k in CONSTRUCTS]
    if len(constructs) > 1:
        raise SpecError(
            f"one item cannot be both '{constructs[0]}' and '{constructs[1]}'",
            value.key_loc(constructs[1]),
            hint="start a new list item with '-'",
        )
    if constructs == ["repeat"]:
        return parse_repeat(value, loc)
    if constructs == ["side"]:
        check_keys(value, ("side", "if"), "a side path")
        body = parse_path(value["side"], value.value_loc("side"), "side")
        return Side(body, loc, _condition_of(value))
    if constructs:
        return parse_merge(value, constructs[0], loc)
    keys = [key for key in value if key not in ITEM_OPTIONS]  # options stand beside it
    if not keys and "from" in value:
        check_keys(value, ("from", "if"), "a `from:` item")
        return From(_reference(value, "from"), loc, _condition_of(value))
    if len(keys) != 1:
        raise SpecError(
            f"a path item names one op or block; this one has {len(keys)} keys: {', '.join(keys)}",
            value.key_loc(keys[1] if keys else next(iter(value))),
            hint="indent the arguments under the op, or start a new item with '-'",
        )
    (target,) = keys
    call = parse_call(target, value[target], value.key_loc(target), value.value_loc(target))
    for key in ITEM_OPTIONS:
        if key in value:
            if getattr(call, OPTION_FIELDS[key]) is not None:
                raise SpecError(
                    f"'{target}' has '{key}' twice", value.key_loc(key), hint=f"keep one '{key}:'"
                )
            setattr(call, OPTION_FIELDS[key], _option(value, key))
    return call


OPTION_FIELDS = {"if": "condition", "from": "source", "as": "bind"}


def _item_options(mapping: YMap) -> dict:
    return {OPTION_FIELDS[key]: _option(mapping, key) for key in ITEM_OPTIONS if key in mapping}


def _option(mapping: YMap, key: str):
    if key == "if":
        return _condition_of(mapping)
    if key == "from":
        return _reference(mapping, "from")
    return _binding(mapping)


def _reference(mapping: YMap, key: str) -> Ref:
    """A tensor's name: an earlier named item, a name bound with `as:`, or a block input."""
    return _tensor_ref(mapping[key], mapping.value_loc(key))


def _binding(mapping: YMap):
    """`as: p`, or for a block with several outputs `as: [_, p]` (`_` keeps none)."""
    value, loc = mapping["as"], mapping.value_loc("as")
    if isinstance(value, list):
        return [_tensor_ref(v, _item_loc(value, i, loc)) for i, v in enumerate(value)]
    return _tensor_ref(value, loc)


def _tensor_ref(name, loc: Loc, what: str = "a tensor name") -> Ref:
    return Ref(identifier(name, what, loc), loc)


def parse_call(target: str, args, loc: Loc, args_loc: Loc) -> Call:
    identifier(target, "an op or block", loc)
    if args is None:
        args = located({}, args_loc)
    if not isinstance(args, dict):
        raise SpecError(
            f"the arguments of '{target}' must be a mapping, not {_kind_of(args)}",
            args_loc,
            hint=f"for example: {target}: {{filters: 64}}",
        )
    values, locs, key_locs, name = {}, {}, {}, None
    for key, value in args.items():
        key_locs[key] = args.key_loc(key)
        if key in ITEM_OPTIONS:
            continue
        identifier(key, "an argument", key_locs[key])
        if key == "name":
            name = layer_name(value, args.value_loc(key))
            continue
        values[key] = parse_arg_value(value, args.value_loc(key))
        locs[key] = args.value_loc(key)
    return Call(target, values, locs, name, loc, key_locs, **_item_options(args))


def _condition_of(mapping: YMap):
    return parse_condition(mapping["if"], mapping.value_loc("if")) if "if" in mapping else None


MERGE_KEYS = {
    **{
        merge: (merge, "name", *merge_options(merge), "activation", *ITEM_OPTIONS)
        for merge in MERGES
    },
    "split": ("split",),  # no layer of its own: its branches feed the enclosing concat
}


def parse_merge(value: YMap, op: str, loc: Loc) -> Merge | Split:
    check_keys(value, MERGE_KEYS[op], f"'{op}'")
    branches_value = value[op]
    example = f"{op}: {{branch_a: [...], branch_b: [...]}}"
    expect(branches_value, dict, f"the branches of '{op}'", value.value_loc(op), example)
    branches = []
    for name, path in branches_value.items():
        key_loc = branches_value.key_loc(name)
        identifier(name, "a branch name", key_loc)
        branches.append(_parse_branch(name, path, key_loc, branches_value.value_loc(name), op))
    if len(branches) < 2:
        raise SpecError(
            f"'{op}' needs at least two branches, found {len(branches)}",
            value.value_loc(op),
            hint=example,
        )
    if op == "split":
        return Split(branches, loc)
    made = merge_op(op, value)  # add: with scale: is scaled_add, which takes two
    if made.arity is not None and len(branches) != made.arity:
        raise SpecError(
            f"'{op}' with {', '.join(merge_options(op))} is {made.name}, which takes exactly "
            f"{made.arity} branches, not {len(branches)}",
            value.value_loc(op),
            hint=made.help,
        )
    name = layer_name(value["name"], value.value_loc("name")) if "name" in value else None
    options = {
        k: parse_arg_value(value[k], value.value_loc(k))
        for k in (*merge_options(op), "activation")
        if k in value
    }
    _check_merge_options(made, op, options, value)
    activation = options.pop("activation", None)
    return Merge(
        op,
        branches,
        name,
        loc,
        values=options,
        activation=activation,
        option_locs={k: value.value_loc(k) for k in value if k not in (op, "name")},
        **_item_options(value),
    )


def _check_merge_options(made, op: str, options: dict, value: YMap) -> None:
    """Every option given is an attribute of the op they make together, and one the code
    depends on (add's `layer`) is a constant."""
    for key in options:
        attr = made.attr(key)
        if attr is None and key != "activation":
            given = [k for k in options if made.attr(k) is not None]
            raise SpecError(
                f"'{op}' with {', '.join(given)} is {made.name}, which takes no '{key}'",
                value.key_loc(key),
                hint=f"{made.name}: {made.help}",
            )
        if attr is not None and attr.constant and isinstance(options[key], (Expr, Template)):
            raise SpecError(
                f"'{op}' '{key}' must be written as a value, not {value[key]!r}",
                value.value_loc(key),
                hint=f"'{key}' decides what code is generated, so no parameter may set it",
            )


def _parse_branch(name: str, value, key_loc: Loc, loc: Loc, op: str) -> Branch:
    """A branch: a path, or `{if: ..., seq: [...]}` for one that exists only when it holds."""
    concat_branch = op != "add"
    if not isinstance(value, dict) or op == "split":  # a split's inputs are all or none
        return Branch(name, parse_path(value, loc, "a branch", concat_branch), key_loc)
    check_keys(value, ("if", "seq"), f"branch '{name}'")
    if "if" not in value:
        raise SpecError(
            f"branch '{name}' is a mapping without 'if'",
            loc,
            hint=f"a branch is a path [...], or {{{CONDITION_EXAMPLE}, seq: [...]}}",
        )
    path = parse_path(value.get("seq"), value.value_loc("seq"), "a branch", concat_branch)
    return Branch(name, path, key_loc, _condition_of(value))


def parse_repeat(value: YMap, loc: Loc) -> Repeat:
    check_keys(value, ("repeat", "seq", "index", "if"), "'repeat'")
    if "seq" not in value:
        raise SpecError(
            "'repeat' needs a 'seq' to repeat",
            loc,
            hint="- repeat: 3\n    seq: [conv_bn: {filters: 64, kernel: 3}]",
        )
    count = parse_arg_value(value["repeat"], value.value_loc("repeat"))
    if not isinstance(count, (int, Expr)) or isinstance(count, bool):  # the lowering counts
        raise SpecError(
            f"repeat takes a whole number >= 0, not {count!r}",
            value.value_loc("repeat"),
            hint="- repeat: 3, or a parameter: - repeat: $blocks",
        )
    index = identifier(value.get("index", "i"), "a repeat index", value.value_loc("index"))
    body = parse_path(value["seq"], value.value_loc("seq"), "seq")
    return Repeat(count, index, body, loc, _condition_of(value))


# --- blocks ---------------------------------------------------------------------------------


def parse_block(name: str, value, loc: Loc, value_loc: Loc) -> BlockDef:
    identifier(name, "a block name", loc)
    if name in RESERVED:
        raise SpecError(f"'{name}' is a keyword of the spec language", loc, hint="rename the block")
    expect(value, dict, f"block '{name}'", value_loc, "{args: {filters: required}, seq: [...]}")
    args = {}
    if "args" in value:
        arg_map = expect(value["args"], dict, "args", value.value_loc("args"), "{filters: 64}")
        for arg, default in arg_map.items():
            arg_loc = arg_map.key_loc(arg)
            _own_name(identifier(arg, "an argument name", arg_loc), arg_loc)
            if arg == "name":
                raise SpecError(
                    "'name' cannot be an argument name",
                    arg_loc,
                    hint="every use of a block takes `name:` already: it names the instance",
                )
            default = REQUIRED if default == "required" else default
            if default is not REQUIRED:
                default = literal(default, "a default", arg_map.value_loc(arg))
            args[arg] = Arg(arg, default, arg_loc)
    doc = value.get("doc")
    if doc is not None:
        expect(doc, str, "doc", value.value_loc("doc"), "doc: what the block does")
    inputs = _tensor_names(value, "inputs", args) if "inputs" in value else []
    outputs = _tensor_names(value, "outputs", {}) if "outputs" in value else []
    head = ("args", "doc", "if", "inputs", "outputs", "sequential")
    body_keys = [k for k in value if k not in head]
    sequential = _sequential(value, body_keys)
    if "seq" in body_keys:
        check_keys(value, (*head, "seq"), f"block '{name}' (a seq block)")
        body = parse_path(value["seq"], value.value_loc("seq"), "seq")
    elif "concat" in body_keys or "add" in body_keys:
        # located at the merge key, not at the block's first key (`doc:`, `args:`)
        merge_loc = value.key_loc("concat" if "concat" in body_keys else "add")
        rest = located({k: value[k] for k in body_keys}, merge_loc)
        rest.key_locs = {k: value.key_loc(k) for k in body_keys}
        rest.value_locs = {k: value.value_loc(k) for k in body_keys}
        body = parse_item(rest, merge_loc)
        for key in ("name", "as", "outputs"):
            if key in value:
                raise SpecError(
                    f"a block whose body is a merge takes no '{key}'",
                    value.key_loc(key),
                    hint="name and bind it where the block is used: my_block: {name: ..., as: ...}"
                    if key != "outputs"
                    else "write the body as a seq to return several tensors",
                )
    else:
        raise SpecError(
            f"block '{name}' has no body",
            loc,
            hint="give it a 'seq: [...]', a 'concat: {...}' or an 'add: {...}'",
        )
    return BlockDef(name, args, body, doc, loc, _condition_of(value), inputs, outputs, sequential)


def _sequential(value: YMap, body_keys: list) -> bool:
    """`sequential: true`: the block is one keras.Sequential of the ops its seq lists."""
    if "sequential" not in value:
        return False
    loc = value.value_loc("sequential")
    flag = expect(value["sequential"], bool, "sequential", loc, "sequential: true")
    for key in ("inputs", "outputs"):
        if flag and key in value:
            raise SpecError(
                f"a sequential block takes no '{key}'",
                value.key_loc(key),
                hint="a keras.Sequential takes one tensor and returns one",
            )
    if flag and "seq" not in body_keys:
        raise SpecError(
            "a sequential block needs a 'seq' body",
            loc,
            hint="a keras.Sequential is a path of layers: seq: [layer_norm, conv2d: {...}]",
        )
    return flag


def _tensor_names(block: YMap, key: str, args: dict) -> list[Ref]:
    """A block's `inputs: [skip]` (tensors it takes besides x) or `outputs: [y, x]`."""
    value = expect(block[key], list, key, block.value_loc(key), f"{key}: [skip]")
    refs, seen = [], set()
    for index, name in enumerate(value):
        ref = _tensor_ref(name, _item_loc(value, index, block.value_loc(key)), f"a name in {key}")
        if key == "inputs" and (name == "x" or name in args):
            raise SpecError(
                f"the input '{name}' has the name of "
                + ("the tensor that flows in" if name == "x" else "an argument"),
                ref.loc,
                hint="give the input a name of its own",
            )
        if name in seen:
            raise SpecError(f"'{name}' is in {key} twice", ref.loc, hint="list it once")
        seen.add(name)
        refs.append(ref)
    return refs


# --- the whole document ---------------------------------------------------------------------


def parse_spec(doc, file: str, base: Spec | None = None) -> Spec:
    """Build the Spec AST of one file; `base` is the spec it extends, if any."""
    doc_loc = Loc(file, 1, 1)
    expect(doc, dict, "a spec", getattr(doc, "loc", doc_loc), "archgen: 1")
    check_keys(doc, TOP_LEVEL_KEYS, "the spec")
    version = doc.get("archgen")
    if version is True or version != SPEC_VERSION:  # true == 1 in Python, not in a spec
        raise SpecError(
            "missing 'archgen: 1'" if version is None else f"unknown spec version {version!r}",
            doc.value_loc("archgen") if "archgen" in doc else doc.loc,
            hint="a spec starts with 'archgen: 1'",
        )
    for key in ("name", "input", "model"):
        if key not in doc and base is None and not (key == "input" and "inputs" in doc):
            raise SpecError(f"the spec has no '{key}'", doc.loc, hint=_REQUIRED_HINTS[key])
    if "input" in doc and "inputs" in doc:
        raise SpecError(
            "a spec has 'input' or 'inputs', not both",
            doc.key_loc("inputs"),
            hint="inputs: {image: [224, 224, 3], mask: [224, 224, 1]} names several",
        )
    if "prepend" in doc and base is None:
        raise SpecError(
            "'prepend' adds layers in front of a model that the spec extends",
            doc.key_loc("prepend"),
            hint="put the layers at the start of 'model', or add 'extends: base.yaml'",
        )

    def text(key: str, default):
        if key not in doc:
            return default
        return expect(doc[key], str, key, doc.value_loc(key), f"{key}: some text")

    name = (
        identifier(doc["name"], "the spec name", doc.value_loc("name")) if "name" in doc else None
    )
    params, param_locs = _parse_params(doc, base)
    blocks = dict(base.blocks) if base else {}
    if "blocks" in doc:
        block_map = expect(doc["blocks"], dict, "blocks", doc.value_loc("blocks"), "{conv_bn: ...}")
        collect = Collector()
        for block, body in block_map.items():
            with collect:
                blocks[block] = parse_block(
                    block, body, block_map.key_loc(block), block_map.value_loc(block)
                )
        with collect:
            model = _parse_model(doc)
        collect.raise_any()
    else:
        model = _parse_model(doc)
    if model is None:
        model = list(base.model)
    if "prepend" in doc:
        model = parse_path(doc["prepend"], doc.value_loc("prepend"), "prepend") + model
    if not model:
        raise SpecError("the model is empty", doc.value_loc("model"), hint=_REQUIRED_HINTS["model"])

    return Spec(
        file=file,
        name=name or base.name,
        title=text("title", name or base.title),
        source=text("source", base.source if base else None),
        doc=text("doc", None),
        **_parse_inputs(doc, base),
        params=params,
        param_locs=param_locs,
        blocks=blocks,
        model=model,
        outputs=_parse_outputs(doc) if "outputs" in doc else (base.outputs if base else []),
        loc=doc.loc,
        extends=base.file if base else None,
        constraints=_parse_constraints(doc, base),
        name_loc=doc.value_loc("name") if "name" in doc else base.name_loc,
    )


def _parse_inputs(doc: YMap, base: Spec | None) -> dict:
    """`input: [224, 224, 3]`, or several named: `inputs: {image: [...], mask: [...]}`
    (the model's path starts from the first; the others are read by name)."""
    if "input" in doc:
        return {
            "input": parse_input(doc["input"], doc.value_loc("input")),
            "input_loc": doc.value_loc("input"),
        }
    if "inputs" not in doc:
        keep = ("input", "input_loc", "input_name", "more_inputs")
        return {key: getattr(base, key) for key in keep}
    example = "inputs: {image: [224, 224, 3], mask: [224, 224, 1]}"
    mapping = expect(doc["inputs"], dict, "inputs", doc.value_loc("inputs"), example)
    if not mapping:
        raise SpecError("'inputs' names no input", doc.value_loc("inputs"), hint=example)
    shapes = {}
    for name, shape in mapping.items():
        identifier(name, "an input name", mapping.key_loc(name))
        loc = mapping.value_loc(name)
        shapes[name] = (parse_input(shape, loc, params=not shapes), loc)
    (first, (shape, loc)), *others = shapes.items()
    return {"input": shape, "input_loc": loc, "input_name": first, "more_inputs": dict(others)}


def _parse_model(doc: YMap) -> list | None:
    return parse_path(doc["model"], doc.value_loc("model"), "model") if "model" in doc else None


_REQUIRED_HINTS = {
    "name": "name: my_network",
    "input": "input: [224, 224, 3]",
    "model": "model: [conv2d: {filters: 32, kernel: 3}, relu, global_avg_pool, dense: {units: 10}]",
}


def _parse_params(doc: YMap, base: Spec | None):
    params = dict(base.params) if base else {}
    locs = dict(base.param_locs) if base else {}
    if "params" in doc:
        mapping = expect(doc["params"], dict, "params", doc.value_loc("params"), "{classes: 1000}")
        for key, value in mapping.items():
            _own_name(
                identifier(key, "a parameter name", mapping.key_loc(key)), mapping.key_loc(key)
            )
            params[key] = literal(value, f"parameter '{key}'", mapping.value_loc(key))
            locs[key] = mapping.value_loc(key)
    return params, locs


def _parse_constraints(doc: YMap, base: Spec | None) -> dict:
    """`constraints: {depth_is_6n_plus_4: "${(depth - 4) % 6 == 0}"}`: each name says what
    the params must satisfy; a variant adds to its base's (or replaces one by name)."""
    constraints = dict(base.constraints) if base else {}
    if "constraints" not in doc:
        return constraints
    example = 'constraints: {positive_width: "${width > 0}"}'
    mapping = expect(doc["constraints"], dict, "constraints", doc.value_loc("constraints"), example)
    for name, value in mapping.items():
        identifier(name, "a constraint name", mapping.key_loc(name))
        loc = mapping.value_loc(name)
        constraints[name] = (parse_condition(value, loc), loc)
    return constraints


def _parse_outputs(doc: YMap) -> list[tuple[str, Loc]]:
    value, loc = doc["outputs"], doc.value_loc("outputs")
    if isinstance(value, str):
        return [(value, loc)]
    expect(value, list, "outputs", loc, "outputs: [predictions, aux1]")
    locs = value.item_locs
    return [
        (expect(v, str, "an output", locs[i], "predictions"), locs[i]) for i, v in enumerate(value)
    ]
