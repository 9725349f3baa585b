"""One walk over each voice of a tune, collecting what the music rules report.

The music family (slurs, ties, tuplets, repeats and endings, decorations, reserved
characters, ``!`` line breaks) needs the elements of each voice in order, with the bar
lines between them and the key and accidentals in force. Walking the elements once and
filing findings by code is several times faster than a walk per rule; each rule in
:mod:`abcparse.validate.music` and :mod:`abcparse.validate.syntax` then only reads its
list (:attr:`TuneContext.music`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..diagnostics import Span
from ..model import (
    Bar,
    BarKind,
    BarLine,
    Chord,
    Decoration,
    ErrorNode,
    GraceGroup,
    InlineField,
    Key,
    LineBreak,
    Note,
    Reserved,
    Rest,
    SlurEnd,
    SlurStart,
    Tie,
    Tuplet,
    VariantEnding,
)
from ..theory import (
    STANDARD_DECORATIONS,
    key_signature,
    length_text,
    midi_pitch,
    note_spelling,
    tuplet_ratio,
)
from .registry import Finding

# Decorations that ABC 2.1 does not define but that abcm2ps and abcjs, the two most used
# typesetters, draw; loose reading accepts them silently, strict reading names them.
EXTENSION_DECORATIONS = frozenset(
    (
        "trem1", "trem2", "trem3", "trem4", "xstem", "beambr1", "beambr2", "beamon", "slide",
        "marcato", "^", "ped", "ped-up", "D.C.alcoda", "D.C.alfine", "D.S.alcoda", "D.S.alfine",
        "8va(", "8va)", "8vb(", "8vb)", "15ma(", "15ma)", "15mb(", "15mb)", "/", "//", "///",
        "head-x", "editorial", "courtesy", "dot", "mark", "invisible", "alcoda", "fp", "sfp",
        "rfz", "~(", "~)", "-(", "-)", "tr(", "tr)", "stemless",
    )
)
_SECTION_KINDS = frozenset({BarKind.DOUBLE, BarKind.THIN_THICK, BarKind.THICK_THIN})


def bracket_spelling(chord: Chord) -> str:
    """The §4.17 spelling ``[CE]2`` of a chord (for messages about ``+CE+2``, §12.1.3)."""
    return "[" + "".join(map(note_spelling, chord.notes)) + "]" + length_text(chord.length)


@dataclass
class MusicScan:
    """Findings of the music walk, by code."""

    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    bang_breaks: list[Span] = field(default_factory=list)

    def add(self, code: str, message: str, span: Span) -> None:
        self.findings[code].append(Finding(message, span))

    def get(self, code: str) -> list[Finding]:
        return self.findings.get(code, [])


@dataclass(slots=True)
class _Tied:
    span: Span
    pitches: frozenset[int]
    spellings: tuple[tuple[str, int], ...]  # (letter, octave) of the tied notes
    bar: int
    blocked: bool = False  # a repeat or ending lies between: the next note is unknown


@dataclass(slots=True)
class _PendingTuplet:
    span: Span
    text: str
    needed: int
    seen: int = 0


class _VoiceWalker:
    """The state of one voice while its elements go by."""

    def __init__(self, scan: MusicScan, strict: bool, key: Key, known: frozenset[str],
                 plus_decorations: bool, meter: object) -> None:
        self.scan = scan
        self.strict = strict
        self.signature = key_signature(key)
        self.bar_acc: dict[tuple[str, int], int] = {}
        self.known = known
        self.plus = plus_decorations
        self.meter = meter
        self.slurs: list[Span] = []
        self.tied: _Tied | None = None
        self.last_content: Note | Chord | Rest | None = None
        self.last_end = -1  # offset where the last note or chord ended
        self.tuplets: list[_PendingTuplet] = []
        self.bar_index = 0
        # Repeats and endings (§4.8-4.10)
        self.repeat_open: Span | None = None  # a |: waiting for its :|
        self.music_since_start = False
        # The latest :| or double bar, if any: a :| after it cannot mean "from the top".
        self.boundary: tuple[str, int] | None = None
        self.ending_open: tuple[Span, tuple[int, ...]] | None = None
        self.group_active = False
        self.group_may_continue = False
        self.group_seen_end = False  # a :| already ended an ending of this group

    # --- pitches ---------------------------------------------------------------------
    def pitch(self, n: Note) -> int:
        key = (n.letter, n.octave)
        if n.accidental is not None:
            alt = n.accidental.semitones
            self.bar_acc[key] = alt
        else:
            alt = self.bar_acc.get(key, self.signature.get(n.letter, 0))
        return midi_pitch(n.letter, n.octave, alt)

    # --- elements --------------------------------------------------------------------
    def element(self, e: object) -> None:
        kind = type(e)
        if kind is Note:
            assert isinstance(e, Note)
            # The most common element by far: handled inline.
            if self.tied is not None or self.tuplets:
                self.content(e, frozenset((self.pitch(e),)), ((e.letter, e.octave),))
            else:
                if e.accidental is not None:
                    self.bar_acc[(e.letter, e.octave)] = e.accidental.semitones
                self.last_content = e
                self.last_end = e.span.end
                self.music_since_start = True
            return
        if kind is Chord:
            assert isinstance(e, Chord)
            if e.plus:
                self.scan.add(
                    "ABC105",
                    f"a chord between + signs is the obsolete syntax of ABC 1.2-1.5"
                    f" (§12.1.3); write it as {bracket_spelling(e)}",
                    e.span,
                )
            pitches: list[int] = []
            spell: list[tuple[str, int]] = []
            inner_tie: list[Note] = []
            prev: object = None
            for item in e.items:
                if isinstance(item, Note):
                    pitches.append(self.pitch(item))
                    spell.append((item.letter, item.octave))
                elif isinstance(item, Tie) and isinstance(prev, Note):
                    inner_tie.append(prev)
                elif isinstance(item, Decoration):
                    self.decoration(item)
                elif isinstance(item, (SlurStart, SlurEnd)):
                    self.slur(item)
                prev = item
            self.content(e, frozenset(pitches), tuple(spell))
            if inner_tie:
                self.tied = _Tied(
                    e.span,
                    frozenset(self.pitch_of_spelled(n) for n in inner_tie),
                    tuple((n.letter, n.octave) for n in inner_tie),
                    self.bar_index,
                )
            return
        if isinstance(e, Rest):
            if self.tied is not None and not self.tied.blocked:
                self.scan.add(
                    "ABC322",
                    "tie to a rest: a tie joins two notes of the same pitch (§4.11)",
                    self.tied.span,
                )
            self.tied = None
            self.count_tuplet()
            self.last_content = e
            return
        if isinstance(e, Tie):
            self.tie(e)
        elif isinstance(e, (SlurStart, SlurEnd)):
            self.slur(e)
        elif isinstance(e, Tuplet):
            r = tuplet_ratio(e.p, e.q, e.r, self.meter)[2]  # type: ignore[arg-type]
            text = f"({e.p}" + (f":{e.q or ''}" if e.q is not None or e.r is not None else "")
            text += f":{e.r}" if e.r is not None else ""
            self.tuplets.append(_PendingTuplet(e.span, text, r))
        elif isinstance(e, Decoration):
            self.decoration(e)
        elif isinstance(e, GraceGroup):
            for grace in e.items:
                if isinstance(grace, Decoration):
                    self.decoration(grace)
                elif isinstance(grace, Chord):
                    for sub in grace.items:
                        if isinstance(sub, Decoration):
                            self.decoration(sub)
        elif isinstance(e, Reserved):
            self.scan.add(
                "ABC331",
                f"{e.char!r} is reserved for future use (§8.1) and means nothing in a tune"
                " body; put text in quotes or a comment",
                e.span,
            )
        elif isinstance(e, LineBreak):
            if e.kind == "!":
                self.scan.bang_breaks.append(e.span)
        elif isinstance(e, VariantEnding):
            self.ending_start(e.numbers, e.span)
        elif isinstance(e, InlineField):
            if e.letter == "P":
                # §3.1.9: a part starts here and is played on its own; a :| in it repeats
                # from here, as one in the first part repeats from the top.
                self.boundary = None
                self.repeat_open = None
            elif e.letter == "K" and isinstance(e.parsed, Key):
                self.signature = key_signature(e.parsed)
            elif e.letter == "M" and e.parsed is not None:
                self.meter = e.parsed
        elif isinstance(e, ErrorNode):
            # Unreadable text (already an ABC1xx error): what it held is unknown.
            self.tied = None
            self.tuplets.clear()

    def pitch_of_spelled(self, n: Note) -> int:
        alt = self.bar_acc.get((n.letter, n.octave), self.signature.get(n.letter, 0))
        return midi_pitch(n.letter, n.octave, alt)

    def content(self, e: Note | Chord, pitches: frozenset[int],
                spell: tuple[tuple[str, int], ...]) -> None:
        tied = self.tied
        if tied is not None and not tied.blocked and pitches:
            same = bool(tied.pitches & pitches)
            if not same:
                # A note without its own accidental after a bar line keeps the tied
                # pitch (the tie carries the accidental), so compare spellings too.
                same = bool(set(tied.spellings) & set(spell)) and tied.bar != self.bar_index
            if not same:
                self.scan.add(
                    "ABC321",
                    "tie between different pitches: a tie joins two notes of the same pitch;"
                    " use a slur ( ) for different notes (§4.11)",
                    tied.span,
                )
        self.tied = None
        self.count_tuplet()
        self.last_content = e
        self.last_end = e.span.end
        self.music_since_start = True

    def count_tuplet(self) -> None:
        if self.tuplets:
            for t in self.tuplets:
                t.seen += 1
            self.tuplets = [t for t in self.tuplets if t.seen < t.needed]

    def tie(self, e: Tie) -> None:
        last = self.last_content
        if not isinstance(last, (Note, Chord)):
            self.scan.add(
                "ABC322",
                "tie that follows no note: a - ties the note right before it to the next"
                " (§4.11)",
                e.span,
            )
            self.tied = None
            return
        if self.last_end != e.span.start:
            # "c4 -c4": still read as a tie on the note before (loose reading), but
            # §4.11 says the tie "must always be adjacent to the first note".
            self.scan.add(
                "ABC323",
                "tie written apart from its note: the - must touch the note it ties"
                " (§4.11: c4- c4, not c4 -c4)",
                e.span,
            )
        if isinstance(last, Note):
            pitches = frozenset((self.pitch_of_spelled(last),))
            spell: tuple[tuple[str, int], ...] = ((last.letter, last.octave),)
        else:
            pitches = frozenset(self.pitch_of_spelled(n) for n in last.notes)
            spell = tuple((n.letter, n.octave) for n in last.notes)
        self.tied = _Tied(e.span, pitches, spell, self.bar_index)

    def slur(self, e: SlurStart | SlurEnd) -> None:
        if isinstance(e, SlurStart):
            self.slurs.append(e.span)
        elif self.slurs:
            self.slurs.pop()
        else:
            self.scan.add("ABC311", ") closes no slur: there is no ( before it (§4.11)", e.span)

    def decoration(self, d: Decoration) -> None:
        symbol = d.symbol
        if d.name is None:
            self.scan.add(
                "ABC332",
                f"{symbol!r} is neither a note nor a decoration: no U: field defines it"
                " (§4.16 lets U: give the letters H-W, h-w and ~ a meaning)",
                d.span,
            )
            return
        if symbol.startswith("+"):
            if not self.plus:
                self.scan.add(
                    "ABC104",
                    f"{symbol} is the ABC 2.0 decoration syntax; ABC 2.1 writes !{d.name}!"
                    " (§4.14), or declare I:decoration + to keep +...+ (§12.1.2)",
                    d.span,
                )
        elif symbol.startswith("!") and self.plus:
            self.scan.add(
                "ABC104",
                f"{symbol} under I:decoration + (or I:linebreak !, which implies it):"
                f" write +{d.name}+ or drop the instruction (§12.1.2)",
                d.span,
            )
        name = d.name
        if name.startswith('"') or name in STANDARD_DECORATIONS or name in self.known:
            return
        if name in EXTENSION_DECORATIONS:
            if self.strict:
                self.scan.add(
                    "ABC330",
                    f"{symbol} is not an ABC 2.1 decoration (abcm2ps and abcjs draw it;"
                    " other programs ignore it, §4.14)",
                    d.span,
                )
            return
        if len(symbol) > 1:
            self.scan.add(
                "ABC330",
                f"unknown decoration {symbol}: ABC 2.1 does not define it and no U: field"
                " or %%deco directive does; programs ignore it (§4.14)",
                d.span,
            )

    # --- bar lines, repeats and endings ----------------------------------------------
    def bar_line(self, bl: BarLine) -> None:
        self.bar_acc = {}
        self.bar_index += 1
        if self.tied is not None and (bl.repeat_end or bl.repeat_start or bl.ending):
            self.tied.blocked = True
        if bl.repeat_end:
            # A :| that ends a variant ending repeats the section the endings belong to
            # ("[1 ... :| [2 ... :| [3 ...", §4.10): it needs no |: of its own.
            in_ending = self.ending_open is not None and self.group_active
            if (self.repeat_open is None and self.boundary is not None and self.strict
                    and not (in_ending and self.group_seen_end)):
                what, line = self.boundary
                self.scan.add(
                    "ABC302",
                    f"{bl.symbol} ends a repeat that no |: starts, after the {what} on line"
                    f" {line}: it cannot go back to the tune start. Players restart from the"
                    f" latest :| or double bar (§4.8 recommendation); write |: after the"
                    f" {what} to say so",
                    bl.span,
                )
            self.repeat_open = None
            if in_ending:
                self.group_seen_end = True
            self.close_ending()
            what = "variant ending closed by" if in_ending else "repeat end"
            self.boundary = (f"{what} {bl.symbol}", bl.span.line)
            self.music_since_start = False
        if bl.kind in _SECTION_KINDS:
            self.close_ending()
            if not bl.repeat_end:
                self.boundary = (f"double bar {bl.symbol}", bl.span.line)
        if bl.repeat_start:
            self.repeat_open = bl.span
            self.music_since_start = False
            # A new repeated section ends the ending before it: typesetters close the
            # bracket there, and "[2 ...| |: ..." is how many tunebooks write it.
            self.close_ending()
        if bl.ending:
            self.ending_start(bl.ending, bl.span)

    def close_ending(self) -> None:
        if self.ending_open is not None:
            self.ending_open = None
            self.group_may_continue = True

    def unclosed_ending(self, why: str) -> None:
        assert self.ending_open is not None
        span, numbers = self.ending_open
        label = ",".join(map(str, numbers))
        self.scan.add(
            "ABC304",
            f"ending [{label} is never closed: {why} before :|, ||, |] or [| ends it"
            " (§4.10)",
            span,
        )
        self.ending_open = None

    def bar_start(self, bar: Bar) -> None:
        """Called before the elements of each bar: a bar without an ending ends a group
        of endings that could have continued."""
        if self.group_may_continue and not bar.ending:
            has_ve = any(isinstance(e, VariantEnding) for e in bar.elements[:3])
            if not has_ve:
                self.group_active = False
                self.group_may_continue = False

    def ending_start(self, numbers: tuple[int, ...], span: Span) -> None:
        if self.ending_open is not None:
            self.unclosed_ending(f"ending [{','.join(map(str, numbers))} starts")
        if not self.group_active and numbers and 1 not in numbers:
            label = ",".join(map(str, numbers))
            self.scan.add(
                "ABC303",
                f"ending [{label} without a first ending before it: endings start with [1"
                " (§4.9, §4.10)",
                span,
            )
        if not self.group_active:
            self.group_seen_end = False
        self.group_active = True
        self.group_may_continue = False
        self.ending_open = (span, numbers)

    def finish(self) -> None:
        for span in self.slurs:
            self.scan.add("ABC310", "slur ( is never closed with ) (§4.11)", span)
        if self.tied is not None and not self.tied.blocked:
            self.scan.add("ABC322", "tie to nothing: no note follows it (§4.11)", self.tied.span)
        for t in self.tuplets:
            self.scan.add(
                "ABC320",
                f"tuplet {t.text} needs {t.needed} notes, rests or chords; the voice ends"
                f" after {t.seen} (§4.13)",
                t.span,
            )
        if self.repeat_open is not None and self.music_since_start:
            self.scan.add(
                "ABC305",
                "repeat |: is never closed: no :| ends the section it starts (§4.8)",
                self.repeat_open,
            )


def scan_tune(tune: object, strict: bool, known: frozenset[str], plus: bool) -> MusicScan:
    """Walk every voice of ``tune`` once; see :class:`MusicScan`."""
    from ..model import Tune

    assert isinstance(tune, Tune)
    scan = MusicScan()
    for voice in tune.voices:
        w = _VoiceWalker(scan, strict, tune.key, known, plus, tune.meter)
        _walk_bars(w, voice.bars)
        w.finish()
    return scan


def _walk_bars(w: _VoiceWalker, bars: Iterable[Bar]) -> None:
    prev_closing: BarLine | None = None
    for bar in bars:
        # Bars share bar lines (one's closing is the next one's opening), except where
        # two bar lines stand with no note between (":|\n|:"): then both count.
        if bar.opening is not None and bar.opening is not prev_closing:
            w.bar_line(bar.opening)
        prev_closing = bar.closing
        w.bar_start(bar)
        for e in bar.elements:
            w.element(e)
        if bar.closing is not None:
            w.bar_line(bar.closing)
