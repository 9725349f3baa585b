"""Rewriting a tunebook one tune at a time: the formatter, the transposer, their diffs.

``abcparse format``, ``abcparse transpose`` and ``abc-lint --fix`` used to read a whole
file, format its whole text, parse the whole result again for the safety checks and
build a diff of the whole text, which took gigabytes and a superlinear time on big
collections. Here a file is read with :func:`abcparse.iter_tunes` and rewritten a
segment at a time, a segment being a tune with the free text and empty lines before it
(and, last, what follows the last tune):

- formatting drives the formatter's own :class:`~abcparse.format.Printer` over the
  chunks in file order, as ``Printer.format`` does over a whole text, so the output is
  the same text (a test compares them on every corpus file, in every option);
- the safety checks (:func:`abcparse.format.safety.check_formatting`: same music,
  idempotent, no new diagnostic) run per segment, on the segment read after the file's
  version line and file header (which decide how a tune is read, §2.2.2, §12), and their
  findings are placed in the file; a segment the formatter leaves unchanged needs none.
  A segment that fails a check is written as it was (its findings say so) and the rest
  of the file is formatted: one tune a printer bug trips must not keep a tunebook of a
  thousand tunes unformatted, and findings about the file as a whole (two tunes with one
  ``X:`` number) are no tune's doing (issue 13);
- the diff is a unified diff built from each tune's own line matches and grouped into
  hunks over the whole file as :func:`difflib.unified_diff` groups them (:class:`StreamDiff`);
- the output is written as it comes, into :func:`abcparse.fileio.atomic_writer`'s
  temporary file, or into a temporary spool when it may only be shown at the end (a
  diff, standard output).

:func:`abcparse.format.format_text` runs the same code over a text held in memory
(:func:`text_segments`), so the API and the command agree tune for tune.
"""

from __future__ import annotations

import difflib
import itertools
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from .api import Piece, TuneStream
from .diagnostics import Diagnostic, Span, sort_diagnostics
from .format import FormatOptions
from .format.printer import Printer, file_chunks
from .format.safety import TuneCheck, check_formatting
from .gcpause import paused_gc
from .source import NEWLINE_RE
from .split import Chunk, text_lines

if TYPE_CHECKING:
    import os

    from .format.repair import FileNumbers

_NEWLINES = {"lf": "\n", "crlf": "\r\n"}


@dataclass
class Segment:
    """One segment of a file: its chunks, and their text before and after."""

    chunks: list[Chunk]
    original: str
    rewritten: str = ""
    line: int = 1  # the line of the file it starts on


def segments(stream: TuneStream) -> Iterator[list[Piece]]:
    """The pieces of a file cut after each tune: each list ends with a tune (the last
    one may hold only what follows the last tune)."""
    return _cut(stream.pieces(build=False))


def repair_units(pieces: Iterable[Piece]) -> Iterator[list[Piece]]:
    """The pieces of a file cut where the repair of the whole text cuts it into parts
    (``format.repair._unit_starts``): before each tune after the first, or before the
    field or text lines written right above it (they are its, ABC202); what follows a
    tune up to there is that tune's (free text, or music an empty line cut off from it,
    ABC209, even when that reads as a tune without X:). :func:`fix_stream` repairs a
    file a unit at a time, so each tune is repaired with what the whole-text repair
    gives it."""
    group: list[Piece] = []
    has_tune = False
    for piece in pieces:
        # A tune chunk with no X: line is the rest of a tune an empty line cut (ABC209,
        # ABC201 stays quiet about it): the check of its unit must see what came before.
        if piece.chunk.kind == "tune" and piece.chunk.text.startswith("X:"):
            if has_tune:
                if group[-1].chunk.kind in ("text", "header"):
                    above = group.pop()
                    yield group
                    group = [above]
                else:
                    yield group
                    group = []
            has_tune = True
        group.append(piece)
    if group:
        yield group


def text_segments(text: str, mode: str = "auto") -> Iterator[list[Piece]]:
    """:func:`segments` of a text held in memory, cut as :func:`abcparse.parse` cuts it
    in ``mode`` (the chunks the printer sees when it formats the whole text)."""
    return _cut(Piece(c) for c in file_chunks(text, mode))


def _cut(pieces: Iterable[Piece]) -> Iterator[list[Piece]]:
    group: list[Piece] = []
    for piece in pieces:
        group.append(piece)
        if piece.chunk.kind == "tune":
            yield group
            group = []
    if group:
        yield group


# ---------------------------------------------------------------------------------------
# Formatting


