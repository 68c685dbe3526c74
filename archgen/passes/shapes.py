"""Shape inference: the output shape of every layer, or an error at the layer that breaks."""

from __future__ import annotations

from math import prod

from archgen.errors import Collector
from archgen.ir import Graph
from archgen.limits import MAX_TENSOR_ELEMENTS
from archgen.ops import REGISTRY, ShapeError
from archgen.ops.base import format_shape


def infer_shapes(graph: Graph, hint_for_too_small=None) -> None:
    """Set `node.shape` on every node; raise SpecError at every layer that fails (a
    SpecErrors when several do). A layer after one that failed is not checked (its shape
    is unknown: None), but layers that do not depend on it are, so one run reports every
    independent problem.

    `hint_for_too_small` is called when a larger input would fix the failure; it
    returns a hint (the smallest input that works), so that the error says it.
    """
    collect = Collector()
    too_small_hint = []  # once a layer found the input too small, the others need not
    for node in graph:
        node.shape = None
        if any(graph[name].shape is None for name in node.inputs):
            continue  # after a layer that failed: its error says it all
        try:
            node.shape = shape_of(node, graph)
        except ShapeError as exc:
            hint = exc.hint
            if exc.too_small:
                if too_small_hint:
                    continue  # one cause, the input: its first error says it (with the hint)
                too_small_hint.append(hint_for_too_small() if hint_for_too_small else None)
                hint = too_small_hint[0] or hint
            message = exc.message
            if exc.shapes_text is not None:
                message = message.replace(exc.shapes_text, _named_shapes(node, graph))
            with collect:
                raise node.error(message, hint) from None
    collect.raise_any()


def _named_shapes(node, graph: Graph) -> str:
    """A merge's input shapes named by branch ("a: 6 x 6 x 4, b: 3 x 3 x 4"), so that the
    user sees which branch to fix; the layer names when the branches are not known."""
    depth = len(node.scope)
    branches = [
        scope[-1]
        for scope, region in graph.regions.items()
        if region.kind == "branch" and len(scope) == depth + 1 and scope[:depth] == node.scope
    ]
    if len(branches) != len(node.inputs):
        branches = node.inputs  # e.g. a merge whose branches come from a split
    return ", ".join(
        f"{branch}: {format_shape(graph[name].shape)}"
        for branch, name in zip(branches, node.inputs, strict=True)
    )


def shape_of(node, graph: Graph) -> tuple:
    """The node's output shape from its inputs' (which must be known); ShapeError if none.
    An input's is the shape it was declared with."""
    if node.op == "input":
        return tuple(node.attrs["shape"])
    inputs = [graph[name].shape for name in node.inputs]
    shape = REGISTRY[node.op].shape(node.attrs, inputs)
    if prod(shape) > MAX_TENSOR_ELEMENTS:
        raise ShapeError(
            f"the output ({format_shape(shape)}) has {prod(shape):,} values per example, "
            f"more than the limit of {MAX_TENSOR_ELEMENTS:,}",
            hint="check the filters and the input size",
        )
    return shape


def try_shapes(graph: Graph, input_shape: tuple, budget=None) -> bool:
    """Whether every layer accepts `input_shape` (shapes are left as they were).
    `budget` (a min_input.Budget) is charged one unit per layer evaluated."""
    saved = [node.shape for node in graph]
    try:
        for node in graph:
            if budget is not None:
                budget.spend(1)
            # the first input takes the size tried; the others keep their own shapes
            node.shape = tuple(input_shape) if node is graph.input else shape_of(node, graph)
        return True
    except ShapeError:
        return False
    finally:
        for node, shape in zip(graph, saved, strict=True):
            node.shape = shape
