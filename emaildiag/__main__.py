"""``python -m emaildiag``."""

import sys

from emaildiag.cli import main

sys.exit(main())
