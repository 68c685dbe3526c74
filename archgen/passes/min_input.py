"""The square input sizes a network accepts, found by the shape rules alone.

Sizes are not monotonic in general: stride rounding can make a concat or an add
see branches of different sizes at some inputs and not others. So we scan: the
smallest size that works, then which sizes above it work, up to a bound.
"""

from __future__ import annotations

from archgen.ir import Graph
from archgen.passes.shapes import try_shapes

SCAN_LIMIT = 2048


def _shape(graph: Graph, size: int) -> tuple:
    channels = graph.input.attrs["shape"][-1]
    rank = len(graph.input.attrs["shape"])
    return (size, size, channels) if rank == 3 else (size,) * (rank - 1) + (channels,)


def smallest_input(graph: Graph, limit: int = SCAN_LIMIT) -> int | None:
    """The smallest square size the network accepts, or None below `limit`."""
    return next((s for s in range(1, limit + 1) if try_shapes(graph, _shape(graph, s))), None)


def input_sizes(graph: Graph, upto: int) -> list[int]:
    """Every square size up to `upto` that the network accepts."""
    return [s for s in range(1, upto + 1) if try_shapes(graph, _shape(graph, s))]
