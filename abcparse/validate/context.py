"""What a rule sees: one tune (:class:`TuneContext`) or the file (:class:`FileContext`).

Contexts compute shared analyses lazily and keep them, so rules of one family that need
the same walk over a tune's elements (the music rules all need the element sequence of
each voice with bar lines; the structure rules all need the chunks of the file) pay for
it once.

A file is checked through windows (:class:`Window`): a whole book is one window; a streamed book
(``abc-lint`` on a file, :func:`abcparse.validate.check_stream`) is a window per tune, each
holding the text from the end of the tune before to the end of this one, plus the tune
before it to look back at. File rules see the tunes of their window (``ctx.tunes``), the
text with offsets of the whole file (``ctx.at``, ``ctx.span``) and what they carry from
window to window (``ctx.carry``), so one rule body serves both and the whole-book path is
the streamed one with a single window; tests check that both give the same diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..api import version_is_strict
from ..build import FieldError, read_instruction, read_user
from ..diagnostics import Span
from ..model import Field, Tune, Tunebook
from ..source import LineIndex, TextFacts
from ..split import string_blocks

if TYPE_CHECKING:
    from ..music import TuneTimeline
    from .walk import MusicScan


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of the file that file rules look at in one call.

    Its own part, from ``own`` to ``own_end`` (offsets in the file), holds ``tunes`` and
    the free text before them; the own parts of a file's windows follow each other and
    cover it. ``text`` is the file's text from ``base`` (line ``line``), the start of the
    tune before the own part (``before``), to the start of the tune after it
    (``after``), so rules can look across the empty lines on either side of a tune.
    ``first``/``last``: the own part starts at the start of the file / ends at its end.
    Of ``before`` and ``after`` a rule may read the header, text and span only: an
    ``abc-lint --jobs`` batch reads its neighbours no further than their ``K:``.
    """

    text: str
    base: int = 0
    line: int = 1
    own: int = 0
    own_end: int = -1  # -1: the end of ``text``
    tunes: tuple[Tune, ...] = ()
    before: Tune | None = None
    after: Tune | None = None
    first: bool = True
    last: bool = True

    def __post_init__(self) -> None:
        if self.own_end < 0:
            object.__setattr__(self, "own_end", self.base + len(self.text))

    @property
    def end(self) -> int:
        return self.base + len(self.text)


def whole_window(book: Tunebook) -> Window:
    """The whole book as one window."""
    text = book.source.text if book.source is not None else book.to_text()
    return Window(text, tunes=book.tunes)


@dataclass
class FileContext:
    """The file, or a window of it (see the module docstring): its tunebook (the file
    header and version; in a window, ``book.tunes`` are the window's), its text, and
    whether it is read strictly (§12)."""

    book: Tunebook
    strict: bool
    mode: str
    window: Window | None = None
    carry: dict[str, Any] = field(default_factory=dict)  # rule code → state across windows
    facts: TextFacts | None = None  # of the whole text, when known before its first window
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def view(self) -> Window:
        return self.window if self.window is not None else whole_window(self.book)

    @property
    def text(self) -> str:
        """The window's text; offset ``base`` of the file is ``text[0]``."""
        return self.view.text

    @property
    def base(self) -> int:
        return self.view.base

    @property
    def own(self) -> int:
        return self.view.own

    @property
    def first(self) -> bool:
        return self.view.first

    @property
    def tunes(self) -> tuple[Tune, ...]:
        return self.view.tunes

    @property
    def own_end(self) -> int:
        return self.view.own_end

    @property
    def before(self) -> Tune | None:
        return self.view.before

    @property
    def after(self) -> Tune | None:
        return self.view.after

    def at(self, start: int, end: int) -> str:
        """The file's text from ``start`` to ``end`` (offsets in the whole file), within
        the window."""
        base = self.view.base
        return self.view.text[max(start - base, 0) : max(end - base, 0)]

    @cached_property
    def index(self) -> LineIndex:
        return LineIndex(self.view.text)

    def span(self, start: int, end: int) -> Span:
        """Span of the file's ``text[start:end]`` (offsets in the whole file)."""
        w = self.view
        s = self.index.span(start - w.base, max(start, end) - w.base)
        if w.base == 0 and w.line == 1:
            return s
        lines = w.line - 1
        return Span(s.line + lines, s.col, s.end_line + lines, s.end_col, start,
                    max(start, end))

    @cached_property
    def text_facts(self) -> TextFacts:
        """Undecodable bytes, NUL, line ends of the whole text (what the byte rules
        report): given by a streamed book, found in the text of a whole one."""
        if self.facts is not None:
            return self.facts
        facts = TextFacts("utf-8")
        for block in string_blocks(self.view.text):
            facts.feed(block)
        return facts

    @cached_property
    def tune_starts(self) -> list[int]:
        return [t.span.start for t in self.tunes]

    def tune_at(self, offset: int) -> int | None:
        """Index (in ``tunes``) of the tune whose text holds ``offset``, or None."""
        starts = self.tune_starts
        lo, hi = 0, len(starts) - 1
        found = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if starts[mid] <= offset:
                found = mid
                lo = mid + 1
            else:
                hi = mid - 1
        if found is None:
            return None
        t = self.tunes[found]
        return found if offset < max(t.span.end, t.span.start + 1) else None

    @cached_property
    def header_instructions(self) -> dict[str, str]:
        """``I:`` instructions of the file header (§3.1.17), later ones override."""
        return _instructions(self.book.header.fields)

    @cached_property
    def header_decorations(self) -> frozenset[str]:
        """Decoration names that file-header ``U:`` fields define (§4.16)."""
        return _user_names(self.book.header.fields)


