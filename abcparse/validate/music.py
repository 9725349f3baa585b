"""ABC3xx: the music: bar durations, repeats, slurs, chords, grace notes, tuplets, ties,
decorations, voices and lyrics (ABC 2.1 §4, §5, §7).

What the music means (bar lengths, pitches, ties, repeats and endings) comes from the
music engine (:mod:`abcparse.music`) through :attr:`TuneContext.timeline`; the rules read
its findings, gathered with the notation-only checks by the one music walk of
:mod:`abcparse.validate.walk`.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from ..diagnostics import Severity, Span
from ..errors import AbcLimitError
from ..model import Chord, Meter, Note, Overlay, Rest
from ..music import BarInfo, judge_bars, played_order
from ..music.bars import bars_per_voice
from .context import TuneContext
from .registry import Finding, rule


def _whole(f: Fraction, meter: Meter | None) -> str:
    """A duration in the meter's beats, as musicians count: "7/8", "3/4", "5/4"."""
    den = meter.beat_unit if meter is not None and meter.beat_unit else 8
    n = f * den
    if n.denominator == 1:
        return f"{n.numerator}/{den}"
    return f"{f.numerator}/{f.denominator}"


@rule("ABC301", "bar-duration", section="§3.1.6, §4.3-§4.5, §4.13, §4.17")
def bar_duration(ctx: TuneContext) -> Iterator[Finding]:
    """A bar whose notes do not add up to the meter.

    Each bar is measured in whole notes: lengths times the unit note length (§4.3),
    broken rhythm (§4.4), tuplets (§4.13), chords by their first note (§4.17); grace
    notes, decorations and symbols take no time. Free meter (``M:none``, or no ``M:`` at
    all, §3.1.6) is not measured, nor are bars with a multi-measure rest or unreadable
    text.

    Short bars that music needs are accepted: the first bar (a pickup) and the last;
    a pickup at the start of a section (after ``|:``, ``:|``, ``||``, ``|]`` or a ``P:``
    label); a short bar at the end of a section when a pickup it goes with completes it
    (the pickup the repeat goes back to, or the next section's); before variant endings,
    a short bar that the first bar of each ending completes; and a bar split by a line
    end into two short bars that add up. Overfull bars are always reported. See
    docs/validator.md, "Bar durations", for the reasoning and for where abc2midi
    disagrees.

    Passes:

    ```abc
    X:1
    T:Pickup and closing bar
    M:4/4
    L:1/8
    K:D
    AB|c2d2 e2f2|g2f2 e4|c2d2 e2f2|g2f2 e2:|
    ```

    ```abc
    X:1
    T:Tuplets, broken rhythm, chords, grace notes
    M:3/4
    L:1/8
    K:G
    (3GAB c2 d>e|{g}[GBd]2 [ce]4|G6|]
    ```

    ```abc
    X:1
    T:Variant endings completing the bar
    M:6/8
    L:1/8
    K:G
    |:GAB cBA|GAB c2|1 d:|2 c|]
    ```

    Fails:

    ```abc
    X:1
    T:A bar too long
    M:4/4
    L:1/8
    K:D
    c2d2 e2f2|g2f2 e4 A|c2d2 e2f2|]
    ```

    ```abc
    X:1
    T:A bar too short in the middle
    M:6/8
    L:1/8
    K:G
    GAB cBA|GAB c2|GAB cBA|]
    ```
    """
    tl = ctx.timeline
    for vt in tl.voices:
        for v in judge_bars(vt):
            bt = v.bar
            expected = bt.nominal
            if expected is None:
                continue
            meter = bt.meter
            got = _whole(tl.whole(bt.ticks), meter)
            want = _whole(tl.whole(expected), meter)
            voice = f" (voice {vt.voice.id})" if len(tl.voices) > 1 else ""
            span = _bar_span(bt.bar.span, bt)
            if v.why == "over":
                msg = f"bar{voice} lasts {got}, longer than the meter's {want}"
            else:
                msg = (
                    f"bar{voice} lasts {got}, shorter than the meter's {want}, and no pickup"
                    " or ending completes it"
                )
            yield Finding(msg + f" (M:{meter})", span)


def _bar_span(span: Span, bt: BarInfo) -> Span:
    """From the bar's first note, rest or chord to its end: the bar line before it may be
    on the line above, and fields or an ending mark may come first."""
    for e in bt.bar.elements:
        if isinstance(e, (Note, Rest, Chord)):
            s = e.span
            return Span(s.line, s.col, span.end_line, span.end_col, s.start, span.end)
    return span


