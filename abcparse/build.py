"""Lossless parse tree → typed model.

The line grammar gives, per tune, a tree of lines whose tokens are ``re.Match`` objects
(see :mod:`abcparse.parser`). This module walks it once, in order, keeping the little
state ABC needs: the current voice and bar, an open chord or grace group, the U: symbol
table, the meter and unit length (for ``Z`` rests). Field values are parsed with their own
start symbols. Problems met on the way become diagnostics; nothing raises.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

from . import parser as _parser
from . import speedups
from .diagnostics import (
    SPAN_END_FACTOR,
    SPAN_MAX_COL,
    SPAN_MAX_LENGTH,
    SPAN_START_FACTOR,
    Diagnostic,
    Severity,
    Span,
    line_term,
    new_span,
    pack_span,
    packed_end,
)
from .gcpause import paused_gc
from .limits import MAX_FINDINGS_PER_CODE
from .model import (
    ACCIDENTAL_BY_SPELLING,
    JOINED,
    RAW_SPAN,
    SHAPES_KEPT,
    Annotation,
    Bar,
    BarKind,
    BarLine,
    BrokenRhythm,
    Chord,
    ChordItem,
    ChordSymbol,
    Clef,
    Comment,
    Decoration,
    Directive,
    Element,
    ErrorNode,
    Field,
    FileHeader,
    GraceGroup,
    GraceItem,
    InlineField,
    Key,
    KeyAccidental,
    LineBreak,
    LyricsLine,
    Meter,
    Mode,
    Note,
    NoteShape,
    Overlay,
    Reserved,
    Rest,
    SlurEnd,
    SlurStart,
    Spacer,
    Syllable,
    SymbolLine,
    Tempo,
    Tie,
    Tune,
    TuneHeader,
    Tuplet,
    VariantEnding,
    Voice,
    fast_constructor,
    make_note,
    note_accidental,
    stored_span,
)
from .parser import (
    REFILL,
    ParseFailure,
    TokenRun,
    Tree,
    describe_expected,
    line_parser,
    parse_value,
    plus_chord_notes,
)
from .split import KEY_START_PATTERN, broken_repeat_end, parted_ending
from .theory import CHORD_NAME_RE, DEFAULT_SYMBOLS, default_unit_length, written_length

_ONE = Fraction(1)
_DEFAULT_CLEF = Clef()
_T = TypeVar("_T")


_REPLACERS: dict[type[Any], Callable[[Any, Any], Any]] = {}


def with_span(obj: _T, span: Span | int) -> _T:
    """``dataclasses.replace(obj, span=span)`` at a fraction of its cost: field values
    are read once per header field, and they repeat (``K:G``, ``M:6/8``), so the
    readers are memoized and only the span is new. The copy reads and writes each slot
    through its descriptor (as :func:`fast_constructor` writes them), generated once per
    class; the old span is not read (a packed one would be unpacked for nothing)."""
    cls = type(obj)
    replace: Callable[[Any, Any], Any] | None = _REPLACERS.get(cls)
    if replace is None:
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        # A compact span slot (model.SpanSlot) is read and written through the slot.
        slots = {n: getattr(getattr(cls, n), "slot", getattr(cls, n)) for n in names}
        if speedups.Maker is not None:
            # The same copy in one call (abcparse.speedups), untracked as Maker's objects.
            replace = speedups.Maker(
                cls, tuple(slots.values()),
                untrack=cls.__dataclass_params__.frozen,  # type: ignore[attr-defined]
                copy=names.index("span"))
        else:
            scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
            lines = ["def replace(obj, span):", "    made = new(cls)"]
            for n, slot in slots.items():
                scope[f"set_{n}"] = slot.__set__
                if n == "span":
                    lines.append(f"    set_{n}(made, span)")
                else:
                    scope[f"get_{n}"] = slot.__get__
                    lines.append(f"    set_{n}(made, get_{n}(obj))")
            lines.append("    return made")
            exec("\n".join(lines), scope)
            replace = scope["replace"]
        _REPLACERS[cls] = replace
    made: _T = replace(obj, span)
    return made


_make_bar_line = fast_constructor(BarLine)
_make_bar = fast_constructor(Bar)
_make_line_break = fast_constructor(LineBreak)
_make_chord_symbol = fast_constructor(ChordSymbol)
_make_annotation = fast_constructor(Annotation)
_make_field = fast_constructor(Field)
_make_rest = fast_constructor(Rest)
_make_decoration = fast_constructor(Decoration)
_make_tie = fast_constructor(Tie)
_make_slur_start = fast_constructor(SlurStart)
_make_slur_end = fast_constructor(SlurEnd)
_make_broken = fast_constructor(BrokenRhythm)
# One per tune, and all that read_headers makes of a tune beside its fields.
_make_tune_header = fast_constructor(TuneHeader)
#: How many followers deep a span may be derived (Builder.follow_span).
FOLLOW_DEPTH = 4
# The header fields finish_header reads after M: and L: (§3.1.14, 3.1.8, 3.1.9, 3.1.11).
_LATER_FIELDS = frozenset("KQPV")
# Fields whose values are read by a grammar (§3.1): a trailing backslash (ABC 2.0's
# continuation) breaks the reading, where in a text field it is only text.
_READ_FIELDS = frozenset("KMLQPV")
# A K: field line, to its end: the last line of a tune's header (§3.1.14).
_KEY_LINE = re.compile("^" + KEY_START_PATTERN + r"[^\r\n]*", re.MULTILINE)
#: The most parts a P: order may expand to (§3.1.9): real orders name a few dozen.
MAX_PARTS = 10_000
# A music line that starts as a field line would: a lower-case note and a repeat sign
# (split.FIELD_START_PATTERN leaves these to the music).
_NOTE_THEN_REPEAT = re.compile(r"[a-g]:[:|]")
_MODES = {
    "maj": Mode.MAJOR,
    "ion": Mode.MAJOR,
    "min": Mode.MINOR,
    "aeo": Mode.MINOR,
    "m": Mode.MINOR,
    "mix": Mode.MIXOLYDIAN,
    "dor": Mode.DORIAN,
    "phr": Mode.PHRYGIAN,
    "lyd": Mode.LYDIAN,
    "loc": Mode.LOCRIAN,
}
_CLEF_RE = re.compile(r"^(treble|bass|alto|tenor|baritone|perc|none)([1-5])?([+-]8)?$")
_CLEF_LINES = {"treble": 2, "bass": 4, "alto": 3, "tenor": 4, "baritone": 3}
_BAR_KINDS = {
    "|": BarKind.SINGLE,
    "||": BarKind.DOUBLE,
    "|]": BarKind.THIN_THICK,
    "[|": BarKind.THICK_THIN,
    "[": BarKind.THICK_THIN,  # "[:" (§4.8's liberal shapes), read as "[|:" (ABC113)
    ".|": BarKind.DOTTED,
    "[|]": BarKind.INVISIBLE,
}
_ANNOTATION_PLACEMENTS = frozenset("^_<>@")
#: The tokens the builder's loop handles inline outside a chord or grace group.
_INLINE_TOKENS = frozenset({"NOTE", "BAR", "QUOTED"})


def _quoted(written: str, span: Any) -> Annotation | ChordSymbol:
    """A QUOTED token's element: §4.19 an annotation when its text starts with a
    placement (``"^text"``), else §4.18 a chord symbol; ``\\"`` is a quote (§8.2)."""
    parts = _QUOTED_PARTS.get(written)
    if parts is None:
        parts = _QUOTED_PARTS[written] = _quoted_parts(written)
    made: Annotation | ChordSymbol = parts[0](*parts[1:], span)
    return made


def _quoted_parts(written: str) -> tuple[Any, ...]:
    """The constructor of a QUOTED token's element and its values but the span (memoized
    by token text: chord symbols repeat, ``"G"``, ``"D7"``)."""
    inner = _unescape(written[1:-1])
    if inner and inner[0] in _ANNOTATION_PLACEMENTS:
        return (_make_annotation, inner[0], inner[1:])
    return (_make_chord_symbol, inner)
_CONTENT = (Note, Rest, Chord)


# Memos by token text. A note's shape is shared by the notes so written (model.Note), so
# a tunebook's notes hold a few hundred of them. Past model.SHAPES_KEPT entries a memo
# starts again (_refill, TuneBuilder.build).
_NOTE_SHAPES: dict[str, NoteShape] = {}
_BAR_SHAPES: dict[str, tuple[str, BarKind, int, int, tuple[int, ...]]] = {}
_QUOTED_PARTS: dict[str, tuple[Any, ...]] = {}


def _bound_shapes() -> None:
    for memo in (_NOTE_SHAPES, _BAR_SHAPES, _QUOTED_PARTS):
        if len(memo) > SHAPES_KEPT:
            memo.clear()


