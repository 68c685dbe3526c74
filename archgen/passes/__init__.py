"""Analysis passes over the Graph IR: shapes, parameters and FLOPs, smallest input."""

from archgen.passes.counts import count
from archgen.passes.min_input import InputSizes, input_sizes, size_notes, smallest_input
from archgen.passes.shapes import infer_shapes

__all__ = ["InputSizes", "count", "infer_shapes", "input_sizes", "size_notes", "smallest_input"]
