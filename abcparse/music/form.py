"""The form of a voice: repeats, variant endings and parts, read once, for playback and
for the validator alike (§3.1.9, §4.8-§4.10).

From the segments of a :class:`~.timeline.VoiceTimeline`, :func:`ending_groups` finds the
variant endings and which of them take part in a repeat; :func:`played_order` unrolls the
repeats and endings in the ``P:`` order; :func:`form_findings` says where the written
form is broken or ambiguous. The bar-length rule asks :func:`ending_groups` which bars
an ending may complete, so all three read the form the same way.

Readings, with the section that decides:

- ``|:`` opens a section that ``:|`` sends back to; ``::`` and ``:|:`` do both; each extra
  colon of ``:|`` adds a pass (§4.8). An unmatched ``:|`` goes back to the start of the
  tune (or part), or, after an earlier repeat or a double bar line, to "the latest double
  bar line or end of repeated section" (§4.8 recommendation).
- On the Nth pass only the endings that list N play (§4.9, §4.10); a ``:|`` that closes an
  ending goes back each time it is reached, as any ``:|`` does: ``|1 A :|2 B :|`` and
  ``|1,2 A :| B`` play the section a third time with no ending, as abc2midi and abcjs
  both play them (§4.10 says where an ending stops, not that its ``:|`` stops
  repeating); a lone ``[1 ... :|`` repeats once. Endings that name passes beyond the
  second count the passes (§4.10, a part played N times): at the end of the tune or
  part, ``|1,3 A :|2,4 B :|`` is played four times and no more, as both players play it.
- An ending ends with ``||``, ``:|``, ``|]`` or ``[|`` (§4.10), or where the next ending,
  a ``|:`` or a new part begins. An ending that names a pass an earlier ending of its
  group names starts a new group; a last ending that runs on into it with nothing
  closing it (a B part whose ``|:`` was left out: ``|1 c :|2 e | g a |1 B :|2 d ||``) is
  read as long as the ending before it, and the bars after it start the section the
  next ``:|`` repeats (ABC308, whose safe fix writes that ``|:``).
- No written note is skipped on every pass: an ending group whose repeat reading would
  leave an ending unplayed (``|: |2 B :|2 C``) is played straight through, and an ending
  written just before the bar line that closes it (``::|1 ||``) is empty.
- Endings that each name one pass and skip a number (``|1 A :|3 B``, a slip of the pen
  for ``|2``): one ``:|`` goes back once, so no pass 3 comes; the ``[3`` is played on
  pass 2, the first with no ending of its own, as abcjs plays it (abc2midi plays no
  ending on pass 2 and never plays B). Reported (ABC316).
- Endings of one repeat that name the same pass (``|1,2 A :|2 B``): each ending plays on
  the passes it names, the later one on the pass after them, so every written note is
  played (abc2midi never plays B; abcjs plays B on pass 2). Reported (ABC317).
- A lone ending that no ``:|`` leads through (``|2`` with no repeat: §4.10 has nothing
  to select between) is played as written: no written note is skipped; so are endings
  with no ``:|`` and no first ending (``|2 B|2 C``: both players play C alone). Two or more
  endings with no ``:|`` (``A|[1 B||[2 C||``) imply one at the end of each ending but the
  last, as abcjs plays them (abc2midi plays the first ending only); so does an ending
  closed by ``||`` before a later one that ``:|`` closes (``[1 B||[2 C:|``: read as
  ``[1 B:|[2 C:|``, where both players run on from B into C). All are reported (ABC306):
  players read them differently.
- With a ``P:`` order in the header and single-letter part labels in the body, parts
  play in that order; music before the first label plays once, first (§3.1.9).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ..diagnostics import Span
from ..errors import AbcLimitError
from ..model import BarLine
from .timeline import SECTION_KINDS, Segment, VoiceTimeline, repeat_started

__all__ = [
    "MAX_PLAYED_SEGMENTS",
    "EndingGroup",
    "FormFinding",
    "ending_groups",
    "form_findings",
    "played_order",
]

#: A malformed structure never loops for ever: at most this many passes per segment.
_MAX_PASSES = 100
#: Rounds of reading unreachable ending groups through before all are (_unroll_all).
_MAX_FORM_ROUNDS = 4
#: The most segments (bars and parts of bars) one voice may play, repeats and parts
#: unrolled: far beyond any tune (an hour of reels is about 2,000 bars), and what a MIDI
#: file could hold anyway (abcparse.midi.MAX_EVENTS). A ``P:`` order of thousands of
#: parts over a long body would otherwise be expanded note by note before any size check.
MAX_PLAYED_SEGMENTS = 1_000_000


@dataclass(frozen=True, slots=True)
class EndingGroup:
    """Variant endings that follow each other directly: segments ``start`` to ``end``
    (exclusive), the endings as (first segment, end segment, numbers). ``explicit``: a
    ``:|`` inside the group sends the music back through them; ``repeats``: the music
    goes back through them, explicitly or because two or more endings are written with
    no ``:|`` (then each ending but the last implies one, as abcjs plays it)."""

    start: int
    end: int
    endings: tuple[tuple[int, int, tuple[int, ...]], ...]
    explicit: bool
    #: Segments where a ``:|`` is implied: with no ``:|`` in the group, the last of every
    #: ending but the last; else of every ending but the last that a double bar line
    #: rather than ``:|`` closes (``[1 B || [2 C :|`` is read as ``[1 B :| [2 C :|``: else
    #: the second ending could never be reached and its notes would not be played).
    implied_repeat_ends: tuple[int, ...] = ()
    #: Where the last ending was cut (the segment that starts the next section), when it
    #: ran on into the next section's endings with nothing closing it; -1 if it was not.
    run_on: int = -1

    @property
    def repeats(self) -> bool:
        # Endings with no :| repeat only if the implied ones reach each ending in turn:
        # pass 1 plays the first ending naming 1, and its implied :| sends the music
        # back for pass 2, and so on. ``|2 B|2 C`` (no first ending) and ``[1|[1 B||``
        # (an ending no pass could select) are played as written instead: no written
        # note is skipped (ABC303, ABC306).
        if self.explicit:
            return True
        if len(self.endings) < 2:
            return False  # a lone ending with no :| has no repeat to select it
        first_naming: dict[int, int] = {}  # pass -> the first ending that names it
        for k, (_, _, ns) in enumerate(self.endings):
            for n in ns:
                first_naming.setdefault(n, k)
        reached: set[int] = set()
        last = len(self.endings) - 1
        for passno in range(1, len(self.endings) + 1):
            first = first_naming.get(passno)
            if first is None:
                break
            reached.add(first)
            if first == last:
                break
        return len(reached) == len(self.endings)

    @property
    def numbers(self) -> frozenset[int]:
        return frozenset(n for _, _, ns in self.endings for n in ns)

    @property
    def last_pass(self) -> int:
        """The highest pass any of the endings names."""
        return max(self.numbers, default=0)


def ending_end(segs: Sequence[Segment], i: int) -> int:
    """Index just after the variant ending that starts at segment ``i`` (§4.10)."""
    n = len(segs)
    j = i
    while j < n:
        s = segs[j]
        if s.repeat_end or s.ends_section:
            return j + 1
        if j + 1 < n and (
            segs[j + 1].ending or segs[j + 1].repeat_start or segs[j + 1].part != s.part
        ):
            return j + 1
        j += 1
    return n


def _bars_in(segs: Sequence[Segment], start: int, end: int) -> int:
    """How many bars segments ``start`` to ``end`` (exclusive) begin or run through."""
    return 1 + sum(1 for k in range(start + 1, end) if segs[k].new_bar)


def _bar_after(segs: Sequence[Segment], start: int, end: int, bars: int) -> int | None:
    """The segment where bar ``bars + 1`` of segments ``start`` to ``end`` begins, if
    it does before ``end``."""
    seen = 1
    for k in range(start + 1, end):
        if segs[k].new_bar:
            if seen == bars:
                return k
            seen += 1
    return None


def ending_groups(segs: Sequence[Segment]) -> list[EndingGroup]:
    """Every group of consecutive variant endings, in written order."""
    spans: list[tuple[int, int]] = []
    j = 0
    n = len(segs)
    while j < n:
        if segs[j].ending:
            k = ending_end(segs, j)
            spans.append((j, k))
            j = k
        else:
            j += 1
    grouped: list[list[tuple[int, int]]] = []
    cuts: dict[int, int] = {}  # group index -> where its run-on last ending was cut
    used: set[int] = set()  # the pass numbers the endings of the last group name
    for s, e in spans:
        # An ending that opens with |: starts a new section, and one that names a pass
        # an ending before it names starts a new group: it is not one of the endings
        # before it (``|2 B |: |1 C :|``; ``|1 c :|2 e f | g a |1 B :|2 d ||``).
        numbers = segs[s].ending
        if (grouped and grouped[-1][-1][1] == s and not segs[s].repeat_start
                and used.isdisjoint(numbers)):
            grouped[-1].append((s, e))
            used.update(numbers)
            continue
        last = grouped[-1] if grouped else None
        if last is not None and len(last) > 1 and last[-1][1] == s:
            # The last ending ran on into the next section's first ending, nothing
            # closing it (ABC304): ``|1 c d :|2 e f | g a |1 B c :|2 d e ||``, a B part
            # whose |: was left out. It is read as long as the ending before it, as a
            # player reads the page, and the bars after it start the next section,
            # which the next group's :| repeats: no ending is skipped on every pass.
            ls, le = last[-1]
            cut = _bar_after(segs, ls, le, _bars_in(segs, *last[-2]))
            if cut is not None:
                last[-1] = (ls, cut)
                cuts[len(grouped) - 1] = cut
        grouped.append([(s, e)])
        used = set(numbers)
    out = []
    for index, g in enumerate(grouped):
        start, end = g[0][0], g[-1][1]
        explicit = any(segs[k].repeat_end for k in range(start, end))
        implied = tuple(e - 1 for _, e in g[:-1]
                        if not segs[e - 1].repeat_end and (segs[e - 1].ends_section
                                                           or not explicit))
        out.append(EndingGroup(start, end, tuple((s, e, segs[s].ending) for s, e in g),
                               explicit, implied, cuts.get(index, -1)))
    return out


def _unroll(segs: Sequence[Segment]) -> list[int]:
    """Play order of one part's segments with repeats and variant endings unrolled (see
    the module for the readings)."""
    return _unroll_all(segs, ending_groups(segs))[0]


def skipped_pass_reading(group: EndingGroup) -> EndingGroup | None:
    """The group with its endings numbered 1, 2, 3 ... in written order, when each of
    them names one pass, the first names pass 1 and a later one skips a number
    (``|1 A :|3 B`` or ``|1 A :|12 B``, a slip of the pen for ``|2``); else None.

    §4.8 sends ``:|`` back once, so no pass ever comes for the ``[3``: read by the
    letter, the music after it would never be played, or the repeat would have to be
    dropped for it to be played (abc2midi plays no ending on the second pass and stops;
    abcparse used to drop the repeat). Read as the next pass's ending, every written
    note is played and the repeat is kept, as abcjs plays it. :func:`_unroll_all` takes
    this reading only for a group whose endings the written numbers leave unplayed, and
    the validator reports it (ABC316, whose safe fix writes the number played)."""
    endings = group.endings
    if len(endings) < 2 or any(len(ns) != 1 for _, _, ns in endings):
        return None
    numbers = [ns[0] for _, _, ns in endings]
    if numbers[0] != 1 or any(b <= a for a, b in itertools.pairwise(numbers)):
        return None
    if numbers == list(range(1, len(numbers) + 1)):
        return None
    return EndingGroup(group.start, group.end,
                       tuple((s, e, (k + 1,)) for k, (s, e, _) in enumerate(endings)),
                       group.explicit, group.implied_repeat_ends, group.run_on)


def _unroll_all(segs: Sequence[Segment], groups: Sequence[EndingGroup]
                ) -> tuple[list[int], set[int], set[int]]:
    """The play order; the first segments of the ending groups read as written because
    no pass of their repeat reaches every ending; and those of the groups whose endings
    are played as numbered in written order (:func:`skipped_pass_reading`). Every
    segment with music is played at least once. ``|: |2 B :|2 C |`` has no pass that
    selects either ending (pass 1 skips both, and the :| that would start pass 2 stands
    in the first), so the repeat reading plays neither; read as written, B and C play
    once, so that no written note is lost (abcjs 6.7.2 plays C only, abc2midi neither).
    ``groups``: :func:`ending_groups`
    of ``segs``."""
    group_at = {k: g.start for g in groups if g.repeats for k in range(g.start, g.end)}
    music = [k for k in group_at if segs[k].first_item < segs[k].end_item]
    as_written: set[int] = set()
    renumbered: dict[int, EndingGroup] = {}
    for rounds in range(_MAX_FORM_ROUNDS + 1):
        through = {k for g in groups if g.start in as_written for k in range(g.start, g.end)}
        order = _unroll_groups(
            segs, [renumbered.get(g.start, g) for g in groups if g.start not in as_written],
            through)
        played = set(order)
        lost = {group_at[k] for k in music if k not in played} - as_written
        if not lost:
            break
        if rounds >= _MAX_FORM_ROUNDS - 1:
            # Reading one group through moves where a later unmatched :| goes back, which
            # can leave another group's ending unplayed; past a few rounds (a hostile
            # tune, never a real one), every repeating group is read through: linear.
            as_written |= set(group_at.values())
            continue
        # A group whose endings skip a pass number is first read with the numbers in
        # written order; one still losing music after that is read through.
        fresh = {g.start: r for g in groups if g.start in lost and g.start not in renumbered
                 and (r := skipped_pass_reading(g)) is not None}
        renumbered.update(fresh)
        as_written |= lost - fresh.keys()
    return order, as_written, set(renumbered) - as_written


def _unroll_groups(segs: Sequence[Segment], groups: Sequence[EndingGroup],
                   through: set[int]) -> list[int]:
    """:func:`_unroll` with the ending groups that repeat taken from ``groups``; the
    segments in ``through`` (groups read as written) are played once, their ``:|`` only
    marking where the next section starts."""
    order: list[int] = []
    n = len(segs)
    group_of: dict[int, EndingGroup] = {}
    implied: set[int] = set()
    ending_stop: dict[int, int] = {}
    numbers_at: dict[int, tuple[int, ...]] = {}  # an ending's passes, as the group reads
    for group in groups:
        if group.repeats:
            for k in range(group.start, group.end):
                group_of[k] = group
            ending_stop.update((es, ee) for es, ee, _ in group.endings)
            numbers_at.update((es, ns) for es, _, ns in group.endings)
            implied.update(group.implied_repeat_ends)
    start = 0
    passno = 1
    taken: dict[int, int] = {}
    jumped = False
    group_end = -1  # where the current ending group stops: then passes start over
    opened = False  # the current section was opened by |:
    seen_repeat = False
    # The last segment with music: an ending group after it ends the tune or part.
    last_music = max((k for k, seg in enumerate(segs) if seg.length), default=-1)
    i = 0
    guard = 0
    while i < n:
        guard += 1
        if guard > _MAX_PASSES * (n + 1):
            break
        s = segs[i]
        if i == group_end:
            start, passno, taken, group_end, opened = i, 1, {}, -1, False
            seen_repeat = True
        if s.repeat_start and not jumped:
            start, passno, taken, opened = i, 1, {}, True
        jumped = False
        g = group_of.get(i)
        if s.ending and g is not None:
            group_end = g.end
            if passno not in numbers_at.get(i, s.ending):
                i = ending_stop[i]
                continue
        order.append(i)
        times = s.repeat_end or (1 if i in implied else 0)
        if times and i in through:
            start, passno, taken, opened = i + 1, 1, {}, False
            seen_repeat = True
        elif times:
            # A :| goes back as many times as it has colons (§4.8); one that closes an
            # ending goes back each time it is reached (§4.10: "[1,2 ... :|[3"), so the
            # pass after the last ending's takes no ending, as both players play
            # ``|1 A :|2 B :| C`` and ``|1,2 A :| B`` (and abc2midi ``|1 A :|2 B :|``
            # at the end of a tune). But endings that name passes beyond the second
            # count the passes, as for a part played N times (§4.10): at the end of
            # the tune or part the section is over after the last pass they name, as
            # both players play ``|1,3 A :|2,4 B :|`` and ``|1-3 A :|4 B :|``.
            if g is not None:
                last = g.last_pass
                want = last <= 2 or passno < last or g.end <= last_music
            else:
                want = taken.get(i, 0) < times
            if want:
                taken[i] = taken.get(i, 0) + 1
                passno += 1
                i = start
                jumped = True
                continue
            seen_repeat = True
            if g is None:
                start, passno, taken, opened = i + 1, 1, {}, False
        elif s.ends_section and seen_repeat and not opened and group_end <= i:
            # After a repeated section, a double bar line is where the next one starts.
            start, passno, taken = i + 1, 1, {}
        i += 1
    return order


def played_order(segs: Sequence[Segment], parts: str | None, unroll: bool = True) -> list[int]:
    """The segments in the order they are played (§3.1.9, §4.8-§4.10); with ``unroll``
    False, every segment once in written order."""
    index = list(range(len(segs)))
    if not unroll:
        return index
    labels = [s.part for s in segs]
    if not parts or not any(labels):
        return _unroll(segs)
    by_part: dict[str | None, list[int]] = {}
    for i, lab in enumerate(labels):
        by_part.setdefault(lab, []).append(i)
    # Each part the order plays is unrolled once, however often the order names it.
    named = set(parts)
    played: dict[str | None, list[int]] = {
        lab: [members[k] for k in _unroll([segs[k] for k in members])]
        for lab, members in by_part.items() if lab is None or lab in named
    }
    order: list[int] = list(played.get(None, ()))
    for label, run in itertools.groupby(parts):
        times = len(list(run))
        if times >= 3 and times == _highest_ending(segs, by_part.get(label, ())):
            # §4.10: with P:A4 "parts A and B will each be played 4 times. To play a
            # different ending each time", A is written with endings [1 to [4: the four
            # times are the four passes its endings make, not four times those passes
            # (abc2midi plays 16; abcjs, which ignores the header P:, and this, 4).
            times = 1
        for _ in range(times):
            order.extend(played.get(label, ()))
            if len(order) > MAX_PLAYED_SEGMENTS:
                raise AbcLimitError(
                    f"the P: order plays more than {MAX_PLAYED_SEGMENTS:,} bars; abcparse"
                    " plays at most that many in one voice"
                )
    return order


def _highest_ending(segs: Sequence[Segment], members: Sequence[int]) -> int:
    """The highest variant ending number in a part's segments (0: none)."""
    return max((n for k in members for n in segs[k].ending), default=0)


# ---------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True, slots=True)
class FormFinding:
    code: str
    message: str
    span: Span


class _FormWalker:
    """Walks the bar lines, endings and part labels of one voice in written order."""

    def __init__(self, strict: bool, segs: Sequence[Segment],
                 groups: Sequence[EndingGroup]) -> None:
        self.strict = strict
        self.segs = segs
        self.groups = groups
        #: The endings that ran on into the next section's (EndingGroup.run_on).
        self.run_on = {segs[g.endings[-1][0]].ending_span for g in groups if g.run_on >= 0}
        self._as_written: set[Span] | None = None
        self._unrolled: tuple[list[int], set[int], set[int]] | None = None
        self.out: list[FormFinding] = []
        self.repeat_open: Span | None = None  # a |: waiting for its :|
        self.music_since_start = False
        # The latest :| or double bar, if any: a :| after it is ambiguous (§4.8).
        self.boundary: tuple[str, int] | None = None
        # Whether a :| came before: only then is a double bar where playback restarts
        # (see _unroll); before it, a :| with no |: goes back to the tune start.
        self.repeated = False
        self.in_part = False  # a P: label came: a :| goes back to the part's start
        # The latest section end, when it was a ::| (played three times, §4.8) that no
        # later |: or section end has followed: a :| then (ABC318) suggests :: was meant.
        self.triple: BarLine | None = None
        self.ending_open: tuple[Span, tuple[int, ...]] | None = None
        self.group_active = False
        self.group_may_continue = False
        self.group_seen_end = False  # a :| already ended an ending of this group
        self.group_first: tuple[Span, tuple[int, ...]] | None = None
        self.group_count = 0
        self.group_repeats = False

    @property
    def unrolled(self) -> tuple[list[int], set[int], set[int]]:
        """:func:`_unroll_all` of the voice, computed when a finding first asks."""
        if self._unrolled is None:
            self._unrolled = _unroll_all(self.segs, self.groups)
        return self._unrolled

    def read_through(self, span: Span) -> bool:
        """Whether playback reads the ending group whose first ending is at ``span``
        straight through (no pass of a repeat could reach each ending: see
        :func:`_unroll_all`), so the finding says what is played. Unrolled only when a
        finding asks."""
        if self._as_written is None:
            unreached = self.unrolled[1]
            self._as_written = {self.segs[g.start].ending_span for g in self.groups
                                if not g.repeats or g.start in unreached}
        return span in self._as_written

    def add(self, code: str, message: str, span: Span) -> None:
        self.out.append(FormFinding(code, message, span))

    def bar_line(self, bl: BarLine, ending_after: tuple[int, ...] = ()) -> None:
        """A bar line; ``ending_after`` the ending that starts right after it, if any
        (which the line's own ``|:`` does not open a section for: see
        :func:`~abcparse.music.timeline.repeat_started`)."""
        if bl.repeat_end:
            # A :| that ends a variant ending repeats the section the endings belong to
            # ("[1 ... :| [2 ... :| [3 ...", §4.10): it needs no |: of its own.
            in_ending = self.ending_open is not None and self.group_active
            triple = self.triple
            if (triple is not None and self.repeat_open is None
                    and not (in_ending and self.group_seen_end)):
                self.add("ABC318",
                         f"{triple.symbol} plays its section three times (§4.8), and the"
                         f" {bl.symbol} on line {bl.span.line} repeats the music after it"
                         f" with no |: of its own: if {triple.symbol} was meant as :: (the"
                         f" end of one repeat and the start of the next, as abc2midi and"
                         f" abcjs play it), write ::", triple.span)
            if (self.repeat_open is None and self.boundary is not None and self.strict
                    and not (in_ending and self.group_seen_end)):
                what, line = self.boundary
                if self.repeated:
                    message = (
                        f"{bl.symbol} ends a repeat that no |: starts: §4.8 recommends going"
                        f" back to the {what} on line {line}, not to the tune start, and it"
                        f" is played so; write |: after the {what} to say it")
                else:
                    # No repeat before: abc2midi and abcjs go back to the tune start, and
                    # so does playback here (to the part's, in a part: see _unroll);
                    # §4.8 allows that or the double bar.
                    start, how = (("start of the part", "") if self.in_part else
                                  ("tune start", ", as abc2midi and abcjs play it"))
                    message = (
                        f"{bl.symbol} ends a repeat that no |: starts: §4.8 lets players go"
                        f" back to the {start} or to the {what} on line {line}. It is"
                        f" played from the {start}{how}; write |: where the repeat starts"
                        f" to say which")
                self.add("ABC302", message, bl.span)
            self.repeat_open = None
            self.repeated = True
            if in_ending:
                self.group_seen_end = True
                self.group_repeats = True
            self.close_ending()
            what = "variant ending closed by" if in_ending else "repeat end"
            self.boundary = (f"{what} {bl.symbol}", bl.span.line)
            self.triple = bl if bl.repeat_end >= 2 and not in_ending else None
            self.music_since_start = False
        if bl.kind in SECTION_KINDS:
            self.close_ending()
            if not bl.repeat_end:
                self.boundary = (f"double bar {bl.symbol}", bl.span.line)
                self.triple = None
        if repeat_started(bl, ending_after):
            self.triple = None
            if self.repeat_open is not None and self.music_since_start:
                self.unclosed_repeat(f"another |: starts a section on line {bl.span.line}")
            self.repeat_open = bl.span
            self.music_since_start = False
            # A new repeated section ends the ending before it: typesetters close the
            # bracket there, and "[2 ...| |: ..." is how many tunebooks write it.
            self.close_ending()
            self.end_group()

    def unclosed_repeat(self, why: str) -> None:
        assert self.repeat_open is not None
        self.add(
            "ABC305",
            f"repeat |: is never closed: {why} and no :| ends the section it starts (§4.8)",
            self.repeat_open,
        )
        self.repeat_open = None

    def close_ending(self) -> None:
        if self.ending_open is not None:
            self.ending_open = None
            self.group_may_continue = True

    def unclosed_ending(self, why: str) -> None:
        assert self.ending_open is not None
        span, numbers = self.ending_open
        if span in self.run_on:
            self.ending_open = None  # ABC308 says how it is read
            return
        label = ",".join(map(str, numbers))
        self.add(
            "ABC304",
            f"ending [{label} is never closed: {why} before :|, ||, |] or [| ends it"
            " (§4.10)",
            span,
        )
        self.ending_open = None

    def end_group(self) -> None:
        """A group of endings is over: report it when no repeat selects between its
        endings (§4.9, §4.10), which players read differently."""
        first = self.group_first
        if self.group_active and first is not None and 1 in first[1]:
            # (a group without [1 is ABC303's)
            span, numbers = first
            label = ",".join(map(str, numbers))
            why = None
            if self.group_count == 1 and self.group_repeats:
                why = (f"ending [{label} has no ending after it: the repeat plays the"
                       " section again without it (abc2midi warns)")
            elif self.group_count == 1:
                why = (f"ending [{label} stands alone with no repeat to select it: it is"
                       " played straight through here and by abcjs, skipped by abc2midi")
            elif not self.group_repeats and self.read_through(span):
                why = (f"endings from [{label} on have no :| between them, and no implied"
                       " repeat could reach each of them in turn: they are played straight"
                       " through here and by both players")
            elif not self.group_repeats:
                why = (f"endings from [{label} on have no :| between them: the repeat is"
                       " implied here and by abcjs, while abc2midi plays only the first"
                       " ending")
            if why is not None:
                self.add("ABC306", f"{why}; write the repeat signs (|: :|) and every ending"
                                   " (§4.8-§4.10)", span)
        self.group_active = False
        self.group_may_continue = False
        self.group_first = None
        self.group_count = 0
        self.group_repeats = False

    def new_bar(self, has_ending: bool) -> None:
        """A bar without an ending ends a group of endings that could have continued."""
        if self.group_may_continue and not has_ending:
            self.end_group()

    def ending_start(self, numbers: tuple[int, ...], span: Span) -> None:
        if self.ending_open is not None:
            self.unclosed_ending(f"ending [{','.join(map(str, numbers))} starts")
        if not self.group_active and numbers and 1 not in numbers:
            label = ",".join(map(str, numbers))
            self.add(
                "ABC303",
                f"ending [{label} without a first ending before it: endings start with [1"
                " (§4.9, §4.10)",
                span,
            )
        if not self.group_active:
            self.group_seen_end = False
            self.group_first = (span, numbers)
            self.group_count = 0
            self.group_repeats = False
        self.group_count += 1
        self.group_active = True
        self.group_may_continue = False
        self.ending_open = (span, numbers)

    def part(self) -> None:
        """§3.1.9: a part starts here and is played on its own; a :| in it repeats from
        here, as one in the first part repeats from the top."""
        self.boundary = None
        self.triple = None
        self.repeated = False
        self.in_part = True
        if self.repeat_open is not None and self.music_since_start:
            self.unclosed_repeat("the part ends")
        self.repeat_open = None

    def finish(self) -> None:
        if self.repeat_open is not None and self.music_since_start:
            self.unclosed_repeat("the tune ends")
        self.end_group()


def _run_on_finding(w: _FormWalker, segs: Sequence[Segment], g: EndingGroup) -> None:
    """ABC308 at the bar line where a run-on last ending is cut (see ending_groups)."""
    opening = segs[g.run_on].opening
    if opening is None:
        return
    (ps, pe, before), (_, _, numbers) = g.endings[-2], g.endings[-1]
    bars = _bars_in(segs, ps, pe)
    label = ",".join(map(str, numbers))
    w.add("ABC308",
          f"ending [{label} runs on into the endings of the next section, with no ||, :|"
          f" or |: to end it: it is read as long as ending [{','.join(map(str, before))}"
          f" ({bars} bar{'' if bars == 1 else 's'}), and the next section, which its :|"
          f" repeats, as starting at this bar line (abc2midi plays that section's first"
          f" ending on no pass); write |: here (§4.8, §4.10)", opening.span)


def _skipped_pass_finding(w: _FormWalker, segs: Sequence[Segment], g: EndingGroup) -> None:
    """ABC316 at each ending that playback numbers otherwise than written (see
    :func:`skipped_pass_reading`)."""
    read = skipped_pass_reading(g)
    assert read is not None
    for (s, _, written), (_, _, played) in zip(g.endings, read.endings, strict=True):
        if written != played:
            w.add("ABC316",
                  f"ending [{written[0]} follows ending [{played[0] - 1} with no ending for"
                  f" pass {played[0]} between them: the repeat never comes to a pass"
                  f" {written[0]}, so it is played on pass {played[0]} here and by abcjs,"
                  f" while abc2midi plays no ending on that pass and never plays this one;"
                  f" write [{played[0]} (§4.8-§4.10)", segs[s].ending_span)


def _pass_named_twice_findings(w: _FormWalker, segs: Sequence[Segment],
                               groups: Sequence[EndingGroup]) -> None:
    """ABC317 at each ending that names a pass an earlier ending of its run names: a run
    is a group of endings (as the engine groups them, so a B part's endings after a
    run-on ending start a run of their own) and the groups that follow it directly
    (``|1,2 A :|2 B``: the engine reads the ``[2`` as a lone ending after the repeat)."""
    named: dict[int, Span] = {}
    end = -1
    for g in groups:
        if g.start != end:
            named = {}
        end = g.end
        for s, _, numbers in g.endings:
            span = segs[s].ending_span
            twice = [n for n in numbers if n in named]
            if twice:
                first = named[twice[0]]
                label = ",".join(map(str, numbers))
                w.add("ABC317",
                      f"ending [{label} names pass {twice[0]}, which an ending on line"
                      f" {first.line} already names: each pass plays one ending (§4.10), and"
                      f" players differ on which; write each pass's number once", span)
            for n in numbers:
                named.setdefault(n, span)


def form_findings(vt: VoiceTimeline, strict: bool) -> list[FormFinding]:
    """Where the written form of one voice is broken or ambiguous: ABC302 (a ``:|`` that
    no ``|:`` starts, ambiguous by §4.8), ABC303 (an ending group without ``[1``), ABC304 (an
    ending never closed), ABC305 (a ``|:`` never closed), ABC306 (an ending alone), ABC308
    (an ending running on into the next section's endings), ABC316 (an ending number
    that skips a pass), ABC317 (a pass two endings name)."""
    items = vt.items
    segs = vt.segments
    groups = ending_groups(segs)
    w = _FormWalker(strict, segs, groups)
    # Where a group of endings written with no :| repeats all the same (each ending but
    # the last implies one, as playback reads it): that :| closes the |: before it, as a
    # written one would (ABC306 asks for it to be written; ABC305 would otherwise call
    # the |: never closed, and its fix delete the |: the implied repeat goes back to).
    implied_closes = {e for g in groups if g.repeats and not g.explicit
                      for e in g.implied_repeat_ends}
    prev_closing: BarLine | None = None
    part = None
    for i, seg in enumerate(segs):
        if seg.new_bar:
            # Bars share bar lines (one's closing is the next one's opening), except where
            # two bar lines stand with no note between (":|\n|:"): then both count.
            if seg.opening is not None and seg.opening is not prev_closing:
                w.bar_line(seg.opening, seg.ending)
            w.new_bar(bool(seg.ending))
        if seg.part != part:
            part = seg.part
            w.part()
        if seg.ending:
            w.ending_start(seg.ending, seg.ending_span)
        for it in items[seg.first_item:seg.end_item]:
            if it.pitches:
                w.music_since_start = True
                break
        if seg.closing is not None:
            after = segs[i + 1] if i + 1 < len(segs) else None
            w.bar_line(seg.closing, after.ending if after is not None and after.new_bar else ())
            prev_closing = seg.closing
        if i in implied_closes:
            w.repeat_open = None
    w.finish()
    if any(skipped_pass_reading(g) is not None for g in groups):
        for g in groups:
            if g.start in w.unrolled[2]:
                _skipped_pass_finding(w, segs, g)
    _pass_named_twice_findings(w, segs, groups)
    for g in groups:
        if g.run_on >= 0:
            _run_on_finding(w, segs, g)
        # The :| that playback implies inside a group that has one elsewhere (an ending
        # closed by a double bar line before a later one that :| closes): the players
        # run on into the next ending instead.
        implied_ends = set(g.implied_repeat_ends)  # a group can hold thousands of endings
        implied = [(s, ns) for s, e, ns in g.endings[:-1] if e - 1 in implied_ends]
        if g.explicit and implied:
            s, numbers = implied[0]
            w.add("ABC306", f"ending [{','.join(map(str, numbers))} is closed by a double bar"
                            " line, not :|, though a later ending of its group is reached by a"
                            " repeat: the :| is implied here, while abc2midi and abcjs run on"
                            " into the next ending; write :| (§4.8-§4.10)",
                  vt.segments[s].ending_span)
    return w.out
