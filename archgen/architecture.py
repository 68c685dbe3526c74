"""Architecture: a loaded, expanded and checked spec, and everything derived from it.

This is the public face of the compiler. Loading runs the front end, expands
the Graph IR and runs the analysis passes; the back ends (Keras model, Python
source, diagrams) are imported only when asked for, so checking never imports
TensorFlow.
"""

from __future__ import annotations

import dataclasses
import gc
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from archgen.errors import SpecError
from archgen.expand import expand
from archgen.ir import Graph, Node
from archgen.language import load_spec
from archgen.language.ast import Spec
from archgen.limits import MAX_LAYERS
from archgen.passes import InputSizes, count, infer_shapes, input_sizes, smallest_input
from archgen.passes import min_input as scan
from archgen.passes.order import keras_order, unused_layers


@dataclass(frozen=True)
class Totals:
    trainable: int
    non_trainable: int
    flops: int

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


class Architecture:
    """A checked network: the spec, its Graph IR with shapes, parameters and FLOPs."""

    def __init__(self, spec: Spec, max_layers: int = MAX_LAYERS) -> None:
        self.spec = spec
        self.max_layers = max_layers
        with _no_cyclic_gc():
            self.graph: Graph = expand(spec, max_layers)
            self.check()

    def check(self) -> Architecture:
        """Run the analysis passes over the IR: shapes, parameters and FLOPs, the Keras
        layer order, and that every layer feeds an output. Raises SpecError; returns self.
        Loading runs it; run it again after changing the IR: it forgets every fact
        derived from the IR before (totals, min_input), so none of them is stale."""
        self._forget_derived_facts()
        infer_shapes(self.graph, hint_for_too_small=self._too_small_hint)
        count(self.graph)
        self.keras_order = keras_order(self.graph)
        self._check_all_used()
        return self

    def _forget_derived_facts(self) -> None:
        """Drop every cached_property's value, here and on the graph (its networkx view);
        each is computed again from the IR when next asked for."""
        for holder in (self, self.graph):
            for cls in type(holder).__mro__:
                for name, attr in vars(cls).items():
                    if isinstance(attr, cached_property):
                        holder.__dict__.pop(name, None)

    @classmethod
    def load(
        cls, path: str | Path, overrides: dict | None = None, root=None, **limits
    ) -> Architecture:
        return cls(load_spec(path, overrides, root=root), **limits)

    def _check_all_used(self) -> None:
        unused = unused_layers(self.graph)
        if unused:
            node = self.graph[unused[0]]
            raise node.error(
                f"no output depends on '{node.name}' ({len(unused)} such layers)",
                hint="list it under 'outputs:' (a side path's name is a tap), or remove it",
            )

    # --- facts -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def layers(self) -> list[Node]:
        return list(self.graph)

    @property
    def outputs(self) -> list[Node]:
        return [self.graph[name] for name in self.graph.outputs]

    @cached_property
    def totals(self) -> Totals:
        nodes = self.layers
        return Totals(
            trainable=sum(n.trainable for n in nodes),
            non_trainable=sum(n.non_trainable for n in nodes),
            flops=sum(n.flops for n in nodes),
        )

    @cached_property
    def min_input(self) -> int | None:
        """The smallest square input size this network accepts (None: none up to
        archgen.limits.MIN_INPUT_SCAN_LIMIT)."""
        return smallest_input(self.graph, decide=self._accepts)

    def input_sizes(self, upto: int = 512) -> InputSizes:
        """The smallest square input, the sizes above it up to `upto` that fail, and notes
        on what the sizes do not say (a resize in front, a flatten): `archgen min-input`."""
        return input_sizes(self.graph, upto, self.min_input, self._accepts)

    def _accepts(self, size: int, budget: scan.Budget | None = None) -> bool:
        """Whether a square input of `size` works. When expressions read shapes, the layers
        themselves depend on the size, so the spec is expanded again at that size.
        With a budget, raises scan.OutOfBudget once it is spent."""
        if not self.graph.reads_shapes:
            return scan.accepts(self.graph, size, budget)
        if budget is not None:
            budget.spend(len(self.graph))  # an expansion and a shape pass: about this much
        spec = dataclasses.replace(self.spec, input=scan.square(self.graph, size))
        try:
            infer_shapes(expand(spec, self.max_layers))
        except SpecError:
            return False
        return True

    def _too_small_hint(self) -> str:
        shape = "x".join(str(n) for n in self.spec.input[:-1])
        if "min_input" in self.__dict__:
            smallest = self.min_input
        else:
            # bounded: the full scan is `archgen min-input`'s job, not a diagnostic's
            budget = scan.Budget(scan.MIN_INPUT_HINT_BUDGET)
            try:
                smallest = smallest_input(self.graph, decide=lambda s: self._accepts(s, budget))
            except scan.OutOfBudget:
                return (
                    f"the {shape} input is too small for this network; the smallest input "
                    "was not searched: the network is large (run `archgen min-input`)"
                )
            self.__dict__["min_input"] = smallest  # the cached_property's value: the full scan
        if smallest is None:
            return (
                f"no square input up to {scan.MIN_INPUT_SCAN_LIMIT} works with this network "
                f"(given {shape})"
            )
        return (
            f"the {shape} input is too small for this network: the smallest it accepts is "
            f"{smallest}x{smallest} (see `archgen min-input`); resize the input in front"
        )

    # --- reports and back ends ---------------------------------------------------------

    def summary(self) -> dict:
        from archgen.report import summary_dict

        return summary_dict(self)

    def keras_model(self):
        """The Keras model, built layer by layer from the IR (imports TensorFlow)."""
        from archgen.backends.keras_runtime import build_model

        return build_model(self)

    def python_source(self) -> str:
        """Standalone Keras source for this network, one function per block."""
        from archgen.backends.python_source import generate

        return generate(self)

    def diagram(self, level: str = "blocks", fmt: str = "svg", depth: int | None = None):
        """A Graphviz diagram ("blocks" or "layers"): DOT and SVG as text, PNG and PDF as
        bytes. Needs Graphviz's `dot` (raises GraphvizMissing), except for DOT."""
        from archgen.backends.graphviz import dot_source, render

        data = render(dot_source(self, level, depth), fmt)
        return data.decode() if fmt in ("svg", "dot") else data

    def _repr_svg_(self) -> str | None:
        """Notebooks show the block diagram (nothing when Graphviz is not installed)."""
        from archgen.backends.graphviz import GraphvizMissing

        try:
            return self.diagram("blocks", "svg")
        except GraphvizMissing:
            return None


@contextmanager
def _no_cyclic_gc():
    """Pause Python's cyclic garbage collector while the IR is built.

    Expansion allocates many objects and frees almost none, and makes no cycles;
    the collector's passes over a heap that keeps growing made large specs cost
    more than linear time (17% of the time at 50,000 layers). Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(path: str | Path, overrides: dict | None = None, root=None, **limits) -> Architecture:
    """Load, expand and check a spec file. Raises SpecError with the file:line:col.
    `root`: read `extends:` targets only inside this folder (specs from strangers)."""
    return Architecture.load(path, overrides, root, **limits)


__all__ = ["Architecture", "SpecError", "Totals", "load"]
