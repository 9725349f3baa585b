"""The typed tune model: frozen, slotted dataclasses built from the lossless parse tree.

Conventions (README, "Architecture"):

- Durations are :class:`fractions.Fraction`. A note's ``length`` is a multiple of the unit
  note length (``L:``) as written, before broken rhythm and tuplets change it (§4.3).
- Every node carries a :class:`~abcparse.diagnostics.Span`; ``span`` fields are left out of
  ``==`` so equality compares music, not positions (the formatter's safety check is
  ``music(parse(format(t))) == music(parse(t))``).
- Closed vocabularies are enums; sequences are tuples.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

from . import speedups
from .diagnostics import Diagnostic, Span, new_span, pack_span, unpack_span

if TYPE_CHECKING:
    from .events import NoteEvent
    from .source import SourceText

NO_SPAN = Span(0, 0, 0, 0, 0, 0)
_C = TypeVar("_C")
_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------
# Field values


class Mode(enum.Enum):
    """§3.1.14 modes; ``MAJOR`` is Ionian and ``MINOR`` Aeolian."""

    MAJOR = "major"
    MINOR = "minor"
    MIXOLYDIAN = "mixolydian"
    DORIAN = "dorian"
    PHRYGIAN = "phrygian"
    LYDIAN = "lydian"
    LOCRIAN = "locrian"

    @property
    def abbreviation(self) -> str:
        """The short spelling used in canonical ABC: "" for major, "m" for minor, "Dor"..."""
        return _MODE_ABBREVIATIONS[self]


_MODE_ABBREVIATIONS = {
    Mode.MAJOR: "",
    Mode.MINOR: "m",
    Mode.MIXOLYDIAN: "Mix",
    Mode.DORIAN: "Dor",
    Mode.PHRYGIAN: "Phr",
    Mode.LYDIAN: "Lyd",
    Mode.LOCRIAN: "Loc",
}


class Accidental(enum.Enum):
    """§4.2 accidentals; the value is the ABC spelling, ``semitones`` the shift."""

    DOUBLE_SHARP = "^^"
    SHARP = "^"
    NATURAL = "="
    FLAT = "_"
    DOUBLE_FLAT = "__"

    @property
    def semitones(self) -> int:
        return _ACCIDENTAL_SEMITONES[self]


_ACCIDENTAL_SEMITONES = {
    Accidental.DOUBLE_SHARP: 2,
    Accidental.SHARP: 1,
    Accidental.NATURAL: 0,
    Accidental.FLAT: -1,
    Accidental.DOUBLE_FLAT: -2,
}
ACCIDENTAL_BY_SPELLING = {a.value: a for a in Accidental}


@dataclass(frozen=True, slots=True)
class Microtone:
    """A microtonal accidental: ``^/c`` raises a quarter tone, ``_/e`` lowers one, and
    ``^3/4c`` raises three quarters of a semitone (``n/d`` semitones; ``n`` is 1 and
    ``d`` 2 when left out). Not ABC 2.1, whose accidentals (§4.2) move whole semitones: an
    extension of abcm2ps, abc2midi and abcjs (which reads ``^/`` and ``_/`` only), reported
    as ABC114. Like an accidental it replaces the key signature's alteration of its note
    and holds for the rest of the bar (abc2midi and abcjs both read it so).

    ``value`` is its ABC spelling, as :attr:`Accidental.value` is, and ``semitones`` the
    signed shift (a :class:`~fractions.Fraction`)."""

    value: str
    # Read once from value (the pitch of every note it reaches asks for it).
    semitones: Fraction = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        num, _, den = self.value[1:].partition("/")
        shift = Fraction(int(num) if num else 1, int(den) if den else 2)
        object.__setattr__(self, "semitones", shift if self.value[0] == "^" else -shift)


def note_accidental(spelling: str) -> Accidental | Microtone:
    """The accidental a note token spells (``^``, ``__``, ``=``; ``_/``, ``^3/4``): the
    parser's reading, and the transposer's of the text it rewrites."""
    return Microtone(spelling) if "/" in spelling else ACCIDENTAL_BY_SPELLING[spelling]


@dataclass(frozen=True, slots=True)
class KeyAccidental:
    """An explicit accidental of a key signature, e.g. ``^f`` in ``K:D exp ^f``."""

    letter: str  # upper case: the accidental holds in every octave
    accidental: Accidental


@dataclass(frozen=True, slots=True)
class Clef:
    """§4.6 clef and transposition properties, from K: or V:."""

    name: str | None = None  # treble, bass, alto, tenor, perc, none
    line: int | None = None  # bass3, alto2 ...
    octave_shift: int = 0  # treble-8 / treble+8 (in octaves)
    middle: str | None = None
    transpose: int = 0  # semitones, for playback
    octave: int = 0  # octave=N shifts written notes by N octaves
    stafflines: int | None = None


@dataclass(frozen=True, slots=True)
class Key:
    """§3.1.14 K: field. ``tonic`` is None for ``K:none`` and for a clef-only K:."""

    tonic: str | None = "C"  # "C", "F#", "Bb"
    mode: Mode | None = Mode.MAJOR
    accidentals: tuple[KeyAccidental, ...] = ()
    explicit: bool = False  # "exp": only the listed accidentals apply
    highland_pipes: str | None = None  # "HP" (no signature) or "Hp" (F# C#, G natural)
    clef: Clef = Clef()
    properties: tuple[tuple[str, str], ...] = ()  # every name=value as written
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def signature(self) -> dict[str, int]:
        """Semitone shift per upper-case letter that the key signature applies."""
        from .theory import key_signature

        return key_signature(self)


@dataclass(frozen=True, slots=True)
class Meter:
    """§3.1.6 M: field. ``kind`` is "fraction", "common" (C = 4/4), "cut" (C| = 2/2) or
    "none" (free meter: no bar-length checks)."""

    kind: str = "none"
    numerators: tuple[int, ...] = ()
    denominator: int = 0
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def bar_length(self) -> Fraction | None:
        """Length of a full bar in whole notes, or None for ``M:none``."""
        if self.kind == "common":
            return Fraction(1)
        if self.kind == "cut":
            return Fraction(1)
        if self.kind == "fraction" and self.denominator:
            return Fraction(sum(self.numerators), self.denominator)
        return None

    @property
    def numerator(self) -> int:
        """Total beats: 7 for (2+3+2)/8; 4 for C; 2 for C|."""
        if self.kind == "common":
            return 4
        if self.kind == "cut":
            return 2
        return sum(self.numerators)

    @property
    def beat_unit(self) -> int:
        if self.kind == "common":
            return 4
        if self.kind == "cut":
            return 2
        return self.denominator

    def __str__(self) -> str:
        if self.kind == "common":
            return "C"
        if self.kind == "cut":
            return "C|"
        if self.kind == "none":
            return "none"
        if len(self.numerators) > 1:
            return "(" + "+".join(map(str, self.numerators)) + f")/{self.denominator}"
        return f"{self.numerators[0]}/{self.denominator}"


@dataclass(frozen=True, slots=True)
class Tempo:
    """§3.1.8 Q: field: beats per minute of the given beat (``1/4=120``), and text."""

    beats: tuple[Fraction, ...] = ()
    bpm: int | None = None
    text: str | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def beat_length(self) -> Fraction | None:
        return sum(self.beats, Fraction(0)) if self.beats else None


@dataclass(frozen=True, slots=True)
class Field:
    """An information field as written (§3), ``+:`` continuations and ``\\`` line
    continuations joined into ``value``; ``value`` has its comment removed."""

    letter: str
    value: str
    in_body: bool = False
    inline: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Directive:
    """A ``%%name value`` stylesheet directive (§11), kept as such."""

    name: str
    value: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------------------------------
# Body elements


#: What a note is, span aside: letter, octave, accidental, length (``Note.shape``).
NoteShape = tuple[str, int, "Accidental | Microtone | None", Fraction]


@dataclass(frozen=True, init=False, eq=False)
class Note:
    """§4.1-4.3 a note. ``octave`` 0 is the octave of C D E F G A B (middle C is C),
    1 the octave of c ... b; each ``'`` adds one and each ``,`` takes one away.

    A dataclass of five fields like the other elements (``fields``, ``replace``,
    ``repr``, ``match``, ``==`` on all but the span), kept in two slots: ``shape``, the
    tuple of the other four, and ``span``. The parser makes one shape per spelling
    (``A``, ``^c'2``) and every note so written shares it: a note takes 48 bytes instead
    of 80, a third of a huge line's model (issue 15)."""

    letter: str  # upper case A-G
    octave: int
    accidental: Accidental | Microtone | None
    length: Fraction
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    if TYPE_CHECKING:  # for the type checker: a slot, not a field (see _shaped)
        shape: NoteShape = field(init=False, compare=False, repr=False)

    def __init__(self, letter: str, octave: int, accidental: Accidental | Microtone | None,
                 length: Fraction, span: Span = NO_SPAN) -> None:
        _set_note_shape(self, (letter, octave, accidental, length))
        _set_note_span(self, span)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Note:
            return NotImplemented
        return self.shape == other.shape

    def __hash__(self) -> int:
        return hash(self.shape)

    def __reduce__(self) -> tuple[type[Note], tuple[Any, ...]]:
        return Note, (*self.shape, self.span)

    @property
    def spelling(self) -> str:
        """The note as canonical ABC: accidental, letter with octave marks, length."""
        from .theory import note_spelling

        return note_spelling(self)


def _shaped(cls: type[_C], shape_fields: tuple[str, ...], *, grouped: bool = False) -> type[_C]:
    """The dataclass ``cls`` made again with slots of our choosing (what
    ``dataclass(slots=True)`` does with one slot per field): ``shape``, the tuple of the
    fields ``shape_fields``, which read from it, and ``span``; with ``grouped`` (a chord,
    a grace group) also ``contents``, its items or its one item alone, which ``items``
    reads as a tuple."""
    body = {k: v for k, v in cls.__dict__.items()
            if k not in ("span", "__dict__", "__weakref__")}
    body["__slots__"] = ("contents", "shape", "span") if grouped else ("shape", "span")
    made: type[_C] = type(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    if grouped:
        made.items = property(_items_of)  # type: ignore[attr-defined]
    for i, name in enumerate(shape_fields):
        setattr(made, name, property(_shape_item(i)))
    return made


def _items_of(group: Any) -> tuple[Any, ...]:
    contents = group.contents
    return contents if contents.__class__ is tuple else (contents,)


def _shape_item(i: int) -> Any:
    def read(note: Any) -> Any:
        return note.shape[i]
    return read


Note = _shaped(Note, ("letter", "octave", "accidental", "length"))  # type: ignore[misc]
_set_note_shape = Note.__dict__["shape"].__set__


@dataclass(frozen=True, slots=True)
class Rest:
    """§4.5 ``z`` (``invisible`` for ``x``) with a length; ``Z``/``X`` rest whole measures
    (``measures`` is their count)."""

    length: Fraction
    invisible: bool = False
    measures: int | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Tie:
    """§4.11 ``-`` (``dotted`` for ``.-``): ties the note before it to the next one."""

    dotted: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return 1 + self.dotted


@dataclass(frozen=True, slots=True)
class SlurStart:
    dotted: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return 1 + self.dotted


@dataclass(frozen=True, slots=True)
class SlurEnd:
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return 1


@dataclass(frozen=True, slots=True)
class Decoration:
    """§4.14 a decoration: ``!trill!``, ``+trill+`` or a one-character symbol. ``name`` is
    None for a symbol that no U: definition and no default (§4.16) gives a meaning."""

    name: str | None
    symbol: str  # as written: "!trill!", "+trill+", "~", "T"
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return len(self.symbol)


@dataclass(frozen=True, slots=True)
class ChordSymbol:
    """§4.18 a chord symbol such as ``"Am7/G"``."""

    text: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Annotation:
    """§4.19 an annotation: ``placement`` is one of ``^ _ < > @``."""

    placement: str
    text: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Chord:
    """§4.17 notes played together. ``items`` holds the notes and what may stand between
    them inside the brackets (ties, decorations); ``length`` multiplies every note's length
    (``[CEG]2``). ``closed`` is False when the line ended before ``]``. ``plus`` marks the
    obsolete spelling ``+CEG+`` (§12.1.3): the same chord, kept so that it can be reported
    and written back as it was."""

    items: tuple[ChordItem, ...]
    length: Fraction = Fraction(1)
    closed: bool = True
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
    plus: bool = field(default=False, compare=False)

    if TYPE_CHECKING:  # slots, not fields (see _shaped)
        contents: Any = field(init=False, compare=False, repr=False)
        shape: tuple[Fraction, bool, bool] = field(init=False, compare=False, repr=False)

    def __init__(self, items: tuple[ChordItem, ...], length: Fraction = Fraction(1),
                 closed: bool = True, span: Span = NO_SPAN, plus: bool = False) -> None:
        _set_chord_contents(self, _contents(items))
        _set_chord_shape(self, _shared_shape((length, closed, plus)))
        _set_chord_span(self, span)

    def __reduce__(self) -> tuple[type[Chord], tuple[Any, ...]]:
        return Chord, (self.items, self.length, self.closed, self.span, self.plus)

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(i for i in self.items if isinstance(i, Note))

    @property
    def duration(self) -> Fraction:
        """Written duration in unit lengths: the first note's length times the outer
        length (§4.17: a chord takes the length of its first note)."""
        notes = self.notes
        return (notes[0].length if notes else Fraction(1)) * self.length


@dataclass(frozen=True, slots=True)
class GraceGroup:
    """§4.12 grace notes ``{...}``; ``acciaccatura`` for ``{/...}``. They take no time."""

    items: tuple[GraceItem, ...]
    acciaccatura: bool = False
    closed: bool = True
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    if TYPE_CHECKING:  # slots, not fields (see _shaped)
        contents: Any = field(init=False, compare=False, repr=False)
        shape: tuple[bool, bool] = field(init=False, compare=False, repr=False)

    def __init__(self, items: tuple[GraceItem, ...], acciaccatura: bool = False,
                 closed: bool = True, span: Span = NO_SPAN) -> None:
        _set_grace_contents(self, _contents(items))
        _set_grace_shape(self, _shared_shape((acciaccatura, closed)))
        _set_grace_span(self, span)

    def __reduce__(self) -> tuple[type[GraceGroup], tuple[Any, ...]]:
        return GraceGroup, (self.items, self.acciaccatura, self.closed, self.span)

    @property
    def notes(self) -> tuple[Note, ...]:
        out: list[Note] = []
        for item in self.items:
            if isinstance(item, Note):
                out.append(item)
            elif isinstance(item, Chord):
                out.extend(item.notes)
        return tuple(out)


def _contents(items: tuple[Any, ...]) -> Any:
    """What a group's ``contents`` slot keeps of its items: the one item alone (model
    nodes are never tuples), else the tuple."""
    return items[0] if len(items) == 1 else tuple(items)


#: Entries a memo of shapes keeps before it starts again (here and the parser's memos by
#: token text, build.py): text spells without end (``a1 a2 a3``, ``[A]1 [A]2``), and a
#: long-running reader (abc-lsp) is not to be grown by what it has read.
SHAPES_KEPT = 4096
_GROUP_SHAPES: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _shared_shape(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """One tuple for every group of the same length and flags (a few, in any book; the
    memo starts again past a few thousand, so a hostile book of lengths does not grow it
    without end)."""
    got = _GROUP_SHAPES.get(shape)
    if got is None:
        if len(_GROUP_SHAPES) >= SHAPES_KEPT:
            _GROUP_SHAPES.clear()
        got = _GROUP_SHAPES[shape] = shape
    return got


# ``[A[A[A...`` makes a chord of one note per two characters: a tuple of one and two
# slots of flags and length were 64 of the 240 bytes each cost (issue 15).
Chord = _shaped(Chord, ("length", "closed", "plus"), grouped=True)  # type: ignore[misc]
GraceGroup = _shaped(GraceGroup, ("acciaccatura", "closed"), grouped=True)  # type: ignore[misc]
_set_chord_contents = Chord.__dict__["contents"].__set__
_set_chord_shape = Chord.__dict__["shape"].__set__
_set_grace_contents = GraceGroup.__dict__["contents"].__set__
_set_grace_shape = GraceGroup.__dict__["shape"].__set__


@dataclass(frozen=True, slots=True)
class Tuplet:
    """§4.13 ``(p:q:r``: put p notes into the time of q for the next r notes. ``q`` and
    ``r`` are as written (None when omitted); the defaults depend on the meter and are
    resolved by :func:`abcparse.theory.tuplet_ratio`."""

    p: int
    q: int | None = None
    r: int | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BrokenRhythm:
    """§4.4 ``>`` lengthens the note before by a dot and shortens the next; ``<`` the
    reverse; ``>>`` and ``>>>`` are double and triple dots."""

    direction: str  # ">" or "<"
    count: int
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return self.count


class BarKind(enum.Enum):
    """§4.8 the visual kind of a bar line, repeats aside."""

    SINGLE = "|"
    DOUBLE = "||"
    THIN_THICK = "|]"
    THICK_THIN = "[|"
    DOTTED = ".|"
    INVISIBLE = "[|]"
    REPEAT_ONLY = "::"


@dataclass(frozen=True, slots=True)
class BarLine:
    """§4.8-4.9 a bar line as written, with its repeat and ending meaning:
    ``repeat_end`` / ``repeat_start`` count the colons on each side (``:|`` ends, ``|:``
    starts, ``::`` and ``:|:`` do both) and ``ending`` holds the first/second ending
    numbers written straight after it (``|1``, ``:|2``, ``|1,3``)."""

    symbol: str
    kind: BarKind
    repeat_end: int = 0
    repeat_start: int = 0
    ending: tuple[int, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class VariantEnding:
    """§4.10 ``[1`` ``[2`` ``[1,3`` ``[1-3``: the ending that starts here."""

    numbers: tuple[int, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InlineField:
    """A field inside the body: inline ``[K:G]`` (``inline``) or on a line of its own.
    ``parsed`` is the typed value for K: M: L: Q: (None when it could not be read), and
    for a ``V:`` that sets a clef, ``transpose=`` or ``octave=`` in the body a
    :class:`Voice` holding those settings (§7.1: they hold from where it is written)."""

    letter: str
    value: str
    inline: bool = True
    parsed: Key | Meter | Fraction | Tempo | Voice | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Spacer:
    """§6.1.2 ``y``: extra space, no time."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return 1


@dataclass(frozen=True, slots=True)
class LineBreak:
    """The end of a music line and what it means for the score (§6.1.1): ``kind`` is
    "eol" (a code line-break), "$" (a score line-break), "!" (the ABC 2.0 line-break,
    §12.1.1) or "continued" (``\\`` at the end of the line, §2.2.6: no break)."""

    kind: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def _follower_length(self) -> int:
        return 1  # the newline, ``$`` or ``!``


@dataclass(frozen=True, slots=True)
class Overlay:
    """§7.4 ``&``: the notes that follow overlay those before it in the same bar."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Reserved:
    """§8.1 a character reserved for future use (``# * ; ? @``) in the music."""

    char: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ErrorNode:
    """Text the parser could not read; kept so nothing is lost, reported as ABC1xx."""

    text: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


ChordItem = Note | Tie | Decoration | ChordSymbol | Annotation
GraceItem = Note | Chord | Tie | Decoration | BrokenRhythm
Element = (
    Note
    | Rest
    | Chord
    | GraceGroup
    | Tuplet
    | BrokenRhythm
    | Tie
    | SlurStart
    | SlurEnd
    | Decoration
    | ChordSymbol
    | Annotation
    | InlineField
    | VariantEnding
    | Spacer
    | LineBreak
    | Overlay
    | Reserved
    | ErrorNode
)


@dataclass(frozen=True, slots=True)
class Bar:
    """The elements between two bar lines of one voice. ``opening`` is the bar line that
    precedes it (None at the start of a voice without one), ``closing`` the one that ends
    it (None when the voice ends without one). ``ending`` is the variant ending this bar
    starts (from ``|1`` or ``[1``), or ()."""

    elements: tuple[Element, ...]
    opening: BarLine | None = None
    closing: BarLine | None = None
    ending: tuple[int, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def notes(self) -> tuple[Note, ...]:
        """Every note of the bar, chord notes included, grace notes excluded."""
        out: list[Note] = []
        for e in self.elements:
            if isinstance(e, Note):
                out.append(e)
            elif isinstance(e, Chord):
                out.extend(e.notes)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Syllable:
    """§5.1 one lyric unit: a syllable (``text``), or a symbol that uses up a note:
    "_" (hold), "*" (skip), "-" (a hyphen that stands alone), or "|" (next bar)."""

    text: str
    kind: str  # "syllable", "hold", "skip", "hyphen", "bar"
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LyricsLine:
    """A ``w:`` line (§5.1), aligned with the music line above it: ``first_note`` is the
    index, in the voice's sequence of notes and chords (grace notes and rests excluded),
    of the first note of that line, and ``note_count`` how many that line holds."""

    syllables: tuple[Syllable, ...]
    text: str
    first_note: int = 0
    note_count: int = 0
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SymbolLine:
    """An ``s:`` symbol line (§4.15)."""

    text: str
    items: tuple[str, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Voice:
    """§7 one voice: its id, properties from V: (header and body), and its bars."""

    id: str
    name: str | None = None
    subname: str | None = None
    clef: Clef = Clef()
    properties: tuple[tuple[str, str], ...] = ()
    bars: tuple[Bar, ...] = ()
    lyrics: tuple[LyricsLine, ...] = ()
    symbol_lines: tuple[SymbolLine, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def elements(self) -> tuple[Element, ...]:
        return tuple(e for bar in self.bars for e in bar.elements)


# ---------------------------------------------------------------------------------------
# Tunes and tunebooks

_DEFAULT_KEY = Key()


@dataclass(frozen=True, slots=True)
class TuneHeader:
    """A tune's header (§2.2.1, §3): fields from X: to K:, typed values derived from them.
    ``read_headers`` yields these without reading bodies."""

    fields: tuple[Field, ...]
    key: Key | None
    meter: Meter | None
    unit_length: Fraction
    tempo: Tempo | None
    parts: str | None
    voices: tuple[Voice, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def values(self, letter: str) -> tuple[str, ...]:
        return tuple(f.value for f in self.fields if f.letter == letter)

    def first(self, letter: str) -> str | None:
        for f in self.fields:
            if f.letter == letter:
                return f.value
        return None

    @property
    def reference(self) -> int | None:
        """X: as an int (None when absent or not a number)."""
        value = self.first("X")
        if value is None:
            return None
        from .limits import bounded_int

        return bounded_int(value)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(v.strip() for v in self.values("T"))

    @property
    def title(self) -> str | None:
        titles = self.titles
        return titles[0] if titles else None

    @property
    def composer(self) -> str | None:
        v = self.first("C")
        return v.strip() if v is not None else None

    @property
    def origin(self) -> str | None:
        v = self.first("O")
        return v.strip() if v is not None else None

    @property
    def rhythm(self) -> str | None:
        v = self.first("R")
        return v.strip() if v is not None else None


@dataclass(frozen=True, slots=True)
class Tune:
    """One tune (§2.2.1): header, body as voices → bars → elements, and everything met
    while reading it. ``to_text()`` gives back its text exactly."""

    header: TuneHeader
    voices: tuple[Voice, ...]
    fields: tuple[Field, ...]  # all fields, header and body, in order
    directives: tuple[Directive, ...] = ()
    comments: tuple[Comment, ...] = ()
    words: tuple[str, ...] = ()  # W: lines (§5), printed after the tune
    abc_version: str | None = None
    strict: bool = False
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
    text: str = field(default="", compare=False, repr=False)
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
    #: The file header's directives and ``I:`` fields as (name, value), in written order:
    #: the defaults the tune starts from (§2.2.2), which its own header and body override
    #: (``propagate-accidentals``, ``MIDI ...``). Not in the tune's text.
    file_settings: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def to_text(self) -> str:
        return self.text

    # Typed header properties (delegated so users write tune.key, tune.title ...).
    @property
    def reference(self) -> int | None:
        return self.header.reference

    @property
    def titles(self) -> tuple[str, ...]:
        return self.header.titles

    @property
    def title(self) -> str | None:
        return self.header.title

    @property
    def composer(self) -> str | None:
        return self.header.composer

    @property
    def origin(self) -> str | None:
        return self.header.origin

    @property
    def rhythm(self) -> str | None:
        return self.header.rhythm

    @property
    def key(self) -> Key:
        """The header key; C major when K: is missing or unreadable (diagnosed)."""
        return self.header.key or _DEFAULT_KEY

    @property
    def meter(self) -> Meter | None:
        return self.header.meter

    @property
    def unit_length(self) -> Fraction:
        return self.header.unit_length

    @property
    def tempo(self) -> Tempo | None:
        return self.header.tempo

    @property
    def parts(self) -> str | None:
        return self.header.parts

    @property
    def bars(self) -> tuple[Bar, ...]:
        """Bars of the first voice (the only one in most folk tunes)."""
        return self.voices[0].bars if self.voices else ()

    def events(
        self, *, grace: str = "ignore", unroll_repeats: bool = True, voice: str | None = None
    ) -> list[NoteEvent]:
        """The notes as they sound, in time order (:func:`abcparse.events.tune_events`).
        Imported lazily: the model stays a set of plain records."""
        from .events import tune_events

        return tune_events(self, grace=grace, unroll_repeats=unroll_repeats, voice=voice)


@dataclass(frozen=True, slots=True)
class FileHeader:
    """§2.2.2 the file header: fields and directives that apply to every tune."""

    fields: tuple[Field, ...] = ()
    directives: tuple[Directive, ...] = ()
    comments: tuple[Comment, ...] = ()
    text: str = field(default="", compare=False, repr=False)
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FreeText:
    """§2.2.3 text between tunes."""

    text: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Tunebook:
    """A whole ABC file: version line, file header, tunes and free text.

    ``to_text()`` gives back the input text exactly; ``source.to_bytes()`` the bytes."""

    header: FileHeader
    tunes: tuple[Tune, ...]
    free_text: tuple[FreeText, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
    abc_version: str | None = None
    mode: str = "auto"
    pieces: tuple[str, ...] = field(default=(), compare=False, repr=False)
    source: SourceText | None = field(default=None, compare=False, repr=False)

    def to_text(self) -> str:
        """The text, rebuilt from the pieces the splitter cut it into."""
        return "".join(self.pieces)

    def __iter__(self) -> Iterator[Tune]:
        return iter(self.tunes)

    def __len__(self) -> int:
        return len(self.tunes)


# ---------------------------------------------------------------------------------------
# Compact spans


class _Joined:
    """The type of :data:`JOINED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JOINED"


#: Stored in a bar's span slot: the bar runs from its opening bar line's start to its
#: closing bar line's end, so it needs no span of its own (see SpanSlot).
JOINED = _Joined()


class SpanSlot:
    """The ``span`` attribute of a model node, over the node's own slot.

    The parser stores a packed int (:func:`~abcparse.diagnostics.pack_span`) in the slot
    of the nodes it makes by the million (notes, bar lines, bars and the other elements of
    a line of music), which is what keeps
    a huge line's model near 100 bytes per input byte (issue 15); reading ``span`` gives
    the same :class:`Span` as ever, unpacked on the way out. A Span stored through the
    attribute (by ``Note(..., span=...)``, ``dataclasses.replace``, pickling) is packed
    the same way when it lies on one line, and kept as it is otherwise.
    A bar between two bar lines stores :data:`JOINED` and reads its span from theirs.
    One of :data:`FOLLOWERS` (a tie, a broken-rhythm sign, a one-character decoration...)
    written right after an element whose span is a packed int, on its line, stores that
    element: its span starts where that one's ends and is as long as its own text
    (``_follower_length``), so a run like ``a-a-a-`` or ``a>b>c>`` keeps one int per
    note instead of two (issue 15). ``slot`` is the slot's own descriptor, for code that
    writes the raw value."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj, owner)
        if value.__class__ is int:
            return unpack_span(value)
        if value is JOINED:
            a = obj.opening.span  # type: ignore[attr-defined]
            b = obj.closing.span  # type: ignore[attr-defined]
            return Span(a.line, a.col, b.end_line, b.end_col, a.start, b.end)
        if value.__class__ is Span:
            return value
        # The element this one directly follows (FOLLOWERS): it starts where that one
        # ends, on its line, and runs for its own written length.
        p = value.span
        n = obj._follower_length()  # type: ignore[attr-defined]
        return new_span(Span, (p.end_line, p.end_col, p.end_line, p.end_col + n, p.end, p.end + n))

    def __set__(self, obj: object, value: object) -> None:
        # A Span given to a constructor, ``replace`` or pickling is kept packed too when
        # it fits: the Tune and Voice objects of a book of many small tunes are made so,
        # and their Spans and int objects were a large part of it (issue 15).
        if value.__class__ is Span:
            value = pack_span(*value)
        self.slot.__set__(obj, value)

    def __delete__(self, obj: object) -> None:
        self.slot.__delete__(obj)


#: The raw ``span`` slot's getter of each class :func:`use_span_slot` gave a
#: :class:`SpanSlot`: what :func:`stored_span` and the builder (the element a follower
#: follows) read of a node without unpacking its span.
RAW_SPAN: dict[type, Callable[[Any], Any]] = {}


def use_span_slot(*classes: type) -> None:
    """Put a :class:`SpanSlot` over the ``span`` slot of classes whose objects are made by
    the million (the elements of a line of music here; ``events.NoteEvent``). Other
    classes keep the plain slot: reading it costs nothing extra."""
    for cls in classes:
        slot = cls.__dict__["span"]
        setattr(cls, "span", SpanSlot(slot))  # noqa: B010
        RAW_SPAN[cls] = slot.__get__


use_span_slot(
    Note, BarLine, Bar, Rest, Chord, GraceGroup, Tuplet, Tie, SlurStart, SlurEnd, BrokenRhythm,
    Decoration, ChordSymbol, Annotation, Spacer, LineBreak, Overlay, ErrorNode, VariantEnding,
    # The parser's findings too: a hostile line can hold one per token.
    Diagnostic,
    # And what every tune has one of, made by a full parse only (read_headers makes the
    # fields, key and header of every tune, and is to stay ten times as fast as parse).
    Voice, Tune,
    # And the header's: a book of many short tunes holds a few of these per tune, and an
    # unpacked Span with its offsets was a sixth of such a book's model (issue 15).
    Field, Key, Meter, Tempo, InlineField, Comment, Directive, TuneHeader, Syllable,
    LyricsLine, SymbolLine, Reserved, FileHeader, FreeText,
)
_set_chord_span = Chord.__dict__["span"].__set__
_set_grace_span = GraceGroup.__dict__["span"].__set__
_note_stored_span = Note.__dict__["span"].slot.__get__
_set_note_span = Note.__dict__["span"].__set__  # the SpanSlot's: a Span is packed
_set_note_raw_span = Note.__dict__["span"].slot.__set__


def make_note(shape: NoteShape, span: Span | int) -> Note:
    """A note of ``shape``, sharing that tuple, with ``span`` stored as given (a packed
    int or a Span): the parser's constructor, at one call per note written."""
    note: Note = object.__new__(Note)
    _set_note_shape(note, shape)
    _set_note_raw_span(note, span)
    return note


if speedups.Maker is not None:  # the same note, made in one call (abcparse.speedups)
    make_note = speedups.Maker(
        Note, (Note.__dict__["shape"], Note.__dict__["span"].slot), untrack=True)


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """A constructor for a frozen, slotted dataclass that fills its slots through their
    descriptors, taking every field positionally.

    A frozen dataclass's own ``__init__`` goes through ``object.__setattr__`` for each
    field, to get past the ``__setattr__`` that makes it frozen; calling the slot
    descriptors directly makes the same object in about half the time, which matters at
    one object per note. The result is an ordinary instance: equal to, and as frozen as,
    one made by ``cls(...)`` (a test checks it). Like ``dataclasses``, the function is
    generated as source.
    """
    if cls is Note:  # two slots, not one per field (see Note)
        return lambda letter, octave, accidental, length, span: make_note(  # type: ignore[return-value]
            (letter, octave, accidental, length), span)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    # A compact span slot (model.SpanSlot) is written through the slot itself.
    slots = {n: getattr(cls, n) for n in names}
    if speedups.Maker is not None:  # the same object, made in one call (abcparse.speedups)
        # Untracked by the cyclic collector: a frozen model object is made after all it
        # refers to and never changed, so no cycle can pass through it (_speedups.c).
        frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        maker: Callable[..., _T] = speedups.Maker(
            cls, tuple(getattr(d, "slot", d) for d in slots.values()), untrack=frozen)
        return maker
    lines = [f"def make({', '.join(names)}):", "    obj = new(cls)"]
    lines += [f"    set_{n}(obj, {n})" for n in names]
    lines.append("    return obj")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"set_{n}": getattr(d, "slot", d).__set__ for n, d in slots.items()})
    exec("\n".join(lines), scope)
    make: Callable[..., _T] = scope["make"]
    return make


#: The elements whose span slot may hold the element they follow (SpanSlot): each is as
#: long as its ``_follower_length`` says.
FOLLOWERS = (Tie, SlurStart, SlurEnd, Decoration, BrokenRhythm, Spacer, LineBreak)


def stored_span(node: object) -> Span | int:
    """A node's span as its slot holds it, a packed int or a Span, to be stored in the
    span slot of another object (a played note's, a key's made from its field's) without
    unpacking it on the way."""
    if node.__class__ is Note:
        stored: Span | int = _note_stored_span(node)
        return stored
    raw_of = RAW_SPAN.get(node.__class__)
    if raw_of is not None:
        raw: Any = raw_of(node)
        if raw.__class__ is int or raw.__class__ is Span:
            return raw
    span: Span = node.span  # type: ignore[attr-defined]
    return span
