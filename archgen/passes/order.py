"""The order in which Keras lists a functional model's layers (and so its weights).

keras.Model.layers is not the order layers were created in: Keras walks the
graph depth-first from the outputs (inputs in order), then sorts the operations
by their distance to the outputs, farthest first, ties broken by that walk's
pre-order (keras/src/ops/function.py, map_graph), and lists those that are
layers: an operation such as keras.ops.add (add with `layer: false`) takes its
place in the walk but is not listed. Reproducing it lets the summary list layers
exactly as `model.layers` will, which is also the order of `model.get_weights()`:
what weight files are matched against.
"""

from __future__ import annotations

from archgen.ir import Graph
from archgen.ops import REGISTRY


def keras_order(graph: Graph) -> list[str]:
    """Names of the layers that feed an output, in keras.Model.layers order. A sequential
    block's instance is one layer of the model (a keras.Sequential, named like it), which
    holds its own layers in their order."""
    unit_of = {node.name: node.container or node.name for node in graph}
    inputs_of: dict[str, list[str]] = {}  # a unit's inputs from outside it, in order
    for node in graph:
        unit = unit_of[node.name]
        inputs = inputs_of.setdefault(unit, [])
        inputs += [unit_of[source] for source in node.inputs if unit_of[source] != unit]
    first_seen: dict[str, int] = {}
    finished: list[str] = []  # post-order: every unit after its inputs
    for output in (unit_of[name] for name in graph.outputs):
        if output in first_seen:
            continue
        first_seen[output] = len(first_seen)
        stack = [(output, iter(inputs_of[output]))]
        while stack:  # iterative: a 50,000-layer chain would overflow recursion
            name, pending = stack[-1]
            source = next(pending, None)
            if source is None:
                stack.pop()
                finished.append(name)
            elif source not in first_seen:
                first_seen[source] = len(first_seen)
                stack.append((source, iter(inputs_of[source])))
    depth: dict[str, int] = {}
    for name in reversed(finished):
        here = depth.setdefault(name, 0)
        for source in inputs_of[name]:
            depth[source] = max(depth.get(source, 0), here + 1)
    ordered = sorted(finished, key=lambda name: (-depth[name], first_seen[name]))
    return [name for name in ordered if name in graph.containers or is_layer(graph[name])]


def is_layer(node) -> bool:
    """Whether Keras makes the node a layer (not an operation of keras.ops)."""
    return REGISTRY[node.op].operation(node.attrs) is None


def unused_layers(graph: Graph) -> list[str]:
    """Layers no output depends on, in spec order (Keras would silently drop them)."""
    reached, stack = set(), list(graph.outputs)
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(graph[name].inputs)
    return [node.name for node in graph if node.name not in reached]
