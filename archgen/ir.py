"""The IR, in two views that expansion makes together.

- The **program**: the spec's structure after lowering: blocks as functions with
  their arguments, each use of an op, a block or a merge (a registry op) with its
  values as the spec writes them (numbers, or expressions of the arguments), repeats
  with their index, and the local name of every item, decided here once (a name
  pattern that counts through repeats). The source back end prints it.
- The **graph**: the program run with the spec's parameters: one node per layer, in
  topological order (every input before its consumers), with its networkx DiGraph
  view. A node's name is its scope path joined with '.', such as
  `mixed5.branch7x7dbl.conv_bn_2.conv2d`; it is also the Keras layer name. The
  passes, the runtime builder, the diagrams and the reports read it.

Both come from the same lowered items and the same name patterns, so the generated
source and the runtime model cannot disagree on what a layer is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from archgen.errors import Loc, SpecError
from archgen.language.ast import Arg, Ref
from archgen.language.expr import evaluate

SCOPE_SEPARATOR = "."


@dataclass(slots=True, eq=False)
class Node:
    name: str
    op: str
    attrs: dict
    inputs: list[str]
    scope: tuple[str, ...]
    loc: Loc  # the spec line that declares this layer
    site: Loc  # the model item it comes from (the block use, for layers inside blocks)
    # the keras.Sequential it is built inside (a sequential block's scope name), or None
    container: str | None = None
    # filled in by the passes
    shape: tuple | None = None
    trainable: int = 0
    non_trainable: int = 0
    flops: int = 0

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def scope_path(self) -> str:
        return " > ".join(self.scope)

    def error(self, message: str, hint: str | None = None) -> SpecError:
        where = self.scope_path
        if self.site != self.loc:
            where += f" (used at line {self.site.line})"
        return SpecError(message, self.loc, hint=hint, scope=where)


@dataclass(eq=False)
class RepeatRegion:
    """One run of a `repeat`: where it stands, its index and how many times it ran."""

    scope: tuple  # the path it stands in
    index: str
    count: int
    loc: Loc


@dataclass(eq=False)
class Region:
    """A scope of the graph as the spec made it: a block instance (with the arguments it
    was called with), a merge, a branch, or one layer used directly in a path."""

    kind: str  # the block's name, concat, add, branch, or the op as the spec calls it
    loc: Loc
    args: dict = field(default_factory=dict)  # a block instance's bound arguments
    # the repeat that made it and in which iteration (items directly in a repeat's body)
    repeat: tuple[RepeatRegion, int] | None = None
    output: str | None = None  # the layer whose output is the region's result


class Graph:
    """The layers of one model, in order, with their dataflow edges.

    Nodes live in an insertion-ordered dict (topological order); `dag` is the
    same graph as a networkx DiGraph, built on first use so that checking a spec
    does not pay networkx's import time.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.outputs: list[str] = []
        # the scope tree: what made each scope (a block instance, a merge, a branch...)
        self.regions: dict[tuple, Region] = {}
        self.repeats: list[RepeatRegion] = []
        # id of a model item of the program -> (its name, its output layer), once per
        # repeat iteration; the source generator's shape comments come from here
        self.item_outputs: dict[int, list[tuple[str, str]]] = {}
        self.program: Program | None = None  # what the graph was run from
        # (name, program item) for each of `outputs:`, in order; the item is None for an
        # output taken by its layer (inside a block or a branch, or made by a repeat)
        self.output_items: list = []
        # some expression read a tensor's shape: the layers depend on the input size
        self.reads_shapes = False

    def add(self, node: Node) -> str:
        if node.name in self.nodes:
            first = self.nodes[node.name]
            raise node.error(
                f"two layers are named '{node.name}' (the first at line {first.loc.line})",
                hint="give one of them another name: layer names must be unique",
            )
        self.nodes[node.name] = node
        self.__dict__.pop("dag", None)
        self.__dict__.pop("containers", None)
        return node.name

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def __contains__(self, name: str) -> bool:
        return name in self.nodes

    def __iter__(self):
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def input(self) -> Node:
        return next(iter(self.nodes.values()))

    @cached_property
    def dag(self):
        """The graph as a networkx DiGraph: nodes carry `node`, edges their input `index`."""
        import networkx as nx

        dag = nx.DiGraph()
        for node in self:
            dag.add_node(node.name, node=node)
            for index, source in enumerate(node.inputs):
                dag.add_edge(source, node.name, index=index)
        return dag

    @cached_property
    def containers(self) -> dict[str, list[Node]]:
        """Each keras.Sequential (an instance of a sequential block) and its layers, in order."""
        found: dict[str, list[Node]] = {}
        for node in self:
            if node.container is not None:
                found.setdefault(node.container, []).append(node)
        return found

    def consumers(self, name: str) -> list[str]:
        return list(self.dag.successors(name))


