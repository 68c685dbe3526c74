"""Analysis passes over the Graph IR: shapes, parameters and FLOPs, smallest input."""

from archgen.passes.counts import count
from archgen.passes.min_input import input_sizes, smallest_input
from archgen.passes.shapes import infer_shapes

__all__ = ["count", "infer_shapes", "input_sizes", "smallest_input"]
