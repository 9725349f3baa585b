"""``abcparse check`` (and ``abc-lint``): validate ABC files and report what is wrong.

Paths are files, folders (every ``*.abc`` below them, in sorted order) or ``-`` for
standard input. Settings come from the command line, else from ``[tool.abc-lint]`` in
the nearest ``pyproject.toml`` (from the current folder up), else the defaults.

Exit status: 0 when nothing is reported, 1 when anything is reported (at any severity,
as ruff does; ``--exit-zero`` always gives 0 for findings), 2 for usage errors and files
that cannot be read (each reported on one line of standard error; the other files are
still checked).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import AbcError, AbcUsageError
from ..source import SNIFF_BYTES, not_abc, not_abc_stream, refuse_non_abc
from .inputs import collect, empty_stdin, is_blank, nothing_found, spool_stdin
from .report import FORMATS, FileReport, StreamReport

CONFIG_KEYS = {"select", "ignore", "extend-select", "mode", "format", "jobs", "exclude",
               "statistics", "exit-zero"}


@dataclass
class Settings:
    """Everything one run needs, resolved from arguments, pyproject.toml and defaults."""

    paths: list[str]
    mode: str = "auto"
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    fmt: str = "concise"
    jobs: int = 1
    exclude: list[str] = field(default_factory=list)
    statistics: bool = False
    exit_zero: bool = False
    stdin_filename: str | None = None
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    reformat: bool = False
    config_path: str | None = None
    quiet: bool = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``abc-lint`` and ``abcparse check`` (one list, so they agree)."""
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="ABC files, folders (searched for *.abc) or - for standard input;"
                   " default: the current folder")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--strict", action="store_const", const="strict", dest="mode",
                      help="read every tune strictly (ABC 2.1 §12.3), whatever it declares")
    mode.add_argument("--loose", action="store_const", const="loose", dest="mode",
                      help="read every tune loosely (§12.2), whatever it declares")
    p.add_argument("--select", action="append", metavar="CODES",
                   help="only these codes or code prefixes (ABC3, ABC301; comma-separated)")
    p.add_argument("--profile", choices=("playable",), default=None,
                   help="add a named set of checks that are off by default: playable = what"
                   " abc2midi and abcjs warn about (a missing M:, bars that do not add up"
                   " once the repeats are played)")
    p.add_argument("--extend-select", action="append", metavar="CODES",
                   help="add codes to the default selection (e.g. ABC4 for style)")
    p.add_argument("--ignore", action="append", metavar="CODES",
                   help="leave out these codes or code prefixes")
    p.add_argument("--format", choices=FORMATS, dest="fmt",
                   help="output format (default: concise, path:line:col: CODE message)")
    p.add_argument("--statistics", action="store_true", default=None,
                   help="print how often each code was found instead of the findings")
    p.add_argument("--explain", metavar="CODE", help="print what a rule checks and why, then exit")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="check N files at once in separate processes (0: one per CPU)")
    p.add_argument("--exclude", action="append", metavar="PATTERN",
                   help="skip files and folders whose name matches (glob) when searching")
    p.add_argument("--stdin-filename", metavar="NAME",
                   help="the name to report for standard input (default: -)")
    p.add_argument("--exit-zero", action="store_true", default=None,
                   help="exit 0 even when problems are found")
    p.add_argument("--no-config", action="store_true",
                   help="ignore [tool.abc-lint] in pyproject.toml")
    p.add_argument("--fix", action="store_true",
                   help="apply the safe fixes (they keep the music: the music engine checks"
                   " each one and withdraws any that would change it), list each, then check"
                   " the files; nothing else in the file changes")
    p.add_argument("--unsafe-fixes", action="store_true",
                   help="with --fix or --diff, also apply the fixes that may change the music"
                   " (delete notes, add rests, change lengths); every tune whose music changes"
                   " is listed")
    p.add_argument("--reformat", action="store_true",
                   help="with --fix or --diff, also format the result (abcparse format)")
    p.add_argument("--diff", action="store_true",
                   help="print what --fix would change, change nothing")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print the findings only, without the summary line")


