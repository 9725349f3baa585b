"""``abcparse lsp``: start the language server on standard input and output.

Registered among the built-in commands without importing pygls: the server module is
imported when the command runs, and a missing ``[lsp]`` extra is one clear line and
exit status 2, as every other usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lsp",
        help="run the ABC language server (LSP over stdio) for editors",
        description="Serve abc-lint's diagnostics, fixes, formatting, hover, outline,"
        " folding, completion and go-to-definition to an editor over the Language Server"
        " Protocol on standard input and output (docs/lsp.md). Settings come from"
        " [tool.abc-lint] in the nearest pyproject.toml, as for abc-lint.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--strict", action="store_const", const="strict", dest="mode",
                      help="read every tune strictly (ABC 2.1 §12.3)")
    mode.add_argument("--loose", action="store_const", const="loose", dest="mode",
                      help="read every tune loosely (§12.2)")
    p.add_argument("--stdio", action="store_true",
                   help="talk over standard input and output (the default and only way)")
    p.add_argument("--debounce", type=float, metavar="SECONDS",
                   help="quiet time after a change before it is checked (default 0.1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from .server import DEBOUNCE, Options, main
    except ImportError as e:  # the [lsp] extra is not installed
        print(f"abcparse lsp: the language server needs pygls 2 and lsprotocol ({e}): "
              "pip install 'abcparse[lsp]'", file=sys.stderr)
        return 2

    debounce = args.debounce if args.debounce is not None else DEBOUNCE
    if not 0 <= debounce <= 10:
        print("abcparse lsp: --debounce must be between 0 and 10 seconds", file=sys.stderr)
        return 2
    return main(Options(mode=args.mode, debounce=debounce))