@dataclass
class FormatOutcome:
    """What formatting a file found: whether it changes, and the safety checks'
    findings (ABC902-ABC904, placed in the file). Each finding names a segment (a tune
    with what comes before it) that was left as it was; the rest is formatted.
    ``refused`` counts those segments, ``checks`` holds the outcome of each tune that
    failed a check (its index in the file: every other tune passed)."""

    changed: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tunes: int = 0
    refused: int = 0
    checks: list[TuneCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


@dataclass
class Formatted:
    """One segment, formatted: its text as read, as written (the original when a check
    failed), the checks' findings, the outcome per tune (indices count from the
    segment's first tune) and how many tunes it holds."""

    original: str
    text: str
    diagnostics: list[Diagnostic]
    checks: list[TuneCheck]
    tunes: int


class StreamFormatter:
    """Formats a file's segments in order (see the module docstring). Feed
    :meth:`segment` each segment's pieces; it returns the formatted text of the
    segment (the first one also holds the version line and the file header)."""

    def __init__(self, options: FormatOptions, newline: str, first_line: str = "") -> None:
        self.options = options
        self.printer = Printer(options)
        self.newline = _NEWLINES.get(options.line_ending, newline)
        self.first_line = first_line  # the file's first line, where file-wide findings go
        self.glue_next = False
        self.seen_content = False
        self.seen_tune = False
        self.index = 0  # chunks so far (the printer's i)
        self.blocks_written = 0
        self.head_original = ""  # version line and file header as read ...
        self.head_formatted = ""  # ... and as printed, to read later segments after
        self.head_lines = 0
        self.head_changed = False
        self.head_kept = ""  # the head as read, to be read after when it is kept
        self.head_printed = ""  # the head as printed, whether written or kept
        self.outcome = FormatOutcome()
        self._first_segment = True

    def resume(self, header: str | None, head: tuple[str, str, int, bool, str]) -> None:
        """Start after the file's first segment (in another process): the printer reads
        the file header again (its U: and I: fields apply to every tune), later segments
        are read after ``head`` (:meth:`head_state` of the formatter that read it)."""
        if header is not None:
            self.printer.file_header(header)
        self.glue_next = False
        self.seen_content = self.seen_tune = True
        self.index = 1
        self.blocks_written = 1
        (self.head_original, self.head_formatted, self.head_lines, self.head_changed,
         self.head_printed) = head
        self._first_segment = False

    def head_state(self) -> tuple[str, str, int, bool, str]:
        return (self.head_original, self.head_formatted, self.head_lines, self.head_changed,
                self.head_printed)

    def _add(self, chunk: Chunk, blocks: list[list[str]]) -> None:
        """``Printer.format``'s loop body, one chunk."""
        printer = self.printer
        kind = chunk.kind
        i = self.index
        self.index += 1
        if kind == "blank":
            self.glue_next = False
            return
        if kind == "version":
            lines = [printer.version_line(chunk.text)]
        elif kind == "header" and not self.seen_tune:
            lines = printer.file_header(chunk.text)
        elif kind == "tune":
            self.seen_tune = True
            lines = printer.tune(chunk.text)
        else:
            lines = [ln.rstrip() for ln in text_lines(chunk.text)]
            lines = [ln for ln in lines if ln] or lines[:1]
        if not self.seen_content and kind != "version" and i > 0 and chunk.text.startswith(
                "%abc"):
            # A `%abc` line after leading empty lines is not a version line (§2.1).
            blocks.append([])
        if self.glue_next and blocks:
            blocks[-1].extend(lines)
        else:
            blocks.append(lines)
        self.glue_next = kind != "tune"
        self.seen_content = True

    def _text(self, blocks: list[list[str]]) -> str:
        """Blocks as ``Printer.format`` joins them: one empty line between blocks."""
        nl = self.newline
        out: list[str] = []
        for lines in blocks:
            if self.blocks_written:
                out.append(nl)
            self.blocks_written += 1
            out.extend(ln.replace("\n", nl) + nl for ln in lines)
        return "".join(out)

    def segment(self, pieces: list[Piece]) -> str:
        """The formatted text of one segment; its safety checks' findings go to
        :attr:`outcome`. A segment that fails them comes back as it was."""
        return self.format_segment(pieces).text

    def format_segment(self, pieces: list[Piece]) -> Formatted:
        """One segment formatted and checked (see :class:`Formatted`)."""
        blocks: list[list[str]] = []
        chunks = [p.chunk for p in pieces]
        for chunk in chunks:
            self._add(chunk, blocks)
        first = self._first_segment
        if first and self.options.target == "2.1":
            blocks = self.printer._declare_21(blocks, chunks)
        text = self._text(blocks)
        original = "".join(c.text for c in chunks)
        tunes = sum(c.kind == "tune" for c in chunks)
        self.outcome.tunes += tunes
        before = len(self.outcome.diagnostics)
        checks: list[TuneCheck] = []
        if first:
            self._first_segment = False
            self._set_head(chunks)
            if text != original:
                checks = self._check(original, text, 0, 1, chunks[0].start if chunks else 0)
        elif text != original or self.head_changed:
            # Read after the head, the segment's text starts a block: without the empty
            # line that separates it from the tune before in the file.
            line = chunks[0].line
            nl = self.newline
            alone = text[len(nl):] if text.startswith(nl) else text
            formatted = self.head_formatted
            if alone:
                formatted = formatted + nl + alone if formatted else alone
            checks = self._check(self.head_original + original, formatted,
                                 len(self.head_original), line, chunks[0].start)
        found = self.outcome.diagnostics[before:]
        if found:
            # Left as it was. The segment that holds the file header keeps its header
            # too, so later tunes are checked as they will be read: after that header.
            self.outcome.refused += 1
            if first:
                self.head_formatted = self.head_kept
                self.head_changed = False
            text = original
        return Formatted(original, text, found, checks, tunes)

    def _set_head(self, chunks: list[Chunk]) -> None:
        """The version line and file header, as read and as printed, that later segments
        are read after (a tune is read as the version line and the file header say)."""
        head: list[Chunk] = []
        for c in chunks:
            if c.kind not in ("version", "header", "blank"):
                break
            head.append(c)
        while head and head[-1].kind == "blank":
            head.pop()
        if not head and self.options.target != "2.1":
            # No file header. A later segment read alone would take free text at its
            # start (``E: one`` between two tunes) for a file header (§2.2.2), and print
            # it as one on the second pass: read after a comment line instead, which is
            # a file header that sets nothing, as the segment is read in the file.
            self.head_kept = self.head_formatted = self.head_printed = "%" + self.newline
            self.head_original = self.head_kept + self.newline
            self.head_lines = 2
            return
        original = "".join(c.text for c in head)
        if original and not original.endswith(("\n", "\r")):
            original += "\n"
        printer = Printer(self.options)
        lines: list[str] = []
        for c in head:
            if c.kind == "version":
                lines.append(printer.version_line(c.text))
            elif c.kind == "header":
                lines.extend(printer.file_header(c.text))
        if self.options.target == "2.1":
            if lines and head[0].kind == "version":
                lines = printer._declare_21([lines], head)[0]
            else:
                lines = ["%abc-2.1", *lines]
        nl = self.newline
        formatted = "".join(ln.replace("\n", nl) + nl for ln in lines)
        # An empty line ends the head, so what follows is read as it is in the file.
        self.head_kept = original
        self.head_original = original + ("\n" if original else "")
        self.head_formatted = formatted  # an empty line goes between it and a segment
        self.head_printed = formatted
        self.head_lines = len(text_lines(self.head_original))
        self.head_changed = self.head_original != self.head_formatted

    def _check(self, original: str, formatted: str, head_chars: int, line: int,
               offset: int) -> list[TuneCheck]:
        """The formatter's safety checks on one segment (read after the head), their
        findings placed in the file: ``head_chars`` characters of head come first in the
        texts, the segment starting at ``line`` and ``offset`` of the file."""
        opts = self.options
        again_printer = Printer(opts)
        again_printer.number = self.printer.number - _renumbered(formatted, opts)
        again = again_printer.format(formatted)
        kept = self.head_formatted
        if head_chars and kept != self.head_printed and again.startswith(self.head_printed):
            # The head was kept as it was (its segment failed): a second pass prints it,
            # as the first did; what must not change is the segment after it.
            again = kept + again[len(self.head_printed):]
        diags, checks = check_formatting(original, formatted, again, opts)
        head_lines = self.head_lines if head_chars else 0
        for d in diags:
            s = d.span
            if s.start < head_chars or (s.line == 1 and s.start == 0 and head_chars == 0
                                        and line > 1 and _file_wide(d)):
                span = _first_line_span(self.first_line)
            else:
                shift = line - 1 - head_lines
                span = Span(s.line + shift, s.col, s.end_line + shift, s.end_col,
                            s.start - head_chars + offset, s.end - head_chars + offset)
            self.outcome.diagnostics.append(
                Diagnostic(d.code, d.message, span, d.severity, d.rule, d.fix))
        return checks


def _renumbered(formatted: str, opts: FormatOptions) -> int:
    """With ``renumber``, how many X: numbers formatting ``formatted`` again gives out
    (so the second pass starts where the first started)."""
    if not opts.renumber:
        return 0
    probe = Printer(opts)
    probe.format(formatted)
    return probe.number


def _file_wide(d: Diagnostic) -> bool:
    return not d.message.startswith("X:") and " (" not in d.message.split(":", 1)[0]


def _first_line_span(first_line: str) -> Span:
    end = len(first_line)
    return Span(1, 1, 1, end + 1, 0, end)


def format_stream(
    stream: TuneStream,
    options: FormatOptions,
    write: Callable[[str], object] | None = None,
    diff: Callable[[str, str], None] | None = None,
    jobs: int = 1,
    pool: Executor | None = None,
) -> FormatOutcome:
    """Format the file ``stream`` reads, a segment at a time: ``write`` gets the
    formatted text piece by piece, ``diff`` each segment's (original, formatted) text.
    Returns whether the text changes and the safety checks' findings: each names a tune
    that was left as it was (its segment is written unformatted), the rest is formatted.

    With ``jobs`` > 1, the segments after the first are formatted and checked in that
    many worker processes (``pool``, or a pool of its own), in batches, and handed on in
    order: the same output. (Not with ``renumber``, whose X: counter runs through the
    file.)"""
    return format_segments(segments(stream), options, stream.newline, write, diff, jobs,
                           pool)


def format_segments(
    cut: Iterator[list[Piece]],
    options: FormatOptions,
    newline: str,
    write: Callable[[str], object] | None = None,
    diff: Callable[[str, str], None] | None = None,
    jobs: int = 1,
    pool: Executor | None = None,
) -> FormatOutcome:
    """:func:`format_stream` over segments (:func:`segments`, :func:`text_segments`) of a
    file whose dominant line end is ``newline``."""
    pending_original: list[str] = []
    pending_formatted: list[str] = []
    same = True
    outcome = FormatOutcome()
    parallel = jobs > 1 and not options.renumber
    for seg in _formatted(cut, options, newline, jobs if parallel else 1, pool):
        outcome.diagnostics.extend(seg.diagnostics)
        outcome.refused += bool(seg.diagnostics)
        # Only the tunes that failed are kept (memory stays flat on a big book).
        outcome.checks.extend(TuneCheck(outcome.tunes + c.index, c.music_kept, c.idempotent,
                                        c.no_new_diagnostic) for c in seg.checks if not c.ok)
        outcome.tunes += seg.tunes
        if write is not None:
            write(seg.text)
        if diff is not None:
            diff(seg.original, seg.text)
        if same:
            same, pending_original, pending_formatted = _same_so_far(
                pending_original, pending_formatted, seg.original, seg.text)
    outcome.changed = not (same and not pending_original and not pending_formatted)
    sort_diagnostics(outcome.diagnostics)
    return outcome


def _formatted(cut: Iterator[list[Piece]], options: FormatOptions, newline: str, jobs: int,
               pool: Executor | None) -> Iterator[Formatted]:
    """Each segment formatted and checked, in order."""
    fmt: StreamFormatter | None = None
    pieces: list[Piece] = []
    for pieces in cut:
        if fmt is None:
            first = pieces[0].chunk.text if pieces else ""
            first_line = text_lines(first)[0] if first else ""
            fmt = StreamFormatter(options, newline, first_line)
        with paused_gc():  # one segment's tunes (see gcpause); never across the yield
            done = fmt.format_segment(pieces)
        yield done
        if jobs > 1:
            break
    if fmt is None or jobs <= 1:
        return
    header = next((p.chunk.text for p in pieces if p.chunk.kind == "header"), None)
    context = (options, fmt.newline, fmt.first_line, header, fmt.head_state())
    if pool is not None:
        yield from _format_parallel(cut, context, jobs, pool)
        return
    from concurrent.futures import ProcessPoolExecutor

    from .parser import line_parser

    line_parser()  # built once, before the workers fork
    with ProcessPoolExecutor(max_workers=jobs) as own:
        yield from _format_parallel(cut, context, jobs, own)


BATCH_SEGMENTS = 32  # segments (tunes) per batch of ``format --jobs``


def format_batch(context: tuple[Any, ...], batch: list[list[tuple[str, str, int, int]]]
                 ) -> list[Formatted]:
    """Run in a worker: format and check segments of a file after its first one."""
    options, newline, first_line, header, head = context
    fmt = StreamFormatter(options, newline, first_line)
    fmt.resume(header, head)
    return [fmt.format_segment([Piece(Chunk(*c)) for c in chunks]) for chunks in batch]


def _format_parallel(cut: Iterator[list[Piece]], context: tuple[Any, ...], jobs: int,
                     pool: Executor) -> Iterator[Formatted]:
    queue: deque[Future[list[Formatted]]] = deque()
    batch: list[list[tuple[str, str, int, int]]] = []
    for pieces in itertools.chain(cut, [None]):
        if pieces is not None:
            batch.append([(p.chunk.kind, p.chunk.text, p.chunk.start, p.chunk.line)
                          for p in pieces])
            if len(batch) < BATCH_SEGMENTS:
                continue
        if batch:
            queue.append(pool.submit(format_batch, context, batch))
            batch = []
        while queue and (pieces is None or len(queue) >= 4 * jobs):
            yield from queue.popleft().result()


def _same_so_far(a: list[str], b: list[str], more_a: str, more_b: str
                 ) -> tuple[bool, list[str], list[str]]:
    """Compare two texts given in pieces: whether they agree so far, and what of each
    is not yet compared (at most one piece's worth)."""
    x = "".join((*a, more_a))
    y = "".join((*b, more_b))
    n = min(len(x), len(y))
    if x[:n] != y[:n]:
        return False, [], []
    return True, [x[n:]] if len(x) > n else [], [y[n:]] if len(y) > n else []


# ---------------------------------------------------------------------------------------
# Repairing (abc-lint --fix on a big file)


@dataclass
class FixOutcome:
    """What repairing and formatting a file a segment at a time did: the repairs as
    (line, column, code, why, safe) in file order, and the formatting's outcome."""

    repairs: list[tuple[int, int, str, str, bool]] = field(default_factory=list)
    formatting: FormatOutcome = field(default_factory=FormatOutcome)
    # Safe fixes the music engine withdrew: (line, column, code, reason) in file order.
    withdrawn: list[tuple[int, int, str, str]] = field(default_factory=list)
    # Tunes whose music unsafe fixes changed: (line, "X:n title").
    music_changes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.repairs) or self.formatting.changed


