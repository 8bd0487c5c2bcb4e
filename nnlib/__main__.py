"""``python -m nnlib``: the same as the ``nnlib`` command."""

import sys

from nnlib.cli import main

sys.exit(main())