def _bar_shape(sym: str, end: str | None) -> tuple[str, BarKind, int, int, tuple[int, ...]]:
    """Symbol, kind, repeat counts and ending numbers of a BAR token (§4.8, §4.9);
    memoized by token text like note shapes."""
    core = sym.strip(":")
    repeat_end = len(sym) - len(sym.lstrip(":"))
    repeat_start = len(sym) - len(sym.rstrip(":"))
    if not core:  # "::" is both an end and a start
        kind = BarKind.REPEAT_ONLY
        repeat_end = repeat_start = max(1, len(sym) // 2)
    elif core == "]":
        # ":]": a shape §4.8 accepts without giving it a meaning; abc2midi and abcjs both
        # play it as a bar line that repeats nothing (ABC112).
        kind = BarKind.THIN_THICK
        repeat_end = 0
    else:
        kind = _BAR_KINDS.get(core, BarKind.DOUBLE if "||" in core else BarKind.SINGLE)
    return sym, kind, repeat_end, repeat_start, _numbers(end) if end else ()


def _note_shape(m: re.Match[str]) -> NoteShape:
    """Letter, octave, accidental and length of a NOTE token (§4.1-4.3). The same note
    spellings recur all through a tunebook, so callers memoize this by token text."""
    acc, letter, octs, num, den, slashes = m.group(
        "n_acc", "n_pitch", "n_oct", "n_num", "n_den", "n_sl"
    )
    octave = 0
    if letter > "Z":
        octave = 1
        letter = letter.upper()
    if octs:
        octave += octs.count("'") - octs.count(",")
    return (
        letter,
        octave,
        note_accidental(acc) if acc else None,
        written_length(num, den, slashes),
    )


def _bar_line_shape(m: re.Match[str]) -> tuple[str, BarKind, int, int, tuple[int, ...]]:
    """The parts of a BAR token (memoized by its text: a tunebook repeats a few bar lines)."""
    text = m.group()
    shape = _BAR_SHAPES.get(text)
    if shape is None:
        shape = _BAR_SHAPES[text] = _bar_shape(m.group("b_sym"), m.group("b_end"))
    return shape


def _line_tokens(children: Sequence[Any], text: str) -> Iterator[re.Match[str]]:
    """A music line's tokens as match objects, one at a time: those of a
    :class:`~abcparse.parser.TokenRun` are made again as they are reached, and so are the
    tokens the compiled scanner kept as ints (:func:`_int_token`)."""
    for c in children:
        if c.__class__ is TokenRun:
            yield from c.tokens(text)
        elif c.__class__ is int:
            yield _int_token(text, c)
        else:
            yield c


# A token the compiled scanner (abcparse.speedups.scan) keeps as an int: start << 24 |
# length << 2 | kind, the kinds being these terminals.
_INT_KINDS = _parser._INT_TERMINALS
_INT_LENGTH = _parser._INT_LENGTH


@functools.cache
def _int_token_regexes() -> tuple[re.Pattern[str], ...]:
    terminals = _parser.line_parser().terminals
    return tuple(re.compile(f"(?P<{name}>{terminals[name].pattern.to_regexp()})")
                 for name in _INT_KINDS)


def _int_token(text: str, token: int) -> re.Match[str]:
    """A token the compiled scanner kept as an int, as the match object the parser's own
    loop makes (a group named for its terminal, the terminal's named parts)."""
    start = token >> 24
    m = _int_token_regexes()[token & 3].match(text, start)
    assert m is not None and m.end() == start + ((token >> 2) & _INT_LENGTH)
    return m


def _token_start(token: Any) -> int:
    """Where a music line's token starts: a match, or a token kept as an int."""
    start: int = token >> 24 if token.__class__ is int else token.start()
    return start


def _token_end(token: Any) -> int:
    if token.__class__ is int:
        end: int = (token >> 24) + ((token >> 2) & _INT_LENGTH)
        return end
    return token.end()  # type: ignore[no-any-return]


def _token_kind(token: Any) -> str:
    kind: str = _INT_KINDS[token & 3] if token.__class__ is int else token.lastgroup
    return kind


def _refill(children: list[Any], source: Iterator[re.Match[str]]) -> bool:
    """Put the next tokens of a compact line into the empty ``children``, last first (the
    builder pops them); False at the end of the line."""
    _bound_shapes()
    children += itertools.islice(source, REFILL)
    children.reverse()
    return bool(children)


def thick_bar_dots_plain(sym: str) -> str:
    """A bar line with repeat dots beside a thick bar (``|]:``, ``:[|``, ``[:``) written
    with a thin bar between them (``|]|:``, ``:|[|``, ``[|:``): the repeat abcparse reads
    (§4.8), in the shape abc2midi and abcjs also play as a repeat (ABC113)."""
    plain = sym.replace("]:", "]|:").replace(":[", ":|[")
    return "[|" + plain[1:] if plain.startswith("[:") else plain


def field_letter(start_tok: re.Match[str]) -> str:
    """The letter of a FIELD_START token (``K:``, or `` K:`` indented: ABC109)."""
    return start_tok.group()[-2]


@functools.lru_cache(maxsize=256)
def _numbers(text: str) -> tuple[int, ...]:
    """Ending numbers ``1,3`` or ``1-3`` (§4.9/4.10) as a tuple: (1, 3) or (1, 2, 3). A
    range is two numbers and a dash; in ``1-2-3`` each number stands for itself. Cached:
    a tune's endings are ``1`` and ``2`` again and again, and the tuple is shared."""
    out: list[int] = []
    for part in text.split(","):
        numbers = [int(x) for x in part.split("-") if x]
        if len(numbers) == 2 and numbers[0] <= numbers[1] < numbers[0] + 64:
            out.extend(range(numbers[0], numbers[1] + 1))
        else:
            out.extend(numbers)
    return tuple(out)


def _unescape(text: str) -> str:
    """§8.2 text strings: ``\\"`` and ``\\%`` stand for the character itself."""
    if "\\" not in text:
        return text
    return re.sub(r"\\([\"%\\&])", r"\1", text)


class FieldError(Exception):
    """A field value that cannot be read; ``message`` says why, ``offset`` where.
    ``recovered`` is what loose reading keeps of it (see :func:`read_key`), or None."""

    def __init__(self, message: str, offset: int = 0, length: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.recovered: Any = None


class UnlistedLength(FieldError):
    """``L:1/1875000``: a unit note length §3.1.7 does not list (its lengths are 1/1 to
    1/512, powers of two), read as written, as abc2midi and abcjs read it; ``recovered``
    holds it (ABC231)."""


def _tokens(tree: Any) -> list[Any]:
    """Leaves of a field-value tree (Lark Tokens), in order."""
    return list(tree.scan_values(lambda v: True))


def _failure(letter: str, value: str, e: ParseFailure) -> FieldError:
    found = repr(e.found) if e.found else "the end of the value"
    return FieldError(
        f"{letter}:{value.strip()} cannot be read: {found} where "
        f"{describe_expected(e.expected)} was expected",
        e.pos,
        max(1, len(e.found)),
    )


def read_key(value: str) -> Key:
    """§3.1.14 K: value → :class:`Key`; raises :class:`FieldError`.

    The error's ``recovered`` is the key of the value up to the character that broke it,
    when that much can be read: ``K:Es`` (German for E flat, not ABC) is reported, and
    E major is what is played, as abc2midi and abcjs both play it (each reads the
    tonic and skips the word it does not know). Reading none of it would play C major,
    unlike either player (§12: loose reading keeps what it can).
    """
    try:
        return _read_key(value)
    except FieldError as e:
        kept = readable_start(value, _read_key, "K")
        if kept is not None and kept[0]:
            e.recovered = _read_key(kept[0])
        raise


def readable_start(
    value: str, reader: Callable[[str], object], letter: str
) -> tuple[str, str] | None:
    """The longest start of a field value that ``reader`` accepts (whole words first,
    then characters of the first word: ``DmE|:`` → ``Dm``), and the rest; None when
    nothing reads. What loose reading plays of an unreadable K: (:func:`read_key`) and
    what the fix for it keeps are this one start, so the fix keeps the music."""
    words = value.split()

    def ok(head: str) -> bool:
        if letter == "L" and not re.fullmatch(r"1/[0-9]+", head):
            return False  # "1" of a damaged "1/8" would make every note a whole note
        try:
            reader(head)
        except (FieldError, ValueError, ZeroDivisionError):
            return False
        return True

    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        if ok(head):
            pos = 0
            for w in words[:n]:
                pos = value.index(w, pos) + len(w)
            return value[:pos].strip(), value[pos:].strip()
    if words:
        first = words[0]
        for k in range(min(len(first) - 1, 12), 0, -1):
            if ok(first[:k]):
                pos = value.index(first) + k
                return first[:k], value[pos:].strip()
    return None


@functools.lru_cache(maxsize=4096)
def _read_key(value: str) -> Key:
    try:
        tree = parse_value("key_value", value)
    except ParseFailure as e:
        raise _failure("K", value, e) from None
    tonic: str | None = "C"
    mode: Mode | None = Mode.MAJOR
    explicit = False
    pipes: str | None = None
    accidentals: list[KeyAccidental] = []
    props: list[tuple[str, str]] = []
    clef_words: list[str] = []
    seen_signature = False
    for tok in _tokens(tree):
        t = tok.type
        if t == "TONIC":
            tonic = tok.value
            seen_signature = True
        elif t == "MODE":
            mode = _MODES[tok.value.lower()[:3] if tok.value.lower() != "m" else "m"]
        elif t == "KEY_SPECIAL":
            seen_signature = True
            if tok.value == "none":
                tonic, mode = None, None
            else:
                pipes = tok.value
                tonic, mode = ("A", Mode.MIXOLYDIAN) if tok.value == "Hp" else (None, None)
        elif t == "KEY_ACCIDENTAL":
            acc = ACCIDENTAL_BY_SPELLING[tok.value[:-1]]
            accidentals.append(KeyAccidental(tok.value[-1].upper(), acc))
        elif t == "WORD":
            if tok.value == "exp":
                explicit = True
            elif _CLEF_RE.match(tok.value):
                clef_words.append(tok.value)
            else:
                raise FieldError(
                    f"K:{value.strip()}: {tok.value!r} is not a key, mode, clef or property",
                    tok.start_pos or 0,
                    len(tok.value),
                )
        elif t == "PROPERTY":
            name, _, val = tok.value.partition("=")
            props.append((name.strip(), val.strip().strip('"')))
    if not seen_signature and (clef_words or props or accidentals):
        # A clef-only K: (K:bass) changes the clef, not the key (§4.6).
        tonic, mode = None, None
    if not value.strip():
        tonic, mode = None, None
    return Key(
        tonic,
        mode,
        tuple(accidentals),
        explicit,
        pipes,
        _clef(clef_words, props, value),
        tuple(props),
    )


#: The V: properties that change what a voice sounds like (§4.6, §7.1).
PLAYING_VOICE_PROPERTIES = frozenset({"clef", "transpose", "t", "octave"})


def voice_clef(props: Iterable[tuple[str, str]], words: Iterable[str]) -> Clef:
    """The clef and transposition a V: field's properties and bare words set (§4.6,
    §7.1); the default clef where they cannot be read."""
    try:
        return _clef([w for w in words if _CLEF_RE.match(w)], list(props), "V:")
    except FieldError:
        return _DEFAULT_CLEF


def header_voice_settings(fields: Iterable[Field], vid: str) -> tuple[Clef, frozenset[str]]:
    """The clef and transposition voice ``vid`` starts with, and the names of the
    properties that set them: its ``V:`` fields in the tune header (§7.1). A body ``V:``
    changes them from where it is written (:meth:`TuneBuilder.voice_change`)."""
    props: list[tuple[str, str]] = []
    words: list[str] = []
    for f in fields:
        if f.letter != "V" or f.in_body:
            continue
        try:
            fid, p, w = read_voice(f.value)
        except FieldError as e:
            if e.recovered is None:
                continue
            fid, p, w = e.recovered
        if fid == vid:
            props.extend(p)
            words.extend(w)
    return voice_clef(props, words), frozenset(k for k, _ in props)


def _clef(words: list[str], props: list[tuple[str, str]], value: str) -> Clef:
    """§4.6 clef and transposition from bare clef words and name=value properties."""
    name: str | None = None
    line: int | None = None
    shift = 0
    middle = None
    transpose = 0
    octave = 0
    stafflines = None
    for w in [*words, *(v for k, v in props if k == "clef")]:
        m = _CLEF_RE.match(w)
        if m is None:
            raise FieldError(f"{value.strip()}: {w!r} is not a clef")
        name = m.group(1)
        line = int(m.group(2)) if m.group(2) else _CLEF_LINES.get(name)
        shift = {"+8": 1, "-8": -1}.get(m.group(3) or "", 0)
    for k, v in props:
        try:
            if k in ("transpose", "t"):
                transpose = int(v)
            elif k == "octave":
                octave = int(v)
            elif k in ("middle", "m"):
                middle = v
            elif k == "stafflines":
                stafflines = int(v)
        except ValueError:
            raise FieldError(f"{value.strip()}: {k}={v!r} needs a whole number") from None
    return Clef(name, line, shift, middle, transpose, octave, stafflines)


@functools.lru_cache(maxsize=4096)
def read_meter(value: str) -> Meter:
    """§3.1.6 M: value → :class:`Meter`; raises :class:`FieldError`."""
    try:
        tree = parse_value("meter_value", value)
    except ParseFailure as e:
        raise _failure("M", value, e) from None
    toks = _tokens(tree)
    first = toks[0]
    if first.type == "METER_NONE":
        return Meter("none")
    if first.type == "COMMON_TIME":
        return Meter("common", (4,), 4)
    if first.type == "CUT_TIME":
        return Meter("cut", (2,), 2)
    ints = [int(t.value) for t in toks if t.type == "INT"]
    den = ints[-1]
    if den == 0 or any(n == 0 for n in ints[:-1]):
        raise FieldError(f"M:{value.strip()}: a meter needs numbers above 0")
    return Meter("fraction", tuple(ints[:-1]), den)


@functools.lru_cache(maxsize=4096)
def read_length(value: str) -> Fraction:
    """§3.1.7 L: value → unit note length. §3.1.7 lists 1/1 to 1/512, powers of two;
    another fraction raises :class:`UnlistedLength`, which carries the value as read
    (``recovered``): abc2midi and abcjs both play the notes by it, and Maestro's exports
    write ``L:1/1875000``."""
    try:
        tree = parse_value("length_value", value)
    except ParseFailure as e:
        raise _failure("L", value, e) from None
    ints = [int(t.value) for t in _tokens(tree)]
    num, den = (ints[0], ints[1]) if len(ints) == 2 else (ints[0], 1)
    if num == 0 or den == 0:
        raise FieldError(f"L:{value.strip()}: a unit note length needs numbers above 0")
    if den & (den - 1):
        unlisted = UnlistedLength(
            f"L:{value.strip()} is not a unit note length §3.1.7 lists (1/1, 1/2, 1/4 ..."
            " 1/512: powers of two); it is read as written, as abc2midi and abcjs read it"
        )
        unlisted.recovered = Fraction(num, den)
        raise unlisted
    return Fraction(num, den)


#: §10.1's outdated tempo forms: ``Q:120`` and ``Q:C=120`` (``C2=``: two unit notes),
#: both "120 unit note lengths per minute".
OUTDATED_TEMPO_RE = re.compile(r"[ \t]*(?:C([0-9]{0,3})[ \t]*=[ \t]*)?([0-9]+)[ \t]*$")


def read_tempo(value: str, unit: Fraction) -> Tempo:
    """§3.1.8 Q: value → :class:`Tempo`. The outdated forms of §10.1 (deprecated, still
    to be read) count unit notes per minute: a bare number, or ``C=`` before it (``C2=``
    counts notes two units long)."""
    old = OUTDATED_TEMPO_RE.match(value)
    if old is not None and old.group(1) is not None:
        count = int(old.group(1) or 1)
        if count == 0:
            raise FieldError(f"Q:{value.strip()}: a beat length needs a length above 0")
        return Tempo((unit * count,), int(old.group(2)), None)
    try:
        tree = parse_value("tempo_value", value)
    except ParseFailure as e:
        raise _failure("Q", value, e) from None
    texts = [t.value[1:-1] for t in _tokens(tree) if t.type == "STRING"]
    ints = [int(t.value) for t in _tokens(tree) if t.type == "INT"]
    beats: tuple[Fraction, ...] = ()
    bpm: int | None = None
    if ints:
        bpm = ints[-1]
        pairs = ints[:-1]
        if pairs:
            if any(pairs[i + 1] == 0 for i in range(0, len(pairs), 2)):
                raise FieldError(f"Q:{value.strip()}: a beat length needs a denominator above 0")
            beats = tuple(Fraction(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))
        else:
            beats = (unit,)
    return Tempo(beats, bpm, " ".join(texts) if texts else None)


@functools.lru_cache(maxsize=4096)
def read_parts(value: str) -> str:
    """§3.1.9 P: value expanded: ``(AB)2C`` → ``ABABC``; dots are separators."""
    try:
        tree = parse_value("parts_value", value)
    except ParseFailure as e:
        raise _failure("P", value, e) from None

    def expand(node: Any, depth: int) -> str:
        if depth > 16:
            raise FieldError(f"P:{value.strip()[:60]}: groups are nested too deeply")
        out = []
        size = 0
        for child in node.children:
            if not hasattr(child, "data"):
                continue
            label = ""
            count = 1
            for sub in child.children:
                if hasattr(sub, "data"):
                    label += expand(_Group([sub]), depth + 1)
                elif sub.type == "PART_LABEL":
                    label += sub.value
                elif sub.type == "INT":
                    count = int(sub.value)
            size += len(label) * count
            if size > MAX_PARTS:  # a group, or the groups so far: P:AAAA... is bounded too
                raise FieldError(f"P:{value.strip()[:60]}: the part order is too long"
                                 f" (more than {MAX_PARTS:,} parts)")
            out.append(label * count)
        return "".join(out)

    return expand(tree, 0)


@dataclass
class _Group:
    children: list[Any]


# Spaces around the = of a V: property (``clef = bass``), outside quoted text.
_SPACED_EQUALS = re.compile(r"(?<=[A-Za-z0-9_\-])[ \t]+=|(?<=[A-Za-z0-9_\-])=[ \t]+(?=[^\s=])")
_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')
_VOICE_ID = re.compile(r'[^\s"=\]]{1,64}')


def outside_quotes(value: str, rewrite: Callable[[str], str]) -> str:
    """``value`` with ``rewrite`` applied to the text outside its ``"quoted"`` strings
    (a property's quoted value, ``nm="Alto 1"``, is kept as written)."""
    parts = _QUOTED.split(value)
    parts[::2] = [rewrite(part) for part in parts[::2]]
    return "".join(parts)


def read_voice(value: str) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """§7.1 V: value → (id, properties, bare words such as clef names).

    Loose about spaces around a property's ``=`` (``clef = bass``, which abc2midi and
    abcjs read as ``clef=bass``). A value whose properties cannot be read still names
    its voice: the :class:`FieldError` carries ``(id, (), ())`` as ``recovered``, and the
    music after the field goes to that voice, as both players switch to it (the notes
    used to run on in the voice before)."""
    loose = outside_quotes(value, lambda part: _SPACED_EQUALS.sub("=", part))
    try:
        tree = parse_value("voice_value", loose)
    except ParseFailure as e:
        err = _failure("V", value, e) if loose == value else FieldError(
            f"V:{value.strip()} cannot be read: {e.found!r} where"
            f" {describe_expected(e.expected)} was expected", 0, max(1, len(value.strip())))
        m = _VOICE_ID.match(value.strip())
        if m is not None:
            err.recovered = (m.group(), (), ())
        raise err from None
    toks = _tokens(tree)
    props: list[tuple[str, str]] = []
    words: list[str] = []
    for t in toks[1:]:
        if t.type == "PROPERTY":
            name, _, val = t.value.partition("=")
            props.append((name.strip(), _unescape(val.strip().strip('"'))))
        else:
            words.append(t.value)
    return toks[0].value, tuple(props), tuple(words)


def read_user(value: str) -> tuple[str, str | None]:
    """§4.16 U: value → (symbol, decoration name or None for "no decoration")."""
    try:
        tree = parse_value("user_value", value)
    except ParseFailure as e:
        raise _failure("U", value, e) from None
    toks = _tokens(tree)
    if len(toks) < 2:
        return toks[0].value, None
    raw = toks[1].value
    # A quoted definition (an annotation or chord symbol) keeps its quotes, so it never
    # reads as a decoration name; `!nil!` and `!none!` de-assign the symbol.
    name = raw if raw.startswith('"') else raw[1:-1]
    return toks[0].value, None if name in ("nil", "none") else name


def read_instruction(value: str) -> tuple[str, str]:
    """§3.1.17 I: value → (name, argument)."""
    try:
        tree = parse_value("instruction_value", value)
    except ParseFailure as e:
        raise _failure("I", value, e) from None
    toks = _tokens(tree)
    return toks[0].value, toks[1].value if len(toks) > 1 else ""


_LYRIC_KINDS = {"HOLD": "hold", "SKIP": "skip", "BAR": "bar"}


def read_lyrics(value: str) -> tuple[tuple[str, str, int], ...]:
    """§5.1 w: value → (text, kind, offset) for every unit that uses up a note or moves to
    the next bar. A hyphen only uses up a note after a space or another hyphen."""
    try:
        tree = parse_value("lyrics_value", value)
    except ParseFailure as e:
        raise _failure("w", value, e) from None
    out: list[tuple[str, str, int]] = []
    prev = "SPACE"
    for tok in _tokens(tree):
        t = tok.type
        if t == "SYLLABLE":
            out.append((tok.value, "syllable", tok.start_pos or 0))
        elif t in _LYRIC_KINDS:
            out.append((tok.value, _LYRIC_KINDS[t], tok.start_pos or 0))
        elif t == "HYPHEN" and prev in ("SPACE", "HYPHEN"):
            out.append(("-", "hyphen", tok.start_pos or 0))
        prev = t
    return tuple(out)


# ---------------------------------------------------------------------------------------


@dataclass
class FileContext:
    """What the file header passes on to every tune (§2.2.2)."""

    fields: tuple[Field, ...] = ()
    meter: Meter | None = None
    unit_length: Fraction | None = None
    symbols: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_SYMBOLS))
    version: str | None = None
    instructions: dict[str, str] = field(default_factory=dict)
    #: The file header's ``%%name value`` directives and ``I:name value`` fields, in
    #: written order: the defaults its tunes start from (§2.2.2), ``Tune.file_settings``.
    settings: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Bar:
    elements: list[Element] = field(default_factory=list)
    opening: BarLine | None = None
    ending: tuple[int, ...] = ()
    start: int = -1
    has_content: bool = False