def fix_stream(
    stream: TuneStream,
    options: FormatOptions,
    *,
    target: str = "auto",
    select: Any = None,
    ignore: Any = None,
    extend_select: Any = None,
    write: Callable[[str], object] | None = None,
    diff: Callable[[str, str], None] | None = None,
    repaired_out: Callable[[str], object] | None = None,
    diff_repaired: Callable[[str, str], None] | None = None,
    unsafe: bool = False,
    reformat: bool = True,
    numbers: FileNumbers | None = None,
) -> FixOutcome:
    """``abc-lint --fix`` a unit at a time (:func:`repair_units`: memory bounded by the
    largest tune): each unit is repaired alone by
    :func:`abcparse.format.repair.repair_text` (read after the file's version line and
    file header, as repaired with the first unit), then formatted as
    :func:`format_stream` formats: ``write`` gets the formatted text, ``repaired_out``
    the repaired text before formatting (what is written when the formatting is
    refused), ``diff`` each unit's (original, formatted) text and ``diff_repaired``
    its (original, repaired) text. ``unsafe`` as for
    :func:`~abcparse.format.repair.repair_text`; without ``reformat`` the repaired text
    is written as it is (``write`` and ``diff`` get it).

    What the repair of the whole text reads from the whole file, a unit is given:
    ``numbers`` (:class:`~abcparse.format.repair.FileNumbers`, every X: number of the
    file: :func:`file_numbers`), so that a tune repeating an earlier tune's number is
    renumbered above the file's numbers (ABC206, ABC210) as the whole-file repair
    renumbers it; and a tune whose X: line follows the tune before with no empty line
    gets one (ABC211), which the whole-file repair's first round adds."""
    from .format.fixers import SEPARATE_WHY
    from .format.repair import FileNumbers, _later_context, repair_text
    from .split import split
    from .validate import select_rules

    if numbers is None:
        numbers = FileNumbers()
    selected = select_rules(select, ignore, extend_select)
    separate = "ABC211" in selected
    after_tune = False  # the unit before ended with its tune (no text after it)
    # Mixed line ends (ABC003): every unit is repaired with its line ends written as most
    # lines of the file end, which the whole-file repair's first round does; a unit's own
    # check sees only the unit (a file joined from a CRLF book and an LF one has units
    # of each kind, each consistent alone).
    main_end = _main_line_end(stream) if "ABC003" in selected else None
    ends_fixed = False

    outcome = FixOutcome()
    fmt: StreamFormatter | None = None
    prefix = ""
    same = True
    pending_a: list[str] = []
    pending_b: list[str] = []
    loose = _loose(stream)
    found: list[Diagnostic] = []
    for pieces in repair_units(stream.pieces(build=False)):
        original = "".join(p.chunk.text for p in pieces)
        first = fmt is None
        unit = original
        if main_end is not None:
            unit = NEWLINE_RE.sub(main_end, original)
            if unit != original and not ends_fixed:
                ends_fixed = True
                outcome.repairs.append(_first_line_end(original, main_end,
                                                       pieces[0].chunk.line))
        mini = unit if first else prefix + unit
        result = repair_text(mini, target=target, warnings=True, select=select,
                             ignore=ignore, extend_select=extend_select, unsafe=unsafe,
                             numbers=numbers)
        repaired = result.text
        lines_before = 0 if first else _line_count(prefix)
        line0 = pieces[0].chunk.line if pieces else 1
        # §2.2: an X: line right after a tune, with no empty line between (ABC211).
        glued = separate and after_tune and pieces[0].chunk.kind == "tune"
        after_tune = bool(pieces) and pieces[-1].chunk.kind == "tune"
        if glued and not first and repaired.startswith(prefix):
            repaired = prefix + stream.newline + repaired[len(prefix):]
            outcome.repairs.append((line0, 1, "ABC211", SEPARATE_WHY, True))
        if not first and not repaired.startswith(prefix):
            repaired = mini  # the repair would have to change the file header: left alone
        else:
            for line, col, e in result.fixes():
                if line <= lines_before:
                    continue  # the file header's repairs are the first segment's
                outcome.repairs.append((line - lines_before + line0 - 1, col, e.code, e.why,
                                        e.is_safe))
            for line, col, w in result.withdrawn():
                if line > lines_before:
                    outcome.withdrawn.append((line - lines_before + line0 - 1, col, w.code,
                                              w.reason))
            if unsafe:
                for line, name in result.music_changes(target):
                    if line > lines_before:
                        outcome.music_changes.append((line - lines_before + line0 - 1, name))
        if first:
            chunks, _ = split(repaired, loose=loose)
            head = []
            for c in chunks:
                if c.kind not in ("version", "header", "blank"):
                    break
                head.append(c.text)
            # Later units are read after the file header, or after an empty one when
            # the file has none: read alone, a unit's first block would be taken for
            # the file header (fields above a later tune's X:, ABC202).
            prefix = _later_context(_context_prefix("".join(head)))
            first_line = text_lines(repaired)[0] if repaired else ""
            fmt = StreamFormatter(options, stream.newline, first_line)
            own = chunks
        else:
            chunks, _ = split(repaired, loose=loose)
            cut = len(prefix) + (len(stream.newline) if glued else 0)
            shift = line0 - 1 - lines_before - glued
            own = [Chunk(c.kind, c.text, c.start - cut + pieces[0].chunk.start,
                         c.line + shift) for c in chunks if c.start >= cut]
        assert fmt is not None
        own_repaired = repaired if first else repaired[len(prefix):]
        if reformat:
            seg = fmt.format_segment([Piece(c) for c in own])
            text = seg.text
            found.extend(seg.diagnostics)
            outcome.formatting.refused += bool(seg.diagnostics)
        else:
            text = own_repaired
        if write is not None:
            write(text)
        if repaired_out is not None:
            repaired_out(own_repaired)
        if diff_repaired is not None:
            diff_repaired(original, own_repaired)
        if diff is not None:
            diff(original, text)
        if same:
            same, pending_a, pending_b = _same_so_far(pending_a, pending_b, original, text)
    outcome.formatting.changed = not (same and not pending_a and not pending_b)
    if outcome.formatting.changed:
        sort_diagnostics(found)
        outcome.formatting.diagnostics = found
    return outcome




