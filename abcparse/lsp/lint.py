"""Diagnostics of an open tunebook, kept up to date a tune at a time.

A tunebook is a list of independent tunes (§2.2), and ``abc-lint`` already checks a file
through windows, one tune each (:mod:`abcparse.validate.context`): the tune, the free
text before it, and the tunes on either side to look across the empty lines. The server
does what ``abc-lint`` does, with two memories:

- :class:`Book` keeps the file cut into *pieces* (:func:`abcparse.split.pieces`: a piece
  starts at an ``X:`` line that follows an empty line or another tune's line, and nothing
  the splitter does crosses that line). An edit re-splits only the pieces it touches and
  their neighbours; the others keep their chunks and only move.
- :class:`Linter` keeps each window's findings (before suppression and de-duplication),
  keyed by the window's text and what it is told from outside (the file-level parser
  diagnostics that lie in it, the ``X:`` numbers used earlier), with positions relative
  to the window's start. A window whose key is unchanged is not parsed or checked again:
  its findings are moved to where the window now starts.

Then the findings of all windows go through one
:class:`~abcparse.validate.check.FileCheck`, which applies the suppression comments and
keeps one finding per (code, span), so the result is what ``abc-lint`` reports for the
same text (a test compares them). A change to the file header, the version line, the
mode or the rule selection empties the memory (every tune reads the header).
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..api import Piece, _BookBuilder, _file_version, _loose_split, read_headers
from ..build import build_file_header
from ..diagnostics import Diagnostic, Fix, Span, sort_diagnostics
from ..gcpause import paused_gc
from ..model import FileHeader, Tune
from ..source import TextFacts
from ..split import (
    BlockEnds,
    Chunk,
    after_empty_line,
    shift_span,
    split_pieces,
    string_blocks,
)
from ..validate.check import FileCheck, WindowCheck, make_window, windows
from ..validate.registry import Rule
from ..validate.structure import reference_field
from ..validate.suppress import WHOLE_FILE, Suppression

# A first line holding only X: and a number: that number is the tune's reference.
_PLAIN_X = re.compile(r"X:[ \t]*([0-9]{1,9})[ \t]*(?:\r\n|\r|\n|\Z)")


def _line_ends(text: str) -> int:
    crlf = text.count("\r\n")
    return text.count("\r") - crlf + text.count("\n")


class Stale(Exception):
    """Raised inside a check when a newer text is waiting: the work is dropped, what
    was learned about windows stays."""


# ---------------------------------------------------------------------------------------
# The pieces of a file


@dataclass(slots=True)
class Segment:
    """One piece of the file, cut as :func:`abcparse.split.pieces` cuts it, with its
    chunks and the splitter's diagnostics counted from the piece's start (offset 0,
    line 1), so the piece can move without being split again. ``pieces`` wraps each
    chunk for :func:`abcparse.validate.check.windows`, which reads only their kind."""

    text: str
    chunks: tuple[Chunk, ...]
    diags: tuple[Diagnostic, ...]
    lines: int  # line ends in text
    pieces: tuple[Piece, ...] = ()

    def __post_init__(self) -> None:
        self.pieces = tuple(Piece(c) for c in self.chunks)


def _segments(text: str, loose: bool, after_tune: bool = False) -> list[Segment]:
    """The pieces of ``text`` (the whole file or a stretch that starts at a piece
    boundary and ends at one; ``after_tune`` when that boundary is an ``X:`` right after
    a tune's line, see :func:`abcparse.split.pieces`)."""
    if "%%begin" in text:
        ends = BlockEnds()
        for block in string_blocks(text):
            ends.feed(block)
        last_end = ends.last
    else:
        last_end = 0
    out: list[Segment] = []
    for chunks, diags in split_pieces(iter((text,)) if text else iter(()), loose=loose,
                                      last_end=last_end, after_tune=after_tune):
        if not chunks:
            continue
        off = chunks[0].start
        lines = chunks[0].line - 1
        body = "".join(c.text for c in chunks)
        out.append(Segment(
            body,
            tuple(Chunk(c.kind, c.text, c.start - off, c.line - lines) for c in chunks),
            tuple(Diagnostic(d.code, d.message, shift_span(d.span, -off, -lines), d.severity,
                             d.rule, d.fix) for d in diags),
            _line_ends(body),
        ))
    return out


class Book:
    """A file's text cut into pieces, updated edit by edit (see the module doc)."""

    def __init__(self, text: str, mode: str) -> None:
        self.mode = mode
        self.text = ""
        self.loose = True
        self.segments: list[Segment] = []
        self.starts: list[int] = []
        self.first_lines: list[int] = []
        self.full_splits = 0  # how often the whole text was split (tests read it)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        """Cut the whole text again."""
        self.text = text
        self.loose = _loose_split(self.mode, text[:200])
        self.segments = _segments(text, self.loose)
        self.full_splits += 1
        self._layout()

    def _layout(self) -> None:
        starts: list[int] = []
        lines: list[int] = []
        off = 0
        line = 1
        for s in self.segments:
            starts.append(off)
            lines.append(line)
            off += len(s.text)
            line += s.lines
        self.starts = starts
        self.first_lines = lines

    def edit(self, start: int, end: int, new: str) -> None:
        """Replace ``text[start:end]`` by ``new``, re-splitting only the pieces around
        the edit. A ``%%begin`` block (whose end decides where pieces are cut) anywhere,
        before or after, or a change of the version line, cuts the whole text again."""
        old = self.text
        text = old[:start] + new + old[end:]
        if (not self.segments or "%%begin" in new or "%%begin" in old[start:end]
                or "%%begin" in text
                or _loose_split(self.mode, text[:200]) != self.loose):
            self.set_text(text)
            return
        n = len(self.segments)
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        j = max(bisect.bisect_right(self.starts, end) - 1, 0)
        lo = max(i - 1, 0)
        hi = min(j + 1, n - 1)
        a = self.starts[lo]
        b = self.starts[hi] + len(self.segments[hi].text)
        delta = len(new) - (end - start)
        region = text[a : b + delta]
        self.text = text
        # A region starting at offset 0 is split as the file's start (version line, file
        # header), as split_pieces splits a text whose first piece is at offset 0. One
        # that starts after a line that is not empty starts at an X: joined to the tune
        # before (a piece starts only there or after an empty line; the text before the
        # region is unchanged): its ABC211 is the region's to give.
        fresh = _segments(region, self.loose, a > 0 and not after_empty_line(text, a))
        # The pieces at either end of the region whose text and splitter diagnostics did
        # not change stay the same objects, so the linter knows their windows (it keys
        # them by identity). The same text can have other diagnostics: an X: that an
        # edit joins to the tune before it gets ABC211.
        olds = self.segments[lo : hi + 1]

        def same(x: Segment, y: Segment) -> bool:
            return x.text == y.text and x.diags == y.diags

        k = 0
        while k < min(len(fresh), len(olds)) and same(fresh[k], olds[k]):
            fresh[k] = olds[k]
            k += 1
        m = 1
        while m <= min(len(fresh), len(olds)) - k and same(fresh[-m], olds[-m]):
            fresh[-m] = olds[-m]
            m += 1
        self.segments[lo : hi + 1] = fresh
        self._layout()

    def snapshot(self) -> Book:
        """A copy that later edits do not change (the pieces are shared: an edit
        replaces pieces, it never changes one), for a check in another thread."""
        copy = Book.__new__(Book)
        copy.mode = self.mode
        copy.text = self.text
        copy.loose = self.loose
        copy.segments = list(self.segments)
        copy.starts = list(self.starts)
        copy.first_lines = list(self.first_lines)
        copy.full_splits = self.full_splits
        return copy

    # --- reading --------------------------------------------------------------------
    def header_chunk(self) -> tuple[Chunk, int, int] | None:
        """The file header chunk (kind "header" before any tune), with its offset and
        line in the file."""
        if not self.segments:
            return None
        for c in self.segments[0].chunks:
            if c.kind == "tune":
                return None
            if c.kind == "header":
                return c, c.start, c.line
        return None

    def version(self) -> str | None:
        return _file_version(list(self.segments[0].chunks)) if self.segments else None

    def split_diagnostics(self) -> list[Diagnostic]:
        """The splitter's diagnostics (ABC209, ABC211) at their places in the file."""
        out: list[Diagnostic] = []
        for s, off, line in zip(self.segments, self.starts, self.first_lines, strict=True):
            for d in s.diags:
                out.append(Diagnostic(d.code, d.message, shift_span(d.span, off, line - 1),
                                      d.severity, d.rule, d.fix))
        return out

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk at its place in the file."""
        for s, off, line in zip(self.segments, self.starts, self.first_lines, strict=True):
            for c in s.chunks:
                yield Chunk(c.kind, c.text, c.start + off, c.line + line - 1)

    def tune_chunks(self) -> list[Chunk]:
        return [c for c in self.chunks() if c.kind == "tune"]

    def chunk_at(self, offset: int) -> Chunk | None:
        """The chunk holding ``offset`` (the last chunk for the end of the text)."""
        if not self.segments:
            return None
        i = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        off, line = self.starts[i], self.first_lines[i]
        seg = self.segments[i]
        found = seg.chunks[-1]
        for c in seg.chunks:
            if c.start <= offset - off < c.start + len(c.text):
                found = c
                break
        return Chunk(found.kind, found.text, found.start + off, found.line + line - 1)


# ---------------------------------------------------------------------------------------
# The check


@dataclass(slots=True)
class _Entry:
    """A window's findings and suppression comments, relative to the window's start."""

    found: list[tuple[int, Diagnostic]]  # (class, diagnostic) in check order
    sups: list[Suppression]
    base: int = -1  # where the absolute copies below were made for
    line: int = -1
    placed: list[tuple[int, Diagnostic]] = field(default_factory=list)
    placed_sups: list[Suppression] = field(default_factory=list)
    keep: Any = None  # the window's Piece objects, whose ids are in its key


def _own_tunes(keep: Any) -> Iterator[Piece]:
    own = keep[1]
    if own and own[-1].chunk.kind == "tune":
        yield own[-1]


_LINE_REF = re.compile(r"(?<=\bline )([0-9]+)")
_MARKED = re.compile("\x1f([0-9]+)\x1f")


def _move_diag(d: Diagnostic, by: int, lines: int,
               inside: tuple[int, int] | None = None) -> Diagnostic:
    """``d`` moved by ``by`` characters and ``lines`` lines. A message may name a line
    ("after the repeat end :| on line 125"): one inside the window (``inside``, its
    first and last line) moves with it, and one outside it (an earlier tune's, for
    ABC206) stays. Relative to the window (``inside`` given), such a number is kept
    marked, and placing the finding (``inside`` None) writes it back."""
    fix = d.fix
    if fix is not None and by:
        fix = Fix(fix.start + by, fix.end + by, fix.replacement, fix.description)
    message = d.message
    if inside is not None and "line " in message:
        lo, hi = inside

        def mark(m: re.Match[str]) -> str:
            n = int(m.group(1))
            return f"\x1f{n + lines}\x1f" if lo <= n <= hi else m.group(1)

        message = _LINE_REF.sub(mark, message)
    elif inside is None and "\x1f" in message:
        message = _MARKED.sub(lambda m: str(int(m.group(1)) + lines), message)
    return Diagnostic(d.code, message, shift_span(d.span, by, lines), d.severity, d.rule, fix)


def _move_sup(s: Suppression, by: int, lines: int) -> Suppression:
    if s.end >= WHOLE_FILE:
        return s
    return Suppression(s.prefixes, s.start + by, s.end + by, s.line + lines, s.scope)


@dataclass
class CheckStats:
    """What the last check did (the benchmark and the tests read it)."""

    windows: int = 0
    checked: int = 0  # windows parsed and checked; the rest came from memory
    resumed_at: int = 0  # windows taken whole from the last check (after the first)


@dataclass(slots=True)
class _Checkpoint:
    """The state of a check as it reached window ``window``: the window's own part
    starts with ``piece`` (in segment ``seg``, at offset ``own_start``) after the tune
    ``prev``; the windows before it read no piece past segment ``until`` - 1; so many
    findings, suppressions and X: numbers had been met."""

    window: int
    seg: int
    piece: Piece
    until: int
    prev: Piece
    own_start: int
    items: int
    sups: int
    adds: int


@dataclass(slots=True)
class _Pass:
    """What a complete check leaves for the next one to resume from."""

    segments: list[Segment]
    items: list[tuple[Any, ...]]  # heap entries in window order
    sups: list[Suppression]
    adds: list[tuple[str, int]]
    checkpoints: list[_Checkpoint]
    until: list[int]
    after_first: tuple[int, int]  # items and suppressions of the first window
    windows: int
    generation: Any = None


class Linter:
    """Checks one document's :class:`Book`, remembering each window's findings.

    ``rules`` is the selection (:func:`abcparse.validate.check.select_rules`), ``mode``
    "auto", "strict" or "loose" as for ``abc-lint``.
    """

    def __init__(self, mode: str, rules: dict[str, Rule]) -> None:
        self.mode = mode
        self.rules = rules
        self.memory: dict[Any, _Entry] = {}
        self.generation: Any = None
        self.header: tuple[FileHeader, Any, list[Diagnostic]] | None = None
        self.refs: dict[str, tuple[str, int] | None] = {}
        # The reference of each tune piece, by identity (the piece kept with it, so an
        # id is never taken for another piece's).
        self.piece_refs: dict[int, tuple[Piece, tuple[str, int] | None]] = {}
        self.stats = CheckStats()
        self.last: _Pass | None = None

    def _header(self, book: Book) -> tuple[FileHeader, Any, list[Diagnostic], Any]:
        found = book.header_chunk()
        key = (found[0].text, found[1], found[2]) if found is not None else None
        gen = (key, book.version(), book.loose, self.mode)
        if gen != self.generation or self.header is None:
            self.memory.clear()
            self.last = None
            self.generation = gen
            if found is not None:
                with paused_gc():
                    self.header = build_file_header(found[0].text, found[1], found[2])
            else:
                self.header = (FileHeader(), None, [])
        header, ctx, diags = self.header
        return header, ctx, diags, gen

    def _reference(self, chunk: Chunk) -> tuple[str, int] | None:
        """(X: value, line counted from the chunk's first line, 0-based) of a tune."""
        text = chunk.text
        m = _PLAIN_X.match(text)
        if m is not None:
            return m.group(1), 0
        if text in self.refs:
            return self.refs[text]
        found: tuple[str, int] | None = None
        for head in read_headers(text if "\n" in text or "\r" in text else text + "\n"):
            ref = reference_field(head.fields)
            if ref is not None:
                found = (ref.value.strip(), ref.span.line - 1)
            break
        if len(self.refs) > 4096:
            self.refs.clear()
        self.refs[text] = found
        return found

    def check(self, book: Book, stale: Callable[[], bool] | None = None) -> list[Diagnostic]:
        """Every diagnostic of ``book``, as ``abc-lint`` gives them. ``stale`` is asked
        before each window that must be checked; when it says True, :class:`Stale` is
        raised (what was learned is kept).

        Windows whose key is remembered are not checked again, only moved. Better still,
        the windows before the first piece that changed since the last check are not
        even visited: their findings, the suppressions and the X: numbers they met are
        taken from the last check at a checkpoint (:class:`_Checkpoint`), except the
        file's first window, which reads facts of the whole text (line ends, NUL) and
        is always checked again."""
        header, hctx, hdiags, _gen = self._header(book)
        version = book.version()
        stats = CheckStats()
        # File-level parser diagnostics (the header's, the splitter's), each to be placed
        # in the window whose own part holds it, as WindowCheck places them.
        pending = [*hdiags, *book.split_diagnostics()]
        sort_diagnostics(pending)
        n_pending = len(pending)
        segments = book.segments
        resume = self._resume_point(segments)
        # Where each piece's segment starts (offset, lines before it, index), by id.
        where: dict[int, tuple[int, int, int]] = {}
        for k, (seg, off, line) in enumerate(zip(segments, book.starts, book.first_lines,
                                                 strict=True)):
            at = (off, line - 1, k)
            for p in seg.pieces:
                where[id(p)] = at

        def absolute(p: Piece) -> Chunk:
            off, lines, _ = where[id(p)]
            c = p.chunk
            return Chunk(c.kind, c.text, c.start + off, c.line + lines)

        memory = self.memory
        used: dict[Any, _Entry] = dict(memory) if resume is not None else {}
        refs = self.piece_refs
        run = FileCheck(header, version, self.mode, self.rules)
        heap = run.heap
        sups = run.suppressions
        adds: list[tuple[str, int]] = []  # X: numbers met, (value, line), in order
        seen: dict[str, int] = {}
        checkpoints: list[_Checkpoint] = []
        facts: TextFacts | None = None
        state = [0, 0]  # pending index, windows seen
        after_first = [0, 0]  # findings and suppressions of the first window
        placed_empty: list[Diagnostic] = []

        def visit(prev: Piece | None, own: list[Piece], gap: list[Piece],
                  after: Piece | None) -> None:
            nonlocal facts
            w = state[1]
            state[1] = w + 1
            head = prev if prev is not None else (own[0] if own else None)
            if head is not None:
                base, base_lines, _ = where[id(head)]
                hc = head.chunk
                base += hc.start
                base_lines += hc.line - 1
            else:
                base = base_lines = 0
            first = base == 0 and prev is None
            pi = state[0]
            own_start = base
            if own:
                o0 = own[0]
                own_start = where[id(o0)][0] + o0.chunk.start
            if w and own and prev is not None:
                checkpoints.append(_Checkpoint(
                    w, where[id(own[0])][2], own[0], where[id(own[-1])][2] + 1, prev,
                    own_start, len(heap), len(sups), len(adds)))
            if pi < n_pending:
                if after is None and not gap:  # the last window: the rest
                    placed, state[0] = pending[pi:], n_pending
                else:
                    if own:
                        tail = own[-1]
                        tc = tail.chunk
                        own_end = where[id(tail)][0] + tc.start + len(tc.text)
                    else:
                        own_end = base
                    k = pi
                    while k < n_pending and pending[k].span.start < own_end:
                        k += 1
                    placed, state[0] = pending[pi:k], k
            else:
                placed = placed_empty
            tune = own[-1] if own and own[-1].chunk.kind == "tune" else None
            earlier: tuple[tuple[str, int], ...] = ()
            if tune is not None:
                known = refs.get(id(tune))
                if known is not None and known[0] is tune:
                    ref = known[1]
                else:
                    ref = self._reference(tune.chunk)
                    refs[id(tune)] = (tune, ref)
                if ref is not None:
                    value, rel = ref
                    line = where[id(tune)][1] + tune.chunk.line + rel
                    if value in seen:
                        earlier = ((value, seen[value]),)
                    else:
                        seen[value] = line
                        adds.append((value, line))
            # The pieces by identity: a Segment keeps its Piece objects while its text
            # is unchanged (Book.edit keeps the untouched ones), and the entry holds
            # them, so an id is never reused for another text while the key lives.
            key = (
                id(prev), tuple(map(id, own)), tuple(map(id, gap)), id(after),
                tuple((d.code, d.message, d.severity, d.rule,
                       shift_span(d.span, -base, -base_lines)) for d in placed)
                if placed else (),
                earlier,
            )
            entry = None if first else memory.get(key) or used.get(key)
            if entry is None:
                if stale is not None and stale():
                    self.memory.update(used)
                    raise Stale
                stats.checked += 1
                if first and facts is None:
                    facts = TextFacts("utf-8")
                    for block in string_blocks(book.text):
                        facts.feed(block)
                entry = self._check_window(
                    header, hctx, version, facts if first else None, placed, earlier,
                    [None if prev is None else absolute(prev)],
                    [absolute(p) for p in own], [absolute(p) for p in gap],
                    None if after is None else absolute(after), base, base_lines)
                entry.keep = (prev, own, gap, after)
            if not first:
                used[key] = entry
            if entry.base != base or entry.line != base_lines:
                entry.placed = [(cls, _move_diag(d, base, base_lines))
                                for cls, d in entry.found]
                entry.placed_sups = [_move_sup(s, base, base_lines) for s in entry.sups]
                entry.base, entry.line = base, base_lines
            # Findings are numbered by window (then in check order), so the numbers of
            # windows taken from the last check stay in order with the new ones.
            seq = w << 32
            for cls, d in entry.placed:
                seq += 1
                span = d.span
                heap.append((span.start, span.end, d.code, cls, seq, d))
            if entry.placed_sups:
                sups.extend(entry.placed_sups)
            if w == 0:
                after_first[:] = [len(heap), len(sups)]

        all_pieces = itertools.chain.from_iterable(s.pieces for s in segments)
        if resume is None:
            for window in windows(all_pieces):
                visit(*window)
        else:
            # The first window, then the last check's windows up to the checkpoint, then
            # on from there.
            for window in windows(all_pieces):
                visit(*window)
                break
            last = self.last
            assert last is not None
            heap.extend(last.items[last.after_first[0] : resume.items])
            sups.extend(last.sups[last.after_first[1] : resume.sups])
            adds[:] = last.adds[: resume.adds]
            seen.clear()
            seen.update(adds)
            # The first window was checked again: the prefix's numbers move by the
            # difference in what it found.
            moved_items = after_first[0] - last.after_first[0]
            moved_sups = after_first[1] - last.after_first[1]
            for c in last.checkpoints:
                if c.window >= resume.window:
                    break
                if moved_items or moved_sups:
                    c = dataclasses.replace(c, items=c.items + moved_items,
                                            sups=c.sups + moved_sups)
                checkpoints.append(c)
            state[0] = bisect.bisect_left(pending, resume.own_start,
                                          key=lambda d: d.span.start)
            state[1] = resume.window
            seg = segments[resume.seg]
            index = seg.pieces.index(resume.piece)
            rest = itertools.chain(seg.pieces[index:], itertools.chain.from_iterable(
                s.pieces for s in segments[resume.seg + 1 :]))
            stats.resumed_at = resume.window
            for window in windows(rest, resume.prev):
                visit(*window)
        stats.windows = state[1]
        items = list(heap)
        heapq.heapify(heap)
        self.memory = used
        if len(refs) > 2 * stats.windows + 64:
            # References of pieces no window holds any more (their ids may be reused).
            live = {id(p) for e in used.values() if e.keep for p in _own_tunes(e.keep)}
            self.piece_refs = {k: v for k, v in refs.items() if k in live}
        self.last = _Pass(list(segments), items, list(sups), adds, checkpoints,
                          [c.until for c in checkpoints],
                          (after_first[0], after_first[1]), stats.windows, self.generation)
        self.stats = stats
        return list(run.release(None))

    def _resume_point(self, segments: list[Segment]) -> _Checkpoint | None:
        """The last checkpoint of the last check whose windows lie wholly in pieces
        that have not changed since, or None (then every window is visited; so too
        when the memory has grown with windows that are gone, to prune it)."""
        last = self.last
        if last is None or not last.checkpoints or self.generation != last.generation:
            return None
        if len(self.memory) > last.windows + last.windows // 4 + 256:
            return None
        old = last.segments
        n = min(len(old), len(segments))
        d = next((i for i in range(n) if old[i] is not segments[i]), n)
        k = bisect.bisect_right(last.until, d) - 1
        if k < 0:
            return None
        return last.checkpoints[k]

    def _check_window(self, header: FileHeader, hctx: Any, version: str | None,
                      facts: TextFacts | None, placed: list[Diagnostic],
                      earlier: tuple[tuple[str, int], ...], prev_: list[Chunk | None],
                      own: list[Chunk], gap: list[Chunk], after: Chunk | None,
                      base: int, base_lines: int) -> _Entry:
        """Build the window's tunes and check it as ``abc-lint`` checks a window
        (:class:`~abcparse.validate.check.WindowCheck`), told what lies outside it."""
        builder = _BookBuilder(self.mode, version)
        if base > 0 or prev_[0] is not None:
            builder.header = header
            if hctx is not None:
                builder.ctx = hctx
            builder.seen_tune = True

        def built(c: Chunk) -> Piece:
            tune: Tune | None
            tune, _ = builder.take(c)
            return Piece(c, tune)

        prev = prev_[0]
        p = built(prev) if prev is not None else None
        o = [built(c) for c in own]
        g = [built(c) for c in gap]
        a = built(after) if after is not None else None
        check = WindowCheck(header, version, facts, self.mode, self.rules, placed)
        if earlier:
            check.file_check.carry["ABC206"] = dict(earlier)
        check.check(make_window(p, o, g, a))
        run = check.file_check
        chunks = [c for c in (prev, *own, *gap) if c is not None]
        last = base_lines + sum(_line_ends(c.text) for c in chunks) + 1
        inside = (base_lines + 1, last)
        found = [(e[3], _move_diag(e[5], -base, -base_lines, inside))
                 for e in sorted(run.heap, key=lambda e: e[4])]
        sups = [_move_sup(s, -base, -base_lines) for s in run.suppressions]
        return _Entry(found, sups)


def shifted(span: Span, by: int, lines: int) -> Span:
    """``span`` moved by ``by`` characters and ``lines`` lines (columns stay)."""
    return shift_span(span, by, lines)