# A voice's next open bar (end_bar): one per bar line that closes a bar.
_new_bar = fast_constructor(_Bar)
# What the compiled inline path (abcparse.speedups.take_run) makes and writes: see there.
_RUN_CONTEXT = (
    Note, Note.__dict__["shape"], Note.__dict__["span"].slot, _NOTE_SHAPES, _QUOTED_PARTS,
    _quoted_parts, _BAR_SHAPES, _make_bar_line, _make_bar, _new_bar, JOINED,
    *(_Bar.__dict__[name] for name in ("elements", "opening", "ending", "start",
                                        "has_content")),
)


@dataclass
class _Continuation:
    """A run of ``+:`` lines (§3.3), or of the outdated history lines of ABC213, that
    continue ``field``: what each line adds, kept until the run ends and merged once
    (:meth:`TuneBuilder.flush_continuation`). Merging at every line joined the whole value
    (and a ``w:`` field's syllables) again each time: quadratic in the run's length."""

    field: Field
    end: Span  # the span of the run's last line
    pieces: list[str]  # each line's text, stripped, when not empty
    syllables: list[tuple[Syllable, ...]] | None  # a w: field's: each line's syllables


def _header_voices(
    declared: Sequence[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], Span]],
) -> tuple[Voice, ...]:
    """The voices a tune header declares (§7.1), in order, each with the properties of
    all its V: lines and no music: what ``read_headers`` tells of a score's parts."""
    merged: dict[str, tuple[list[tuple[str, str]], list[str], Span]] = {}
    for vid, props, words, span in declared:
        got = merged.setdefault(vid, ([], [], span))
        got[0].extend(props)
        got[1].extend(words)
    out = []
    for vid, (all_props, all_words, first) in merged.items():
        name, subname, clef = _voice_identity(all_props, all_words)
        out.append(Voice(vid, name, subname, clef, tuple(all_props), (), (), (), first))
    return tuple(out)


def _voice_identity(props: Sequence[tuple[str, str]], words: Sequence[str]
                    ) -> tuple[str | None, str | None, Clef]:
    """A voice's name, subname and clef from the properties of its V: lines (§7.1)."""
    name = None
    subname = None
    rest = []
    for k, val in props:
        if k == "name" or k == "nm":
            name = val
        elif k in ("subname", "sname", "snm"):
            subname = val
        else:
            rest.append((k, val))
    clef = voice_clef(rest, words) if words or rest else _DEFAULT_CLEF
    return name, subname, clef


def _no_music(v: _Voice) -> bool:
    """Whether a voice holds nothing but line breaks and fields that change nothing of
    how music is read: part labels (§3.1.9 ``P:``) and text (``R:``, ``N:``, ``T:`` ...);
    not ``K: M: L: Q: I: U: m:``, which a voice of its own keeps as before."""
    if v.lyrics or v.symbol_lines or v.bar.has_content or v.bar.opening is not None:
        return False
    marks = (LineBreak, InlineField)
    return all(
        isinstance(e, marks) and (isinstance(e, LineBreak) or e.letter not in "KMLQIUVm")
        for e in (*v.bar.elements, *(e for b in v.bars for e in b.elements))
    ) and all(b.opening is None and b.closing is None for b in v.bars)