def _main_line_end(stream: TuneStream) -> str | None:
    """The line end most lines of the file have, where they are not all alike (ABC003):
    the first seen of the most common, as the ABC003 fix chooses it."""
    facts = stream.facts
    if facts is None:
        return None
    counts = {"\r\n": facts.crlf, "\r": facts.cr, "\n": facts.lf}
    kinds = sorted((k for k in facts.first_newline if counts[k]),
                   key=lambda k: facts.first_newline[k].start)
    if len(kinds) < 2:
        return None
    return max(kinds, key=lambda k: counts[k])


def _first_line_end(text: str, main: str, line0: int) -> tuple[int, int, str, str, bool]:
    """The ABC003 fix as abc-lint lists it: at the first line end of ``text`` (a unit
    starting on line ``line0``) that is not ``main``."""
    from .format.fixers import line_end_why

    line, start = line0, 0
    for m in NEWLINE_RE.finditer(text):
        if m.group() != main:
            return (line, m.start() - start + 1, "ABC003", line_end_why(m.group(), main), True)
        line += 1
        start = m.end()
    raise AssertionError("a unit rewritten for its line ends has one to rewrite")


def file_numbers(source: str | os.PathLike[str] | BinaryIO, mode: str = "auto"
                 ) -> FileNumbers:
    """Every X: number of a file (a path, or a binary stream at its start), read from
    its tunes' headers alone (:func:`abcparse.read_headers`, in the ``mode`` the file is
    repaired in, which cuts it into the same tunes): the
    :class:`~abcparse.format.repair.FileNumbers` that :func:`fix_stream` starts from, as
    the repair of the whole text starts from every number its parse holds."""
    from .api import read_headers
    from .format.repair import FileNumbers
    from .limits import bounded_int
    from .validate.structure import reference_field

    numbers = FileNumbers()
    for header in read_headers(source, mode=mode):
        f = reference_field(header.fields)
        n = bounded_int(f.value) if f is not None else None
        if n is not None:
            numbers.use((n,))
    return numbers


