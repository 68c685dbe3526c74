"""The Spec AST: what a spec file says, before blocks are expanded.

Values inside may still hold Expr/Template objects (see expr.py); they are
evaluated when the spec is expanded into the Graph IR. Every node keeps the
location it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archgen.errors import Loc
from archgen.ops import REQUIRED


@dataclass(frozen=True)
class Ref:
    """A tensor named where it is used (`from: enc4`, `as: p`, a block's tensor input)."""

    name: str
    loc: Loc


@dataclass
class Call:
    """`conv_bn: {filters: 64, kernel: 1}`: an op or a block, with its arguments."""

    target: str
    args: dict  # argument name -> parsed value
    arg_locs: dict  # argument name -> Loc of the value
    name: object  # str, Template, or None (named automatically)
    loc: Loc
    key_locs: dict = field(default_factory=dict)  # argument name -> Loc of the key
    condition: object = None  # `if:` the item exists only when it holds
    source: Ref | None = None  # `from:` the tensor it reads, instead of the path's
    bind: object = None  # `as:` a Ref (or, for a block with several outputs, a list)

    @property
    def kind(self) -> str:
        return self.target


@dataclass
class Branch:
    name: str
    path: list  # of items; an empty path is the identity (for add)
    loc: Loc
    condition: object = None  # `{if: ..., seq: [...]}`: the branch exists only when it holds


@dataclass
class Merge:
    """A merge construct (`concat:`, `add:`: the registry's merge ops) of named, ordered
    branches, each a path from the same input."""

    op: str  # the construct's keyword: "concat", "add"
    branches: list[Branch]
    name: object
    loc: Loc
    values: dict = field(default_factory=dict)  # the merge op's attributes (add's scale)
    activation: object = None  # an activation after the merge
    option_locs: dict = field(default_factory=dict)
    condition: object = None
    source: Ref | None = None
    bind: object = None

    @property
    def kind(self) -> str:
        return self.op


@dataclass
class From:
    """`- from: enc4`: the path goes on from an earlier tensor."""

    source: Ref
    loc: Loc
    condition: object = None

    @property
    def kind(self) -> str:
        return "from"


@dataclass
class Split:
    """`split:` as the last item of a concat branch: its branches, each a path from the
    same tensor, become separate inputs of that concat (seed 001's six-input concat)."""

    branches: list[Branch]
    loc: Loc

    @property
    def kind(self) -> str:
        return "split"


@dataclass
class Repeat:
    """`repeat: 3` with `seq: [...]`: the path repeated, with a loop index."""

    count: object
    index: str
    body: list
    loc: Loc
    condition: object = None


@dataclass
class Side:
    """`side: [...]`: a path that starts from the current tensor and leaves it
    unchanged (an auxiliary head); its named items are taps for `outputs:`."""

    body: list
    loc: Loc
    condition: object = None


@dataclass
class Arg:
    name: str
    default: object  # REQUIRED or a value
    loc: Loc

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass
class BlockDef:
    """A parametric block: a function of its args, in the generated source too."""

    name: str
    args: dict[str, Arg]
    body: object  # a path (list of items) or one Merge
    doc: str | None
    loc: Loc
    condition: object = None  # `if:` every use is the identity when it does not hold
    inputs: list = field(default_factory=list)  # tensors it takes besides x: [Ref]
    outputs: list = field(default_factory=list)  # [Ref]; empty: the body's result
    sequential: bool = False  # built as one keras.Sequential of its layers (a seq of ops)


@dataclass
class Spec:
    file: str
    name: str
    title: str
    source: str | None
    doc: str | None
    input: tuple[int, ...]
    input_loc: Loc
    params: dict  # name -> value
    param_locs: dict  # name -> Loc
    blocks: dict[str, BlockDef]
    model: list
    outputs: list[tuple[str, Loc]]  # empty: the end of the model
    loc: Loc
    extends: str | None = None  # the file this spec extends, if any
    # what the params must satisfy: name (it says why) -> (condition, Loc)
    constraints: dict = field(default_factory=dict)
    input_exprs: tuple | None = None  # the input as written, when it uses params
    # `inputs: {image: [...], mask: [...]}`: the first is `input` (named input_name),
    # the others name -> shape; each a tensor the model can read by name
    name_loc: Loc | None = None  # where `name:` is (or the base's, for a variant without one)
    input_name: str = "input"
    more_inputs: dict = field(default_factory=dict)


class Visitor:
    """One walk over the AST: `visit(item)` calls the method named after the item's class
    (visit_Call, visit_Merge, visit_Split, visit_Repeat, visit_Side). A class without a
    method raises, so a pass that forgets a construct fails loudly, not silently."""

    def visit(self, item, *args):
        method = getattr(self, f"visit_{type(item).__name__}", None)
        if method is None:
            raise NotImplementedError(f"{type(self).__name__} has no visit_{type(item).__name__}")
        return method(item, *args)


def items_in(body) -> list:
    """Every item of a block body or path, in spec order, through branches, repeats and
    side paths (not into the blocks that calls name)."""
    found: list = []
    stack = list(reversed(body)) if isinstance(body, list) else [body]
    while stack:
        item = stack.pop()
        found.append(item)
        if isinstance(item, (Merge, Split)):
            for branch in reversed(item.branches):
                stack.extend(reversed(branch.path))
        elif isinstance(item, (Repeat, Side)):
            stack.extend(reversed(item.body))
    return found


def item_values(item) -> list:
    """The values of one item that may hold $names (not those of the items inside it)."""
    if isinstance(item, Call):
        return [item.name, item.condition, *item.args.values()]
    if isinstance(item, Merge):
        branches = [b.condition for b in item.branches]
        values = item.values.values()
        return [item.name, *values, item.activation, item.condition, *branches]
    if isinstance(item, Split):
        return [b.condition for b in item.branches]
    if isinstance(item, Repeat):
        return [item.count, item.condition]
    if isinstance(item, Side):
        return [item.condition]
    return []