@dataclass
class _Voice:
    id: str
    props: list[tuple[str, str]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bar: _Bar = field(default_factory=_Bar)
    lyrics: list[LyricsLine] = field(default_factory=list)
    symbol_lines: list[SymbolLine] = field(default_factory=list)
    notes: int = 0
    lyric_anchor: int = 0
    last_lyrics: tuple[int, int] | None = None
    start: int = -1
    end: int = -1
    # The voice's own meter and unit length while another voice is written (§7.3):
    # the header's until the voice is written in the body.
    meter: Meter | None = None
    unit: Fraction | None = None


def _repeat_of_its_own(voice: _Voice, bar: _Bar) -> bool:
    """Whether a bar with no music is kept for its opening bar line: one that ends or
    starts a repeat and is not the closing of the bar before (two bar lines with nothing
    between). In ``[|] :|`` then ``|:`` on the next line, or ``[|]:|`` at the end of a
    tune, the ``:|`` repeats the section (§4.8), as both players play it; dropped, the
    sign would be lost to the form."""
    opening = bar.opening
    return (opening is not None and bool(opening.repeat_end or opening.repeat_start)
            and not (voice.bars and voice.bars[-1].closing is opening))


@functools.cache
def _header_line_scanner() -> tuple[re.Pattern[str], tuple[int, ...]]:
    """The regex of one whole tune header line (see :meth:`TuneBuilder.header_lines`),
    made from the grammar's terminals, and its groups by number (field start, field
    value, block, directive, comment line, tex, line end: what :func:`_header_line_of`
    reads; a field's comment is what lies between its value and the line end). At a header
    line's start the lexer tries priority 3 (DIRECTIVE_BLOCK, TEX_LINE; KEY_START, which
    FIELD_START also matches, alike), then 2 (FIELD_START, DIRECTIVE), then COMMENT: the
    field comes first here, the most frequent line, as no other of them starts with a
    space, a letter or ``+`` (each starts with ``%`` or a backslash), and the ``%`` lines
    keep the lexer's order. A field's parts follow one another as the parser reads them,
    each optional after the start. The line must end there (a line end, or the text's
    end): a line the regex does not read whole is not a header line."""
    terms = line_parser().terminals

    def rx(group: str, name: str) -> str:
        return f"(?P<{group}>{terms[name].pattern.to_regexp()})"

    pattern = re.compile(
        f"(?:{rx('start', 'FIELD_START')}{rx('value', 'FIELD_TEXT')}?{rx('comment', 'COMMENT')}?"
        f"|{rx('block', 'DIRECTIVE_BLOCK')}|{rx('directive', 'DIRECTIVE')}"
        f"|{rx('comment_line', 'COMMENT')}|{rx('tex', 'TEX_LINE')})?"
        rf"(?:{rx('eol', 'EOL')}|\Z)"
    )
    names = ("start", "value", "block", "directive", "comment_line", "tex", "eol")
    return pattern, tuple(pattern.groupindex[g] for g in names)


# The kinds of a header line, as speedups.header_line numbers them. A %%begin ... %%end
# block (which only the regex reads) is a directive's kind: it is kept as one.
_HEADER_FIELD, _HEADER_DIRECTIVE, _HEADER_COMMENT, _HEADER_TEX, _HEADER_EMPTY = range(5)


def _header_line_of(m: re.Match[str], groups: tuple[int, ...]) -> tuple[int, int, int, int, int]:
    """A match of :func:`_header_line_scanner` as ``speedups.header_line`` gives the line:
    (kind, a, b, line end's start, end). A field's a and b are its value's start and end
    (a comment runs from b to the line end when b is before it); another line's are its
    token's span."""
    start, value, block, directive, comment_line, tex, eol = groups
    eol_start = m.start(eol)
    if eol_start < 0:
        eol_start = m.end()  # the text's end
    value_offset = m.end(start)
    if value_offset >= 0:
        value_end = m.end(value)
        return (_HEADER_FIELD, value_offset, value_end if value_end >= 0 else value_offset,
                eol_start, m.end())
    for kind, group in ((_HEADER_DIRECTIVE, block), (_HEADER_DIRECTIVE, directive),
                        (_HEADER_COMMENT, comment_line), (_HEADER_TEX, tex)):
        a, b = m.span(group)
        if a >= 0:
            return kind, a, b, eol_start, m.end()
    return _HEADER_EMPTY, m.start(), m.start(), eol_start, m.end()


def _parsed_lines(text: str) -> list[Any]:
    """The lines of a tune the LALR parser reads whole (its header is not one that
    :meth:`TuneBuilder.header_lines` reads): as the rule "tune" reads them, or, where that
    rule fails (no ``K:``, music before it), as the rule "lines" does."""
    parser = line_parser()
    try:
        tree = parser.parse(text, "tune", compact=True)
    except ParseFailure:
        children: list[Any] = parser.parse(text, "lines", compact=True).children
        return children
    return [*tree.children[0].children, *tree.children[1].children]


class TuneBuilder:
    """Builds one :class:`Tune` from its chunk of text."""

    # The state every tune starts with that no tune shares a mutable object of: read
    # from the class until the tune sets its own (a builder is made per tune, and
    # read_headers makes one for each header it reads).
    line_start = 0  # offset (in text) of the current line
    in_body = False
    voice: _Voice | None = None
    # The voice "1" made for what stands in the body before the first V: when no V:
    # names it (see finish_voices); None once a V: names it.
    implicit_voice: str | None = None
    chord: list[ChordItem] | None = None
    chord_start = 0
    grace: list[GraceItem] | None = None
    grace_start = 0
    grace_acc = False
    error_start: int | None = None  # loose recovery: a run of unreadable text
    error_end = 0
    error_to_bar = False  # the run lasts to the next bar line
    continued = False
    prev_field: Field | None = None
    continuation: _Continuation | None = None
    # Where the last search for a K: line started, and the K: line it found (-1: none).
    key_line_search: tuple[int, int] | None = None
    # The end of the last Span made by span(), or of the last token the note loop
    # packed: its offset in the text, its line (the offset that ends a line's last
    # token starts the next line's first one, with another column), and its column and
    # offset objects, for the next Span that starts there to share.
    at: tuple[int, int, int, int] = (-1, 0, 0, 0)

    def __init__(
        self, text: str, base: int, base_line: int, ctx: FileContext, strict: bool
    ) -> None:
        self.text = text
        self.base = base
        self.base_line = base_line
        self.ctx = ctx
        self.strict = strict
        self.diags: list[Diagnostic] = []
        # Findings made of each code, and the first one past MAX_FINDINGS_PER_CODE of
        # each (listed at the end with the count of those not listed).
        self.diag_counts: dict[str, int] = {}
        self.unlisted: dict[str, tuple[str, Any, Severity, str]] = {}
        self.line = base_line  # current line number
        self.fields: list[Field] = []
        self.header_fields: list[Field] = []
        self.directives: list[Directive] = []
        self.comments: list[Comment] = []
        self.words: list[str] = []
        self.symbols = ctx.symbols  # copied on the first U: (few tunes redefine symbols)
        self.meter: Meter | None = ctx.meter
        self.unit: Fraction | None = ctx.unit_length
        self.voices: dict[str, _Voice] = {}
        self.voice_order: list[str] = []
        self.version = ctx.version

    # --- positions -------------------------------------------------------------------
    def span(self, start: int, end: int) -> Span:
        """Span of text[start:end] on the current line (tokens never cross a line end).

        A span that starts where the previous one ended shares that one's column and
        offset objects (equal values; a Python int above 256 is an object of its own):
        on a huge line, about a fifth of the model's memory."""
        ls = self.line_start
        line = self.line
        base = self.base
        at, at_line, at_col, at_off = self.at
        if start == at and line == at_line:
            col, off = at_col, at_off
        else:
            col, off = start - ls + 1, base + start
        end_col, end_off = end - ls + 1, base + end
        self.at = (end, line, end_col, end_off)
        return new_span(Span, (line, col, line, end_col, off, end_off))

    def node_span(self, start: int, end: int) -> Any:
        """:meth:`span`, packed where it fits (``diagnostics.pack_span``), for a node
        whose class unpacks it (``model.SpanSlot``): the elements a dense line is made of.
        Typed Any: the node's field says Span, which is what reading it gives."""
        ls = self.line_start
        term = line_term(self.base, ls, self.line)
        if term is None or end - start > SPAN_MAX_LENGTH or start - ls > SPAN_MAX_COL:
            return pack_span(*self.span(start, end))
        # self.at is left as it is: it serves a Span made next to share its column and
        # offset objects with the one before, and a packed span holds none.
        return start * SPAN_START_FACTOR + end * SPAN_END_FACTOR + term

    def follow_span(self, items: list[Any], m: Any, length: int) -> Any:
        """What to store in the span slot of one of ``model.FOLLOWERS``, ``length``
        characters long, matched by ``m`` and about to be appended to ``items``: the
        element it directly follows, when that one ends where ``m`` starts, on this
        line, and its span is packed or derived through fewer than ``FOLLOW_DEPTH``
        followers from a packed one (the slot derives the span from it; one int less
        per tie, broken rhythm or decoration symbol of a run, issue 15); else its own
        packed span. The bound keeps reading a span a few calls deep."""
        start, end = m.start(), m.end()
        if items and end - start == length:
            prev = node = items[-1]
            raw_of = RAW_SPAN.get(node.__class__)
            chain = 0  # the lengths of the followers between the packed span and m
            for _ in range(FOLLOW_DEPTH):
                if raw_of is None:
                    break
                raw = raw_of(node)
                if raw.__class__ is int:
                    if raw >= 0:
                        line, _, at = packed_end(raw)
                        if line == self.line and at + chain == self.base + start:
                            return prev
                    break
                if raw.__class__ is Span or raw is JOINED:
                    break
                chain += node._follower_length()  # a follower: it ends that much after raw
                node = raw
                raw_of = RAW_SPAN.get(node.__class__)
        return self.node_span(start, end)

    def span_multiline(self, start: int, end: int) -> Span:
        chunk = self.text[start:end]
        lines = chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
        if not lines:
            return self.span(start, end)
        last = max(chunk.rfind("\n"), chunk.rfind("\r"))
        return Span(
            self.line,
            start - self.line_start + 1,
            self.line + lines,
            end - (start + last + 1) + 1,
            self.base + start,
            self.base + end,
        )

    def diag(
        self,
        code: str,
        message: str,
        span: Span,
        severity: Severity = Severity.ERROR,
        rule: str = "",
    ) -> None:
        # Packed where it fits, as the elements' spans are: a shape that makes a finding
        # per token (`[A[A[A...`) keeps one int per finding, not a Span of six (issue 15).
        count = self.diag_counts.get(code, 0) + 1
        self.diag_counts[code] = count
        if count <= MAX_FINDINGS_PER_CODE:
            packed: Any = pack_span(*span)  # read back as a Span (model.SpanSlot)
            self.diags.append(Diagnostic(code, message, packed, severity, rule))
        elif code not in self.unlisted:
            self.unlisted[code] = (message, pack_span(*span), severity, rule)

    def list_unlisted(self) -> None:
        """Add, for each code past MAX_FINDINGS_PER_CODE, its first finding not listed,
        saying how many more of that code the tune holds."""
        for code, (message, packed, severity, rule) in self.unlisted.items():
            more = self.diag_counts[code] - MAX_FINDINGS_PER_CODE - 1
            if more:
                message += (f" (and {more:,} more {code} in this tune, not listed: a tune"
                            f" lists {MAX_FINDINGS_PER_CODE:,} of one code)")
            self.diags.append(Diagnostic(code, message, packed, severity, rule))
        self.unlisted.clear()

    # --- driver ----------------------------------------------------------------------
    def build(self) -> Tune:
        # Nothing built here is cyclic garbage; the collector's heap walks were most of a
        # huge tune's time (see gcpause).
        _bound_shapes()
        with paused_gc():
            return self._build()

    def _build(self) -> Tune:
        parser = line_parser()
        # The tune's own span, taken while the line counter still points at its first line.
        whole = self.span_multiline(0, len(self.text)) if self.text else self.span(0, 0)
        body = self.header_lines()
        if body is not None:
            # The body from the line end after K:, as the rule "lines" reads it: the same
            # lines as "body" (and, from a line end, the same tokens), as the rule "tune"
            # reads them after its header.
            self.take_lines(parser.parse(self.text, "lines", compact=True, pos=body).children)
        else:
            self.take_lines(_parsed_lines(self.text))
        self.flush_continuation()
        if not self.in_body:
            self.finish_header(None)
        self.close_open_groups(len(self.text))
        voices = self.finish_voices()
        self.list_unlisted()
        header = self.header
        # Most tunes have no field in the body: their header's tuple serves (issue 15).
        fields = header.fields
        if len(fields) != len(self.fields) or not all(map(operator.is_, fields, self.fields)):
            fields = tuple(self.fields)
        return Tune(
            header=header,
            voices=voices,
            fields=fields,
            directives=tuple(self.directives),
            comments=tuple(self.comments),
            words=tuple(self.words),
            abc_version=self.version,
            strict=self.strict,
            diagnostics=tuple(self.diags),
            text=self.text,
            span=whole,
            file_settings=self.ctx.settings,
        )

    def take_lines(self, items: list[Any]) -> None:
        """Build the parser's lines (tree nodes, and EOL tokens between them) in order.
        Each line's tokens are released as soon as the line is built (popped, not
        iterated), so that the tune's tokens and its model are not all held at once:
        peak memory is about the model's, not the model's plus every token's."""
        items.reverse()
        handlers = self._line_handlers
        while items:
            item = items.pop()
            if item.__class__ is Tree:
                handlers[item.data](self, item.children)
            else:  # EOL
                self.end_of_line(item)

    def read_header(self) -> TuneHeader:
        """The tune's header alone, as :meth:`build` reads it, reading no line after
        ``K:`` (``read_headers``, and the tunes beside a batch of a parallel lint).

        The header lines are read as :meth:`header_lines` reads them for a parse. A
        header it does not take (a line of music or spaces before ``K:``: §10.1's history
        run on over lines with no field, an indented comment, music where ``K:`` is
        missing) is read by the parser, as a parse reads it, but only to the first
        ``K:`` line: the builder's text is cut there, as nothing after it belongs to the
        header. Not where a ``%%begin`` line comes before it: that line may open a block
        (§11) that holds the ``K:`` line, and the parser reads the whole tune."""
        if self.header_lines(comments=False) is None:
            m = _KEY_LINE.search(self.text)
            if m is not None and "%%begin" not in self.text[: m.start()]:
                self.text = self.text[: m.end()]
            _bound_shapes()
            self.take_lines(_parsed_lines(self.text))
        self.flush_continuation()
        if not self.in_body:
            self.finish_header(None)
        return self.header

    def header_lines(self, comments: bool = True) -> int | None:
        """Read the tune header's lines without the LALR parser, where the rule "tune"
        would read them as its header (§3.1: field, comment, directive and TeX lines, and
        empty lines, up to the ``K:`` line): the offset of the line end after ``K:`` (or
        of the text's end), where the body starts. None, and nothing read (see
        :meth:`restart`), for a header that rule would not take (music, spaces or anything
        else before ``K:``, or no ``K:``): the parser then reads it (see :meth:`build`,
        :meth:`read_header`).

        Each line is matched by one regex of the grammar's own terminals, which reads the
        tokens the parser's lexer would make at a header line's start (see
        :func:`_header_line_scanner`); the builder is then given them as the parser's tree
        would give them. The header was a tenth of a short tune's parse (a field line went
        through three tokens, two reductions and a tree node). Without ``comments`` its
        comments are not kept: a header (:class:`TuneHeader`) has none, and
        ``read_headers`` would make them to throw them away."""
        scanner, groups = _header_line_scanner()
        read_line = speedups.header_line
        text = self.text
        version = self.version  # before a header line changes it
        pos = 0
        while True:
            # The compiled reader where the extension is built (abcparse.speedups); the
            # regex where it is not, or where that reader leaves the line to it.
            line = read_line(text, pos) if read_line is not None else None
            if line is None:
                m = scanner.match(text, pos)
                if m is None or m.end() == pos:
                    # Not a header line, or the text ends with no K: line: what was read
                    # of the header is forgotten, and the parser reads the tune from
                    # its start.
                    self.restart(version)
                    return None
                line = _header_line_of(m, groups)
            kind, a, b, eol, end = line
            if kind == _HEADER_FIELD:
                if b < eol and comments:
                    self.comment_at(b, eol)
                self.field_at(pos, a, b)
                if self.in_body:  # K:
                    return eol
            elif kind == _HEADER_DIRECTIVE:
                self.directive_at(a, b)
            elif kind == _HEADER_COMMENT:
                if comments:
                    self.comment_at(a, b)
            elif kind == _HEADER_TEX:
                self.tex_at(a, b)
            # next_line, written out: a header line is neither music nor continued.
            self.line += 1
            self.line_start = pos = end

    def restart(self, version: str | None) -> None:
        """Forget all that was read: the builder as it was made, with the ``version`` it
        had before reading (``api`` sets the file's after making it). Every state of a
        tune's reading is held in the instance (the class holds only defaults), so this
        is exact; it serves :meth:`header_lines`, which gives the builder each header
        line as it reads it and, at a line that is not one, leaves the tune to the
        parser."""
        state = self.__dict__
        made = (state["text"], state["base"], state["base_line"], state["ctx"], state["strict"])
        state.clear()
        TuneBuilder.__init__(self, *made)
        self.version = version

    def end_of_line(self, eol: Any) -> None:
        if self.in_body and self.voice is not None and self.current_line_music:
            kind = "continued" if self.continued else "eol"
            items = self.voice.bar.elements
            items.append(_make_line_break(kind, self.follow_span(items, eol, 1)))
        self.next_line(eol.end())

    def next_line(self, start: int) -> None:
        """Count a line end: the next line starts at ``start`` (of the tune's text)."""
        self.current_line_music = False
        self.continued = False
        self.line += 1
        self.line_start = start

    current_line_music = False

    # --- lines -----------------------------------------------------------------------
    def line_comment_line(self, children: list[Any]) -> None:
        self.t_comment(children[0])

    def line_tex_line(self, children: list[Any]) -> None:
        m = children[0]
        self.tex_at(m.start(), m.end())

    def tex_at(self, start: int, end: int) -> None:
        """``\\bigskip``: a TeX command of ABC 1.x, skipped as both players skip it."""
        self.diag(
            "ABC110",
            f"{self.text[start:end][:24]}: a TeX command line of ABC 1.x (abc2mtex), not"
            " music: skipped, as abc2midi and abcjs skip it; ABC 2.1 has no such line"
            " (§12.2). Make it a comment",
            self.span(start, end),
            rule="tex-line",
        )

    def line_directive_line(self, children: list[Any]) -> None:
        m = children[0]
        self.directive_at(m.start(), m.end())

    def directive_at(self, start: int, end: int) -> None:
        """A ``%%`` directive line, or a ``%%begin`` ... ``%%end`` block, from ``start``
        to ``end`` of the tune's text (§11)."""
        text = self.text[start:end]
        body = text[2:].split("\n", 1)[0].split("\r", 1)[0]
        name, _, value = body.strip().partition(" ")
        span = self.span_multiline(start, end)
        self.directives.append(Directive(name, value.strip(), span))
        if name == "abc-version" and not self.in_body:
            self.version = value.strip()
        # A %%begin block spans lines: move the line counter past it.
        extra = span.end_line - span.line
        if extra:
            self.line += extra
            self.line_start = max(text.rfind("\n"), text.rfind("\r")) + 1 + start

    def line_key_line(self, children: list[Any]) -> None:
        self.line_field_line(children)

    def line_field_line(self, children: list[Any]) -> None:
        value_tok = None
        for c in children[1:]:
            if c.lastgroup == "FIELD_TEXT":
                value_tok = c
            elif c.lastgroup == "COMMENT":
                self.t_comment(c)
        self.field_line(children[0], value_tok)

    def field_line(self, start_tok: re.Match[str], value_tok: re.Match[str] | None) -> None:
        """A field on a line of its own (§3): ``start_tok`` its ``X:``, ``value_tok`` the
        text after it (None when empty); a comment after it is the caller's."""
        end = start_tok.end()
        self.field_at(start_tok.start(), end, value_tok.end() if value_tok is not None else end)

    def field_at(self, start: int, value_offset: int, end: int) -> None:
        """:meth:`field_line` by positions in the tune's text: its FIELD_START token from
        ``start`` to ``value_offset``, its value from there to ``end`` (what
        ``read_headers`` reads with one regex per header line)."""
        text = self.text
        begin = value_offset - 2  # the letter: FIELD_START may hold spaces before it
        letter = text[begin]
        if begin > start:
            self.diag(
                "ABC109",
                f"{letter}: field line written indented: §3 reads a field only at the start"
                " of a line; abcparse and abc2midi read it as a field (abcjs too for K: and"
                " L:). Start the line with the letter",
                self.span(start, begin),
                rule="indented-field",
            )
        value = text[value_offset:end]
        if letter == "+":
            self.continue_field(value, self.span(begin, end), value_offset)
            return
        if self.continuation is not None:
            self.flush_continuation()
        if "\\" in value and letter in _READ_FIELDS and value.rstrip().endswith("\\"):
            value = self.outdated_continuation(value, value_offset)
        in_body = self.in_body
        f = _make_field(letter, value.strip(), in_body, False, self.node_span(begin, end))
        self.fields.append(f)
        self.prev_field = f
        if not in_body:
            self.header_fields.append(f)
            if letter == "K":
                self.finish_header(f)
            elif letter in "UI":
                self.apply_field(f, value_offset, value)
            return
        self.body_field(f, value_offset, value)

    def outdated_continuation(self, value: str, value_offset: int) -> str:
        """``K:D\\``: a field line that ends with a backslash, the general continuation of
        ABC 2.0 that ABC 2.1 disallows (§10.3). In the tunebooks that have it the field
        stands inside a run of music lines joined by ``\\`` (§6.1.1) and the next line is
        music, not more of the field: the value is read without it, as abc2midi and
        abcjs both read it, and the backslash is reported (ABC107)."""
        end = len(value.rstrip())
        at = value_offset + end - 1
        self.diag(
            "ABC107",
            "\\ at the end of a field line: ABC 2.1 has no continuation of fields by \\"
            " (§10.3; use +: on the next line to continue a field); it is ignored",
            self.span(at, at + 1),
            rule="field-backslash",
        )
        return value[: end - 1]

    def history_goes_on(self, children: list[Any]) -> bool:
        """§10.1's outdated ``H:``: the history runs on over the lines after it until the
        next field. A header line with no field letter, straight after ``H:`` (or such a
        line) and before a ``K:`` line, is read as more of it (ABC213), not as music."""
        prev = self.prev_field
        if prev is None or prev.letter != "H" or not self.fields or self.fields[-1] is not prev:
            return False
        start = children[0].start()
        end = next((m.start() for m in children if m.lastgroup == "COMMENT"), children[-1].end())
        if not self.key_line_after(end):
            return False
        for m in children:
            if m.lastgroup == "COMMENT":
                self.t_comment(m)
        span = self.span(start, end)
        self.diag(
            "ABC213",
            "a header line with no field after H: is read as more of the history, its"
            " outdated form (§10.1); write +: at its start (§3.3)",
            span,
            Severity.WARNING,
            rule="outdated-history-continuation",
        )
        self.continue_field(self.text[start:end], span, start)
        return True

    def key_line_after(self, pos: int) -> bool:
        """Whether a K: line stands after ``pos``. The answer of the last search serves
        the lines after it (``pos`` only grows), so a history of many lines is read in
        linear time, not one search to the end of the tune per line."""
        last = self.key_line_search
        if last is not None:
            searched, found = last
            if found >= pos or (found < 0 and pos >= searched):
                return found >= 0
        m = _KEY_LINE.search(self.text, pos)
        self.key_line_search = (pos, m.start() if m is not None else -1)
        return m is not None

    def continue_field(self, value: str, span: Span, value_offset: int) -> None:
        """§3.3 ``+:`` adds its text to the field above. The line is noted in the run of
        continuations; the field is rebuilt when the run ends (flush_continuation)."""
        prev = self.prev_field
        if prev is None or not self.fields or self.fields[-1] is not prev:
            self.diag("ABC208", "+: continues no field: the line above is not a field", span)
            return
        run = self.continuation
        if run is None:
            # §3.3/§5.1: continued lyrics add their syllables to the same lyrics line,
            # aligned from the same note.
            lyrics = (
                prev.in_body and prev.letter == "w" and self.voice is not None
                and bool(self.voice.lyrics)
            )
            run = self.continuation = _Continuation(prev, span, [], [] if lyrics else None)
        run.end = span
        piece = value.strip()
        if piece:
            run.pieces.append(piece)
        if run.syllables is not None:
            # Each line is read on its own (now, so its findings come in order), so that
            # the syllables' spans stay exact.
            run.syllables.append(self.syllables(value_offset, value))

    def flush_continuation(self) -> None:
        """End a run of continuation lines: the field (and a w: field's lyrics line) is
        replaced by the merged one. Called before anything that reads or adds fields or
        lyrics: any other field line, a music line, the end of the header and the end of
        the tune."""
        run = self.continuation
        if run is None:
            return
        self.continuation = None
        prev = run.field
        span = run.end
        merged = Field(
            prev.letter,
            " ".join([prev.value, *run.pieces]).strip(),
            prev.in_body,
            False,
            Span(
                prev.span.line,
                prev.span.col,
                span.end_line,
                span.end_col,
                prev.span.start,
                span.end,
            ),
        )
        self.fields[-1] = merged
        if self.header_fields and self.header_fields[-1] is prev:
            self.header_fields[-1] = merged
        self.prev_field = merged
        if run.syllables is not None and self.voice is not None and self.voice.lyrics:
            old = self.voice.lyrics.pop()
            self.voice.lyrics.append(
                LyricsLine(
                    old.syllables + tuple(s for line in run.syllables for s in line),
                    merged.value,
                    old.first_note,
                    old.note_count,
                    merged.span,
                )
            )

    def header_span(self) -> Any:
        """From the tune's first line to the end of its last header field, packed where
        it fits (the header's span slot unpacks it when read). Typed Any, as
        :meth:`node_span` is: the header's field says Span, which is what reading gives."""
        if not self.header_fields:
            return pack_span(self.base_line, 1, self.line, 1, self.base, self.base)
        raw = stored_span(self.header_fields[-1])
        if raw.__class__ is int and raw >= 0:  # one line, packed: no Span made
            _, end_col, end = packed_end(raw)
        else:
            last = self.header_fields[-1].span
            end_col, end = last.end_col, last.end
        return pack_span(self.base_line, 1, self.line, end_col, self.base, end)

    def field_diag(self, letter: str, e: FieldError, value_offset: int, value: str) -> None:
        """Report an unreadable field value at the character that broke it."""
        code = {"M": "ABC221", "L": "ABC222", "K": "ABC223", "Q": "ABC224", "P": "ABC225"}
        code.update({"V": "ABC226", "U": "ABC227", "I": "ABC227", "w": "ABC228", "s": "ABC228"})
        if isinstance(e, UnlistedLength):
            code["L"] = "ABC231"
        lead = len(value) - len(value.lstrip())
        start = value_offset + min(e.offset, len(value)) + (0 if e.offset else lead)
        end = start + e.length if e.length else value_offset + len(value.rstrip())
        message = e.message
        if letter == "M" and not value.strip():
            message = ("M: has no value: a tune with no meter is in free meter (§3.1.6), as"
                       " abcparse reads it, while abc2midi and abcjs assume 4/4; write"
                       " M:none, or the meter")
        self.diag(
            code.get(letter, "ABC227"),
            message,
            self.span(start, max(end, start)),
            rule="unlisted-unit-length" if isinstance(e, UnlistedLength)
            else "invalid-field-value",
        )

    def apply_field(self, f: Field, value_offset: int, value: str) -> Any:
        """Read a field whose value changes how what follows is read; returns the typed
        value (Key, Meter, Fraction, Tempo) or None."""
        letter = f.letter
        raw = value.strip()
        try:
            if letter == "K":
                return with_span(read_key(value), stored_span(f))
            if letter == "M":
                self.meter = with_span(read_meter(value), stored_span(f))
                return self.meter
            if letter == "L":
                self.unit = read_length(value)
                return self.unit
            if letter == "Q":
                unit = self.unit or default_unit_length(self.meter)
                return with_span(read_tempo(value, unit), stored_span(f))
            if letter == "U":
                symbol, name = read_user(value)
                if self.symbols is self.ctx.symbols:
                    self.symbols = dict(self.symbols)
                self.symbols[symbol] = name
            elif letter == "I":
                name, arg = read_instruction(value)
                if name == "abc-version" and not self.in_body:
                    self.version = arg
            elif letter == "P" and self.in_body and (len(raw) != 1 or not raw.isalpha()):
                read_parts(value)
        except FieldError as e:
            self.field_diag(letter, e, value_offset, value)
            if letter == "K" and e.recovered is not None:
                return with_span(e.recovered, stored_span(f))
            if isinstance(e, UnlistedLength):
                self.unit = e.recovered
                return self.unit
        return None

    def finish_header(self, key_field: Field | None) -> None:
        """Turn the header fields into typed values once K: (or the end) is reached."""
        self.flush_continuation()
        self.in_body = True
        meter = self.ctx.meter
        unit = self.ctx.unit_length
        key: Key | None = None
        tempo: Tempo | None = None
        parts: str | None = None
        voices: list[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], Span]] = []
        # M: and L: first, the others after them: Q: depends on L:, L: defaults from M:.
        later: list[Field] = []
        for f in self.header_fields:
            letter = f.letter
            if letter == "M" or letter == "L":
                try:
                    if letter == "M":
                        meter = with_span(read_meter(f.value), stored_span(f))
                    else:
                        unit = read_length(f.value)
                except FieldError as e:
                    self.field_diag_for(f, e)
                    if isinstance(e, UnlistedLength):
                        unit = e.recovered
            elif letter in _LATER_FIELDS:
                later.append(f)
        if unit is None:
            unit = default_unit_length(meter)
        for f in later:
            try:
                if f.letter == "K":
                    key = with_span(read_key(f.value), stored_span(f))
                elif f.letter == "Q":
                    tempo = with_span(read_tempo(f.value, unit), stored_span(f))
                elif f.letter == "P":
                    parts = read_parts(f.value)
                elif f.letter == "V":
                    voices.append((*read_voice(f.value), f.span))
            except FieldError as e:
                self.field_diag_for(f, e)
                if f.letter == "K" and e.recovered is not None:
                    key = with_span(e.recovered, stored_span(f))
                elif f.letter == "V" and e.recovered is not None:
                    voices.append((*e.recovered, f.span))
        self.meter = meter
        self.unit = unit
        self.header = _make_tune_header(
            tuple(self.header_fields),
            key,
            meter,
            unit,
            tempo,
            parts,
            _header_voices(voices),
            self.header_span(),
        )
        for vid, props, words, _ in voices:
            v = self.voices.get(vid)
            if v is None:
                v = _Voice(vid, meter=meter, unit=unit)
                self.voices[vid] = v
                self.voice_order.append(vid)
            v.props.extend(props)
            v.words.extend(words)

    def field_diag_for(self, f: Field, e: FieldError) -> None:
        """Report a bad value of a header field read after its line has gone by."""
        offset = f.span.start - self.base + 2
        raw = self.text[offset : max(offset, f.span.end - self.base)]
        if f.span.end_line != f.span.line:  # joined by +:, point at the field
            raw = raw.split("\n", 1)[0].split("\r", 1)[0]
            e = FieldError(e.message)
        saved = self.line, self.line_start
        self.line = f.span.line
        self.line_start = f.span.start - self.base - (f.span.col - 1)
        self.field_diag(f.letter, e, offset, raw)
        self.line, self.line_start = saved

    header: TuneHeader

    # --- body ------------------------------------------------------------------------
    def current_voice(self) -> _Voice:
        if self.voice is None:
            implicit = not self.voice_order
            vid = self.voice_order[0] if self.voice_order else "1"
            self.switch_voice(vid)
            if implicit:
                self.implicit_voice = vid
        assert self.voice is not None
        return self.voice

    def switch_voice(self, vid: str) -> None:
        if vid == self.implicit_voice:
            self.implicit_voice = None  # named by a V: after all
        v = self.voices.get(vid)
        if v is None:
            head = self.header if self.in_body else None
            v = _Voice(vid, meter=head.meter if head else self.meter,
                       unit=head.unit_length if head else self.unit)
            self.voices[vid] = v
            self.voice_order.append(vid)
        if self.voice is not None and v is not self.voice:
            # §7.3: a meter or unit length written in one voice is that voice's; each
            # voice starts from the header's, as the engine reads each voice (the first
            # voice keeps what the body set before it was named).
            self.voice.meter, self.voice.unit = self.meter, self.unit
            self.meter, self.unit = v.meter, v.unit
        self.voice = v

    def voice_change(self, vid: str, value: str, props: Sequence[tuple[str, str]],
                     words: Sequence[str], inline: bool, span: Span) -> InlineField | None:
        """A body ``V:`` that sets a clef, ``transpose=`` or ``octave=`` (§4.6, §7.1:
        properties "may be also set or changed in the tune body"): an element of the
        voice's music, so the change holds from where it is written, as both players
        play it (its parsed value is a :class:`Voice` holding just those settings). A
        voice's ``Voice.clef`` and ``properties`` gather every ``V:`` of it; what it
        starts with is its header ``V:`` (see :func:`header_voice_settings`)."""
        if not (any(k in PLAYING_VOICE_PROPERTIES for k, _ in props)
                or any(_CLEF_RE.match(w) for w in words)):
            return None
        settings = Voice(vid, clef=voice_clef(props, words), properties=tuple(props))
        return InlineField("V", value.strip(), inline, settings, span)

    def body_field(self, f: Field, value_offset: int, value: str) -> None:
        letter = f.letter
        if letter == "w":
            self.lyrics(f, value_offset, value)
            return
        if letter == "W":
            self.words.append(f.value)
            return
        if letter == "s":
            self.symbol_line(f, value_offset, value)
            return
        if letter == "V":
            try:
                vid, props, words = read_voice(value)
            except FieldError as e:
                self.field_diag("V", e, value_offset, value)
                if e.recovered is None:
                    return
                vid, props, words = e.recovered
            self.close_open_groups(f.span.start - self.base)
            self.switch_voice(vid)
            assert self.voice is not None
            self.voice.props.extend(props)
            self.voice.words.extend(words)
            change = self.voice_change(vid, f.value, props, words, False, f.span)
            if change is not None:
                self.voice.bar.elements.append(change)
            return
        parsed = self.apply_field(f, value_offset, value)
        voice = self.current_voice()
        voice.bar.elements.append(InlineField(letter, f.value, False, parsed, f.span))

    def syllables(self, value_offset: int, value: str) -> tuple[Syllable, ...]:
        """The syllables of one physical w: (or +:) line, with their spans."""
        try:
            units = read_lyrics(value)
        except FieldError as e:
            self.field_diag("w", e, value_offset, value)
            units = ()
        return tuple(
            Syllable(text, kind, self.span(value_offset + off, value_offset + off + len(text)))
            for text, kind, off in units
        )

    def lyrics(self, f: Field, value_offset: int, value: str) -> None:
        voice = self.current_voice()
        if voice.last_lyrics is not None:
            first, count = voice.last_lyrics  # another verse under the same notes
        else:
            first, count = voice.lyric_anchor, voice.notes - voice.lyric_anchor
            voice.lyric_anchor = voice.notes
            voice.last_lyrics = (first, count)
        syllables = self.syllables(value_offset, value)
        voice.lyrics.append(LyricsLine(syllables, f.value, first, count, f.span))

    def symbol_line(self, f: Field, value_offset: int, value: str) -> None:
        voice = self.current_voice()
        try:
            tree = parse_value("symbol_value", value)
            items = tuple(t.value for t in _tokens(tree) if t.type != "SPACE")
        except ParseFailure as e:
            self.field_diag("s", _failure("s", value, e), value_offset, value)
            items = ()
        voice.symbol_lines.append(SymbolLine(f.value, items, f.span))

    def line_music_line(self, children: list[Any]) -> None:
        """Build one music line's elements from its tokens: ``re.Match`` objects and, on a
        line of thousands of tokens, :class:`~abcparse.parser.TokenRun` runs of them."""
        # A TokenRun comes only after COMPACT_AFTER characters of a line, or after a line's
        # first token once TUNE_KEEP characters of the tune are read (LineParser.parse).
        last = children[-1]
        first = children[0]
        first_kind = _token_kind(first)
        first_start, first_end = _token_start(first), _token_end(first)
        compact = last.__class__ is TokenRun or (
            (len(self.text) > _parser.TUNE_KEEP
             or _token_end(last) - first_start > _parser.COMPACT_AFTER)
            and any(c.__class__ is TokenRun for c in children)
        )
        if compact and (
            not self.in_body  # rare: history_goes_on reads a list
            # A first token and a run of one: perhaps a space and a comment, read below
            # as a list. (A longer line has music in it: two tokens in a row are never
            # both spaces, and a comment ends the line. Its tokens are read once, below.)
            or sum(len(c.steps) for c in children if c.__class__ is TokenRun) < 2
        ):
            children, compact = list(_line_tokens(children, self.text)), False
        if first_kind in ("WS", "COMMENT") and all(
            m.__class__ is not TokenRun and _token_kind(m) in ("WS", "COMMENT")
            for m in children
        ):
            # §2.2.5: a line holding only a comment, even after spaces, is as if removed:
            # it neither ends the header nor breaks the score line.
            for m in children:
                if m.__class__ is not int and m.lastgroup == "COMMENT":
                    self.t_comment(m)
            return
        if (first_kind == "NOTE" and first_start == self.line_start
                and _NOTE_THEN_REPEAT.match(self.text, first_start)):
            self.diag(
                "ABC108",
                f"{self.text[first_start]}{self.text[first_end]} at the start of a line: §3"
                " reads a letter and a colon there as a field; abcparse, abc2midi and abcjs"
                " read a note and a repeat sign. Write a space after the note (§3, §4.8)",
                self.span(first_start, first_end + 1),
                rule="note-like-field",
            )
        if not self.in_body:
            if self.history_goes_on(list(_line_tokens(children, self.text))):
                return
            # Music before K: (loose files, fragments): the header ends here.
            self.diag(
                "ABC204",
                "music before the K: field; the tune header must end with K: (§3.1.14)",
                self.span(first_start, first_end),
                rule="missing-key",
            )
            self.finish_header(None)
        self.flush_continuation()
        voice: Any = self.current_voice()
        voice.last_lyrics = None
        self.current_line_music = True
        handlers = self._handlers
        shapes = _NOTE_SHAPES
        line = self.line
        ls = self.line_start
        base = self.base
        # Outside a chord, a grace group and a run of unreadable text, notes, bar lines
        # and chord symbols are built inline (each of those is opened and closed by
        # handlers, after which this is read again).
        plain = self.chord is None and self.grace is None and self.error_start is None
        last_end = _token_end(last)
        # The tokens are consumed from the list (see build): on one huge line, a token is
        # freed once its element is built, instead of all of them living until the end;
        # the tokens of a TokenRun are made one at a time.
        if compact:
            source = _line_tokens(children, self.text)
            children = []
        children.reverse()
        pop = children.pop
        # Where the last span ended (see span), kept in a local for the inline paths: a
        # handler is given it with its column and offset (equal to what span() made).
        at, at_line = self.at[:2]
        if at_line != line:
            at = -1
        # What every packed span on this line adds (see line_term); None keeps Spans.
        term = line_term(base, ls, line)
        start_factor, end_factor = SPAN_START_FACTOR, SPAN_END_FACTOR
        max_col, max_length = SPAN_MAX_COL, SPAN_MAX_LENGTH
        # The voice's open bar and its list, and the notes added to it since the voice's
        # count was last brought up to date, kept in locals: a bar line or a handler
        # changes the bar (an inline [V:] the voice), and they are read again after it.
        bar = voice.bar
        add = bar.elements.append
        notes = 0
        tune_text = self.text
        take = speedups.take_run if term is not None else None

        def shape_of(token: int) -> NoteShape:
            return _note_shape(_int_token(tune_text, token))

        def bar_shape_of(token: int) -> tuple[str, BarKind, int, int, tuple[int, ...]]:
            return _bar_line_shape(_int_token(tune_text, token))

        while children or (compact and _refill(children, source)):
            if take is not None and plain and children[-1].__class__ is int:
                # The compiled inline path (abcparse.speedups): the ints at the end of
                # the list, into the voice's bars.
                count, end = take(children, voice, tune_text, start_factor, end_factor, term,
                                  ls, base, max_length, max_col, shape_of, bar_shape_of,
                                  _RUN_CONTEXT)
                if end >= 0:
                    at = end
                notes += count
                bar = voice.bar
                add = bar.elements.append
                if not children:
                    continue
            m = pop()
            if m.__class__ is int:  # a token the compiled scanner kept as an int
                typ = _INT_KINDS[m & 3]
                if typ == "WS":
                    continue
                if not plain:
                    m = _int_token(tune_text, m)
            else:
                typ = m.lastgroup
                if typ == "WS":
                    continue
            if plain and typ in _INLINE_TOKENS:
                # Notes (about half of all tokens), bar lines and chord symbols outside a
                # chord or grace group: their handlers' work, written out, one span each.
                if m.__class__ is int:
                    start = m >> 24
                    end = start + ((m >> 2) & _INT_LENGTH)
                else:
                    start, end = m.span()
                at = end
                # pack_span's layout as a sum (see line_term): the loop's hottest line.
                packed: Any = (start * start_factor + end * end_factor + term
                               if term is not None and end - start <= max_length
                               and start - ls <= max_col
                               else pack_span(line, start - ls + 1, line, end - ls + 1,
                                              base + start, base + end))
                if typ == "NOTE":
                    text = tune_text[start:end]
                    shape = shapes.get(text)
                    if shape is None:
                        shape = shapes[text] = (
                            shape_of(m) if m.__class__ is int else _note_shape(m))
                    if not bar.has_content:
                        bar.has_content = True
                        if bar.start < 0:
                            bar.start = base + start
                    add(make_note(shape, packed))
                    notes += 1
                elif typ == "BAR":
                    line_shape = _BAR_SHAPES.get(tune_text[start:end])
                    if line_shape is None:
                        line_shape = (bar_shape_of(m) if m.__class__ is int
                                      else _bar_line_shape(m))
                    self.end_bar(voice, _make_bar_line(*line_shape, packed))
                    bar = voice.bar
                    add = bar.elements.append
                else:
                    add(_quoted(tune_text[start:end], packed))
                continue
            if notes:
                voice.notes += notes
                notes = 0
            if self.error_start is not None:
                if (typ != "BAR" and self.error_to_bar) or (
                    typ == "STRAY" and m.start() == self.error_end
                ):
                    self.error_end = m.end()  # a run of unreadable characters: one error
                    continue
                self.flush_error()
            self.at = (at, line, at - ls + 1, base + at)
            handlers[typ](self, m)
            at, at_line = self.at[:2]
            if at_line != line:
                at = -1
            voice = self.voice  # an inline [V:] may have switched voices
            bar = voice.bar
            add = bar.elements.append
            plain = self.chord is None and self.grace is None and self.error_start is None
        if notes:
            voice.notes += notes
        if self.error_start is not None:
            self.flush_error()
        if self.chord is not None:
            self.close_chord_unclosed(last_end)
        if self.grace is not None:
            self.close_grace_unclosed(last_end)

    def flush_error(self) -> None:
        assert self.error_start is not None
        start, end = self.error_start, self.error_end
        self.error_start = None
        self.target().append(ErrorNode(self.text[start:end], self.node_span(start, end)))

    def close_open_groups(self, end: int) -> None:
        if self.chord is not None:
            self.close_chord_unclosed(end)
        if self.grace is not None:
            self.close_grace_unclosed(end)

    def target(self) -> list[Any]:
        """Where the next element goes: the open chord, the open grace group, or the bar
        (the list :meth:`add` appends to)."""
        if self.chord is not None:
            return self.chord
        if self.grace is not None:
            return self.grace
        return (self.voice or self.current_voice()).bar.elements

    def add(self, element: Element) -> None:
        if self.chord is not None:
            self.chord.append(element)  # type: ignore[arg-type]
        elif self.grace is not None:
            self.grace.append(element)  # type: ignore[arg-type]
        else:
            (self.voice or self.current_voice()).bar.elements.append(element)

    def add_content(self, element: Note | Rest | Chord) -> None:
        voice = self.current_voice()
        bar = voice.bar
        if not bar.has_content:
            bar.has_content = True
            if bar.start < 0:
                bar.start = element.span.start
        bar.elements.append(element)
        if not isinstance(element, Rest):
            voice.notes += 1

    # --- tokens ----------------------------------------------------------------------
    def t_note(self, m: re.Match[str]) -> None:
        text = m.group()
        shape = _NOTE_SHAPES.get(text)
        if shape is None:
            shape = _NOTE_SHAPES[text] = _note_shape(m)
        start, end = m.span()
        ls = self.line_start
        line = self.line
        base = self.base
        # Packed where it fits (model.SpanSlot): a chord's notes are as many as a line's.
        note = make_note(
            shape, pack_span(line, start - ls + 1, line, end - ls + 1, base + start, base + end)
        )
        if self.chord is not None:
            self.chord.append(note)
        elif self.grace is not None:
            self.grace.append(note)
        else:
            self.add_content(note)

    def t_rest(self, m: re.Match[str]) -> None:
        rest = _make_rest(
            written_length(m.group("r_num"), m.group("r_den"), m.group("r_sl")),
            m.group("r_kind") == "x",
            None,
            self.node_span(m.start(), m.end()),
        )
        self.add_rest(rest, m)

    def add_rest(self, rest: Rest, m: re.Match[str]) -> None:
        """A rest (``z``, ``x``, ``Z``, ``X``) where it is written. In a chord it is held in
        written order until the chord closes (chord_without_rests), where a chord leaves
        it out and a text ending (``["Coda" z``) reads it. In grace notes (``{Az}B``, §4.12:
        notes only) abc2midi and abcjs give it no time and play no rest: it is left out
        here the same way, and reported (ABC116)."""
        if self.chord is not None:
            self.chord.append(rest)  # type: ignore[arg-type]
        elif self.grace is not None:
            self.diag(
                "ABC116",
                f"the rest {m.group()} in grace notes: §4.12 grace notes are notes only."
                " Left out, as abc2midi and abcjs read it (it takes no time); delete it",
                self.span(m.start(), m.end()),
                rule="rest-in-chord",
            )
        else:
            self.add_content(rest)

    def t_multi_rest(self, m: re.Match[str]) -> None:
        count = int(m.group("m_count") or 1)
        # §4.5 counts whole measures; in free meter (no M:, M:none) §3.1.6 gives none,
        # and a measure is read as a 4/4 one, a whole note, as both players read it.
        bar = self.meter.bar_length if self.meter is not None else None
        unit = self.unit or default_unit_length(self.meter)
        length = (bar or _ONE) / unit * count
        rest = Rest(length, m.group("m_kind") == "X", count, self.node_span(m.start(), m.end()))
        self.add_rest(rest, m)

    def t_bar(self, m: re.Match[str]) -> None:
        bl = _make_bar_line(*_bar_line_shape(m), self.span(m.start(), m.end()))
        if self.chord is not None:
            self.close_chord_unclosed(m.start())
        if self.grace is not None:
            self.close_grace_unclosed(m.start())
        self.end_bar(self.voice or self.current_voice(), bl)

    def thick_bar_dots(self, bl: BarLine) -> None:
        """Repeat dots beside a thick bar (``[`` or ``]``): shapes that §4.8 asks parsers
        to accept without giving them a meaning, read differently by the players."""
        sym = bl.symbol
        if sym == ":]":
            self.diag(
                "ABC112",
                ":] is a bar line by §4.8's liberal shapes, with no meaning given: read as"
                " a thick bar line that repeats nothing, as abc2midi and abcjs play it."
                " Write |] (or :|] to end a repeated section)",
                bl.span,
                rule="colon-thick-bar",
            )
        elif "]:" in sym or ":[" in sym or sym.startswith("[:"):
            plain = thick_bar_dots_plain(sym)
            self.diag(
                "ABC113",
                f"the bar line {sym} is read as a repeat sign (§4.8), but abc2midi and abcjs"
                f" ignore repeat dots beside a thick bar ([ or ]). Write {plain}, which all"
                " three play alike",
                bl.span,
                rule="thick-bar-repeat-dots",
            )

    def end_bar(self, voice: _Voice, bl: BarLine) -> None:
        """A bar line closes the voice's bar if it holds music (or a repeat sign of its
        own, see :func:`_repeat_of_its_own`, or is an empty variant ending that a ``|:``
        follows: in ``:|2 |: c d :|`` the second ending is empty and ``c d`` is a section
        of its own, as both players play it); else it opens it."""
        sym = bl.symbol
        if ":" in sym and ("]" in sym or "[" in sym):
            self.thick_bar_dots(bl)
        bar = voice.bar
        if (bar.has_content or _repeat_of_its_own(voice, bar) or (bar.ending and bl.repeat_start)
                or any(type(e) is Overlay for e in bar.elements)):
            # A bar holding only an overlay (``A|&|B3|``) is a bar too: its ``&`` ends at
            # the bar line (§7.4), and carried into the next bar it would move that
            # bar's notes onto the overlay (as neither player reads it).
            voice.bars.append(self.make_bar(bar, bl))
            voice.bar = _new_bar([], bl, bl.ending, -1, False)
        else:
            bar.opening = bl
            if bl.ending:
                bar.ending = bl.ending

    def make_bar(self, bar: _Bar, closing: BarLine | None) -> Bar:
        opening = bar.opening
        if opening is not None and closing is not None:  # the common case, kept short
            return _make_bar(tuple(bar.elements), opening, closing, bar.ending, JOINED)
        start = bar.opening.span if bar.opening is not None else None
        first = start.start if start is not None else (bar.start if bar.start >= 0 else 0)
        last = closing.span if closing is not None else None
        # Only the first and the last element's span are read: a span may be packed, and
        # unpacking every element's would make a Span per note of a bar-less huge line.
        if last is None:
            end = next((e for e in reversed(bar.elements) if not isinstance(e, LineBreak)), None)
            last = end.span if end is not None else (
                start or Span(self.line, 1, self.line, 1, 0, 0))
        if start is None:
            start = bar.elements[0].span if bar.elements else last
        return Bar(
            tuple(bar.elements),
            bar.opening,
            closing,
            bar.ending,
            Span(start.line, start.col, last.end_line, last.end_col, first, last.end),
        )

    def t_variant(self, m: re.Match[str]) -> None:
        ve = VariantEnding(_numbers(m.group("v_end")), self.node_span(m.start(), m.end()))
        bar = self.current_voice().bar
        if not bar.has_content:
            bar.ending = ve.numbers
        bar.elements.append(ve)

    def t_chord_open(self, m: re.Match[str]) -> None:
        if self.chord is not None:
            self.close_chord_unclosed(m.start())
        self.chord = []
        self.chord_start = m.start()

    def t_chord_close(self, m: re.Match[str]) -> None:
        if self.chord is None:
            self.diag(
                "ABC313",
                "] closes no chord",
                self.span(m.start(), m.start() + 1),
                rule="chord-not-opened",
            )
            self.add(ErrorNode(m.group(), self.node_span(m.start(), m.end())))
            return
        items = self.chord
        self.chord = None
        length = written_length(m.group("c_num"), m.group("c_den"), m.group("c_sl"))
        if self.chord_without_rests(items, length):
            return
        chord = Chord(tuple(items), length, True, self.node_span(self.chord_start, m.end()))
        if self.grace is not None:
            self.grace.append(chord)
        else:
            self.add_content(chord)

    def t_plus_chord(self, m: re.Match[str]) -> None:
        """§12.1.3 the obsolete chord ``+CEG+``: built as the chord ``[CEG]`` it stands for
        (the validator reports the spelling, ABC105)."""
        if self.chord is not None:
            self.close_chord_unclosed(m.start())
        notes = []
        for nm in plus_chord_notes(m):
            text = nm.group()
            shape = _NOTE_SHAPES.get(text)
            if shape is None:
                shape = _NOTE_SHAPES[text] = _note_shape(nm)
            notes.append(make_note(shape, self.node_span(nm.start(), nm.end())))
        chord = Chord(
            tuple(notes),
            written_length(m.group("pc_num"), m.group("pc_den"), m.group("pc_sl")),
            True,
            self.node_span(m.start(), m.end()),
            True,
        )
        if self.grace is not None:
            self.grace.append(chord)
        else:
            self.add_content(chord)

    def close_chord_unclosed(self, end: int) -> None:
        items = self.chord or []
        self.chord = None
        label = items[0] if items else None
        # ["C"CEG (a chord symbol inside a chord left open) stays a chord; ["Coda" is a
        # text, the label of an ending.
        if (isinstance(label, (ChordSymbol, Annotation)) and self.grace is None
                and label.span.start == self.base + self.chord_start + 1
                and not (isinstance(label, ChordSymbol) and CHORD_NAME_RE.fullmatch(label.text))):
            self.text_ending(label, items[1:])
            return
        self.diag(
            "ABC312",
            "chord [ is not closed with ] on its line",
            self.span(self.chord_start, self.chord_start + 1),
            rule="chord-not-closed",
        )
        if self.chord_without_rests(items, _ONE):
            return
        chord = Chord(tuple(items), _ONE, False, self.node_span(self.chord_start, end))
        if self.grace is not None:
            self.grace.append(chord)
        else:
            self.add_content(chord)

    def chord_without_rests(self, items: list[Any], length: Fraction) -> bool:
        """Take the rests out of a chord's ``items`` (in place), reporting each (ABC116):
        §4.17 chords hold notes, and abc2midi plays ``[Az]`` as ``[A]``. A chord of rests
        and no note (``[z2]``) is read as its first rest, the chord's length applied, as
        both players play it: then the rest and what stood beside it (a decoration) are
        added here and True says the chord is done."""
        rests = [e for e in items if type(e) is Rest]
        if not rests:
            return False
        items[:] = [e for e in items if type(e) is not Rest]
        base = self.base
        alone = not any(type(e) is Note for e in items)
        for k, rest in enumerate(rests):
            span = rest.span
            text = self.text[span.start - base:span.end - base]
            if alone and k == 0:
                message = (
                    f"the rest {text} in a chord with no note: §4.17 chords hold notes only."
                    " Read as the rest, as abc2midi and abcjs play it; write it without the"
                    " brackets"
                )
            else:
                message = (
                    f"the rest {text} in a chord: §4.17 chords hold notes only. Left out, the"
                    " chord's notes and length unchanged, as abc2midi plays it (abcjs ends"
                    " the chord at the rest and plays the rest after it); delete the rest,"
                    " or write it before or after the chord"
                )
            self.diag("ABC116", message, span, rule="rest-in-chord")
        if not alone:
            return False
        first = rests[0]
        for e in items:
            self.add(e)
        self.add_content(Rest(first.length * length, first.invisible, first.measures, first.span))
        return True

    def text_ending(self, label: ChordSymbol | Annotation, items: list[Any]) -> None:
        """``["Coda" zag |``: abcm2ps's variant ending labelled with text (ABC 2.1 numbers
        its endings, §4.10), left open where a chord would close. Its notes are read in
        order, as abcjs plays them, and its text as an annotation above them (ABC111);
        read as a chord, they would sound at once."""
        text = label.text if isinstance(label, ChordSymbol) else label.placement + label.text
        self.diag(
            "ABC111",
            f'["{text}" is the variant ending with a text label of abcm2ps, not ABC 2.1'
            " (§4.10 numbers endings): read as the annotation and the notes after it",
            self.span(self.chord_start, label.span.end - self.base),
            rule="text-ending",
        )
        if isinstance(label, ChordSymbol):
            label = Annotation("^", label.text, label.span)
        for e in items:
            if isinstance(e, (Note, Rest, Chord)):
                self.add_content(e)
            else:
                self.add(e)
        # What the open chord did not take (a rest, a bar's content) is already in the bar:
        # everything since the "[" goes back in written order.
        elements = self.current_voice().bar.elements
        k = len(elements)
        while k and elements[k - 1].span.start > self.base + self.chord_start:
            k -= 1
        elements[k:] = sorted([label, *elements[k:]], key=lambda e: e.span.start)

    def t_grace_open(self, m: re.Match[str]) -> None:
        if self.grace is not None:
            self.close_grace_unclosed(m.start())
        self.grace = []
        self.grace_start = m.start()
        self.grace_acc = m.group() == "{/"

    def t_grace_close(self, m: re.Match[str]) -> None:
        if self.chord is not None:
            self.close_chord_unclosed(m.start())
        if self.grace is None:
            self.diag(
                "ABC315",
                "} closes no grace notes",
                self.span(m.start(), m.end()),
                rule="grace-not-opened",
            )
            self.add(ErrorNode(m.group(), self.node_span(m.start(), m.end())))
            return
        items = self.grace
        self.grace = None
        self.current_voice().bar.elements.append(
            GraceGroup(
                tuple(items), self.grace_acc, True, self.node_span(self.grace_start, m.end())
            )
        )

    def close_grace_unclosed(self, end: int) -> None:
        items = self.grace or []
        self.grace = None
        self.diag(
            "ABC314",
            "grace notes { are not closed with } on their line",
            self.span(self.grace_start, self.grace_start + 1),
            rule="grace-not-closed",
        )
        self.current_voice().bar.elements.append(
            GraceGroup(tuple(items), self.grace_acc, False, self.node_span(self.grace_start, end))
        )

    def t_tuplet(self, m: re.Match[str]) -> None:
        q = m.group("t_q")
        r = m.group("t_r")
        self.add(
            Tuplet(
                int(m.group("t_p")),
                int(q) if q else None,
                int(r) if r else None,
                self.node_span(m.start(), m.end()),
            )
        )

    # The tokens below make FOLLOWERS (model.SpanSlot): each is as long as its match.

    def t_slur_open(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_slur_start(s[0] == ".", self.follow_span(items, m, len(s))))

    def t_slur_close(self, m: re.Match[str]) -> None:
        items = self.target()
        items.append(_make_slur_end(self.follow_span(items, m, 1)))

    def t_tie(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_tie(s[0] == ".", self.follow_span(items, m, len(s))))

    def t_broken(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_broken(s[0], len(s), self.follow_span(items, m, len(s))))

    def t_decoration(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_decoration(m.group("d_name"), s, self.follow_span(items, m, len(s))))

    def t_plus_decoration(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_decoration(m.group("p_name"), s, self.follow_span(items, m, len(s))))

    def t_symbol(self, m: re.Match[str]) -> None:
        items, s = self.target(), m.group()
        items.append(_make_decoration(self.symbols.get(s), s, self.follow_span(items, m, len(s))))

    def t_quoted(self, m: re.Match[str]) -> None:
        self.add(_quoted(m.group(), self.node_span(m.start(), m.end())))

    def t_inline_field(self, m: re.Match[str]) -> None:
        letter = m.group("i_letter")
        value = m.group("i_value")
        span = self.span(m.start(), m.end())
        f = Field(letter, value.strip(), True, True, span)
        self.fields.append(f)
        if letter == "V":
            try:
                vid, props, words = read_voice(value)
            except FieldError as e:
                self.field_diag("V", e, m.start("i_value"), value)
                if e.recovered is None:
                    return
                vid, props, words = e.recovered
            if self.chord is not None or self.grace is not None:
                self.close_open_groups(m.start())
            self.switch_voice(vid)
            assert self.voice is not None
            self.voice.props.extend(props)
            self.voice.words.extend(words)
            self.voice.last_lyrics = None
            change = self.voice_change(vid, f.value, props, words, True, span)
            if change is not None:
                self.add(change)
            return
        parsed = self.apply_field(f, m.start("i_value"), value)
        self.add(InlineField(letter, f.value, True, parsed, span))

    def t_spacer(self, m: re.Match[str]) -> None:
        items = self.target()
        items.append(Spacer(self.follow_span(items, m, 1)))

    def t_ignore(self, m: re.Match[str]) -> None:
        """Spaces and backquotes (§4.7) change beaming only; the tree keeps them."""

    def t_score_break(self, m: re.Match[str]) -> None:
        items = self.current_voice().bar.elements
        items.append(_make_line_break("$", self.follow_span(items, m, 1)))

    def t_linebreak_20(self, m: re.Match[str]) -> None:
        items = self.current_voice().bar.elements
        items.append(_make_line_break("!", self.follow_span(items, m, 1)))

    def t_overlay(self, m: re.Match[str]) -> None:
        self.current_voice().bar.elements.append(Overlay(self.node_span(m.start(), m.end())))

    def t_line_cont(self, m: re.Match[str]) -> None:
        self.continued = True

    def t_comment(self, m: re.Match[str]) -> None:
        self.comment_at(m.start(), m.end())

    def comment_at(self, start: int, end: int) -> None:
        """A ``%`` comment from ``start`` to ``end`` of the tune's text (§2.2.5)."""
        self.comments.append(Comment(self.text[start:end], self.span(start, end)))

    def t_reserved(self, m: re.Match[str]) -> None:
        self.add(Reserved(m.group(), self.span(m.start(), m.end())))

    def t_stray(self, m: re.Match[str]) -> None:
        ch = m.group()
        span = self.span(m.start(), m.end())
        if ch == '"':
            self.diag(
                "ABC102",
                'unterminated chord symbol or annotation: no closing " on this line',
                span,
                rule="unterminated-string",
            )
        else:
            shown = repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
            self.diag(
                "ABC101",
                f"unexpected character {shown}; expected a note, rest, bar line, chord,"
                " decoration, chord symbol or inline field" + self._stray_hint(m),
                span,
                rule="unexpected-character",
            )
        # Loose recovery resumes right after the unreadable characters, inside the bar:
        # every note, rest and chord written around them is kept and played (a stray
        # digit after a bar line, a ":" that lost its "|" at a line start). After a quote
        # that is never closed the words that follow are the text of a chord symbol or
        # annotation, not music (§4.18, §4.19): they are skipped to the next bar line.
        self.error_start = m.start()
        self.error_end = m.end()
        self.error_to_bar = ch == '"'

    def _stray_hint(self, m: re.Match[str]) -> str:
        """What a stray character most likely meant, where the text says it: a ``:``
        ending a line whose next line starts with ``|`` is a ``:|`` broken by a line
        wrap (hard-wrapped tunebooks), which no player reads as a repeat (§4.8); a digit
        opening a line after a bar line, or spaced from one (``:| 2``), is an ending
        parted from it."""
        if parted_ending(m.string, m.start()):
            return (f"; an ending parted from its bar line? Write"
                    f" [{m.group()} for the ending (§4.10)")
        if not broken_repeat_end(m.string, m.start()):
            return ""
        return "; a :| broken over the line end? Write :| on one line for the repeat"

    _handlers: ClassVar[dict[str, Any]] = {}
    _line_handlers: ClassVar[dict[str, Any]] = {}

    # --- finishing -------------------------------------------------------------------
    def finish_voices(self) -> tuple[Voice, ...]:
        out = []
        if not self.voice_order and self.in_body:
            self.current_voice()
        for vid in self.voice_order:
            v = self.voices[vid]
            if vid == self.implicit_voice and len(self.voice_order) > 1 and _no_music(v):
                # Only a part label (or nothing) before the first V: or [V:]: it is not a
                # voice of the tune (§7), and as a silent first track it took MIDI channel
                # 0 and the meter and key of the file from the voices that play.
                continue
            bar = v.bar
            if (bar.has_content or any(not isinstance(e, LineBreak) for e in bar.elements)
                    or _repeat_of_its_own(v, bar)):
                v.bars.append(self.make_bar(bar, None))  # "[|]:|" at the end repeats
            name, subname, clef = _voice_identity(v.props, v.words)
            if v.bars:
                a, b = v.bars[0].span, v.bars[-1].span
                span = Span(a.line, a.col, b.end_line, b.end_col, a.start, b.end)
            else:
                span = self.header.span
            out.append(
                Voice(
                    vid,
                    name,
                    subname,
                    clef,
                    tuple(v.props),
                    tuple(v.bars),
                    tuple(v.lyrics),
                    tuple(v.symbol_lines),
                    span,
                )
            )
        return tuple(out)


