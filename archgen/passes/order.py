"""The order in which Keras lists a functional model's layers (and so its weights).

keras.Model.layers is not the order layers were created in: Keras walks the
graph depth-first from the outputs (inputs in order), then sorts the layers by
their distance to the outputs, farthest first, ties broken by that walk's
pre-order (keras/src/ops/function.py, map_graph). Reproducing it lets the
summary list layers exactly as `model.layers` will, which is also the order of
`model.get_weights()`: what weight files are matched against.
"""

from __future__ import annotations

from archgen.ir import Graph


def keras_order(graph: Graph) -> list[str]:
    """Names of the layers that feed an output, in keras.Model.layers order."""
    first_seen: dict[str, int] = {}
    finished: list[str] = []  # post-order: every layer after its inputs
    for output in graph.outputs:
        if output in first_seen:
            continue
        first_seen[output] = len(first_seen)
        stack = [(output, iter(graph[output].inputs))]
        while stack:  # iterative: a 50,000-layer chain would overflow recursion
            name, pending = stack[-1]
            source = next(pending, None)
            if source is None:
                stack.pop()
                finished.append(name)
            elif source not in first_seen:
                first_seen[source] = len(first_seen)
                stack.append((source, iter(graph[source].inputs)))
    depth: dict[str, int] = {}
    for name in reversed(finished):
        here = depth.setdefault(name, 0)
        for source in graph[name].inputs:
            depth[source] = max(depth.get(source, 0), here + 1)
    return sorted(finished, key=lambda name: (-depth[name], first_seen[name]))


def unused_layers(graph: Graph, used: list[str]) -> list[str]:
    """Layers no output depends on, in spec order (Keras would silently drop them)."""
    reached = set(used)
    return [node.name for node in graph if node.name not in reached]