def _context_prefix(head: str) -> str:
    """The version line and file header a later segment is repaired after, ending with
    an empty line so that the segment stays apart from it."""
    if not head:
        return ""
    text = head if head.endswith(("\n", "\r")) else head + "\n"
    stripped = text.rstrip(" \t\r\n")
    ends = text[len(stripped):]
    if ends.count("\n") + ends.count("\r") - ends.count("\r\n") < 2:
        text += "\n"
    return text


def _line_count(text: str) -> int:
    crlf = text.count("\r\n")
    return text.count("\r") - crlf + text.count("\n")


# ---------------------------------------------------------------------------------------
# Transposing


def transpose_stream(stream: TuneStream, semitones: int,
                     write: Callable[[str], object] | None = None,
                     diff: Callable[[str, str], None] | None = None,
                     notice: Callable[[int, int, str], object] | None = None) -> bool:
    """Transpose every tune of the file ``stream`` reads (as
    :func:`abcparse.format.transpose_text` does, tune by tune: the rest is kept byte for
    byte). Returns whether the text changes; raises
    :class:`~abcparse.format.TransposeError` (with the tune's line) when a tune cannot
    be moved exactly. ``notice`` gets the file's line and column of music left at its
    pitch by design (``transpose_text``)."""
    from .format.transpose import TransposeError, transpose_text

    changed = False
    mode = "loose" if _loose(stream) else "strict"
    for pieces in segments(stream):
        out: list[str] = []
        for p in pieces:
            c = p.chunk
            if c.kind != "tune" or semitones == 0:
                out.append(c.text)
                continue
            told = None if notice is None else (
                lambda line, col, message, _at=c.line - 1: notice(line + _at, col, message))
            try:
                new = transpose_text(c.text, semitones, mode=mode, notice=told)
            except TransposeError as e:
                # transpose_text numbers the lines of the text it was given: this tune's.
                raise e.moved(c.line - 1) from None
            out.append(new)
            changed = changed or new != c.text
        original = "".join(p.chunk.text for p in pieces)
        text = "".join(out)
        if write is not None:
            write(text)
        if diff is not None:
            diff(original, text)
    return changed


