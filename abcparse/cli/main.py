"""The ``abcparse`` command: subcommands from the core and from plugins.

Built-in subcommands live in modules of this package, each defining
``register(subparsers)``; plugins (the generator) add theirs through the
``abcparse.commands`` entry point group, so the core never imports them.
Exit codes: 0 success, 1 findings or a failed check, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata

from .. import __version__
from . import run_command

BUILTIN_COMMANDS = (
    "abcparse.cli.check",
    "abcparse.cli.format",
    "abcparse.cli.midi",
    "abcparse.cli.corpus",
    "abcparse.lsp.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abcparse",
        description="Parse, check, format, repair and play ABC 2.1 music notation.",
    )
    parser.add_argument("--version", action="version", version=f"abcparse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in BUILTIN_COMMANDS:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
    for ep in metadata.entry_points(group="abcparse.commands"):
        try:
            register = ep.load()
        except ImportError as e:  # a plugin whose extra is not installed
            print(f"abcparse: plugin {ep.name!r} unavailable: {e}", file=sys.stderr)
            continue
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # argparse reports a subcommand's unknown option with the top-level usage; the
        # subcommand's own usage says what it does take.
        subcommands = next((a.choices for a in parser._actions
                            if isinstance(a, argparse._SubParsersAction)), {})
        chosen = subcommands.get(getattr(args, "command", None) or "")
        (chosen or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return run_command("abcparse", lambda: func(args))


if __name__ == "__main__":
    sys.exit(main())
