"""archgen: an architecture-spec compiler for convolutional networks.

From the repository root (tests/test_readme.py runs this example):

>>> import archgen
>>> arch = archgen.load("specs/inception_v3.yaml", overrides={"classes": 10})
>>> arch.totals.params
21823274
>>> arch.min_input
75
"""

from archgen.architecture import Architecture, load
from archgen.errors import SpecError

__version__ = "0.1.0"
__all__ = ["Architecture", "SpecError", "__version__", "load"]
