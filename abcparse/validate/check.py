"""``abcparse.check``: every diagnostic of a text or tunebook, by the rules of its mode.

Steps: parse (unless given a :class:`~abcparse.model.Tunebook`), run the file rules once
and the tune rules on each tune, pass the parser's own diagnostics through the same
registry (so each code has one severity table and one explanation), drop what is not
selected or is silenced by a suppression comment, and keep one diagnostic per
(code, span). A rule that raises becomes ABC901 on that tune; the others still run.
"""

from __future__ import annotations

import functools
import heapq
import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from ..api import MODES, Piece, TuneStream, parse
from ..diagnostics import Diagnostic, Severity, Span, sort_diagnostics
from ..errors import AbcUsageError
from ..gcpause import paused_gc
from ..model import FileHeader, Tunebook
from ..source import TextFacts, decode
from ..split import text_lines
from .context import FileContext, TuneContext, Window, file_strict, whole_window
from .registry import Finding, Rule, registry
from .suppress import Suppression, find_suppressions

Selector = str | Iterable[str] | None


def _prefixes(sel: Selector) -> tuple[str, ...] | None:
    if sel is None:
        return None
    items = [sel] if isinstance(sel, str) else list(sel)
    out: list[str] = []
    for item in items:
        out.extend(p.strip().upper() for p in item.replace(" ", ",").split(",") if p.strip())
    return tuple(out)


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


def select_rules(
    select: Selector = None, ignore: Selector = None, extend_select: Selector = None
) -> dict[str, Rule]:
    """The rules that run: ``select`` (code prefixes) replaces the default set (every
    rule except the style rules), ``extend_select`` adds to it, ``ignore`` removes."""
    sel = _prefixes(select)
    ext = _prefixes(extend_select) or ()
    ign = _prefixes(ignore) or ()
    return dict(_select(sel, ext, ign, tuple(registry())))


@functools.lru_cache(maxsize=64)
def _select(
    sel: tuple[str, ...] | None, ext: tuple[str, ...], ign: tuple[str, ...],
    _codes: tuple[str, ...],
) -> dict[str, Rule]:
    # Cached: the generator checks thousands of single tunes with the same selection.
    # ``_codes`` (every registered code) keeps a registration from being missed.
    rules = registry()
    out = {}
    for code, r in rules.items():
        chosen = _matches(code, sel) if sel is not None else r.default
        if not chosen and ext and _matches(code, ext):
            chosen = True
        if chosen and not (ign and _matches(code, ign)):
            out[code] = r
    return out


def check(
    source: str | bytes | Tunebook,
    *,
    mode: str = "auto",
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    path: str | os.PathLike[str] | None = None,
) -> list[Diagnostic]:
    """Validate ABC text (or bytes, or a parsed tunebook) and return its diagnostics.

    ``mode`` is "auto" (ABC 2.1 §12: a tune is read strictly when it or its file is
    declared ``%abc-2.1`` or later, by the version line or ``I:abc-version``), "strict" or
    "loose". ``select``/``ignore`` take code prefixes ("ABC3", "ABC301") as a string
    (comma-separated) or a list; style rules (ABC4xx) run only when selected. The result
    is sorted by position and never raises for bad ABC.

    >>> import abcparse
    >>> [d.code for d in abcparse.check("X:1\\nT:t\\nM:2/4\\nL:1/8\\nK:C\\nabcd|abc|abcd|]\\n")]
    ['ABC301']
    """
    if mode not in MODES:
        raise AbcUsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    book, extra = _load(source, mode, os.fspath(path) if path is not None else None)
    return check_book(book, mode=mode, rules=select_rules(select, ignore, extend_select),
                      extra=extra)


def _load(
    source: str | bytes | Tunebook, mode: str, path: str | None
) -> tuple[Tunebook, list[Diagnostic]]:
    if isinstance(source, Tunebook):
        if mode == "auto" or mode == source.mode:
            return source, []
        # Another mode than it was parsed in: read it again (strict and loose split
        # files differently, §2.2.1 / ABC209), keeping what decoding found in the bytes.
        kept = [d for d in source.diagnostics if d.code.startswith("ABC00")]
        src_path = source.source.path if source.source is not None else path
        return parse(source.to_text(), mode=mode, path=src_path), kept
    if isinstance(source, bytes):
        text_src, diags = decode(source, path)
        return parse(text_src.text, mode=mode, path=path), diags
    if isinstance(source, str):
        return parse(source, mode=mode, path=path), []
    raise AbcUsageError(f"check() takes ABC text, bytes or a Tunebook, not {type(source)!r}")