# A line of the parser's tree (rule "line_X") to its method, line_X.
TuneBuilder._line_handlers = {
    name.removeprefix("line_"): method for name, method in vars(TuneBuilder).items()
    if name.startswith("line_") and callable(method)
}
TuneBuilder._handlers = {
    "NOTE": TuneBuilder.t_note,
    "REST": TuneBuilder.t_rest,
    "MULTI_REST": TuneBuilder.t_multi_rest,
    "BAR": TuneBuilder.t_bar,
    "VARIANT": TuneBuilder.t_variant,
    "CHORD_OPEN": TuneBuilder.t_chord_open,
    "CHORD_CLOSE": TuneBuilder.t_chord_close,
    "GRACE_OPEN": TuneBuilder.t_grace_open,
    "GRACE_CLOSE": TuneBuilder.t_grace_close,
    "TUPLET": TuneBuilder.t_tuplet,
    "SLUR_OPEN": TuneBuilder.t_slur_open,
    "SLUR_CLOSE": TuneBuilder.t_slur_close,
    "TIE": TuneBuilder.t_tie,
    "BROKEN": TuneBuilder.t_broken,
    "DECORATION": TuneBuilder.t_decoration,
    "PLUS_DECORATION": TuneBuilder.t_plus_decoration,
    "PLUS_CHORD": TuneBuilder.t_plus_chord,
    "SYMBOL": TuneBuilder.t_symbol,
    "QUOTED": TuneBuilder.t_quoted,
    "INLINE_FIELD": TuneBuilder.t_inline_field,
    "SPACER": TuneBuilder.t_spacer,
    "BACKQUOTE": TuneBuilder.t_ignore,
    "WS": TuneBuilder.t_ignore,
    "SCORE_BREAK": TuneBuilder.t_score_break,
    "LINEBREAK_20": TuneBuilder.t_linebreak_20,
    "OVERLAY": TuneBuilder.t_overlay,
    "LINE_CONT": TuneBuilder.t_line_cont,
    "COMMENT": TuneBuilder.t_comment,
    "RESERVED": TuneBuilder.t_reserved,
    "STRAY": TuneBuilder.t_stray,
}