def _loose(stream: TuneStream) -> bool:
    from .api import version_is_strict

    if stream.mode == "loose":
        return True
    if stream.mode == "strict":
        return False
    return not version_is_strict(stream.version)


# ---------------------------------------------------------------------------------------
# Diffs


class StreamDiff:
    """The unified diff of a file's text and its rewrite, given in corresponding segments
    (a tune with the free text and empty lines before it): ``patch``'s 3 lines of
    context, whatever the size of the file.

    Each segment is matched alone (``difflib.SequenceMatcher``); the matches are joined
    (an unchanged run across segments is one run, changes that touch are one change) and
    grouped into hunks as ``SequenceMatcher.get_grouped_opcodes`` groups them: the output
    of ``difflib.unified_diff`` over the whole texts' lines wherever it matches the tunes
    as they are matched alone (tests compare the two). A hunk's lines wait in temporary
    files until its extent is known, so a big diff costs no memory. ``out`` gets the text
    as each hunk is complete (the caller spools it).

    The commands diffed a file under 4 MB whole with ``difflib.unified_diff`` until
    2026-12-06: it held both texts' lines and the matcher's tables (107 MB for a 3.8 MB
    tunebook) and took about four times as long, and past 200 lines its heuristic that
    treats frequent lines as junk (the empty lines between tunes, ``|]``) paired lines of
    different tunes: on 28 of the 82 corpus files that formatting changes its diff was
    the longer one. ``patch`` applies the tune-by-tune diff on all 82 and on 1,154
    outside files."""

    def __init__(self, fromfile: str, tofile: str, out: Callable[[str], None],
                 context: int = 3) -> None:
        self.fromfile = fromfile
        self.tofile = tofile
        self.out = out
        self.n = context
        self.i = self.j = 0  # lines of each text consumed
        self.started = False  # the two file lines are out
        self.first = True  # no run placed yet (difflib trims a leading unchanged run)
        self.group: list[tuple[int, int, int, int]] = []  # the hunk's runs (ranges)
        self.group_changes = False
        self.body = _spool()  # the hunk's lines, prefixed
        # The unchanged run being read: start, length, first 2n+1 and last n lines.
        self.eq_start: tuple[int, int] | None = None
        self.eq_len = 0
        self.eq_head: list[str] = []
        self.eq_tail: list[str] = []
        # The change being read: start, lengths, and its lines ("-" and "+" prefixed).
        self.ch_start: tuple[int, int] | None = None
        self.ch_len = [0, 0]
        self.ch_a = _spool()
        self.ch_b = _spool()

    def segment(self, a_text: str, b_text: str) -> None:
        a = text_lines(a_text, keepends=True)
        b = text_lines(b_text, keepends=True)
        if a == b:
            self._equal(a)
            return
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
            if tag == "equal":
                self._equal(a[i1:i2])
            else:
                self._change(a[i1:i2], b[j1:j2])

    def _equal(self, lines: list[str]) -> None:
        if not lines:
            return
        self._end_change()
        if self.eq_start is None:
            self.eq_start = (self.i, self.j)
            self.eq_len = 0
            self.eq_head, self.eq_tail = [], []
        keep = 2 * self.n + 1
        for line in lines:
            if len(self.eq_head) < keep:
                self.eq_head.append(line)
            else:
                self.eq_tail.append(line)
        if len(self.eq_tail) > self.n:
            del self.eq_tail[: len(self.eq_tail) - self.n]
        self.eq_len += len(lines)
        self.i += len(lines)
        self.j += len(lines)

    def _change(self, a: list[str], b: list[str]) -> None:
        if not a and not b:
            return
        self._end_equal(last=False)
        if self.ch_start is None:
            self.ch_start = (self.i, self.j)
            self.ch_len = [0, 0]
        self.ch_a.write("".join(_diff_line("-", line) for line in a))
        self.ch_b.write("".join(_diff_line("+", line) for line in b))
        self.ch_len[0] += len(a)
        self.ch_len[1] += len(b)
        self.i += len(a)
        self.j += len(b)

    def _end_change(self) -> None:
        if self.ch_start is None:
            return
        i1, j1 = self.ch_start
        self.ch_start = None
        self.first = False
        self.group.append((i1, i1 + self.ch_len[0], j1, j1 + self.ch_len[1]))
        self.group_changes = True
        for side in (self.ch_a, self.ch_b):
            _copy(side, self.body.write)
            side.seek(0)
            side.truncate()

    def _end_equal(self, last: bool) -> None:
        if self.eq_start is None:
            return
        i1, j1 = self.eq_start
        length = self.eq_len
        head, tail = self.eq_head, self.eq_tail
        self.eq_start = None
        n = self.n
        if self.first:
            # difflib's fixup: a leading unchanged run keeps its last n lines only.
            self.first = False
            cut = max(0, length - n)
            i1, j1, length = i1 + cut, j1 + cut, length - cut
            both = head + tail  # whole, or with the middle left out (then length <= n)
            head, tail = both[len(both) - length:] if length else [], []
        if last:
            # ... and a trailing one its first n.
            length = min(length, n)
            head, tail = head[:length], []
        if length > 2 * n:
            # A long unchanged stretch ends the hunk and may start the next. (Its lines
            # kept: the first 2n + 1 and the last n, so both ends are there.)
            both = head + tail
            self.group.append((i1, i1 + n, j1, j1 + n))
            self._write(both[:n])
            self._end_group()
            k = length - n
            self.group.append((i1 + k, i1 + length, j1 + k, j1 + length))
            self._write(both[-n:] if n else [])
        else:
            self.group.append((i1, i1 + length, j1, j1 + length))
            self._write(head + tail)

    def _write(self, lines: list[str]) -> None:
        self.body.write("".join(_diff_line(" ", line) for line in lines))

    def _end_group(self) -> None:
        group, changes = self.group, self.group_changes
        self.group, self.group_changes = [], False
        if group and changes:
            if not self.started:
                self.started = True
                self.out(f"--- {self.fromfile}\n")
                self.out(f"+++ {self.tofile}\n")
            self.out(f"@@ -{_range(group[0][0], group[-1][1])}"
                     f" +{_range(group[0][2], group[-1][3])} @@\n")
            _copy(self.body, self.out)
        self.body.seek(0)
        self.body.truncate()

    def close(self) -> None:
        """The end of both texts: the last hunk (none when nothing changed)."""
        self._end_change()
        self._end_equal(last=True)
        self._end_group()
        for spool in (self.body, self.ch_a, self.ch_b):
            spool.close()