def check_book(
    book: Tunebook,
    *,
    mode: str = "auto",
    rules: dict[str, Rule] | None = None,
    extra: Iterable[Diagnostic] = (),
) -> list[Diagnostic]:
    """Run ``rules`` (default: the default selection) on a parsed tunebook: the whole
    book as one window (see :mod:`.context`) of :class:`FileCheck`."""
    # A whole book in memory: the collector would walk it again and again as the
    # findings and contexts grow (see abcparse.gcpause).
    with paused_gc():
        run = FileCheck(book.header, book.abc_version, mode, rules)
        window = whole_window(book)
        run.window(window, book, (*extra, *book.diagnostics))
        return list(run.release(None))


class FileCheck:
    """One file's check, a window at a time, in the order the windows follow each other.

    :meth:`window` runs the file rules on a window, the tune rules on its tunes, and
    passes the parser's diagnostics of the window through the registry (each code has
    one severity table), as :func:`check_book` did for a whole book. The findings wait
    until :meth:`release` hands out those before a given offset, silenced by suppression
    comments, one per (code, span), sorted by position: what a later window can still
    report lies at or after the start of its tune before, so a streamed check releases
    all but the last window's findings after each window, and the output is exactly
    check_book's.
    """

    def __init__(
        self,
        header: FileHeader,
        version: str | None,
        mode: str = "auto",
        rules: dict[str, Rule] | None = None,
        facts: TextFacts | None = None,
    ) -> None:
        self.rules = rules if rules is not None else select_rules()
        self.mode = mode
        self.header = header
        self.version = version
        self.facts = facts
        self.carry: dict[str, Any] = {}
        validators = [r for r in self.rules.values() if r.source == "validator"]
        self.file_rules = [r for r in validators if r.scope == "file"]
        self.tune_rules = [r for r in validators if r.scope == "tune"]
        self.known = registry()
        self.strict = file_strict(Tunebook(header, (), abc_version=version), mode)
        self.heap: list[tuple[int, int, str, int, int, Diagnostic]] = []
        self.seq = 0
        self.suppressions: list[Suppression] = []
        self.tunes = 0

    def window(self, window: Window, book: Tunebook | None = None,
               parser: Iterable[Diagnostic] = ()) -> None:
        """Check one window. ``book`` carries the file header and version (a whole book,
        or one made for the window); ``parser`` holds the parser's diagnostics of the
        window's own part (decoding, splitting, the file header, its tunes)."""
        if book is None:
            book = Tunebook(self.header, window.tunes, abc_version=self.version,
                            mode=self.mode)
        mode = self.mode
        fctx = FileContext(book, self.strict, mode, window, self.carry, self.facts)
        out: list[tuple[int, Diagnostic]] = []
        for r in self.file_rules:
            _run(r, fctx, fctx.strict, out, None, 0)
        tctxs = []
        for i, tune in enumerate(window.tunes):
            tctx = TuneContext(tune, self.tunes + i, fctx,
                               tune.strict if mode == "auto" else mode == "strict")
            tctxs.append(tctx)
            span = tune.span  # read once: a tune keeps it packed (model.SpanSlot)
            with paused_gc():  # one tune's rules (see gcpause)
                for r in self.tune_rules:
                    _run(r, tctx, tctx.strict, out, span, 1)
        self.tunes += len(window.tunes)
        # The parser's diagnostics, through the registry's severity table.
        known = self.known
        rules = self.rules
        for d in parser:
            pr = rules.get(d.code)
            if pr is None:
                if d.code not in known:
                    out.append((2, d))  # unknown to the registry: keep as the parser made it
                continue
            idx = fctx.tune_at(d.span.start)
            strict = tctxs[idx].strict if idx is not None else fctx.strict
            sev = pr.severity(strict)
            if sev is None:
                continue
            out.append((2, replace(d, severity=sev, rule=pr.name)))
        heap = self.heap
        for cls, d in out:
            if d.code in rules or d.code not in known:
                self.seq += 1
                heapq.heappush(heap, (d.span.start, d.span.end, d.code, cls, self.seq, d))
        self.suppressions.extend(find_suppressions(window))

    def release(self, before: int | None) -> Iterator[Diagnostic]:
        """The findings that lie before offset ``before`` (all with None), in order."""
        heap = self.heap
        sups = self.suppressions
        kept: dict[Span, Diagnostic] = {}
        while heap and (before is None or heap[0][0] < before):
            key = heap[0][:3]
            kept.clear()
            while heap and heap[0][:3] == key:
                d = heapq.heappop(heap)[5]
                if d.span in kept or (sups and any(s.covers(d) for s in sups)):
                    continue
                kept[d.span] = d  # the first of each (code, span) in check order
            yield from kept.values()
        if before is not None and sups:
            self.suppressions = [s for s in sups if s.end > before or s.start == s.end >= before]


