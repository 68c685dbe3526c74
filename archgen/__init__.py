"""archgen: an architecture-spec compiler for convolutional networks.

>>> import archgen
>>> arch = archgen.load("specs/inception_v3.yaml", overrides={"classes": 10})
>>> arch.totals.params
21806882
"""

from archgen.architecture import Architecture, load
from archgen.errors import SpecError

__version__ = "0.1.0"
__all__ = ["Architecture", "SpecError", "__version__", "load"]