def register(subparsers: Any) -> None:
    """Add ``abcparse check`` to the ``abcparse`` command."""
    p = subparsers.add_parser(
        "check",
        help="validate ABC files (the same as abc-lint)",
        description="Validate ABC files: syntax, structure, bar durations, repeats, ties..."
        " Exit status 0 clean, 1 problems found, 2 usage or I/O error.",
    )
    add_arguments(p)
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------------
# Settings


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.abc-lint]`` table, from ``start`` up.
    One that is not valid TOML but names ``abc-lint`` is an error, not skipped: the
    settings the user wrote would silently not apply (or a folder above's would)."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                if "abc-lint" in text:
                    raise AbcUsageError(f"{candidate}: not valid TOML: {e}") from None
                continue
            if isinstance(data.get("tool"), dict) and "abc-lint" in data["tool"]:
                return candidate
    return None


def read_config(path: Path) -> dict[str, Any]:
    """``[tool.abc-lint]`` of ``path``, checked: unknown keys and wrong types are usage
    errors (a typo must not silently turn a rule off)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise AbcUsageError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise AbcUsageError(f"{path}: not valid TOML: {e}") from None
    table = data.get("tool", {}).get("abc-lint", {})
    if not isinstance(table, dict):
        raise AbcUsageError(f"{path}: [tool.abc-lint] must be a table")
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            raise AbcUsageError(
                f"{path}: unknown setting {key!r} in [tool.abc-lint]"
                f" (known: {', '.join(sorted(CONFIG_KEYS))})"
            )
        if key in ("select", "ignore", "extend-select", "exclude"):
            if isinstance(value, str):
                table[key] = [value]
            elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise AbcUsageError(f"{path}: {key} must be a list of strings")
        elif key == "mode" and value not in ("auto", "strict", "loose"):
            raise AbcUsageError(f"{path}: mode must be auto, strict or loose, not {value!r}")
        elif key == "format" and value not in FORMATS:
            raise AbcUsageError(f"{path}: format must be one of {', '.join(FORMATS)}")
        elif key == "jobs" and (not isinstance(value, int) or isinstance(value, bool)
                                or value < 0):
            raise AbcUsageError(f"{path}: jobs must be a whole number, 0 or more")
        elif key in ("statistics", "exit-zero") and not isinstance(value, bool):
            raise AbcUsageError(f"{path}: {key} must be true or false")
    return table


#: The most worker processes ``--jobs`` may start: far beyond any machine's cores, and a
#: bound on what a typo (``--jobs 100000``) costs.
MAX_JOBS = 256


def _split_codes(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip().upper() for x in v.replace(" ", ",").split(",") if x.strip())
    return out


def resolve(args: argparse.Namespace) -> Settings:
    """Command line over ``[tool.abc-lint]`` over defaults."""
    conf: dict[str, Any] = {}
    config_path = None
    if not getattr(args, "no_config", False):
        found = find_config(os.getcwd())
        if found is not None:
            conf = read_config(found)
            config_path = str(found)
    stdin_name = args.stdin_filename
    # --stdin-filename with no PATH reads standard input (as ruff does); beside paths
    # that do not include -, it would name nothing and is refused below.
    s = Settings(paths=list(args.paths) or (["-"] if stdin_name is not None else ["."]))
    if stdin_name is not None and "-" not in s.paths:
        raise AbcUsageError("--stdin-filename names standard input, which is not among the"
                            " paths: add - to them, or leave the paths out")
    fixing = bool(getattr(args, "fix", False) or getattr(args, "diff", False))
    for option in ("unsafe_fixes", "reformat"):
        if getattr(args, option, False) and not fixing:
            # Alone they would change nothing, silently: a user who typed them expects
            # fixes to be made or shown.
            raise AbcUsageError(f"--{option.replace('_', '-')} works with --fix or --diff,"
                                " and alone changes nothing: add one of them")
    s.config_path = config_path
    s.mode = args.mode or conf.get("mode", "auto")
    s.select = _split_codes(args.select) if args.select else _split_codes(conf.get("select"))
    if s.select == []:
        # --select "" (an unset variable in a CI line) would turn every rule off and pass.
        where = "--select" if args.select else f"select in {config_path}"
        raise AbcUsageError(f"{where} names no rule code: give codes or prefixes (ABC3,"
                            " ABC301) or ALL")
    s.ignore = _split_codes(args.ignore) or _split_codes(conf.get("ignore")) or []
    s.extend_select = (
        _split_codes(args.extend_select) or _split_codes(conf.get("extend-select")) or []
    )
    profile = getattr(args, "profile", None)
    if profile is not None:
        from ..validate.registry import PROFILES

        s.extend_select = [*s.extend_select, *PROFILES[profile]]
    s.fmt = args.fmt or conf.get("format", "concise")
    jobs = args.jobs if args.jobs is not None else conf.get("jobs", 1)
    if not 0 <= jobs <= MAX_JOBS:
        raise AbcUsageError(f"--jobs must be 0 (one per CPU) to {MAX_JOBS}")
    s.jobs = jobs or (os.cpu_count() or 1)
    s.exclude = list(args.exclude or conf.get("exclude", []))
    s.statistics = bool(args.statistics if args.statistics is not None
                        else conf.get("statistics", False))
    if s.statistics and s.fmt not in ("concise", "full", "json"):
        raise AbcUsageError(f"--statistics prints a table or, with --format json, JSON;"
                            f" not {s.fmt}")
    s.exit_zero = bool(args.exit_zero if args.exit_zero is not None
                       else conf.get("exit-zero", False))
    s.stdin_filename = args.stdin_filename
    s.fix = bool(getattr(args, "fix", False))
    s.diff = bool(getattr(args, "diff", False))
    s.unsafe_fixes = bool(getattr(args, "unsafe_fixes", False))
    s.reformat = bool(getattr(args, "reformat", False))
    s.quiet = bool(getattr(args, "quiet", False))
    _check_codes(s.select or [], "--select")
    _check_codes(s.ignore, "--ignore")
    _check_codes(s.extend_select, "--extend-select")
    return s


def _check_codes(codes: list[str], option: str) -> None:
    """Every selector must match some code: ``--ignore ABC3O1`` (a letter O) would
    otherwise silently ignore nothing."""
    from ..validate import registry

    known = list(registry())
    for c in codes:
        if c == "ALL":
            continue
        if not any(k.startswith(c) for k in known):
            raise AbcUsageError(f"{option} {c}: no rule code starts with {c!r}")


# ---------------------------------------------------------------------------------------
# Files


Event = tuple[str, str, Any, Any]  # ("file", name, error, None) | ("found", name, d, line)


def _targets(settings: Settings, stdin: bytes | BinaryIO | None
             ) -> Iterator[tuple[str, str | None, Any]]:
    """(name shown, error, source for iter_tunes) of each file to check, in order. A file
    that is not ABC text (a PNG, a zip, UTF-16, random bytes: :func:`abcparse.source.not_abc`,
    the rule ``--fix`` and ``abcparse format`` apply) is bad input: one line, exit 2,
    not a page of findings."""
    for path, error in collect(settings.paths, settings.exclude):
        if error is not None:
            yield path, f"{path}: {error}", None
        elif path == "-":
            shown = settings.stdin_filename or "-"
            source = stdin if stdin is not None else sys.stdin.buffer
            why = _not_abc(source)
            if why is not None:
                yield shown, f"{shown}: not an ABC file: {why}", None
            else:
                yield shown, None, source
        else:
            try:
                with open(path, "rb") as f:
                    why = not_abc_stream(f)
            except OSError:
                why = None  # iter_tunes reports it, in its words
            if why is not None:
                yield path, f"{path}: not an ABC file: {why}", None
            else:
                yield path, None, path


def _not_abc(source: bytes | BinaryIO) -> str | None:
    if isinstance(source, bytes):
        return not_abc(source[:SNIFF_BYTES], [source[SNIFF_BYTES:]])
    if source.seekable():
        return not_abc_stream(source)
    return None  # a pipe read as it comes (only when run() was not given it spooled)


def lint_events(settings: Settings, stdin: bytes | BinaryIO | None = None) -> Iterator[Event]:
    """Check every file of ``settings``, one tune at a time: ("file", name, error, None)
    as each file starts (error: why it cannot be read, else None), then ("found", name,
    diagnostic, text of its line or None) for each finding, in file and position order.
    With ``jobs`` > 1, worker processes check stretches of tunes (:mod:`.jobs`); the
    events are the same."""
    from .jobs import Selection, lint_parallel

    selection = Selection(
        settings.mode,
        tuple(settings.select) if settings.select is not None else None,
        tuple(settings.ignore),
        tuple(settings.extend_select),
    )
    want_lines = settings.fmt == "full"
    if settings.jobs > 1:
        yield from lint_parallel(_targets(settings, stdin), selection, settings.jobs,
                                 want_lines)
        return
    from ..api import iter_tunes
    from ..validate.check import StreamCheck, select_rules

    rules = select_rules(selection.select, selection.ignore, selection.extend_select)
    for name, error, source in _targets(settings, stdin):
        if error is not None:
            yield "file", name, error, None
            continue
        try:
            stream = iter_tunes(source, mode=settings.mode, path=name)
        except AbcError as e:
            yield "file", name, str(e), None
            continue
        yield "file", name, None, None
        check = StreamCheck(stream, mode=settings.mode, rules=rules, lines=want_lines)
        try:
            for d in check:
                yield "found", name, d, check.lines.get(d.span.line)
        except AbcError as e:  # the file failed to read half-way
            yield "file", name, str(e), None


def lint(settings: Settings, stdin: bytes | None = None) -> list[FileReport]:
    """Check every file of ``settings`` and return the reports, in path order (what
    :func:`lint_events` streams, gathered)."""
    reports: list[FileReport] = []
    for kind, name, a, b in lint_events(settings, stdin):
        if kind == "file":
            if a is not None:
                reports.append(FileReport(name, error=a))
            elif not reports or reports[-1].path != name or reports[-1].error:
                reports.append(FileReport(name))
        else:
            report = reports[-1]
            report.diagnostics.append(a)
            if b is not None:
                report.lines[a.line] = b
    return reports


# ---------------------------------------------------------------------------------------
# --fix and --diff: the repairs (docs/repair.md), safe unless --unsafe-fixes, and with
# --reformat the formatter (docs/format.md).


def _formatter() -> Any:
    try:
        from .. import format as fmt
    except ImportError:
        return None
    if not all(hasattr(fmt, n) for n in ("format_text", "format_file", "read_source")):
        return None
    return fmt


def fix_files(settings: Settings, out: Any) -> int:
    """Fix (``--fix``) or show the changes (``--diff``) of every file: 2 when the
    formatter is missing, a file cannot be read or is not ABC text
    (:func:`abcparse.source.not_abc`, then it is not touched), 1 when ``--diff`` shows a change,
    else 0. Each fix applied is listed (marked safe or unsafe), and so is each safe fix
    the music engine withdrew; with ``--unsafe-fixes`` every tune whose music changed.
    A formatting (``--reformat``) that fails its own safety checks (ABC902-ABC904)
    leaves the file repaired but unformatted, and is reported."""
    fmt = _formatter()
    if fmt is None:
        print("abc-lint: --fix and --diff need the formatter (abcparse.format), which this"
              " installation does not have", file=sys.stderr)
        return 2
    status = 0
    changed = False
    for path, error in collect(settings.paths, settings.exclude):
        if error is not None:
            print(f"abc-lint: {path}: {error}", file=sys.stderr)
            status = 2
            continue
        if path == "-":
            try:
                stdin_changed, left = _fix_stdin(settings, out)
            except AbcError as err:
                print(f"abc-lint: {err}", file=sys.stderr)
                status = 2
                continue
            changed = changed or stdin_changed
            if left and not settings.exit_zero:
                status = max(status, 1)
            continue
        try:
            # Binary data, UTF-16/32, no line of ABC: refused, never rewritten (issue 13).
            refuse_non_abc(path)
            # The formatter's own settings ([tool.abcparse.format]) for this file's folder.
            options = (fmt.load_options(os.path.dirname(os.path.abspath(path)))
                       if hasattr(fmt, "load_options") else None)
            # Repairs first (abcparse.format.repair, listed as they change the music),
            # then the formatter with its own safety checks; a unit of the file at a
            # time, written atomically.
            changed = _fix_streamed(path, path, options, settings, out) or changed
        except AbcError as e:
            print(f"abc-lint: {e}", file=sys.stderr)
            status = 2
    if status == 0 and settings.diff and changed and not settings.exit_zero:
        status = 1  # as ruff: --diff fails when something would change
    return status


def _fix_stdin(settings: Settings, out: Any) -> tuple[bool, int]:
    """``--fix -``: standard input fixed, written to standard output in its own encoding
    (as ``abcparse format -`` writes it; docs/cli.md, row 9), with what was fixed and
    the findings left in the fixed text on standard error (standard output holds the
    text alone); ``--diff -`` prints the diff instead. Repaired a unit at a time, as a
    file is (:func:`_fix_streamed`): the input and the fixed text wait in temporary
    files, so memory is bounded by the largest tune. Whether it changed, and how many
    findings are left."""
    import shutil
    import tempfile

    from ..api import iter_tunes
    from ..validate.check import StreamCheck, select_rules

    name = settings.stdin_filename or "-"
    options = None
    if settings.reformat:
        from ..format import load_options

        options = load_options(os.getcwd())
    with spool_stdin() as spool:  # NothingRead when empty
        refuse_non_abc(spool, name)
        if settings.diff:
            return _fix_streamed(spool, name, options, settings, out), 0
        with tempfile.TemporaryFile() as fixed:
            changed = _fix_streamed(spool, name, options, settings, out, into=fixed)
            out.flush()
            fixed.seek(0)
            shutil.copyfileobj(fixed, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            fixed.seek(0)
            rules = select_rules(settings.select, settings.ignore, settings.extend_select)
            left = 0
            for d in StreamCheck(iter_tunes(fixed, mode=settings.mode, path=name),
                                 mode=settings.mode, rules=rules):
                print(f"{name}:{d.line}:{d.col}: {d.code} {d.message}", file=sys.stderr)
                left += 1
    return changed, left


def _fix_diff_names(path: str) -> tuple[str, str]:
    """The two file lines of a --diff: ``a/PATH`` and ``b/PATH`` (``patch -p1``), each
    name ended by a tab, as GNU diff ends it, so that ``patch`` reads a name with spaces
    whole."""
    return f"a/{path}\t(original)", f"b/{path}\t(fixed)"


def _report_fix_outcome(path: str, withdrawn: list[tuple[int, int, str, str]],
                        music: list[tuple[int, str]]) -> None:
    """Print the safe fixes withdrawn and the tunes whose music unsafe fixes changed."""
    for line, col, code, reason in withdrawn:
        print(f"{path}:{line}:{col}: not fixed {code}: the safe fix was withdrawn: {reason}",
              file=sys.stderr)
    for line, name in music:
        print(f"{path}:{line}:1: {name}: unsafe fixes changed the music of this tune",
              file=sys.stderr)


def _fix_streamed(source: str | BinaryIO, path: str, options: Any, settings: Settings,
                  out: Any, into: BinaryIO | None = None) -> bool:
    """``--fix``/``--diff`` of a file (``source``, a path, or standard input spooled to a
    temporary file, named ``path`` in messages): repaired and formatted a unit at a time
    (a tune with what belongs to it, :func:`abcparse.rewrite.fix_stream`), the result
    streamed into the file's atomic rewrite, or into ``into`` (the text whole, changed
    or not), or a diff, so that memory is bounded by the largest tune: repaired whole, a
    tunebook of 3.8 MB took 0.96 GB. What the repair of the whole text reads from the
    whole file, each unit is given (every X: number of the file, read first from the
    tunes' headers alone; whether the tune before ends with an empty line): the result
    is the whole-text repair's (``fix_text``; a test compares them). True when the text
    changes."""
    import codecs
    import contextlib

    from ..api import iter_tunes
    from ..fileio import atomic_writer
    from ..format import FormatOptions
    from ..rewrite import StreamDiff, TextSpool, file_numbers, fix_stream

    if not isinstance(source, str):
        source.seek(0)
    numbers = file_numbers(source, settings.mode)
    if not isinstance(source, str):
        source.seek(0)
    stream = iter_tunes(source, mode=settings.mode, path=path)

    @contextlib.contextmanager
    def writer() -> Iterator[BinaryIO]:
        """The file's atomic rewrite, or ``into`` from its start."""
        if into is None:
            with atomic_writer(path) as f:
                yield f
        else:
            into.seek(0)
            into.truncate()
            yield into

    def encode(text: str, first: list[bool]) -> bytes:
        data = text.encode(stream.encoding, errors="surrogateescape")
        if first and first.pop() and stream.bom:
            data = codecs.BOM_UTF8 + data
        return data

    with contextlib.ExitStack() as stack:
        def spool() -> TextSpool:
            return stack.enter_context(contextlib.closing(TextSpool()))

        repaired = spool()
        names = _fix_diff_names(path)
        # Two diffs: of the formatted text, and of the repaired one (shown when the
        # formatting is refused and the repairs alone are the change).
        spools = (spool(), spool()) if settings.diff else None
        diffs = ((StreamDiff(*names, spools[0].write), StreamDiff(*names, spools[1].write))
                 if spools is not None else None)
        kw: dict[str, Any] = dict(
            target=settings.mode, select=settings.select, ignore=settings.ignore,
            extend_select=settings.extend_select, repaired_out=repaired.write,
            diff=diffs[0].segment if diffs is not None else None,
            diff_repaired=diffs[1].segment if diffs is not None else None,
            unsafe=settings.unsafe_fixes, reformat=settings.reformat, numbers=numbers)
        opts = options if options is not None else FormatOptions()
        if settings.diff:
            result = fix_stream(stream, opts, **kw)
        else:
            class Keep(Exception):
                """Leave the formatted text unwritten."""

            try:
                with writer() as f:
                    first = [True]
                    result = fix_stream(stream, opts, write=lambda t: f.write(encode(t, first)),
                                        **kw)
                    if into is None and (not result.changed or not result.formatting.ok):
                        raise Keep
            except Keep:
                pass
            if result.repairs and not result.formatting.ok:
                # The formatting was refused: the repaired text, unformatted.
                with writer() as f:
                    first = [True]
                    repaired.copy_to(f, lambda t: encode(t, first))
        verb = "would fix" if settings.diff else "fixed"  # --diff writes nothing
        for line, col, code, why, safe in result.repairs:
            mark = "" if safe else " (unsafe)"
            print(f"{path}:{line}:{col}: {verb} {code}{mark}: {why}", file=sys.stderr)
        _report_fix_outcome(path, result.withdrawn, result.music_changes)
        if diffs is not None and spools is not None and result.changed:
            shown = 0 if result.formatting.ok else 1
            diffs[shown].close()
            spools[shown].copy_to(out)
        for d in result.formatting.diagnostics:
            print(f"{path}:{d.line}:{d.col}: {d.code} {d.message}", file=sys.stderr)
    return result.changed


# ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, *, stdin: bytes | None = None, out: Any = None) -> int:
    """The handler of ``abcparse check`` and the body of ``abc-lint``."""
    out = out if out is not None else sys.stdout
    if args.explain is not None:
        from ..validate import find_rule

        found_rule = find_rule(args.explain)
        if found_rule is None:
            print(f"abc-lint: no rule {args.explain!r}; codes look like ABC301",
                  file=sys.stderr)
            return 2
        out.write(found_rule.explanation())
        return 0
    settings = resolve(args)
    # Nothing to read is not a clean run (docs/cli.md): a warning and exit 2.
    if next(iter(collect(settings.paths, settings.exclude)), None) is None:
        raise nothing_found(settings.paths, settings.exclude)
    source: bytes | BinaryIO | None = stdin
    if "-" in settings.paths and not (settings.fix or settings.diff):
        if stdin is None:
            source = spool_stdin()
        elif is_blank(stdin):
            raise empty_stdin()
    try:
        return _run(settings, source, out)
    finally:
        if source is not None and not isinstance(source, bytes):
            source.close()


def _run(settings: Settings, stdin: bytes | BinaryIO | None, out: Any) -> int:
    status = 0
    # A file --fix could not read or write was reported by it, in one line: the others
    # are still checked and their findings reported (row 5 of docs/cli.md), without
    # that line again, and the run ends with exit 2.
    fix_failed = False
    if settings.fix or settings.diff:
        status = fix_files(settings, out)
        if settings.diff:
            return status
        fix_failed = status == 2
        if "-" in settings.paths:
            # Standard input was fixed to standard output, with its findings left (above).
            settings = replace(settings, paths=[p for p in settings.paths if p != "-"])
            if not settings.paths:
                return status
    # After --fix, what it could not fix is not offered again (see report.fix_safety).
    tried = (frozenset(("safe", "unsafe") if settings.unsafe_fixes else ("safe",))
             if settings.fix else frozenset())
    report = StreamReport(settings.fmt, out, settings.statistics, tried)
    errors = 0
    for kind, name, a, b in lint_events(settings, stdin):
        if kind == "file":
            if a is not None:
                if not fix_failed:
                    print(f"abc-lint: {a}", file=sys.stderr)
                errors += 1
        else:
            report.add(name, a, b)
    report.close()
    if settings.fmt in ("concise", "full") and not settings.statistics and not settings.quiet:
        line = report.summary()
        if not line and not errors:
            line = "All checks passed!\n"  # ruff's words for a clean run
        if line:
            print(line, end="", file=sys.stderr)
    if errors or fix_failed:
        return 2
    if report.total and not settings.exit_zero:
        return 1
    return status  # 1 when findings are left in a fixed standard input