@rule("ABC302", "repeat-end-without-start", strict=Severity.WARNING, loose=None,
      section="§4.8")
def repeat_end_without_start(ctx: TuneContext) -> Iterator[Finding]:
    """``:|`` with no ``|:`` before it, where it cannot mean "from the top".

    A ``:|`` with no ``|:`` repeats from the beginning of the tune; after an earlier
    ``:|`` or ``||``, §4.8 recommends players restart "from the beginning of the tune, or
    from the latest double bar line or end of repeated section". After an earlier ``:|``
    playback restarts at the latest section end, which is how most folk tunebooks are
    written; with only a ``||`` before, it goes back to the tune start, as abc2midi and
    abcjs do, and the finding says the standard allows either. The standard recommends,
    it does not require, so this is a warning in strict mode only: write the ``|:`` to
    say where the repeat starts (the fix writes it where the music is played from).

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:Explicit
    K:C
    |:abcd:|
    |:dcba:|
    ```

    ```abc
    %abc-2.1
    X:1
    T:From the top
    K:C
    abcd:|
    ```

    Fails:

    ```abc
    %abc-2.1
    X:1
    T:Second part without |:
    K:C
    |:abcd:|
    dcba:|
    ```
    """
    yield from ctx.music.get("ABC302")


@rule("ABC303", "ending-without-first", section="§4.9, §4.10")
def ending_without_first(ctx: TuneContext) -> Iterator[Finding]:
    """A variant ending such as ``[2`` with no ``[1`` before it.

    Endings are numbered from 1 (§4.9, §4.10); a group that starts at ``[2`` has no first
    time through.

    Passes:

    ```abc
    X:1
    T:Both endings
    K:C
    |:abc|1 d:|2 e|]
    ```

    Fails:

    ```abc
    X:1
    T:Second only
    K:C
    |:abc d:|2 e|]
    ```
    """
    yield from ctx.music.get("ABC303")


@rule("ABC304", "ending-not-closed", section="§4.10")
def ending_not_closed(ctx: TuneContext) -> Iterator[Finding]:
    """A variant ending that runs into the next ending without being closed.

    "The Nth ending starts with ``[N`` and ends with one of ``||``, ``:|``, ``|]`` or
    ``[|``" (§4.10). An ending followed by the next ending with only ``|`` between never
    ends, so players cannot tell where the first time through stops. A ``|:`` after an
    ending closes it (typesetters end the bracket there), and so does the end of the
    tune.

    Passes:

    ```abc
    X:1
    T:Closed
    K:C
    |:abc|1 d:|2 e||
    ```

    ```abc
    X:1
    T:Closed by the next repeat
    K:C
    |:abc|1 d:|2 e|
    |:fga|]
    ```

    Fails:

    ```abc
    X:1
    T:Open second ending
    K:C
    |:abc|1 d:|2 e|3 f|]
    ```
    """
    yield from ctx.music.get("ABC304")


