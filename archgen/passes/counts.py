"""Parameters (trainable and not) and FLOPs of every layer; needs shapes."""

from __future__ import annotations

from archgen.ir import Graph
from archgen.limits import MAX_LAYER_PARAMS
from archgen.ops import REGISTRY


def count(graph: Graph) -> None:
    for node in graph:
        op = REGISTRY[node.op]
        inputs = [graph[name].shape for name in node.inputs]
        node.trainable, node.non_trainable = op.params(node.attrs, inputs, node.shape)
        if node.params > MAX_LAYER_PARAMS:
            raise node.error(
                f"this layer has {node.params:,} parameters, more than the limit of "
                f"{MAX_LAYER_PARAMS:,}",
                hint="check its filters or units",
            )
        node.flops = op.flops(node.attrs, inputs, node.shape)
