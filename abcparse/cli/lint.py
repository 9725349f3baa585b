"""``abc-lint``: the ABC linter, as a command of its own (the same as ``abcparse check``).

    abc-lint tunes.abc                 # path:line:col: CODE message
    abc-lint --strict --format full .  # every *.abc below, read as ABC 2.1, with carets
    abc-lint --explain ABC301          # what a rule checks and why

Exit status: 0 nothing found, 1 problems found, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import run_command


def build_parser() -> argparse.ArgumentParser:
    from .check import add_arguments

    parser = argparse.ArgumentParser(
        prog="abc-lint",
        description="Check ABC music notation files (ABC 2.1) for errors: syntax, header"
        " structure, bar durations, repeats, slurs, ties, tuplets, decorations."
        " Files declared %%abc-2.1 are read strictly, others loosely (§12).",
        epilog="Exit status: 0 nothing found, 1 problems found, 2 usage or I/O error."
        " Settings may also come from [tool.abc-lint] in pyproject.toml.",
    )
    parser.add_argument("--version", action="version", version=f"abc-lint {__version__}")
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``abc-lint`` console script."""
    from .check import run

    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command("abc-lint", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
