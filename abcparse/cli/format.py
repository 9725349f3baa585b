"""``abcparse format`` and ``abcparse transpose``: rewrite ABC files in place, safely.

Both read each file as the parser does (BOM, declared charset, undecodable bytes kept),
a tune at a time (:mod:`abcparse.rewrite`: memory stays flat however big the file), and
write it back in the same encoding, streamed into :func:`abcparse.fileio.atomic_writer`'s
temporary file: a run killed at any moment leaves every file wholly old or wholly new.
``--check`` and ``--diff`` never write. ``-`` reads standard input and writes standard
output (once the whole input has been read and checked).

A tune whose formatting fails a safety check is left as it was and reported; the rest of
its file is formatted. A file that is not ABC text (binary data, UTF-16/32, no line of
ABC: :func:`abcparse.source.not_abc`) is refused before anything is read into the
formatter, and never rewritten.

Exit codes: 0 nothing to report; 1 ``--check`` found a file to change, or a tune could
not be formatted (or a file transposed) safely and was left as it was; 2 a usage or I/O
error, or a file that is not ABC (each with a one-line message; the other files are still
processed).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..api import TuneStream, iter_tunes
from ..errors import AbcDecodeError, AbcError, AbcIOError, AbcUsageError
from ..fileio import atomic_writer
from ..format import FormatOptions, TransposeError, load_options
from ..format.options import BAR_SPACINGS, DECORATION_STYLES, LINE_ENDINGS
from ..rewrite import FormatOutcome, StreamDiff, TextSpool, format_stream, transpose_stream
from ..source import refuse_non_abc
from .inputs import NothingRead, files_or_nothing, spool_stdin


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
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="format and check the tunes of a file in N processes (0: one per"
                   " CPU); the same output (not with --renumber, which numbers in order)")
    p.set_defaults(func=run_format)

    t = subparsers.add_parser(
        "transpose",
        help="move every note, key and chord symbol by N semitones",
        description=(
            "Transpose ABC files in place by N semitones: K: fields (keeping the mode,"
            " choosing the spelling with fewer accidentals), notes (accidentals recomputed"
            " so every pitch moves exactly N semitones), chord symbols (s: lines too)."
            " K:none keeps its field, percussion voices and Highland pipes keys keep their"
            " pitches (a pipes key is a warning)."
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
    """Files named, and the ABC files under folders named (:mod:`.inputs`); a missing path
    is passed on (its error is reported when it is opened); :class:`~.inputs.NothingRead`
    when the paths name no file."""
    found = files_or_nothing(paths)
    for path, _error in found:
        yield path


def _open(path: str, mode: str, stack: contextlib.ExitStack) -> TuneStream:
    """The file (or standard input) as a stream of tunes: read a block at a time,
    decoded as the parser decodes it (BOM, declared charset, undecodable bytes kept).
    Raises :class:`~abcparse.errors.AbcDecodeError` for a file that is not ABC text
    (:func:`abcparse.source.not_abc`: binary, UTF-16/32, no line of ABC), which is then
    never rewritten. Standard input is copied to a temporary file (closed by ``stack``)
    first: it is read more than once."""
    if path == "-":
        spool = stack.enter_context(spool_stdin())  # NothingRead when empty
        refuse_non_abc(spool, "<stdin>")
        return iter_tunes(spool, mode=mode, path="-")
    if os.path.exists(path) and not os.path.isfile(path):
        # A named pipe or a device: it cannot be rewritten, and reading it may wait for
        # a writer forever (a folder's are reported by .inputs.collect).
        raise AbcIOError(f"{path}: not a regular file")
    refuse_non_abc(path)
    return iter_tunes(path, mode=mode, path=path)


def _encoder(stream: TuneStream) -> Callable[[str], bytes]:
    """Text → bytes in the encoding (and with the BOM) the file came in, a piece at a
    time (the charsets a file may declare encode piece by piece as they do whole)."""
    encoding = stream.encoding
    started = [False]

    def encode(text: str) -> bytes:
        data = text.encode(encoding, errors="surrogateescape")
        if not started[0]:
            started[0] = True
            if stream.bom:
                data = codecs.BOM_UTF8 + data
        return data

    return encode


def _diff_names(path: str) -> tuple[str, str]:
    name = "<stdin>" if path == "-" else path
    return f"{name}\t(original)", f"{name}\t(formatted)"


def _write_spool(spool: TextSpool, encode: Callable[[str], bytes] | None = None) -> None:
    """A spooled diff (as UTF-8: undecodable bytes of the file pass through unchanged)
    or a spooled file text (``encode``: in the file's own encoding) to standard output."""
    sys.stdout.flush()
    spool.copy_to(sys.stdout.buffer,
                  encode or (lambda t: t.encode("utf-8", "surrogateescape")))
    sys.stdout.buffer.flush()


class _Discard(Exception):
    """Leaves a file as it was: raised inside its atomic rewrite, which then removes
    the temporary file."""


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
        from .check import MAX_JOBS

        if not 0 <= args.jobs <= MAX_JOBS:
            raise AbcUsageError(f"--jobs must be 0 (one per CPU) to {MAX_JOBS}")
    except AbcError as e:
        print(f"abcparse format: {e}", file=sys.stderr)
        return 2
    args.jobs = args.jobs or (os.cpu_count() or 1)
    with contextlib.ExitStack() as stack:
        args.pool = None
        if args.jobs > 1 and not options.renumber:
            from concurrent.futures import ProcessPoolExecutor

            from ..parser import line_parser

            line_parser()  # built once, before the workers fork
            args.pool = stack.enter_context(ProcessPoolExecutor(max_workers=args.jobs))
        return _run_format(args, options)


def _run_format(args: argparse.Namespace, options: FormatOptions) -> int:
    changed = unchanged = failed = refused = errors = not_abc = 0
    for path in _paths(args.paths):
        try:
            outcome = _format_one(path, options, args)
        except NothingRead:
            raise
        except AbcDecodeError as e:  # not ABC text (abcparse.source.not_abc)
            print(f"abcparse format: {e}", file=sys.stderr)
            not_abc += 1
            continue
        except AbcError as e:
            print(f"abcparse format: {e}", file=sys.stderr)
            errors += 1
            continue
        if not outcome.ok:
            # Those tunes were left as they were; the rest of the file is formatted.
            failed += 1
            refused += outcome.refused
        if not outcome.changed:
            unchanged += outcome.ok
            continue
        changed += 1
        kept = ""
        if outcome.refused:
            kept = (f" ({outcome.refused} tune{'s' if outcome.refused != 1 else ''} left as"
                    f" {'they were' if outcome.refused != 1 else 'it was'})")
        if args.check or args.diff:
            if args.check:
                _say(args, f"would reformat {path}{kept}")
            continue
        if path != "-":
            _say(args, f"reformatted {path}{kept}")
    verb = "would be reformatted" if (args.check or args.diff) else "reformatted"
    summary = [f"{changed} file{'s' if changed != 1 else ''} {verb}"]
    if unchanged:
        summary.append(f"{unchanged} left unchanged")
    if failed:
        summary.append(f"{refused} tune{'s' if refused != 1 else ''} in {failed}"
                       f" file{'s' if failed != 1 else ''} could not be formatted safely"
                       " (left as they were)")
    if not_abc:
        summary.append(f"{not_abc} not ABC (left unchanged)")
    if errors:
        summary.append(f"{errors} could not be read or written")
    _say(args, ", ".join(summary) + ".")
    if errors or not_abc:
        return 2
    if failed or (args.check and changed):
        return 1
    return 0


def _format_one(path: str, options: FormatOptions, args: argparse.Namespace) -> FormatOutcome:
    """Format one file a tune at a time (:func:`abcparse.rewrite.format_stream`): into
    its atomic rewrite, or onto standard output for ``-``, or only compared (``--check``)
    or diffed (``--diff``). A tune whose formatting fails a safety check is written as
    it was; a file that does not change is not written at all."""
    name = "<stdin>" if path == "-" else path
    with contextlib.ExitStack() as stack:
        stream = _open(path, options.mode, stack)
        encode = _encoder(stream)
        diff_spool = stack.enter_context(contextlib.closing(TextSpool())) if args.diff else None
        diff = StreamDiff(*_diff_names(path), diff_spool.write) if diff_spool else None
        to_stdout = path == "-" and not (args.check or args.diff)
        formatted = stack.enter_context(contextlib.closing(TextSpool())) if to_stdout else None
        writes = not (args.check or args.diff or to_stdout)

        def segment(a: str, b: str) -> None:
            if diff is not None:
                diff.segment(a, b)
            if formatted is not None:
                formatted.write(b)

        outcome = FormatOutcome()
        try:
            if writes:
                with atomic_writer(path) as f:
                    outcome = format_stream(stream, options, lambda t: f.write(encode(t)),
                                            segment, args.jobs, args.pool)
                    if not outcome.changed:
                        raise _Discard
            else:
                outcome = format_stream(stream, options, None, segment, args.jobs,
                                        args.pool)
        except _Discard:
            pass
        finally:
            stream.close()
        for d in outcome.diagnostics:
            print(f"{name}:{d.line}:{d.col}: {d.code} {d.message}", file=sys.stderr)
        if formatted is not None:
            _write_spool(formatted, encode)
        if diff is not None and diff_spool is not None and outcome.changed:
            diff.close()
            _write_spool(diff_spool)
    return outcome


def run_transpose(args: argparse.Namespace) -> int:
    changed = unchanged = failed = errors = 0
    kept: list[str] = []  # places left at their pitch by design (K:HP)
    for path in _paths(args.paths):
        try:
            result = _transpose_one(path, args, kept)
        except NothingRead:
            raise
        except AbcError as e:
            print(f"abcparse transpose: {e}", file=sys.stderr)
            errors += 1
            continue
        if result is None:
            failed += 1
        elif result:
            changed += 1
            _say(args, f"transposed {path}")
        elif path == "-" and not args.diff:
            changed += 1  # written to standard output
        else:
            unchanged += 1
    summary = [f"{changed} file{'s' if changed != 1 else ''} transposed"]
    if unchanged:
        summary.append(f"{unchanged} {'shown as a diff' if args.diff else 'left unchanged'}")
    if failed:
        summary.append(f"{failed} could not be transposed exactly (left as they were)")
    if errors:
        summary.append(f"{errors} could not be read or written")
    if kept:
        summary.append(f"{len(kept)} Highland pipes key{'s' if len(kept) != 1 else ''} kept"
                       f" {'their' if len(kept) != 1 else 'its'} pitches")
    _say(args, ", ".join(summary) + ".")
    if errors:
        return 2
    return 1 if failed else 0


def _transpose_one(path: str, args: argparse.Namespace, kept: list[str]) -> bool | None:
    """Transpose one file a tune at a time: True when it was rewritten, False when
    nothing was written (unchanged, ``--diff``, standard output), None when a tune
    could not be moved exactly (then nothing is written). Music left at its pitch by
    design is a warning (with ``-q``, only counted)."""
    name = "<stdin>" if path == "-" else path

    def notice(line: int, col: int, message: str) -> None:
        kept.append(f"{name}:{line}:{col}")
        _say(args, f"{name}:{line}:{col}: warning: {message}")

    with contextlib.ExitStack() as stack:
        stream = _open(path, "auto", stack)
        encode = _encoder(stream)
        spool = stack.enter_context(contextlib.closing(TextSpool())) if (
            args.diff or path == "-") else None
        diff = StreamDiff(*_diff_names(path), spool.write) if args.diff and spool else None
        changed = False
        try:
            if diff is not None:
                transpose_stream(stream, args.semitones, None, diff.segment, notice)
            elif spool is not None:
                transpose_stream(stream, args.semitones, spool.write, notice=notice)
            else:
                with atomic_writer(path) as f:
                    changed = transpose_stream(stream, args.semitones,
                                               lambda t: f.write(encode(t)), notice=notice)
                    if not changed:
                        raise _Discard
        except _Discard:
            pass
        except TransposeError as e:
            where = name if e.line is None else f"{name}:{e.line}:{e.col or 1}"
            tune = f" ({e.tune})" if e.tune else ""
            print(f"{where}: {e.reason}{tune}; nothing written", file=sys.stderr)
            return None
        finally:
            stream.close()
        if diff is not None and spool is not None:
            diff.close()
            _write_spool(spool)
        elif spool is not None:
            _write_spool(spool, encode)
    return changed