@rule("ABC305", "repeat-start-not-closed", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.8")
def repeat_start_not_closed(ctx: TuneContext) -> Iterator[Finding]:
    """A ``|:`` whose section no ``:|`` ever ends.

    ``|:`` starts a repeated section and ``:|`` ends it (§4.8). A ``|:`` followed by music
    and then another ``|:`` or the end of the tune with no ``:|`` repeats nothing: either
    the ``:|`` is missing or the ``|:`` is a stray.

    Passes:

    ```abc
    X:1
    T:Closed
    K:C
    |:abc d:|
    ```

    Fails:

    ```abc
    X:1
    T:Never closed
    K:C
    |:abc d|efg a|]
    ```
    """
    yield from ctx.music.get("ABC305")


@rule("ABC306", "ending-without-repeat", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.8-§4.10")
def ending_without_repeat(ctx: TuneContext) -> Iterator[Finding]:
    """Variant endings that no repeat selects between (a lone ending, or no ``:|``).

    Endings choose what is played on each pass through a repeated section (§4.9,
    §4.10). A ``[1`` with no ``[2``, an ending with no repeat before it, or two endings
    with no ``:|`` leave players guessing, and they guess differently: abc2midi skips a
    lone ending and plays only the first of two endings with no ``:|``, abcjs plays the
    lone ending and repeats for the second. abcparse plays every written note: a lone
    ending straight through, and a repeat implied between endings. (A lone ``|2`` is
    reported as ABC303, an ending group without ``[1``.)

    Passes:

    ```abc
    X:1
    T:Repeat with both endings
    K:C
    |:abc|1 d:|2 e|]
    ```

    Fails:

    ```abc
    X:1
    T:First ending only
    K:C
    |:abc|1 d:|
    ```

    ```abc
    X:1
    T:First ending with no repeat
    K:C
    C4|1 G2F2|D4|]
    ```

    ```abc
    X:1
    T:Two endings, no repeat sign
    K:C
    abc|[1 d||[2 e||
    ```
    """
    yield from ctx.music.get("ABC306")


@rule("ABC308", "ending-runs-into-section", section="§4.8, §4.10")
def ending_runs_into_section(ctx: TuneContext) -> Iterator[Finding]:
    """A last ending that runs on into the endings of the next section.

    An ending ends with ``||``, ``:|``, ``|]`` or ``[|`` (§4.10). Many tunebooks leave
    out the ``|:`` of a B part after a second ending, so the second ending runs on
    through the B part into the B part's own ``[1``: read by the letter, the B part's
    endings would join the A part's, and its first ending would be played on no pass
    (abc2midi skips it). abcparse reads the second ending as long as the first and the
    B part as a section of its own, which its ``:|`` repeats, and reports the bar line
    where the ``|:`` belongs; the safe fix writes it there, so every player reads the
    tune as abcparse plays it.

    Passes:

    ```abc
    X:1
    T:B part with its repeat sign
    M:4/4
    L:1/4
    K:C
    |:ABcd|1 e4:|2 c4|
    |:defg|1 a4:|2 g4|]
    ```

    Fails:

    ```abc
    X:1
    T:B part without its repeat sign
    M:4/4
    L:1/4
    K:C
    |:ABcd|1 e4:|2 c4|
    defg|1 a4:|2 g4|]
    ```
    """
    yield from ctx.music.get("ABC308")


@rule("ABC316", "ending-skips-a-pass", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.8-§4.10")
def ending_skips_a_pass(ctx: TuneContext) -> Iterator[Finding]:
    """A variant ending numbered for a pass that never comes, after an ending for an
    earlier pass (``|1 ... :|3 ...``, or ``:|12`` for ``:|2``).

    On the Nth pass through a repeated section the ending that lists N is played (§4.9,
    §4.10), and one ``:|`` goes back once (§4.8): the section is played twice, and no
    pass comes for a ``[3`` that follows ``[1``. Read by the letter, its music would
    never be played; players differ (abc2midi plays no ending on the second pass and
    skips the ``[3``, abcjs plays it as the second ending). abcparse plays it on the
    first pass that has no ending of its own, as abcjs does, so no written note is
    lost, and reports it; the safe fix writes that pass's number, after which every
    player plays the tune alike.

    Passes:

    ```abc
    X:1
    T:Endings for passes 1 and 2
    M:3/4
    L:1/4
    K:C
    A B c |1 d e f :|2 g a b|]
    ```

    Fails:

    ```abc
    X:1
    T:An ending for a third pass that never comes
    M:3/4
    L:1/4
    K:C
    A B c |1 d e f :|3 g a b|]
    ```
    """
    yield from ctx.music.get("ABC316")


@rule("ABC317", "ending-pass-twice", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.9, §4.10")
def ending_pass_twice(ctx: TuneContext) -> Iterator[Finding]:
    """Two variant endings of one repeat that name the same pass (``|1,2 ... :|2 ...``).

    On the Nth pass through a repeated section the ending that lists N is played
    (§4.10), so a pass named twice has two endings to choose from, and the players
    differ: abc2midi plays the first on both passes and never the second, abcjs takes
    the second on the second pass. abcparse plays every written note (the first on the
    passes it names, the later one on a pass after them) and reports the number; no fix
    is offered, as which number is the slip cannot be told.

    Passes:

    ```abc
    X:1
    T:Endings 1 and 2
    M:4/4
    L:1/4
    K:C
    |: CDEF |1 GABc :|2 c4 |]
    ```

    Fails:

    ```abc
    X:1
    T:Pass 2 named twice
    M:4/4
    L:1/4
    K:C
    |: CDEF |1,2 GABc :|2 c4 |]
    ```
    """
    yield from ctx.music.get("ABC317")


@rule("ABC318", "triple-repeat-then-repeat", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.8")
def triple_repeat_then_repeat(ctx: TuneContext) -> Iterator[Finding]:
    """A ``::|`` followed by a section that a ``:|`` closes with no ``|:`` of its own.

    §4.8 reads ``::|`` as the end of a section played three times, and abcparse plays it
    so; abc2midi and abcjs play it twice and read ``::`` as the end of one repeat and the
    start of the next. When the music after it ends in a ``:|`` that no ``|:`` opens, the
    writer most likely meant ``::`` (a session tune: ``D2z::| CCC|...|A,2z:|``). The
    finding is at the ``::|``; no fix is offered, as ``::`` changes what abcparse plays
    and only the writer knows.

    Passes:

    ```abc
    X:1
    T:Three times, then a new section
    M:3/4
    L:1/4
    K:C
    |:C D E|F G A::|
    |:B c d|e f g:|
    ```

    Fails:

    ```abc
    X:1
    T:Three times, or :: meant
    M:3/4
    L:1/4
    K:C
    |:C D E|F G A::|
    B c d|e f g:|
    ```
    """
    yield from ctx.music.get("ABC318")


@rule("ABC309", "overlay-duration", section="§7.4")
def overlay_duration(ctx: TuneContext) -> Iterator[Finding]:
    """A voice overlay (``&``) that is not one whole bar long.

    §7.4: each ``&`` sets the time back to the start of the bar, and "may only be used
    to add one complete bar's worth of music". An overlay that is too long runs into the
    next bar. One that is too short is heard by abcparse as written, but abc2midi and
    abcjs both start the next bar's overlay where the short one ends: in ``C D E F & c d
    | G4 & g4|`` they play the ``g4`` in the first bar. The safe fix pads a short overlay
    with an invisible rest (``x``, §4.5), after which all three play it alike.

    Passes:

    ```abc
    X:1
    T:Overlays a bar long
    M:4/4
    L:1/4
    K:C
    C D E F & c d x2 | G4 & g4 |]
    ```

    Fails:

    ```abc
    X:1
    T:An overlay half a bar long
    M:4/4
    L:1/4
    K:C
    C D E F & c d | G4 & g4 |]
    ```
    """
    tl = ctx.timeline
    for vt in tl.voices:
        voice = f" (voice {vt.voice.id})" if len(tl.voices) > 1 else ""
        for info in vt.bars:
            if not info.overlays or not info.readable or not info.content:
                continue
            marks = [e for e in info.bar.elements if isinstance(e, Overlay)]
            for k, ticks in enumerate(info.overlays):
                if ticks == info.ticks or k >= len(marks):
                    continue
                got = _whole(tl.whole(ticks), info.meter)
                want = _whole(tl.whole(info.ticks), info.meter)
                how = "longer" if ticks > info.ticks else "shorter"
                yield Finding(
                    f"overlay{voice} lasts {got}, {how} than the {want} of the bar it"
                    " overlays: §7.4 adds one whole bar of music for each &",
                    marks[k].span,
                )


@rule("ABC307", "repeat-bar-incomplete", strict=Severity.WARNING, loose=Severity.WARNING,
      default=False, section="§4.8, §3.1.6")
def repeat_bar_incomplete(ctx: TuneContext) -> Iterator[Finding]:
    """Bars that, played in order through the repeats, do not add up to whole bars.

    A pickup is completed by the last bar of its section: when ``:|`` sends the music back
    to ``G|ABc ...``, the bar before the ``:|`` and the pickup after the jump are heard as
    one bar (§4.8). abc2midi checks the bars as they are played, repeats unrolled, and
    warns when they do not add up ("Bar 0 has 1 time units ... in repeat"); the bar-length
    rule (ABC301) accepts each bar alone. Off by default; the ``playable`` profile
    (``abc-lint --profile playable``, what the generator checks) turns it on.

    Passes:

    ```abc
    X:1
    T:Pickup completed
    M:6/8
    L:1/8
    K:G
    G|ABc dBG|ABc d2:|
    ```

    Fails:

    ```abc
    X:1
    T:Pickup not completed
    M:6/8
    L:1/8
    K:G
    G|ABc dBG|ABc def:|
    ```
    """
    tl = ctx.timeline
    for vt in tl.voices:
        try:
            order = played_order(vt.segments, tl.parts)
        except AbcLimitError:
            # A P: order too long to play (form.MAX_PLAYED_SEGMENTS): the bars as written.
            order = played_order(vt.segments, tl.parts, unroll=False)
        played: list[list[Any]] = []  # [ticks, bar info], one per bar as heard
        for i in order:
            seg = vt.segments[i]
            info = vt.bars[seg.bar]
            if seg.new_bar or not played:
                played.append([seg.length, info])
            else:
                played[-1][0] += seg.length
        run: list[list[Any]] = []
        first = True
        reported: set[int] = set()
        for k, (ticks, info) in enumerate(played):
            nominal = info.nominal
            if nominal is None or not info.measured:
                run, first = [], False
                continue
            if ticks == nominal and not run:
                first = False
                continue
            if ticks != nominal:
                run.append([ticks, info])
            total = sum(t for t, _ in run)
            done = ticks == nominal or total >= nominal or k == len(played) - 1
            if not done:
                continue
            if run and total != nominal and not first and k != len(played) - 1 and (
                run[0][1].index not in reported
            ):
                bt = run[0][1]
                reported.add(bt.index)
                heard = _whole(tl.whole(total), bt.meter)
                want = _whole(tl.whole(nominal), bt.meter)
                yield Finding(
                    f"played through the repeat, this bar and the one it leads to last {heard}"
                    f" together, not the meter's {want} (M:{bt.meter}): complete the pickup"
                    " with the section's last bar",
                    _bar_span(bt.bar.span, bt),
                )
            run, first = [], False
            if ticks != nominal and total > nominal:
                run = []


@rule("ABC310", "slur-not-closed", section="§4.11")
def slur_not_closed(ctx: TuneContext) -> Iterator[Finding]:
    """A slur ``(`` that no ``)`` closes before the voice ends.

    Slurs may nest and may cross bar lines and lines (§4.11), so each ``(`` is matched
    with the next unmatched ``)`` in its voice.

    Passes:

    ```abc
    X:1
    T:Closed
    K:C
    (ab (cd) e)|
    ```

    Fails:

    ```abc
    X:1
    T:Open
    K:C
    (ab cd e|
    ```
    """
    yield from ctx.music.get("ABC310")


@rule("ABC311", "slur-not-opened", section="§4.11")
def slur_not_opened(ctx: TuneContext) -> Iterator[Finding]:
    """A ``)`` with no open slur to close.

    Passes:

    ```abc
    X:1
    T:Matched
    K:C
    (abc)|
    ```

    Fails:

    ```abc
    X:1
    T:Stray close
    K:C
    abc)|
    ```
    """
    yield from ctx.music.get("ABC311")


@rule("ABC312", "chord-not-closed", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4.17")
def chord_not_closed(ctx: TuneContext) -> Iterator[Finding]:
    """A chord ``[`` that its line ends before ``]`` closes.

    Chords do not span lines (§4.17: "there should be no spaces within the notation for a
    chord"). The chord is closed at the end of the line so what follows is read.

    Passes:

    ```abc
    X:1
    T:Closed
    K:C
    [CEG]2 c2|
    ```

    Fails:

    ```abc
    X:1
    T:Open
    K:C
    [CEG2 c2|
    ```
    """
    return iter(())


@rule("ABC313", "chord-not-opened", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4.17")
def chord_not_opened(ctx: TuneContext) -> Iterator[Finding]:
    """A ``]`` that closes no chord.

    Passes:

    ```abc
    X:1
    T:Matched
    K:C
    [CEG]2|
    ```

    Fails:

    ```abc
    X:1
    T:Stray
    K:C
    CEG]2|
    ```
    """
    return iter(())


@rule("ABC116", "rest-in-chord", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§4.17, §4.12")
def rest_in_chord(ctx: TuneContext) -> Iterator[Finding]:
    """A rest inside a chord or grace notes: ``[Az]``, ``[CEx]``, ``[z2]``, ``{Az}``.

    §4.17 makes a chord of notes only. abc2midi leaves such a rest out and plays the
    chord's notes with the chord's length, and so does abcparse; abcjs warns ("Expected
    ']' to end the chords") and plays the rest after the notes. A chord holding a rest
    and no note (``[z2]``) is read as that rest, as both players play it. Delete the rest
    (or write it before or after the chord); write a lone rest without the brackets.
    Grace notes (§4.12) are notes too: a rest among them takes no time in abc2midi or
    abcjs, and abcparse leaves it out the same way.

    Passes:

    ```abc
    X:1
    T:Chord then rest
    M:2/4
    L:1/8
    K:C
    [FA][A] z [cf]|
    ```

    Fails:

    ```abc
    X:1
    T:Rest in a chord
    M:2/4
    L:1/8
    K:C
    [FA][Az] [cf]2|
    ```
    """
    return iter(())


@rule("ABC314", "grace-not-closed", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4.12")
def grace_not_closed(ctx: TuneContext) -> Iterator[Finding]:
    """Grace notes ``{`` that their line ends before ``}`` closes.

    Passes:

    ```abc
    X:1
    T:Closed
    K:C
    {g}A2 B2|
    ```

    Fails:

    ```abc
    X:1
    T:Open
    K:C
    {gA2 B2|
    ```
    """
    return iter(())


@rule("ABC315", "grace-not-opened", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4.12")
def grace_not_opened(ctx: TuneContext) -> Iterator[Finding]:
    """A ``}`` that closes no grace notes.

    Passes:

    ```abc
    X:1
    T:Matched
    K:C
    {g}A2|
    ```

    Fails:

    ```abc
    X:1
    T:Stray
    K:C
    g}A2|
    ```
    """
    return iter(())


@rule("ABC320", "tuplet-too-few-notes", section="§4.13")
def tuplet_too_few_notes(ctx: TuneContext) -> Iterator[Finding]:
    """A tuplet whose voice ends before it has the notes it applies to.

    ``(p:q:r`` applies to the next r notes, rests or chords (r defaults to p; grace notes
    do not count, §4.13). Tuplets may run across bar lines; a voice that ends first
    leaves the tuplet incomplete.

    Passes:

    ```abc
    X:1
    T:Complete
    K:C
    (3abc d2|(3:2:2 G2A|]
    ```

    Fails:

    ```abc
    X:1
    T:Short
    K:C
    d2 (3ab|]
    ```
    """
    yield from ctx.music.get("ABC320")


@rule("ABC324", "tuplet-inside-tuplet", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.13")
def tuplet_inside_tuplet(ctx: TuneContext) -> Iterator[Finding]:
    """A tuplet mark written while another tuplet still takes notes.

    ABC 2.1 defines ``(p:q:r`` for the next r notes and says nothing of a tuplet inside
    one (§4.13). abc2midi and abcjs both read ``(3(3abc`` and ``(3a(3bcd e`` with the
    first mark alone, abcjs warning "Can't nest triplets"; abcparse plays them so too, and
    reports the mark that has no effect.

    Passes:

    ```abc
    X:1
    T:One after another
    K:C
    (3abc (3def|]
    ```

    Fails:

    ```abc
    X:1
    T:Nested
    K:C
    (3a(3bcd e2|]
    ```
    """
    yield from ctx.music.get("ABC324")


@rule("ABC325", "broken-rhythm-without-note", strict=Severity.WARNING,
      loose=Severity.WARNING, section="§4.4")
def broken_rhythm_without_note(ctx: TuneContext) -> Iterator[Finding]:
    """A broken rhythm sign with no note, rest or chord just before it.

    ``>`` and ``<`` stand between two notes and change both (§4.4). Written at the start
    of a voice or an overlay, right after a bar line, repeat sign or variant ending, or
    straight after a tuplet mark, the sign has no first note: abcjs leaves the note after
    it as written, as abc2midi does too except after a plain bar line, where it pairs
    some lengths and not others (``A2|>B2`` but not ``A|>B2``). abcparse plays the note as
    written. The sign is reported; its safe fix deletes it (to pair the notes across the
    bar line, write the sign before it: ``A2>|B2``).

    Passes:

    ```abc
    X:1
    T:Between two notes
    K:C
    A>B c2 (3cde f2|]
    ```

    Fails:

    ```abc
    X:1
    T:Nothing before
    K:C
    >B2 c2 (3>cde f2|>g2|]
    ```
    """
    yield from ctx.music.get("ABC325")


@rule("ABC333", "ornament-without-note", strict=Severity.WARNING,
      loose=Severity.WARNING, section="§4.12, §4.14, §4.20")
def ornament_without_note(ctx: TuneContext) -> Iterator[Finding]:
    """Grace notes or a decoration with no note, rest or chord after them in the voice.

    Grace notes and decorations are written before the note they belong to (§4.12,
    §4.14; §4.20 gives the order: grace notes, chord symbols, decorations, then the
    note). At the end of a voice (``a4 b4 {^f}``, ``a4 b4|~``) nothing follows to take
    them: no player sounds or shows them on a note, and abc2midi stops with an error
    ("No note found to follow grace notes", "Malformed note"). A decoration written just
    before a bar line is the bar line's (``A2 H|]``) and is not reported. Delete the
    marks, or write the note they were meant for.

    Passes:

    ```abc
    X:1
    T:Each mark before its note
    K:C
    a4 {^f}b4|~c4 !fermata!d4 H|]
    ```

    Fails:

    ```abc
    X:1
    T:Marks at the end
    K:C
    a4 b4|c8 {^f}
    ```
    """
    yield from ctx.music.get("ABC333")


@rule("ABC326", "mark-before-broken-rhythm", strict=Severity.WARNING,
      loose=Severity.WARNING, section="§4.4")
def mark_before_broken_rhythm(ctx: TuneContext) -> Iterator[Finding]:
    """A mark written between a note and the broken rhythm sign after it.

    The marks are decorations, chord symbols, annotations, a slur's ``(`` and grace
    notes. The sign stands between the two notes it changes (§4.4), and what is written
    before a note belongs to that note (§4.11, §4.12, §4.14, §4.18, §4.19): in ``G.>F``
    the staccato is the F's, written on the wrong side of ``>``. abcparse and abc2midi
    read the rhythm as written; abcjs drops it and plays both notes even, so the tune
    sounds different in the two players. The safe fix moves the marks after the sign
    (``G>.F``), which changes nothing in abcparse's reading.

    Passes:

    ```abc
    X:1
    T:Marks after the sign
    K:C
    G>.F G>!trill!F G>"Am"F G>{a}F|]
    ```

    Fails:

    ```abc
    X:1
    T:Marks before the sign
    K:C
    G.>F G!trill!>F G"Am">F G{a}>F|]
    ```
    """
    yield from ctx.music.get("ABC326")


@rule("ABC321", "tie-different-pitches", section="§4.11")
def tie_different_pitches(ctx: TuneContext) -> Iterator[Finding]:
    """A tie between two notes of different pitch.

    "Ties connect two successive notes of the same pitch" (§4.11); between different
    notes use a slur. Accidentals are resolved (key signature, earlier accidentals in the
    bar; a tie carries its accidental across a bar line), so ``^c-c`` in one bar and
    ``^c-|c`` are the same pitch. A tie before a repeat or an ending is not checked: the
    next note depends on the way through.

    Passes:

    ```abc
    X:1
    T:Same pitch
    K:D
    f2-f2 ^c-c|c4-|c4|
    ```

    Fails:

    ```abc
    X:1
    T:Different pitch
    K:C
    c2-d2|
    ```
    """
    yield from ctx.music.get("ABC321")


@rule("ABC322", "tie-to-nothing", section="§4.11")
def tie_to_nothing(ctx: TuneContext) -> Iterator[Finding]:
    """A tie that follows no note, or that no note follows.

    A tie joins "two successive notes of the same pitch" (§4.11): a tie at the start of a
    voice or after a rest has no first note, and a tie before a rest or at the end of the
    voice has no second one (a tie before a repeat sign or an ending is not checked: the
    next note depends on the way through).

    Passes:

    ```abc
    X:1
    T:Tied
    K:C
    c2-c2 d4|
    ```

    Fails:

    ```abc
    X:1
    T:Tie at the end
    K:C
    c4 d4-|]
    ```

    ```abc
    X:1
    T:Tie to a rest
    K:C
    c4- z4|]
    ```
    """
    yield from ctx.music.get("ABC322")


@rule("ABC323", "tie-not-attached", strict=Severity.ERROR, loose=None, section="§4.11")
def tie_not_attached(ctx: TuneContext) -> Iterator[Finding]:
    """A tie written apart from the note it ties (strict mode only).

    "The tie symbol must always be adjacent to the first note of the pair, but does not
    need to be adjacent to the second, e.g. ``c4 -c4`` and ``abc|-cba`` are not legal"
    (§4.11). Loose reading, like abc2midi, still ties the note before (the Nottingham
    Music Database writes ``d3 -d``), so this is reported in strict mode only.

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:Attached
    K:C
    c4- c4|
    ```

    Fails:

    ```abc
    %abc-2.1
    X:1
    T:Detached
    K:C
    c4 -c4|
    ```
    """
    yield from ctx.music.get("ABC323")


@rule("ABC330", "unknown-decoration", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§4.14, §4.16")
def unknown_decoration(ctx: TuneContext) -> Iterator[Finding]:
    """A ``!name!`` decoration that ABC 2.1 does not define and no ``U:`` field does.

    "If an unimplemented or unknown symbol is found, it should be ignored" (§4.14), so
    this is a warning: the mark will be missing in print. Names defined by ``U:`` (§4.16)
    or by an abcm2ps ``%%deco`` directive count as defined; the extensions abcm2ps and
    abcjs both draw (``!trem1!``, ``!marcato!``, ``!ped!`` ...) are accepted in loose mode
    and named in strict mode.

    Passes:

    ```abc
    X:1
    T:Standard
    K:C
    !trill!c2 !fermata!d2|
    ```

    ```abc
    X:1
    T:Defined
    U:W = !wiggle!
    K:C
    !wiggle!c2 d2|
    ```

    Fails:

    ```abc
    X:1
    T:Unknown
    K:C
    !wiggle!c2 d2|
    ```
    """
    yield from ctx.music.get("ABC330")


@rule("ABC331", "reserved-character", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§8.1")
def reserved_character(ctx: TuneContext) -> Iterator[Finding]:
    """A character reserved for future use in the music: ``# * ; ? @``.

    §8.1 reserves them; they mean nothing in a tune body today, and software is to
    ignore them, "possibly giving a warning": a warning in strict reading too (the
    standard's own example line with them plays as the line without). Inside quotes,
    fields and comments they are ordinary text.

    Passes:

    ```abc
    X:1
    T:In quotes: # * ; ? @
    K:C
    "^Fine?"abc|
    ```

    Fails:

    ```abc
    X:1
    T:Bare
    K:C
    abc ? d|
    ```
    """
    yield from ctx.music.get("ABC331")


@rule("ABC332", "undefined-symbol", section="§4.14, §4.16")
def undefined_symbol(ctx: TuneContext) -> Iterator[Finding]:
    """A letter in the music that is neither a note nor a defined decoration symbol.

    The letters ``H``-``W`` and ``h``-``w`` are decoration symbols only when a ``U:``
    field (or the defaults, §4.14: ``~ H L M O P S T u v``) gives them a meaning (§4.16);
    any other is most often a typing slip for a note. Letters written together (a word
    typed into the music, or the name of ``!trill`` whose closing ``!`` is missing, which
    is read as the ABC 2.0 line break, ABC103) are one finding over the word.

    Passes:

    ```abc
    X:1
    T:Defaults and definitions
    U:W = !trill!
    K:C
    Tc2 Wd2 ~e2|
    ```

    Fails:

    ```abc
    X:1
    T:A slip
    K:C
    c2 d2 fse2|
    ```
    """
    yield from ctx.music.get("ABC332")


@rule("ABC340", "voice-bar-counts", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§7")
def voice_bar_counts(ctx: TuneContext) -> Iterator[Finding]:
    """Voices of one tune with different numbers of bars.

    The voices of a score play together bar by bar (§7); a voice with more or fewer bars
    than the first voice has lost or gained a bar line or a bar, and everything after it
    is out of step. Multi-measure rests count as their number of bars.

    Passes:

    ```abc
    X:1
    T:Two voices
    M:2/4
    L:1/8
    K:C
    V:1
    cdef|gabc'|
    V:2
    C2E2|G2c2|
    ```

    Fails:

    ```abc
    X:1
    T:Out of step
    M:2/4
    L:1/8
    K:C
    V:1
    cdef|gabc'|
    V:2
    C2E2|
    ```
    """
    counted = bars_per_voice(ctx.tune)
    if len(counted) < 2:
        return
    voices = [v for v, _ in counted]
    counts = [n for _, n in counted]
    first = counts[0]
    for v, n in zip(voices[1:], counts[1:], strict=True):
        if n != first:
            yield Finding(
                f"voice {v.id} has {n} bars, voice {voices[0].id} has {first} (§7)",
                v.bars[0].span,
            )


@rule("ABC341", "lyrics-too-many-syllables", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§5.1")
def lyrics_too_many_syllables(ctx: TuneContext) -> Iterator[Finding]:
    """A ``w:`` line with more syllables than the music line above it has notes.

    Each syllable, ``_``, ``*`` and lone ``-`` uses up one note (§5.1; rests and grace
    notes take none). The extra syllables have no note to go under.

    Passes:

    ```abc
    X:1
    T:Fits
    K:C
    cde f2|
    w:one two three four
    ```

    Fails:

    ```abc
    X:1
    T:Too many
    K:C
    cde f2|
    w:one two three four five
    ```
    """
    for voice in ctx.tune.voices:
        for lyr in voice.lyrics:
            used = [s for s in lyr.syllables if s.kind != "bar"]
            if len(used) > lyr.note_count:
                extra = used[lyr.note_count]
                yield Finding(
                    f"w: line has {len(used)} syllables for {lyr.note_count} notes (§5.1);"
                    f" {extra.text!r} and what follows have no note",
                    extra.span,
                )