def _run(r: Rule, ctx: FileContext | TuneContext, strict: bool,
         out: list[tuple[int, Diagnostic]], where: Span | None, cls: int) -> None:
    sev = r.severity(strict)
    if sev is None:
        return
    try:
        findings: list[Finding] = list(r.func(ctx))
    except Exception as e:  # a bug in a rule must not stop the others (ABC901)
        tb = traceback.extract_tb(e.__traceback__)
        at = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        span = where if where is not None else Span(1, 1, 1, 1, 0, 0)
        out.append((cls,
            Diagnostic(
                "ABC901",
                f"rule {r.code} ({r.name}) crashed: {type(e).__name__}: {e}{at};"
                " this is a bug in abcparse, please report it with this tune",
                span,
                Severity.WARNING,
                "rule-crashed",
            )
        ))
        return
    for f in findings:
        out.append((cls, Diagnostic(r.code, f.message, f.span, sev, r.name, f.fix)))


# ---------------------------------------------------------------------------------------
# Streaming: a window per tune


def windows(
    pieces: Iterable[Piece], prev: Piece | None = None, *, until_after: bool = False
) -> Iterator[tuple[Piece | None, list[Piece], list[Piece], Piece | None]]:
    """Cut a file's pieces into windows: (the tune before, the own part, the text after
    its tune, the tune after). ``prev`` is a tune before the pieces (context only);
    with ``until_after`` the last tune of the pieces is only the last window's tune
    after (a stretch of a file, as the ``--jobs`` workers get it)."""
    own: list[Piece] = []  # the own part: free text, then its tune
    gap: list[Piece] = []  # after the own part's tune, up to the next tune
    for piece in pieces:
        if piece.chunk.kind != "tune":
            (gap if own and own[-1].chunk.kind == "tune" else own).append(piece)
            continue
        if not own or own[-1].chunk.kind != "tune":
            own.append(piece)
            continue
        yield prev, own, gap, piece
        prev, own, gap = own[-1], [*gap, piece], []
    if until_after:
        return
    if own and own[-1].chunk.kind == "tune":
        yield prev, own, gap, None
        if gap:
            yield own[-1], gap, [], None
    else:
        yield prev, own, [], None


def make_window(prev: Piece | None, own: list[Piece], gap: list[Piece],
                after: Piece | None) -> Window:
    """The :class:`Window` of what :func:`windows` yields."""
    head = prev if prev is not None else (own[0] if own else None)
    text = "".join(p.chunk.text for p in (*((prev,) if prev is not None else ()), *own, *gap))
    base = head.chunk.start if head is not None else 0
    line = head.chunk.line if head is not None else 1
    own_start = own[0].chunk.start if own else base
    tune = own[-1].tune if own else None
    last = after is None and not gap
    own_end = (own[-1].chunk.start + len(own[-1].chunk.text)) if own else base
    if last:
        own_end = base + len(text)
    return Window(
        text, base, line, own_start, own_end, (tune,) if tune is not None else (),
        prev.tune if prev is not None else None,
        after.tune if after is not None else None,
        own_start == 0, last,
    )