def build_file_header(
    text: str, base: int, base_line: int
) -> tuple[FileHeader, FileContext, list[Diagnostic]]:
    """Read the file header block (§2.2.2): its fields apply to every tune."""
    builder = TuneBuilder(text, base, base_line, FileContext(), False)
    whole = builder.span_multiline(0, len(text))  # before the walk moves the line counter
    tree = line_parser().parse(text, "lines")
    ctx = FileContext()
    # The I: fields and directives, with their offsets: the tunes' defaults (§2.2.2).
    settings: list[tuple[int, str, str]] = []
    for item in tree.children:
        if hasattr(item, "data"):
            if item.data == "music_line" and all(
                m.lastgroup in ("WS", "COMMENT") for m in item.children
            ):
                builder.line_music_line(item.children)  # an indented comment line (§2.2.5)
                continue
            if item.data == "music_line":
                first = item.children[0]
                builder.diag(
                    "ABC106",
                    "text in the file header that is not a field, comment or directive",
                    builder.span(first.start(), item.children[-1].end()),
                    Severity.WARNING,
                    "header-free-text",
                )
                continue
            if item.data in ("field_line", "key_line"):
                start_tok = item.children[0]
                letter = field_letter(start_tok)
                value_tok = next(
                    (c for c in item.children[1:] if c.lastgroup == "FIELD_TEXT"), None
                )
                value = value_tok.group() if value_tok is not None else ""
                end = value_tok.end() if value_tok is not None else start_tok.end()
                f = Field(letter, value.strip(), False, False, builder.span(start_tok.start(), end))
                if letter == "+" and builder.fields:
                    prev = builder.fields[-1]
                    builder.fields[-1] = Field(
                        prev.letter,
                        prev.value + " " + f.value,
                        False,
                        False,
                        Span(
                            prev.span.line,
                            prev.span.col,
                            f.span.end_line,
                            f.span.end_col,
                            prev.span.start,
                            f.span.end,
                        ),
                    )
                    continue
                builder.fields.append(f)
                try:
                    if letter == "M":
                        ctx.meter = with_span(read_meter(value), stored_span(f))
                    elif letter == "L":
                        ctx.unit_length = read_length(value)
                    elif letter == "U":
                        symbol, name = read_user(value)
                        ctx.symbols[symbol] = name
                    elif letter == "I":
                        name, arg = read_instruction(value)
                        ctx.instructions[name] = arg
                        settings.append((f.span.start, name, arg))
                        if name == "abc-version":
                            ctx.version = arg
                except FieldError as e:
                    builder.field_diag(letter, e, start_tok.end(), value)
                    if isinstance(e, UnlistedLength):
                        ctx.unit_length = e.recovered
            else:
                getattr(builder, "line_" + item.data)(item.children)
        else:
            builder.end_of_line(item)
    for d in builder.directives:
        if d.name == "abc-version":
            ctx.version = d.value
    ctx.fields = tuple(builder.fields)
    settings += [(d.span.start, d.name, d.value) for d in builder.directives]
    ctx.settings = tuple((name, value) for _, name, value in sorted(settings))
    header = FileHeader(
        tuple(builder.fields),
        tuple(builder.directives),
        tuple(builder.comments),
        text,
        whole,
    )
    builder.list_unlisted()
    return header, ctx, builder.diags