def _spool() -> IO[str]:
    """Text kept in memory up to a megabyte, then in a temporary file (closed by its
    owner); line ends are kept as they are (CR, LF, CRLF)."""
    return tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8",
                                         errors="surrogateescape", newline="")


def _copy(spool: IO[str], out: Callable[[str], Any]) -> None:
    spool.seek(0)
    while True:
        piece = spool.read(1 << 16)
        if not piece:
            return
        out(piece)


def _range(start: int, stop: int) -> str:
    """difflib's range in a unified hunk header."""
    beginning = start + 1
    length = stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


# ---------------------------------------------------------------------------------------
# Spools


class TextSpool:
    """Text that may only be shown at the end (a diff, a file formatted to standard
    output), kept in a temporary file once it outgrows a megabyte."""

    def __init__(self) -> None:
        self.file: IO[str] = _spool()
        self.empty = True

    def write(self, text: str) -> None:
        if text:
            self.empty = False
            self.file.write(text)

    def copy_to(self, out: Any, encode: Callable[[str], bytes] | None = None) -> None:
        """Write the spooled text to ``out`` (a binary stream, each piece through
        ``encode``, or a text one)."""
        self.file.seek(0)
        while True:
            piece = self.file.read(1 << 16)
            if not piece:
                break
            out.write(encode(piece) if encode is not None else piece)

    def close(self) -> None:
        self.file.close()


_NO_NEWLINE = "\n\\ No newline at end of file\n"


def _diff_line(prefix: str, line: str) -> str:
    """A line of a hunk, as ``patch`` reads it: a last line with no line end is followed
    by ``\\ No newline at end of file`` (``difflib`` leaves it unended, so the next line
    of the diff would run on after it, and ``patch`` refused such a diff)."""
    return prefix + line if line.endswith("\n") else prefix + line + _NO_NEWLINE


__all__ = [
    "FixOutcome",
    "FormatOutcome",
    "Formatted",
    "StreamDiff",
    "StreamFormatter",
    "TextSpool",
    "file_numbers",
    "fix_stream",
    "format_segments",
    "format_stream",
    "repair_units",
    "segments",
    "text_segments",
    "transpose_stream",
]
