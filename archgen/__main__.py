"""`python -m archgen`: the same as the `archgen` command."""

import sys

from archgen.cli import main

sys.exit(main())