# --- the program ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """The number of an unnamed item in its path, as a polynomial of the repeats around it:
    `terms` pairs a product of factors with its coefficient; a factor is a repeat index
    (its name) or a repeat count that is not a constant (an expression), and () is the
    constant term. `conv_bn_{3 * i + j + 1}` is ((("i",), 3), (("j",), 1), ((), 1))."""

    terms: tuple

    def evaluate(self, env: dict) -> int:
        total = 0
        for factors, coefficient in self.terms:
            product = coefficient
            for factor in factors:
                product *= env[factor] if isinstance(factor, str) else evaluate(factor, env)
            total += product
        return total


@dataclass(frozen=True)
class AutoName:
    """The local name of an unnamed item: its kind, numbered when its path has several."""

    kind: str
    number: Number | None  # None: the only one of its kind in its path


@dataclass(eq=False)
class LayerUse:
    """A use of an op: one layer per run. `values` holds the attributes the spec sets
    (presets of shorthands included), as written: numbers, text or expressions."""

    op: str
    values: dict
    value_locs: dict  # attribute -> Loc of its value
    name: object  # str, Template or AutoName
    loc: Loc
    spelling: str  # how the spec calls it (`relu` for activation), for messages
    condition: object = None  # `if:`: an expression; the item exists only when it holds
    source: Ref | None = None  # `from:`: the tensor it reads instead of the path's
    bind: object = None  # `as:`: a Ref, or a list of Refs for a block with several outputs


@dataclass(eq=False)
class BlockUse:
    block: str
    args: dict  # argument -> value as written
    name: object
    loc: Loc
    condition: object = None
    source: Ref | None = None
    bind: object = None
    inputs: dict = field(default_factory=dict)  # the block's tensor inputs -> Ref given


@dataclass(eq=False)
class BranchDef:
    name: str
    path: list  # lowered items; empty is the identity
    loc: Loc
    condition: object = None  # the branch (and its input of the merge) exists only then


@dataclass(eq=False)
class MergeUse:
    """Branches from one input joined by a merge op of the registry (concat, add,
    scaled_add), then an optional activation. A split (op None) has no layer: its
    branch ends become inputs of the merge around it."""

    op: str | None
    spelling: str  # the construct as the spec writes it: concat, add or split
    values: dict  # the merge op's attributes as written (scale)
    branches: list[BranchDef]
    name: object  # None in a block's body: the merge takes the block's name
    loc: Loc
    activation: object = None  # a function name, an expression (may be null), or None
    option_locs: dict = field(default_factory=dict)
    condition: object = None
    source: Ref | None = None
    bind: object = None

    @property
    def is_split(self) -> bool:
        return self.op is None


@dataclass(eq=False)
class FromUse:
    """The path goes on from an earlier tensor."""

    source: Ref
    loc: Loc
    condition: object = None


@dataclass(eq=False)
class RepeatUse:
    count: object  # a number or an expression
    index: str
    body: list
    loc: Loc
    condition: object = None


@dataclass(eq=False)
class SideUse:
    """A path from the current tensor that leaves it unchanged (an auxiliary head)."""

    body: list
    loc: Loc
    condition: object = None


@dataclass(eq=False)
class BlockFunction:
    """A block, lowered: a function of its arguments (and of the model parameters it
    reads, itself or through the blocks it calls)."""

    name: str
    args: list[Arg]  # in the spec's order (the spec's own records: name, default, loc)
    globals: list[str]  # model parameters it reads
    body: object  # a list of items, or one MergeUse
    doc: str | None
    loc: Loc
    condition: object = None  # every use is the identity when it does not hold
    inputs: list[str] = field(default_factory=list)  # tensors it takes besides x
    outputs: list[Ref] = field(default_factory=list)  # what it returns (empty: its result)
    referenced: set[str] = field(default_factory=set)  # tensor names its body reads
    # the arguments its body (or its `if:`) reads: only these are evaluated where it is
    # used, so an argument the block ignores costs nothing
    reads: set[str] = field(default_factory=set)
    sequential: bool = False  # built as one keras.Sequential of its layers


@dataclass(eq=False)
class Program:
    name: str
    title: str
    source: str | None  # where the network comes from (a paper, keras.applications)
    doc: str | None
    file: str  # the spec file
    params: dict  # model parameter -> value
    input: tuple
    input_exprs: tuple | None  # the input as written, when it uses params (`$size`)
    input_name: str  # the first input's name ("input" unless `inputs:` names it)
    more_inputs: dict  # the other inputs: name -> shape
    blocks: dict[str, BlockFunction]  # the blocks the model uses, callees before callers
    model: list
    referenced: set[str] = field(default_factory=set)  # tensor names the model reads


def items_of(body) -> list:
    """Every item of a program body or path, in order, through merges, repeats and side paths
    (not into the blocks that block uses name)."""
    found, stack = [], list(reversed(body)) if isinstance(body, list) else [body]
    while stack:
        item = stack.pop()
        found.append(item)
        if isinstance(item, MergeUse):
            for branch in reversed(item.branches):
                stack.extend(reversed(branch.path))
        elif isinstance(item, (RepeatUse, SideUse)):
            stack.extend(reversed(item.body))
    return found
