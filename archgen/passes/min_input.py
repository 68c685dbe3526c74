"""The square input sizes a network accepts, found by the shape rules (or, when expressions
read shapes, by expanding the spec again at each size).

Sizes are not monotonic in general: stride rounding can make a concat or an add
see branches of different sizes at some inputs and not others. So we scan: the
smallest size that works, then which sizes above it fail, up to a bound. What
the sizes do not say (a resize in front hides them, a flatten ties the weights
to them) comes with them as notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archgen.ir import Graph
from archgen.limits import (
    MIN_INPUT_HINT_BUDGET,  # noqa: F401 (the knob: read by Architecture)
    MIN_INPUT_SCAN_LIMIT,
)
from archgen.passes.shapes import try_shapes


@dataclass(frozen=True)
class InputSizes:
    """What `archgen min-input` prints, as facts."""

    smallest: int | None  # the smallest square size every layer accepts; None: none in the scan
    upto: int  # the last size scanned above it
    failing: list[int]  # sizes from `smallest` to `upto` that some layer refuses
    notes: list[str]  # what the sizes above do not say

    @property
    def step(self) -> int | None:
        """k when exactly the multiples of k work in the scan (a U-Net's 16), else None."""
        if self.smallest is None or not self.failing:
            return None
        failing = set(self.failing)
        working = [s for s in range(self.smallest, self.upto + 1) if s not in failing]
        step = math.gcd(*working) if len(working) > 1 else 0
        multiples = range(self.smallest, self.upto + 1, step) if step > 1 else ()
        return (
            step if step > 1 and working == list(multiples) and self.smallest % step == 0 else None
        )


def square(graph: Graph, size: int) -> tuple:
    """The input shape of `graph` with a square `size` (the channels kept)."""
    channels = graph.input.attrs["shape"][-1]
    rank = len(graph.input.attrs["shape"])
    return (size, size, channels) if rank == 3 else (size,) * (rank - 1) + (channels,)


class OutOfBudget(Exception):
    """A scan with a Budget used it up before it found its answer."""


class Budget:
    """Layer evaluations a scan may still make. A hint in a diagnostic must not cost more
    than the check it decorates: on a 30,000-layer spec the full scan took over 30 s."""

    def __init__(self, layers: int) -> None:
        self.left = layers

    def spend(self, layers: int) -> None:
        self.left -= layers
        if self.left < 0:
            raise OutOfBudget


def accepts(graph: Graph, size: int, budget: Budget | None = None) -> bool:
    """Whether the shape rules of this graph accept a square input of `size`."""
    return try_shapes(graph, square(graph, size), budget)


def smallest_input(graph: Graph, limit: int | None = None, decide=None) -> int | None:
    """The smallest square size the network accepts, or None up to `limit` (the scan limit).
    `decide(size)` says whether a size works; by default the shape rules on this graph.
    A `decide` given a Budget raises OutOfBudget when the budget runs out."""
    limit = MIN_INPUT_SCAN_LIMIT if limit is None else limit
    decide = decide or (lambda size: accepts(graph, size))
    return next((s for s in range(1, limit + 1) if decide(s)), None)


def input_sizes(graph: Graph, upto: int, smallest: int | None, decide=None) -> InputSizes:
    """The sizes from `smallest` (from smallest_input) to `upto` that fail, and notes."""
    if smallest is None:
        return InputSizes(None, MIN_INPUT_SCAN_LIMIT, [], size_notes(graph))
    upto = max(upto, smallest)
    decide = decide or (lambda size: accepts(graph, size))
    failing = [s for s in range(smallest + 1, upto + 1) if not decide(s)]
    return InputSizes(smallest, upto, failing, size_notes(graph))


def size_notes(graph: Graph) -> list[str]:
    """What the sizes do not say: a resize that hides them, weights that depend on them."""
    notes = []
    for node in graph:
        if node.op == "resize":
            height, width = node.attrs["height"], node.attrs["width"]
            notes.append(
                f"the resize at line {node.loc.line} ({node.name}) brings every input to "
                f"{height}x{width}, so the layers after it always see that size"
            )
        elif node.op == "flatten":
            notes.append(
                f"the flatten at line {node.loc.line} ({node.name}) makes the parameter "
                "count of the layers after it depend on the input size"
            )
    return notes