class WindowCheck:
    """Checks a file's windows in order (see :func:`windows`), placing the file-level
    parser diagnostics (decoding, splitting, the file header) in the window that holds
    them; the findings wait in :attr:`file_check` (a :class:`FileCheck`)."""

    def __init__(self, header: FileHeader, version: str | None, facts: TextFacts | None,
                 mode: str, rules: dict[str, Rule] | None = None,
                 pending: Iterable[Diagnostic] = (), lines: bool = False) -> None:
        if mode not in MODES:
            raise AbcUsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.file_check = FileCheck(header, version, mode, rules, facts)
        self.pending: list[Diagnostic] = list(pending)  # not yet placed in a window
        self.want_lines = lines
        self.lines: dict[int, str] = {}
        self.tunes = 0

    def check(self, window: Window) -> None:
        """Check one window, with the file-level parser diagnostics that lie in it."""
        if window.last:
            placed, self.pending = self.pending, []
        else:
            placed = [d for d in self.pending if d.span.start < window.own_end]
            if placed:
                self.pending = [d for d in self.pending if d.span.start >= window.own_end]
        parser = [*placed, *(d for t in window.tunes for d in t.diagnostics)]
        sort_diagnostics(parser)
        self.file_check.window(window, None, parser)
        self.tunes += len(window.tunes)
        if self.want_lines:
            self.capture(window.text, window.base, window.line)

    def capture(self, text: str, base: int, line: int) -> None:
        """Keep the text of the lines the waiting findings are on, while it is here."""
        end = base + len(text)
        wanted = {e[5].span.line for e in self.file_check.heap
                  if base <= e[0] < end and e[5].span.line not in self.lines}
        if not wanted:
            return
        for i, t in enumerate(text_lines(text), line):
            if i in wanted:
                self.lines[i] = t

    def release(self, before: int | None) -> Iterator[Diagnostic]:
        """:meth:`FileCheck.release`, dropping kept lines no finding needs any more."""
        for d in self.file_check.release(before):
            yield d
            if self.lines:
                for n in [n for n in self.lines if n < d.span.line]:
                    del self.lines[n]


class StreamCheck:
    """The diagnostics of a streamed tunebook (:func:`abcparse.iter_tunes`), in the
    order and with the content :func:`check_book` gives for the whole book, while the
    stream holds one tune at a time: iterate it for the diagnostics.

    Each window (see :mod:`.context`) is checked once the tune after it has been read
    (rules may look across the empty line below a tune), and findings are handed out as
    soon as no later window can report anything before them. What stays in memory: the
    tune before, the window's tune and the tune after it with the text between them,
    the findings of about two windows, and what file rules carry (the X: numbers seen).

    ``tunes`` counts the tunes read so far. With ``lines``, the text of each reported
    line is in :attr:`lines` (line number → text) when its diagnostic is handed out.
    """

    def __init__(self, stream: TuneStream, *, mode: str | None = None,
                 rules: dict[str, Rule] | None = None, lines: bool = False) -> None:
        self.stream = stream
        self.mode = mode if mode is not None else stream.mode
        if self.mode not in MODES:
            raise AbcUsageError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        self.rules = rules
        self.want_lines = lines
        self._check: WindowCheck | None = None
        self._pending: list[Diagnostic] = []

    @property
    def tunes(self) -> int:
        return self._check.tunes if self._check is not None else 0

    @property
    def lines(self) -> dict[int, str]:
        return self._check.lines if self._check is not None else {}

    def _pieces(self) -> Iterator[Piece]:
        self._pending = list(self.stream.diagnostics)  # decoding's, known before any tune
        for piece in self.stream.pieces():
            if self._check is None:
                self._pending.extend(piece.diagnostics)
            else:
                self._check.pending.extend(piece.diagnostics)
            yield piece

    def __iter__(self) -> Iterator[Diagnostic]:
        for prev, own, gap, after in windows(self._pieces()):
            if self._check is None:  # the file header is read by now
                stream = self.stream
                self._check = WindowCheck(stream.header, stream.version, stream.facts,
                                          self.mode, self.rules, self._pending,
                                          self.want_lines)
            window = make_window(prev, own, gap, after)
            self._check.check(window)
            # A later window reports nothing before the start of this window's tune (it
            # may look back into that tune: ABC202, ABC209).
            if window.tunes and not window.last:
                yield from self._check.release(window.tunes[0].span.start)
        if self._check is not None:
            yield from self._check.release(None)


def check_stream(
    source: TuneStream | str | bytes | os.PathLike[str] | BinaryIO,
    *,
    mode: str = "auto",
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    path: str | None = None,
) -> Iterator[Diagnostic]:
    """:func:`check` of a file read one tune at a time (:func:`abcparse.iter_tunes`):
    the same diagnostics in the same order, in memory bounded by the largest tune.
    ``source`` is a stream from iter_tunes, or what iter_tunes takes."""
    from ..api import iter_tunes

    stream = source if isinstance(source, TuneStream) else iter_tunes(
        source, mode=mode, path=path)
    return iter(StreamCheck(stream, mode=mode,
                            rules=select_rules(select, ignore, extend_select)))
