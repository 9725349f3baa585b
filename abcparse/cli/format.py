"""``abcparse format`` and ``abcparse transpose``: rewrite ABC files in place, safely.

Both read each file as the parser does (BOM, declared charset, undecodable bytes kept),
write it back in the same encoding, and only ever through
:func:`abcparse.fileio.atomic_write_bytes`: a run killed at any moment leaves every file
wholly old or wholly new. ``--check`` and ``--diff`` never write. ``-`` reads standard
input and writes standard output.

Exit codes: 0 nothing to report; 1 ``--check`` found a file to change, or a file could
not be formatted (or transposed) safely and was left alone; 2 a usage or I/O error (each
with a one-line message; the other files are still processed).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterator
from typing import Any

from ..errors import AbcError, AbcIOError
from ..fileio import atomic_write_bytes, read_bytes
from ..format import (
    FormatOptions,
    TransposeError,
    encode_like,
    format_text,
    load_options,
    transpose_text,
)
from ..format.options import BAR_SPACINGS, DECORATION_STYLES, LINE_ENDINGS
from ..source import SourceText, decode
from ..split import text_lines


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "format",
        help="rewrite ABC files in canonical form (checked, atomic)",
        description=(
            "Rewrite ABC files in the canonical form documented in docs/format.md. Every"
            " result is parsed again before it is written: it must hold the same music,"
            " format to itself and add no diagnostic, or the file is left alone"
            " (ABC902/ABC903/ABC904). Options default to [tool.abcparse.format] in the"
            " nearest pyproject.toml."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="ABC files or folders; - for stdin")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a file would change")
    p.add_argument("--diff", action="store_true",
                   help="write nothing; print a unified diff of the changes")
    p.add_argument("--line-ending", choices=LINE_ENDINGS, default=None,
                   help="line end style (default: keep the file's dominant one)")
    p.add_argument("--target", choices=["2.1"], default=None,
                   help="declare the output ABC 2.1 (adds %%abc-2.1: read strictly)")
    p.add_argument("--renumber", action="store_true", default=None,
                   help="number the tunes X:1, X:2 ... in file order")
    p.add_argument("--decorations", choices=DECORATION_STYLES, default=None,
                   help="decoration spelling: short (~ T), long (!roll! !trill!) or keep")
    p.add_argument("--bar-spacing", choices=BAR_SPACINGS, default=None,
                   help="spaces beside bar lines: none (|abc|), space (| abc |) or keep")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--strict", dest="mode", action="store_const", const="strict",
                      help="read the input strictly (ABC 2.1)")
    mode.add_argument("--loose", dest="mode", action="store_const", const="loose",
                      help="read the input loosely (older ABC)")
    p.add_argument("-q", "--quiet", action="store_true", help="report errors only")
    p.set_defaults(func=run_format)

    t = subparsers.add_parser(
        "transpose",
        help="move every note, key and chord symbol by N semitones",
        description=(
            "Transpose ABC files in place by N semitones: K: fields (keeping the mode,"
            " choosing the spelling with fewer accidentals), notes (accidentals recomputed"
            " so every pitch moves exactly N semitones), chord symbols. K:none keeps its"
            " field, percussion voices and Highland pipes keys keep their pitches."
        ),
    )
    t.add_argument("paths", nargs="+", metavar="PATH", help="ABC files or folders; - for stdin")
    t.add_argument("-s", "--semitones", type=int, required=True, metavar="N",
                   help="semitones to move (negative: down)")
    t.add_argument("--diff", action="store_true",
                   help="write nothing; print a unified diff of the changes")
    t.add_argument("-q", "--quiet", action="store_true", help="report errors only")
    t.set_defaults(func=run_transpose)


# ---------------------------------------------------------------------------------------


def _paths(paths: list[str]) -> Iterator[str]:
    """Files named, and the ``.abc`` files under folders named (sorted, hidden skipped)."""
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found: list[str] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(
                    os.path.join(root, f)
                    for f in files
                    if f.lower().endswith(".abc") and not f.startswith(".")
                )
            yield from sorted(found)
        else:
            yield path


def _read(path: str) -> SourceText:
    if path == "-":
        try:
            data = sys.stdin.buffer.read()
        except OSError as e:
            raise AbcIOError(f"-: cannot read standard input: {e.strerror or e}") from None
        return decode(data, "-")[0]
    return decode(read_bytes(path), path)[0]


def _diff(path: str, before: str, after: str) -> str:
    name = "<stdin>" if path == "-" else path
    return "".join(
        difflib.unified_diff(
            text_lines(before, keepends=True),
            text_lines(after, keepends=True),
            f"{name}\t(original)",
            f"{name}\t(formatted)",
        )
    )


def _write_diff(path: str, before: str, after: str) -> None:
    """The diff as UTF-8 bytes: undecodable bytes of the file pass through unchanged."""
    sys.stdout.flush()
    sys.stdout.buffer.write(_diff(path, before, after).encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def _write_stdout(source: SourceText, text: str) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(encode_like(source, text))
    sys.stdout.buffer.flush()


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)


def _options(args: argparse.Namespace) -> FormatOptions:
    first = next((p for p in args.paths if p != "-"), None)
    return load_options(
        os.path.dirname(os.path.abspath(first)) if first else None,
        line_ending=args.line_ending,
        target=args.target,
        renumber=args.renumber,
        decorations=args.decorations,
        bar_spacing=args.bar_spacing,
        mode=args.mode,
    )


def run_format(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except AbcError as e:
        print(f"abcparse format: {e}", file=sys.stderr)
        return 2
    changed = unchanged = failed = errors = 0
    for path in _paths(args.paths):
        try:
            source = _read(path)
        except AbcError as e:
            print(f"abcparse format: {e}", file=sys.stderr)
            errors += 1
            continue
        result = format_text(source.text, options)
        if not result.ok:
            failed += 1
            name = "<stdin>" if path == "-" else path
            for d in result.diagnostics:
                print(f"{name}:{d.line}:{d.col}: {d.code} {d.message}", file=sys.stderr)
            if path == "-" and not (args.check or args.diff):
                _write_stdout(source, source.text)
            continue
        if args.diff and result.changed:
            _write_diff(path, source.text, result.text)
        if path == "-" and not (args.check or args.diff):
            _write_stdout(source, result.text)
        if not result.changed:
            unchanged += 1
            continue
        changed += 1
        if args.check or args.diff:
            if args.check:
                _say(args, f"would reformat {path}")
            continue
        if path != "-":
            try:
                atomic_write_bytes(path, encode_like(source, result.text))
            except AbcError as e:
                print(f"abcparse format: {e}", file=sys.stderr)
                errors += 1
                changed -= 1
                continue
            _say(args, f"reformatted {path}")
    verb = "would be reformatted" if (args.check or args.diff) else "reformatted"
    summary = [f"{changed} file{'s' if changed != 1 else ''} {verb}"]
    if unchanged:
        summary.append(f"{unchanged} left unchanged")
    if failed:
        summary.append(f"{failed} could not be formatted safely")
    if errors:
        summary.append(f"{errors} could not be read or written")
    _say(args, ", ".join(summary) + ".")
    if errors:
        return 2
    if failed or (args.check and changed):
        return 1
    return 0


def run_transpose(args: argparse.Namespace) -> int:
    changed = failed = errors = 0
    for path in _paths(args.paths):
        try:
            source = _read(path)
        except AbcError as e:
            print(f"abcparse transpose: {e}", file=sys.stderr)
            errors += 1
            continue
        try:
            text = transpose_text(source.text, args.semitones)
        except TransposeError as e:
            name = "<stdin>" if path == "-" else path
            print(f"{name}: {e}; nothing written", file=sys.stderr)
            failed += 1
            continue
        if args.diff:
            _write_diff(path, source.text, text)
            continue
        if path == "-":
            _write_stdout(source, text)
            continue
        if text == source.text:
            continue
        try:
            atomic_write_bytes(path, encode_like(source, text))
        except AbcError as e:
            print(f"abcparse transpose: {e}", file=sys.stderr)
            errors += 1
            continue
        changed += 1
        _say(args, f"transposed {path}")
    if errors:
        return 2
    return 1 if failed else 0
