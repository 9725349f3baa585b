"""One walk over each voice of a tune, collecting what the music rules report.

What the music means (tie pitches, tuplets that run out of notes, repeats and endings)
is read from the music engine (:mod:`abcparse.music`); the walk adds what is notation
only: slurs, ties written apart from their note, decorations, reserved characters, ``!``
line breaks, the obsolete ``+CE+`` chord. Filing findings by code once is several times
faster than a walk per rule; each rule in :mod:`abcparse.validate.music` and
:mod:`abcparse.validate.syntax` then only reads its list (:attr:`TuneContext.music`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..diagnostics import Span
from ..model import (
    Annotation,
    Bar,
    BrokenRhythm,
    Chord,
    ChordSymbol,
    Decoration,
    GraceGroup,
    LineBreak,
    Note,
    Reserved,
    Rest,
    SlurEnd,
    SlurStart,
)
from ..music import TuneTimeline, VoiceTimeline, form_findings
from ..theory import STANDARD_DECORATIONS, length_text, note_spelling
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


class _VoiceWalker:
    """The notation-only state of one voice while its elements go by: slurs, ties written
    apart from their note, decorations, reserved characters."""

    def __init__(self, scan: MusicScan, strict: bool, known: frozenset[str],
                 plus_decorations: bool) -> None:
        self.scan = scan
        self.strict = strict
        self.known = known
        self.plus = plus_decorations
        self.slurs: list[Span] = []
        # The slurs open where a group's first variant ending starts, and those a later
        # ending of the group may close (see bar_start).
        self.first_ending_slurs: list[Span] | None = None
        self.borrowed: list[Span] = []
        self.undefined_word = ""  # the letters of the latest ABC332 finding

    def bar_start(self, bar: Bar) -> None:
        """§4.10: each pass through a repeat plays one ending, so a slur open before the
        first ending (``(c|1 d) e :|2 d) e``) is open again where a later ending starts;
        that ending's ``)`` closes it, as a tie into either ending joins in play order.
        Only ``)`` with nothing else to close takes one (no finding is added here)."""
        if bar.ending:
            if 1 in bar.ending or self.first_ending_slurs is None:
                self.first_ending_slurs = list(self.slurs)
                self.borrowed = []
            else:
                self.borrowed = list(self.first_ending_slurs)
        elif bar.opening is not None and bar.opening.repeat_start:
            self.first_ending_slurs = None
            self.borrowed = []

    # --- elements --------------------------------------------------------------------
    def element(self, e: object) -> None:
        """Any element but a note or rest (nothing here concerns them)."""
        kind = type(e)
        if kind is Chord:
            assert isinstance(e, Chord)
            if e.plus:
                self.scan.add(
                    "ABC105",
                    f"a chord between + signs is the obsolete syntax of ABC 1.2-1.5"
                    f" (§12.1.3); write it as {bracket_spelling(e)}",
                    e.span,
                )
            for item in e.items:
                if isinstance(item, Decoration):
                    self.decoration(item)
                elif isinstance(item, (SlurStart, SlurEnd)):
                    self.slur(item)
            return
        if isinstance(e, (SlurStart, SlurEnd)):
            self.slur(e)
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
        elif isinstance(e, LineBreak) and e.kind == "!":
            self.scan.bang_breaks.append(e.span)

    def slur(self, e: SlurStart | SlurEnd) -> None:
        if isinstance(e, SlurStart):
            self.slurs.append(e.span)
        elif self.slurs:
            self.slurs.pop()
        elif self.borrowed:
            self.borrowed.pop()
        else:
            self.scan.add("ABC311", ") closes no slur: there is no ( before it (§4.11)", e.span)

    def undefined(self, symbol: str, span: Span) -> None:
        """ABC332 for a letter that is neither a note nor a defined symbol. Letters written
        together (``trill`` after a ``!`` that never closes, a word typed into the music)
        are one finding, and one deletion for ``--fix``: a finding per letter told the
        user the same thing five times."""
        found = self.scan.findings["ABC332"]
        if found:
            before = found[-1].span
            if before.end == span.start:  # written together, so on one line
                word = self.undefined_word + symbol
                self.undefined_word = word
                found[-1] = Finding(
                    f"{word!r} is neither notes nor decorations: no U: field defines these"
                    " letters (§4.16 lets U: give the letters H-W, h-w and ~ a meaning)",
                    Span(before.line, before.col, span.end_line, span.end_col,
                         before.start, span.end),
                )
                return
        self.undefined_word = symbol
        self.scan.add(
            "ABC332",
            f"{symbol!r} is neither a note nor a decoration: no U: field defines it"
            " (§4.16 lets U: give the letters H-W, h-w and ~ a meaning)",
            span,
        )

    def decoration(self, d: Decoration) -> None:
        symbol = d.symbol
        if d.name is None:
            self.undefined(symbol, d.span)
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

    def finish(self) -> None:
        for span in self.slurs:
            self.scan.add("ABC310", "slur ( is never closed with ) (§4.11)", span)


def _ties(scan: MusicScan, vt: VoiceTimeline) -> None:
    """ABC321/ABC322 from the engine's tie links: each ``-`` with the notes it joins, the
    pitches as the engine reads them (a tie carries its note's accidental on)."""
    items = vt.items
    for link in vt.ties:
        if link.source is None:
            scan.add(
                "ABC322",
                "tie that follows no note: a - ties the note right before it to the next"
                " (§4.11)",
                link.span,
            )
            continue
        source = items[link.source]
        span = source.span if link.within_chord else link.span
        if link.into:
            # "d3 |1 -d": read as a tie into the ending from the note played before it.
            scan.add(
                "ABC323",
                "tie written after a repeat sign or ending mark, apart from the note it"
                " ties: read as tying the note played before the sign into the next one"
                " (only on the passes that come to it from that note); the - must touch"
                " the note it ties (§4.11)",
                link.span,
            )
        elif not link.within_chord and source.element.span.end != link.span.start:
            # "c4 -c4": still read as a tie on the note before (loose reading), but
            # §4.11 says the tie "must always be adjacent to the first note".
            scan.add(
                "ABC323",
                "tie written apart from its note: the - must touch the note it ties"
                " (§4.11: c4- c4, not c4 -c4)",
                link.span,
            )
        if link.blocked:
            continue  # a repeat or ending lies between: the next note played is unknown
        if link.target is None:
            scan.add("ABC322", "tie to nothing: no note follows it (§4.11)", span)
            continue
        target = items[link.target]
        if not target.pitches:
            scan.add("ABC322", "tie to a rest: a tie joins two notes of the same pitch (§4.11)",
                     span)
            continue
        tied = {p for i, p in enumerate(source.pitches) if link.mask >> i & 1}
        if not tied.intersection(target.pitches):
            scan.add(
                "ABC321",
                "tie between different pitches: a tie joins two notes of the same pitch;"
                " use a slur ( ) for different notes (§4.11)",
                span,
            )


def _tuplets(scan: MusicScan, vt: VoiceTimeline) -> None:
    """ABC320 from the engine's tuplets that ran out of notes; ABC324 from the tuplet
    marks it did not read because another tuplet was still running; ABC325 from the
    broken rhythm signs it did not read because no note stood before them."""
    for t in vt.open_tuplets:
        e = t.tuplet
        text = f"({e.p}" + (f":{e.q or ''}" if e.q is not None or e.r is not None else "")
        text += f":{e.r}" if e.r is not None else ""
        scan.add("ABC320",
                 f"tuplet {text} needs {t.needed} notes, rests or chords; the voice ends"
                 f" after {t.seen} (§4.13)", e.span)
    for e in vt.inner_tuplets:
        scan.add("ABC324",
                 f"tuplet ({e.p} inside another tuplet: ABC 2.1 has no nested tuplets, so"
                 " it is not played as one (§4.13)", e.span)
    for b in vt.lone_broken:
        sign = b.direction * b.count
        scan.add("ABC325",
                 f"broken rhythm {sign} with no note, rest or chord just before it in its"
                 " bar: it pairs nothing, so the note after it keeps its length (§4.4)",
                 b.span)
    for span in vt.open_ornaments:
        scan.add("ABC333",
                 "grace notes or decoration at the end of the voice: no note, rest or"
                 " chord follows to take them, and they belong to the one after them"
                 " (§4.12, §4.14, §4.20)",
                 span)


# What may be written before a note and belongs to it (§4.14 decorations, §4.18 chord
# symbols, §4.19 annotations, §4.11 the slur it opens, §4.12 its grace notes).
_LEADS_A_NOTE = (Decoration, ChordSymbol, Annotation, SlurStart, GraceGroup)


def _lead_text(e: object) -> str:
    """How a mark that leads a note is written, for messages."""
    if isinstance(e, Decoration):
        return e.symbol
    if isinstance(e, ChordSymbol):
        return f'"{e.text}"'
    if isinstance(e, Annotation):
        return f'"{e.placement}{e.text}"'
    if isinstance(e, GraceGroup):
        return "grace notes {...}"
    return "("


def _displaced_before_broken(scan: MusicScan, vt: VoiceTimeline) -> None:
    """ABC326: a decoration, chord symbol, annotation, ``(`` or grace notes written
    between a note and the broken rhythm sign after it (``G.>F``, ``G"Am">F``, ``G{a}>F``).

    §4.4 puts the sign straight between the two notes; what stands before a note belongs
    to it (§4.14, §4.18, §4.19), so the marks belong to the note after the sign, where
    they are read. The engine pairs the notes as written (abc2midi does too); abcjs drops
    the rhythm and plays both notes even. Only signs the engine paired are looked at (a
    sign with no note before it is ABC325)."""
    for bi, i in vt.paired_broken:
        elements = vt.bars[bi].bar.elements
        e = elements[i]
        assert isinstance(e, BrokenRhythm)
        j = i - 1
        while j >= 0 and isinstance(elements[j], _LEADS_A_NOTE):
            j -= 1
        if j == i - 1 or j < 0 or not isinstance(elements[j], (Note, Chord, Rest)):
            continue
        moved = elements[j + 1 : i]
        first = moved[0].span
        sign = e.direction * e.count
        scan.add(
            "ABC326",
            f"{' '.join(map(_lead_text, moved))} between a note and the broken rhythm {sign}:"
            f" what is written before a note belongs to the note after the sign; write it"
            f" after {sign} (abcjs drops the rhythm here; §4.4, §4.14)",
            Span(first.line, first.col, e.span.end_line, e.span.end_col, first.start,
                 e.span.end),
        )


def scan_tune(tune: object, tl: TuneTimeline, strict: bool, known: frozenset[str],
              plus: bool) -> MusicScan:
    """Walk every voice of ``tune`` once and gather, with the engine's readings of ties,
    tuplets and form, everything the music rules report; see :class:`MusicScan`."""
    from ..model import Tune

    assert isinstance(tune, Tune)
    scan = MusicScan()
    for vt in tl.voices:
        w = _VoiceWalker(scan, strict, known, plus)
        element = w.element
        for bar in vt.voice.bars:
            w.bar_start(bar)
            for e in bar.elements:
                kind = type(e)
                if kind is not Note and kind is not Rest:
                    element(e)
        w.finish()
        _ties(scan, vt)
        _tuplets(scan, vt)
        _displaced_before_broken(scan, vt)
        for f in form_findings(vt, strict):
            scan.add(f.code, f.message, f.span)
    return scan