@dataclass
class TuneContext:
    """One tune, the file it is in, and whether it is read strictly (§12)."""

    tune: Tune
    index: int
    file: FileContext
    strict: bool
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def book(self) -> Tunebook:
        return self.file.book

    def span(self, start: int, end: int) -> Span:
        return self.file.span(start, end)

    @cached_property
    def instructions(self) -> dict[str, str]:
        """``I:`` instructions in force in this tune: the file header's, then the tune
        header's (§3.1.17: the tune header overrides the file header)."""
        out = dict(self.file.header_instructions)
        out.update(_instructions(self.tune.header.fields))
        return out

    @cached_property
    def bang_linebreaks(self) -> bool:
        """True when ``I:linebreak`` names ``!`` (§6.1.1), which makes ``!`` a legal score
        line-break even in ABC 2.1."""
        value = self.instructions.get("linebreak")
        return value is not None and "!" in value.split()

    @cached_property
    def plus_decorations(self) -> bool:
        """True under ``I:decoration +`` (§12.1.2), which ``I:linebreak !`` implies."""
        value = self.instructions.get("decoration")
        if value is not None:
            return value.strip() == "+"
        return self.bang_linebreaks

    @cached_property
    def user_decorations(self) -> frozenset[str]:
        """Decoration names that U: fields of the file or of this tune define (§4.16)."""
        return self.file.header_decorations | _user_names(self.tune.fields)

    @cached_property
    def known_decorations(self) -> frozenset[str]:
        """Decoration names this tune may use beyond ABC 2.1's: those U: fields define
        (§4.16) and those abcm2ps ``%%deco`` directives define."""
        names = set(self.user_decorations)
        for d in (*self.book.header.directives, *self.tune.directives):
            if d.name == "deco" and d.value:
                names.add(d.value.split()[0])
        return frozenset(names)

    @cached_property
    def music(self) -> MusicScan:
        """The music walk's findings (see :mod:`abcparse.validate.walk`)."""
        from .walk import scan_tune

        return scan_tune(self.tune, self.timeline, self.strict, self.known_decorations,
                         self.plus_decorations)

    @cached_property
    def timeline(self) -> TuneTimeline:
        """The music engine's reading of the tune: every voice's bars, notes, ties and
        form (:mod:`abcparse.music`)."""
        from ..music import timeline

        return timeline(self.tune)

    def fields(self, letter: str) -> Iterator[Field]:
        return (f for f in self.tune.fields if f.letter == letter)


def _instructions(fields: tuple[Field, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in fields:
        if f.letter != "I" or f.in_body:
            continue
        try:
            name, arg = read_instruction(f.value)
        except FieldError:
            continue
        out[name] = arg
    return out


def _user_names(fields: tuple[Field, ...]) -> frozenset[str]:
    names: set[str] = set()
    for f in fields:
        if f.letter != "U":
            continue
        try:
            _symbol, name = read_user(f.value)
        except FieldError:
            continue
        if name:
            names.add(name)
    return frozenset(names)


def file_strict(book: Tunebook, mode: str) -> bool:
    """§12: the file as a whole is strict under ``--strict``, or when declared 2.1+."""
    if mode == "strict":
        return True
    if mode == "loose":
        return False
    version = book.abc_version
    for f in book.header.fields:
        if f.letter == "I" and f.value.startswith("abc-version"):
            version = f.value.split(None, 1)[1] if " " in f.value else version
    return version_is_strict(version)
