"""Summaries of a checked architecture: a JSON-ready dict and a hierarchical table."""

from __future__ import annotations

from dataclasses import dataclass

from archgen.ir import Node
from archgen.ops import REGISTRY
from archgen.ops.base import format_shape


def _inputs(arch) -> list[dict]:
    """A model with several inputs: each one's name and shape, the first first."""
    return [{"name": n.name, "shape": list(n.shape)} for n in arch.graph if n.op == "input"]


def summary_dict(arch) -> dict:
    totals = arch.totals
    return {
        "name": arch.name,
        "title": arch.spec.title,
        "source": arch.spec.source,
        "input_shape": list(arch.spec.input),
        **({"inputs": _inputs(arch)} if arch.spec.more_inputs else {}),
        "outputs": [{"name": n.name, "shape": list(n.shape)} for n in arch.outputs],
        "params": {
            "total": totals.params,
            "trainable": totals.trainable,
            "non_trainable": totals.non_trainable,
        },
        "flops": totals.flops,
        "flops_convention": "multiply-accumulates of convolutions and dense layers",
        "min_input": arch.min_input,
        "blocks": [_group_dict(g) for g in groups(arch.layers, arch.graph.regions)],
        # in keras.Model.layers order, which is also the order of the weights
        "layers": [_layer_dict(arch.graph, name) for name in arch.keras_order],
    }


def _layer_dict(graph, name: str) -> dict:
    """One layer as keras.Model.layers lists it, with its Keras class: an IR node, or a
    keras.Sequential (a sequential block's instance) with the layers inside it."""
    inside = graph.containers.get(name)
    if inside is None:
        return _node_dict(graph[name])
    scope = inside[0].scope[:-1]
    return {
        "name": name,
        "class": "Sequential",
        "op": "sequential",
        "scope": list(scope),
        "output_shape": list(inside[-1].shape),
        "params": sum(n.params for n in inside),
        "trainable": sum(n.trainable for n in inside),
        "flops": sum(n.flops for n in inside),
        "line": graph.regions[scope].loc.line,  # where the block is used
        "layers": [_node_dict(n) for n in inside],
    }


def _node_dict(n: Node) -> dict:
    return {
        "name": n.name,
        "class": REGISTRY[n.op].keras_class,
        "op": n.op,
        "scope": list(n.scope),
        "output_shape": list(n.shape),
        "params": n.params,
        "trainable": n.trainable,
        "flops": n.flops,
        "line": n.loc.line,
    }


@dataclass
class Group:
    """Consecutive layers that share a scope prefix: a block instance, or one layer."""

    key: tuple
    nodes: list[Node]
    regions: dict  # the graph's scope tree: scope -> Region

    @property
    def name(self) -> str:
        return ".".join(self.key)

    @property
    def is_layer(self) -> bool:
        return len(self.nodes) == 1 and self.nodes[0].scope == self.key

    @property
    def kind(self) -> str:
        if self.is_layer:
            return self.nodes[0].op
        region = self.regions.get(self.key)
        return region.kind if region is not None else "block"

    @property
    def shape(self) -> tuple:
        return self.nodes[-1].shape

    @property
    def params(self) -> int:
        return sum(n.params for n in self.nodes)

    @property
    def flops(self) -> int:
        return sum(n.flops for n in self.nodes)


def groups(nodes: list[Node], regions: dict, level: int = 0) -> list[Group]:
    """Split `nodes` into runs sharing their first `level + 1` scope components."""
    out: list[Group] = []
    for node in nodes:
        key = node.scope[: level + 1]
        if out and out[-1].key == key:
            out[-1].nodes.append(node)
        else:
            out.append(Group(key, [node], regions))
    return out


def _group_dict(group: Group) -> dict:
    return {
        "name": group.name,
        "kind": group.kind,
        "output_shape": list(group.shape),
        "params": group.params,
        "flops": group.flops,
        "layers": len(group.nodes),
    }


def summary_table(arch, depth: int = 1) -> str:
    """A table of blocks (depth 1), their parts (depth 2, ...) or every layer (depth 0)."""
    rows = [("name", "kind", "output shape", "params", "FLOPs")]

    def emit(nodes: list[Node], level: int) -> None:
        for group in groups(nodes, arch.graph.regions, level):
            rows.append(
                (
                    "  " * level + group.key[-1],
                    group.kind,
                    format_shape(group.shape),
                    f"{group.params:,}",
                    short_flops(group.flops),
                )
            )
            if not group.is_layer and (depth == 0 or level + 1 < depth):
                emit(group.nodes, level + 1)

    emit(arch.layers, 0)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    totals = arch.totals
    lines += [
        "-" * len(lines[0]),
        f"{arch.spec.title}: "
        + ", ".join(
            f"input {n.name + ' ' if arch.spec.more_inputs else ''}{format_shape(n.shape)}"
            for n in arch.graph
            if n.op == "input"
        )
        + ", "
        f"outputs {', '.join(format_shape(n.shape) for n in arch.outputs)}",
        f"params: {totals.params:,} (trainable {totals.trainable:,}, "
        f"non-trainable {totals.non_trainable:,})",
        f"FLOPs: {short_flops(totals.flops)} multiply-accumulates; layers: {len(arch.graph)}",
    ]
    return "\n".join(lines)


def short_flops(flops: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if flops >= size:
            return f"{flops / size:.2f} {unit}"
    return str(flops)
