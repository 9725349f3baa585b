"""What a rule sees: one tune (:class:`TuneContext`) or the whole file (:class:`FileContext`).

Contexts compute shared analyses lazily and keep them, so rules of one family that need
the same walk over a tune's elements (the music rules all need the element sequence of
each voice with bar lines; the structure rules all need the chunks of the file) pay for
it once.
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
from ..source import LineIndex

if TYPE_CHECKING:
    from ..music import TuneTimeline
    from .walk import MusicScan


@dataclass
class FileContext:
    """The whole file: its tunebook, text, and whether it is read strictly (§12)."""

    book: Tunebook
    strict: bool
    mode: str
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def text(self) -> str:
        if self.book.source is not None:
            return self.book.source.text
        return self.book.to_text()

    @cached_property
    def index(self) -> LineIndex:
        return LineIndex(self.text)

    def span(self, start: int, end: int) -> Span:
        """Span of ``text[start:end]`` (offsets in the whole file)."""
        return self.index.span(start, max(start, end))

    @cached_property
    def tune_starts(self) -> list[int]:
        return [t.span.start for t in self.book.tunes]

    def tune_at(self, offset: int) -> int | None:
        """Index of the tune whose text holds ``offset``, or None."""
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
        t = self.book.tunes[found]
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
