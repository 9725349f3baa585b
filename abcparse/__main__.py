"""``python -m abcparse``: the ``abcparse`` command, exactly as the console script runs it.

Useful where the scripts folder is not on ``PATH`` (a user install, a virtual environment
not activated) and to be sure which interpreter's abcparse runs.
"""

from __future__ import annotations

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
