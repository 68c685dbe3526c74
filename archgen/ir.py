"""The Graph IR: one node per layer, with its networkx DiGraph view.

Nodes are added in topological order (every input before its consumers), which
is the order the passes walk and the order of the layer list in reports.
A node's name is its scope path joined with '.', such as
`mixed5.branch7x7dbl.conv_bn_2.conv2d`; it is also the Keras layer name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from archgen.errors import Loc, SpecError

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
    # filled in by the passes
    shape: tuple | None = None
    trainable: int = 0
    non_trainable: int = 0
    flops: int = 0
    extra: dict = field(default_factory=dict)

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


class Graph:
    """The layers of one model, in order, with their dataflow edges.

    Nodes live in an insertion-ordered dict (topological order); `dag` is the
    same graph as a networkx DiGraph, built on first use so that checking a spec
    does not pay networkx's import time.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.outputs: list[str] = []
        # what each scope is: a block name, "concat", "add" or "branch"
        self.scope_kinds: dict[tuple, str] = {}
        # id of a model item in the Spec AST -> (its name, its output layer), once per
        # repeat iteration; the source generator's shape comments come from here
        self.item_outputs: dict[int, list[tuple[str, str]]] = {}

    def add(self, node: Node) -> str:
        if node.name in self.nodes:
            first = self.nodes[node.name]
            raise node.error(
                f"two layers are named '{node.name}' (the first at line {first.loc.line})",
                hint="give one of them another name: layer names must be unique",
            )
        self.nodes[node.name] = node
        self.__dict__.pop("dag", None)
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

    def consumers(self, name: str) -> list[str]:
        return list(self.dag.successors(name))
