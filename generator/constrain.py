"""Constrained decoding: an incremental checker per batch row that refuses characters which
cannot continue a strictly valid tune.

Why: most tunes the model gets wrong are wrong in a few places a character-level state
machine can see coming: a bar line where the bar does not add up to the meter (ABC301), a
note too long for what is left of the bar, a tuplet cut by a bar line (ABC320), a second
ending with no first (ABC303) or one that never closes (ABC304), a ``:|`` that no ``|:``
opens once a section has ended (ABC302), a header field the validator cannot read
(ABC221-ABC223), music before ``K:`` (ABC204). The sampler
(:meth:`~abcparse.generator.sampler.NumpyLSTM.sample_batch`) asks :meth:`TuneConstraint.feed`
about each drawn character and draws again without it when refused, which samples from the
model's distribution restricted to what the checker allows.

The checker accepts a deliberately small language, the one the training corpus is written in
(``corpus/train.abc``: notes, rests, ``(3`` triplets, ``>``/``<`` broken rhythm, bar lines
``|``, ``||``, ``|]``, ``:|``, ``|:``, ``::``, endings ``[1``/``[2``, ``K:``/``M:``/``L:``
lines and inline fields), and refuses everything else (slurs, ties, chords, grace notes,
decorations, quoted text, comments): a refusal only makes the model write something else,
while a construct the checker does not follow could break its bar accounting. It is a
filter in front of the validator, not a replacement: everything it lets through is still
checked strictly and repaired by the generate loop.

Time is the music engine's bar clock (:mod:`abcparse.music.clock`: lengths under the unit,
tuplets, broken rhythm, in the engine's ticks), so a note lasts here exactly what the
validator and playback will say. Bars (§4.5, §3.1.6; the validator's rule is
:func:`abcparse.music.judge_bars`): a note, rest or
broken-rhythm sign may not take the bar past the meter; a bar may end short only where the
validator accepts it: the tune's or a section's first bar (a pickup), or a bar closed by a
section bar line (``:|``, ``||``, ``|]``, ``::``, ``|:``) that completes the pickup it goes
back to; otherwise the next bar must complete it, and is held to that length. The last bar
of the tune may be short. Durations are exact fractions of a whole note.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache

from abcparse.music.clock import (
    RESOLUTION,
    Rescale,
    broken_factors,
    length_ticks,
    note_time,
    tuplet_factor,
)

from .vocab import Vocab

HEADER, BODY = 0, 1
# Body token states.
S_IDLE = 0  # between tokens
S_ACC = 1  # after an accidental, before its letter
S_NOTE = 2  # in a note or rest: octave marks and length
S_BAR = 3  # in a bar-line token
S_LBRACKET = 4  # after "[": an ending digit, "|" or an inline field letter follows
S_TUPLET_OPEN = 6  # after "(": its digit follows
S_FIELD = 7  # a field line or inline field: letter seen, ":" expected
S_FIELD_VALUE = 8  # in a field value
S_BROKEN = 9  # just after ">" or "<"
S_TUPLET = 10  # just after "(3": its first note follows

NOTE_LETTERS = frozenset("ABCDEFGabcdefg")
REST_LETTERS = frozenset("zx")
ACCIDENTALS = frozenset("^_=")
DIGITS = frozenset("0123456789")
# Bar-line tokens the checker knows (§4.8); every prefix of one may be extended.
BAR_TOKENS = frozenset({"|", "||", "|]", "|:", ":|", "::"})
BAR_PREFIXES = frozenset(t[:i] for t in BAR_TOKENS for i in range(1, len(t) + 1))
SECTION_BARS = frozenset({"||", "|]", "|:", ":|", "::"})
HEADER_FIELDS = frozenset("TMLKRCO")
BODY_FIELDS = frozenset("KML")
VALUE_CHECKED = frozenset("MLK")
# Durations are the engine's integer ticks (abcparse.music.clock.RESOLUTION per whole
# note): every length the checker allows is a whole number of them, and adding them costs
# an int addition, not a Fraction reduction.
TICKS = RESOLUTION
ZERO = 0
MODES = ("", "m", "min", "maj", "Maj", "Min", "dor", "Dor", "mix", "Mix", "lyd", "Lyd", "phr",
         "Phr", "aeo", "Aeo", "loc", "Loc", "ion", "Ion")


def drawable(duration: Fraction) -> bool:
    """Whether a note of ``duration`` whole notes is one written note value, plain or with
    one or two dots: what abcjs draws (its table of durations; any other value is its
    warning "Duration not representable") and abcm2ps ("Note too much dotted"). §4.3 lets
    a length be any number, so ``d9/`` is ABC, but a value no engraver can draw is written
    as tied notes by people; a generated tune holds only drawable ones."""
    num, den = duration.numerator, duration.denominator
    if num <= 0 or den & (den - 1):
        return False
    while not num & 1:
        num >>= 1
    return num in (1, 3, 7)


@lru_cache(maxsize=4096)
def length_of(text: str) -> Fraction | None:
    """A note length as written after the letter (§4.3): "" 1, "2", "/" 1/2, "//" 1/4,
    "3/2", "/4"; None for what is not (yet) a length."""
    if not text:
        return Fraction(1)
    num_text = ""
    i = 0
    while i < len(text) and text[i] in DIGITS:
        num_text += text[i]
        i += 1
    num = int(num_text) if num_text else 1
    if num == 0:
        return None
    rest = text[i:]
    if not rest:
        return Fraction(num)
    if rest[0] != "/":
        return None
    if set(rest) == {"/"}:
        return Fraction(num, 2 ** len(rest))
    den_text = rest[1:]
    if not den_text.isdigit() or int(den_text) == 0:
        return None
    return Fraction(num, int(den_text))


@lru_cache(maxsize=8)
def field_values(letter: str) -> tuple[frozenset[str], frozenset[str]]:
    """(values, prefixes of values) the checker allows for ``M:``, ``L:`` and ``K:``.

    A closed list, checked by the validator's own readers: the checker must refuse a
    value's first wrong character, not its end of line, or the model, kept from ending the
    line, would write the rest of the tune into the field (a dead end)."""
    if letter == "K":
        cands = [f"{t}{a}{m}" for t in "ABCDEFG" for a in ("", "#", "b") for m in MODES]
    elif letter == "M":
        cands = ["C", "C|", *(f"{n}/{d}" for n in range(1, 17) for d in (1, 2, 4, 8, 16))]
    else:
        cands = [f"1/{d}" for d in (1, 2, 4, 8, 16, 32, 64)]
    values = frozenset(c for c in cands if _field_ok(letter, c))
    prefixes = frozenset(v[:i] for v in values for i in range(len(v) + 1))
    return values, prefixes


@lru_cache(maxsize=1024)
def _field_ok(letter: str, value: str) -> bool:
    """Whether the validator can read this ``M:``, ``L:``, ``K:`` or ``Q:`` value."""
    from abcparse.build import FieldError, read_key, read_length, read_meter, read_tempo

    try:
        if letter == "M":
            read_meter(value)
        elif letter == "L":
            read_length(value)
        elif letter == "K":
            read_key(value)
        elif letter == "Q":
            read_tempo(value, Fraction(1, 8))
    except FieldError:
        return False
    except Exception:  # any other parser complaint: not a value to risk
        return False
    return True


def ticks(x: Fraction) -> int:
    """A duration in whole notes as ticks (ValueError if it is not a whole number of them)."""
    try:
        return length_ticks(x, TICKS)
    except Rescale:
        raise ValueError(f"{x} is not a whole number of ticks") from None


@lru_cache(maxsize=256)
def _meter_info(value: str) -> tuple[int | None, int]:
    """(bar length in ticks or None for free meter, default unit length in ticks) of an
    ``M:`` value."""
    from abcparse.build import read_meter
    from abcparse.theory import default_unit_length

    meter = read_meter(value)
    full = meter.bar_length
    return (None if full is None else ticks(full)), ticks(default_unit_length(meter))


@lru_cache(maxsize=4096)
def _note_ticks(length_text: str, unit: int, tuplet: tuple[int, int] | None,
                broken: Fraction | None) -> int | None:
    """Ticks of a note written with ``length_text`` under ``unit``, inside a tuplet
    (multiplier, divisor) and after a broken rhythm, by the engine's bar clock; None when
    that is no length or no whole number of ticks."""
    length = length_of(length_text)
    if length is None:
        return None
    try:
        return note_time(length_ticks(length, unit), (tuplet,) if tuplet else (), broken)
    except Rescale:
        return None


@lru_cache(maxsize=4096)
def _note_drawable(length_text: str, unit: int, broken: Fraction | None) -> bool:
    """Whether a note written with ``length_text`` under ``unit`` (ticks) is a
    :func:`drawable` value as abcjs measures it: after a broken rhythm, before a tuplet.
    True under a unit that is no note value itself (``L:1/6``): nothing to hold to."""
    whole = Fraction(unit, TICKS)
    written = length_of(length_text)
    return not drawable(whole) or written is None or drawable(written * whole * (broken or 1))


@lru_cache(maxsize=64)
def _tuplet(p: int, meter_value: str | None) -> tuple[int, int, int] | None:
    """(q, p, r) of a ``(p`` mark under the meter (§4.13), by the engine's clock."""
    from abcparse.build import read_meter

    meter = read_meter(meter_value) if meter_value else None
    return tuplet_factor(p, None, None, meter)


class TuneConstraint:
    """The incremental checker for one batch row; see the module docstring.

    Every attribute holds an immutable value, so :meth:`feed` can save ``__dict__``, try
    the character and put the old values back when it is refused."""

    def __init__(self) -> None:
        self.free = False  # gave up: everything is allowed
        self.phase = HEADER
        self.line = ""  # the current line so far
        self.at_line_start = True
        self.header_lines = 0
        self.seen_fields: frozenset[str] = frozenset()
        # Meter and unit.
        self.meter_value: str | None = None
        self.full: int | None = None  # bar length in ticks; None: free meter
        self.unit = TICKS // 8
        self.unit_set = False
        # Body token state.
        self.state = S_IDLE
        self.token = ""  # text of the token being read
        self.field_letter = ""
        self.field_inline = False
        # The tuplet (multiplier, divisor) and broken-rhythm factor of the current note.
        self.note_tuplet: tuple[int, int] | None = None
        self.note_broken: Fraction | None = None
        self.note_acc = ""  # its accidental
        self.note_line_start = False  # it opens a line ("E:" there would be a field line)
        # The line so far is one note letter and spaces: "d :|" there is abc2midi's
        # "Potentially ambiguous line - either a :| repeat or a field" (§3 reads a letter
        # and a colon at a line's start as a field; spaces may come between).
        self.letter_line = False
        self.last_space = False
        self.last_note: int | None = None  # duration of the last note (for ">")
        # Bar accounting.
        self.bar_time = ZERO
        self.bar_content = False
        self.bar_section_start = True  # the first bar of the tune or of a section
        self.bar_need: int | None = None  # this bar must last exactly this
        self.section_pickup: int | None = None
        self.first_pickup: int | None = None
        self.first_bar_done = False
        self.tuplet_left = 0
        self.tuplet: tuple[int, int] = (1, 1)  # the running tuplet's multiplier, divisor
        self.broken_next: Fraction | None = None
        # A short bar closed by a plain "|": fine if the next bar completes it across a line
        # end, or if an ending follows (then it ends a section); what it lacks.
        self.short_plain: int | None = None
        self.short_after_eol = False
        self.tie: str | None = None  # the pitch (letter and octave marks) a tie continues
        self.prev_bar_time: int | None = None  # duration of the last bar with music
        self.group_before: int | None = None  # ... of the bar before the endings
        self.bar_ending_first = False  # this bar is the first of a variant ending
        # Endings (§4.10).
        self.ending_open = False
        self.ending_next = 0  # the number the next ending of the group must have; 0: none
        self.group_end_seen = False  # a :| already closed an ending of this group
        # Repeats (§4.8), as the validator reads them (abcparse.validate.walk): once a
        # section has ended, a :| needs a |: (ABC302, strict). A |: never closed (ABC305) is
        # left to the repair step: refusing the double bar or the end of the tune until the
        # model writes :| made a third more rows run into the length cap (measured with
        # abcparse evaluate -n 1000: 94.7% accepted instead of 96.3%).
        self.repeat_open = False  # a |: waiting for its :|
        self.section_ended = False  # a :| or double bar has been written
        self.bars = 0

    # -- public interface ---------------------------------------------------------------
    @classmethod
    def factory(cls, vocab: Vocab, prime: str) -> Callable[[], TuneConstraint]:
        """A function making checkers already fed with ``prime`` (copied, not re-fed)."""
        del vocab  # the checker works on characters; kept for a future id-level mask
        template = cls()
        for ch in prime:
            if not template.feed(ch):
                template.give_up()
                break

        def make() -> TuneConstraint:
            row = cls.__new__(cls)
            row.__dict__.update(template.__dict__)
            return row

        return make

    def give_up(self) -> None:
        self.free = True

    def feed(self, ch: str) -> bool:
        """Advance by ``ch`` and return True, or return False and change nothing."""
        if self.free:
            return True
        saved = self.__dict__.copy()
        try:
            ok = self._feed(ch)
        except Exception:  # a value the readers reject in an unexpected way: refuse it
            ok = False
        if not ok:
            self.__dict__.clear()
            self.__dict__.update(saved)
        return ok

    def accepts(self, text: str) -> bool:
        """Feed a whole text (tests, measuring how much of the corpus the checker allows)."""
        return all(self.feed(ch) for ch in text)

    # -- the state machine --------------------------------------------------------------
    def _feed(self, ch: str) -> bool:
        if self.phase == HEADER:
            return self._header(ch)
        return self._body(ch)

    def _header(self, ch: str) -> bool:
        if self.at_line_start:
            if self.header_lines == 0:
                allowed = ch == "X"
            elif self.header_lines == 1:
                allowed = ch == "T"  # ABC203: T: second
            else:
                allowed = ch in HEADER_FIELDS and (ch in "TCO" or ch not in self.seen_fields)
            if not allowed:
                return False
            self.line = ch
            self.at_line_start = False
            return True
        if len(self.line) == 1:
            if ch != ":":
                return False
            self.line += ch
            return True
        if ch == "\n":
            return self._end_header_line()
        if ch in "%\\\t" or not ch.isprintable():
            return False
        if len(self.line) == 2 and ch in "|:[]":
            # A value opening with a bar character (T::|...) makes the line read as a
            # repeat to abc2midi ("either a :| repeat or a field"); no tune's field does.
            return False
        letter = self.line[0]
        if letter in VALUE_CHECKED and self.line[2:] + ch not in field_values(letter)[1]:
            return False
        if letter == "X" and not ch.isdigit():
            return False
        self.line += ch
        return True

    def _end_header_line(self) -> bool:
        letter, value = self.line[0], self.line[2:]
        if not value.strip():
            return False
        if letter == "X" and not (value.isdigit() and int(value) > 0):
            return False
        if letter in VALUE_CHECKED and value not in field_values(letter)[0]:
            return False
        if letter == "M":
            self._set_meter(value)
        elif letter == "L":
            self.unit = length_of_field(value)
            self.unit_set = True
        self.seen_fields = self.seen_fields | {letter}
        self.header_lines += 1
        self.line = ""
        self.at_line_start = True
        if letter == "K":
            self.phase = BODY
        return True

    def _set_meter(self, value: str) -> None:
        full, default_unit = _meter_info(value)
        self.meter_value = value
        self.full = full
        if not self.unit_set:
            self.unit = default_unit

    # Body ------------------------------------------------------------------------------
    def _body(self, ch: str) -> bool:
        st = self.state
        # First finish the token in progress, if ch does not continue it.
        if st == S_NOTE:
            if ch in ",'" and self._length_text() == "":
                self.token += ch
                return True
            if ch in DIGITS or ch == "/":
                return self._extend_length(ch)
            if ch == ":" and self.note_line_start and len(self.token) == 1:
                return False  # "E:" at the start of a line is a field (§3), not E and :|
            pitch = self._pitch()
            if not self._end_note():
                return False
            if ch in "<>":
                return self._broken(ch)
            if ch == "-":  # a tie (§4.11) to the same pitch, written without accidental
                if pitch[0] in REST_LETTERS or self.note_acc or self.tuplet_left:
                    return False
                self.tie = pitch
                return True
        elif st == S_ACC:
            if ch in ACCIDENTALS and self.token in ("^", "_") and ch == self.token:
                self.token += ch
                return True
            if ch in NOTE_LETTERS:
                return self._start_note(ch, self.token)
            return False
        elif st == S_BAR:
            if self.token + ch in BAR_PREFIXES:
                self.token += ch
                return True
            if not self._end_bar():
                return False
        elif st == S_LBRACKET:
            if ch in DIGITS and ch != "0":
                if not self._start_ending(int(ch)):
                    return False
                self.state = S_IDLE
                return True
            if ch in BODY_FIELDS:
                if self.bar_content or self.short_plain is not None or self.tie:
                    return False  # a meter or key change inside a bar: keep bars simple
                self.field_letter = ch
                self.field_inline = True
                self.state = S_FIELD
                return True
            return False
        elif st == S_TUPLET_OPEN:
            if ch in "23456789":
                return self._start_tuplet(int(ch))
            return False
        elif st == S_TUPLET:
            # "(3" is followed by its first note at once
            if not (ch in NOTE_LETTERS or ch in ACCIDENTALS or ch in REST_LETTERS):
                return False
            self.state = S_IDLE
        elif st == S_FIELD:
            if ch != ":":
                return False
            self.state = S_FIELD_VALUE
            self.token = ""
            return True
        elif st == S_FIELD_VALUE:
            return self._field_value(ch)
        elif st == S_BROKEN:
            if ch in NOTE_LETTERS or ch in ACCIDENTALS or ch in REST_LETTERS:
                self.state = S_IDLE
            else:
                return False
        return self._idle(ch)

    def _idle(self, ch: str) -> bool:
        self.state = S_IDLE
        letter_line, self.letter_line = self.letter_line, False
        if self.at_line_start:
            if ch == "\n":
                return self._can_end()
            if ch in BODY_FIELDS:
                if self.bar_content or self.short_plain is not None or self.tie:
                    return False
                self.at_line_start = False
                self.field_letter = ch
                self.field_inline = False
                self.state = S_FIELD
                return True
        line_start = self.at_line_start
        self.at_line_start = False
        if ch == " ":
            # no space opening a line, doubled, or inside a tuplet (its notes stay
            # together): spaces cost nothing, so a row that may always write one can fill
            # the length cap with them instead of finishing a bar it cannot finish
            if line_start or self.tuplet_left or self.last_space:
                return False
            self.last_space = True
            self.letter_line = letter_line
            return True
        self.last_space = False
        if ch == "\n":
            if self.broken_next is not None or self.tuplet_left:
                return False
            if self.short_plain is not None:
                self.short_after_eol = True
            self.at_line_start = True
            return True
        if ch in ACCIDENTALS:
            if not self._room_for_note():
                return False
            self.state = S_ACC
            self.token = ch
            return True
        if ch in NOTE_LETTERS or ch in REST_LETTERS:
            if not self._start_note(ch, ""):
                return False
            self.note_line_start = line_start
            return True
        if ch in "|:":
            if not self._bar_line_may_start():
                return False
            if ch == ":" and not self._repeat_end_ok():
                return False  # ABC302: ":|" and "::" end a repeat no |: started
            if ch == ":" and letter_line:
                return False
            self.state = S_BAR
            self.token = ch
            return True
        if ch == "[":
            # only where an ending or an inline field may start: no music yet in this bar
            if self.bar_content or self.tuplet_left or self.tie:
                return False
            ending_ok = not self.ending_open
            field_ok = self.short_plain is None
            if not (ending_ok or field_ok):
                return False
            self.state = S_LBRACKET
            return True
        if ch == "(":
            if self.tuplet_left or self.broken_next is not None or self.tie:
                return False
            cap = self._cap()
            if cap is not None and self.bar_time + 2 * self.unit > cap:
                return False  # no room for the shortest tuplet, (3 in the time of 2
            if not self._resolve_short_plain():
                return False
            self.state = S_TUPLET_OPEN
            return True
        return False

    # Notes -------------------------------------------------------------------------------
    def _cap(self) -> int | None:
        if self.full is None:
            return None
        return self.bar_need if self.bar_need is not None else self.full

    def _resolve_short_plain(self) -> bool:
        """Music starts after a short bar closed by a plain ``|``: allowed on a new line,
        where this bar must complete the short one (the validator's line-split rule)."""
        if self.short_plain is None:
            return True
        if not self.short_after_eol:
            return False
        self.bar_need = self.short_plain
        self.short_plain = None
        return True

    def _room_for_note(self) -> bool:
        if not self._resolve_short_plain():
            return False
        cap = self._cap()
        if self.ending_next and not self.ending_open:
            self.ending_next = 0  # music after a closed ending: the group is over
        return cap is None or self.bar_time < cap

    def _start_note(self, letter: str, accidental: str) -> bool:
        if letter in REST_LETTERS and accidental:
            return False
        if self.tie and (accidental or letter != self.tie[0]):
            return False
        if not self._room_for_note():
            return False
        self.note_tuplet = self.tuplet if self.tuplet_left else None
        self.note_broken = self.broken_next
        self.note_acc = accidental
        self.note_line_start = False
        self.state = S_NOTE
        self.token = letter  # octave marks and length follow
        return True

    def _pitch(self) -> str:
        """Letter and octave marks of the note being read."""
        return self.token[: len(self.token) - len(self._length_text())]

    def _length_text(self) -> str:
        return self.token[1:].lstrip(",'")

    def _note_time(self, length_text: str) -> int | None:
        return _note_ticks(length_text, self.unit, self.note_tuplet, self.note_broken)

    def _fits(self, time: int) -> bool:
        cap = self._cap()
        return cap is None or self.bar_time + time <= cap

    def _extend_length(self, ch: str) -> bool:
        text = self._length_text() + ch
        if len(text) > 4:
            return False
        if ch in DIGITS:
            time = self._note_time(text)
            if time is None:
                return False
            # "d3/2": an odd numerator may still be halved by the "/" that follows.
            if not self._fits(time) and not (
                "/" not in text and int(text) % 2 == 1 and self._fits(time // 2)
            ):
                return False
        elif text.count("/") > 3 or ("/" in text[:-1] and not text[:-1].endswith("/")):
            return False  # "3/2/" and the like are no lengths
        self.token += ch
        return True

    def _end_note(self) -> bool:
        time = self._note_time(self._length_text())
        if time is None or not self._fits(time):
            return False
        letter_line = self.note_line_start and len(self.token) == 1
        if not _note_drawable(self._length_text(), self.unit, self.note_broken):
            return False
        if self.tie:
            if self._pitch() != self.tie:
                return False  # ABC321: a tie joins two notes of the same pitch
            self.tie = None
        after = self.bar_time + time
        if self.tuplet_left <= 1 and after % (self.unit // 4):
            # Off the grid of quarter units once a tuplet or broken rhythm is complete: the
            # bar could only be filled by more odd values (a dead end for the sampler).
            return False
        cap = self._cap()
        if self.tuplet_left > 1 and cap is not None and (
                after + (self.tuplet_left - 1) * self.unit / 2 * self.tuplet[0] / self.tuplet[1]
                > cap):
            return False  # no room left for the tuplet's other notes
        self.bar_time += time
        self.bar_content = True
        self.last_note = time
        if self.tuplet_left:
            self.tuplet_left -= 1
        self.broken_next = None
        self.state = S_IDLE
        self.token = ""
        self.letter_line = letter_line
        return True

    def _broken(self, ch: str) -> bool:
        """``a>b`` (§4.4): the note before gains half its time, the next one loses it."""
        if self.last_note is None or self.tuplet_left or self.note_broken is not None:
            # Not after the second note of a broken rhythm (a>b>c): abc2midi refuses the
            # chain ("Notes not equal durations") and counts the bar wrong.
            return False
        before, after = broken_factors(ch, 1)
        if not drawable(Fraction(self.last_note, TICKS) * before):
            return False  # a dotted note dotted again (a3>b): no note value (see drawable)
        try:
            extra = note_time(self.last_note, broken=before) - self.last_note
        except Rescale:
            return False
        if not self._fits(extra):
            return False
        self.bar_time += extra
        self.last_note = None
        self.broken_next = after
        self.state = S_BROKEN
        return True

    def _start_tuplet(self, p: int) -> bool:
        factor = _tuplet(p, self.meter_value)
        if factor is None:
            return False
        q, p, r = factor
        cap = self._cap()
        if cap is not None and self.bar_time + q * self.unit > cap:
            return False  # no room for p notes of one unit in the time of q (a dead end)
        self.tuplet_left = r
        self.tuplet = (q, p)
        self.state = S_TUPLET
        return True

    # Bars ----------------------------------------------------------------------------------
    def _bar_line_may_start(self) -> bool:
        if self.tuplet_left or self.broken_next is not None:
            return False  # ABC320: a tuplet cut short; a broken rhythm across the bar line
        if self.bar_content and self.bar_need is not None and self.bar_time != self.bar_need:
            return False  # this bar must complete the short one before it
        return self.short_plain is None  # no empty bar after a short one

    def _repeat_end_ok(self) -> bool:
        """A :| may go back to the tune start (no section before it), to its |:, or, in a
        group of endings whose first :| had one, to the same place again (§4.8, §4.10)."""
        return (self.repeat_open or not self.section_ended
                or (self.ending_open and self.group_end_seen))

    def _end_bar(self) -> bool:
        token = self.token
        if token not in BAR_TOKENS:
            return False
        section = token in SECTION_BARS
        if self.tie and token != "|":
            return False  # a tie runs on across a plain bar line only
        full = self.full
        ok = True
        next_need: int | None = None
        short_plain: int | None = None
        if self.bar_content and full is not None:
            d = self.bar_time
            if self.bar_need is not None:
                ok = d == self.bar_need
            elif d == full:
                pass
            elif self.bar_ending_first and self.group_before is not None and (
                    d + self.group_before == full):
                pass  # an ending's first bar completing the bar before the endings
            elif self.bar_section_start:
                self.section_pickup = d
                if not self.first_bar_done:
                    self.first_pickup = d
            elif section:
                pickups = [p for p in (self.section_pickup, self.first_pickup) if p is not None]
                if not any(d + p == full for p in pickups):
                    next_need = full - d
            else:
                short_plain = full - d
        if not ok:
            return False
        self.short_plain = short_plain
        self.short_after_eol = False
        if self.bar_content:
            self.prev_bar_time = self.bar_time
            self.bar_ending_first = False
            self.first_bar_done = True
            self.bars += 1
            self.bar_need = next_need
        if token in (":|", "::"):
            if self.ending_open:
                self.group_end_seen = True
            self.repeat_open = False
        if section:
            self.section_ended = True
        if token in ("|:", "::"):
            self.repeat_open = True
        if section:
            self.ending_open = False
            if self.bar_content:
                self.section_pickup = None
        # The next bar starts a section after a section bar line (its own pickup may be
        # short), or continues this one's section.
        self.bar_section_start = section or (self.bar_section_start and not self.bar_content)
        self.bar_time = ZERO
        self.bar_content = False
        self.last_note = None
        self.state = S_IDLE
        self.token = ""
        return True

    def _start_ending(self, number: int) -> bool:
        """``[N`` (§4.10): N = 1 opens a group; N > 1 follows N - 1 once it was closed."""
        if self.bar_content or self.ending_open or self.tie:
            return False  # ABC304: the ending before is still open
        if self.short_plain is not None:
            # The short bar before the ending ends a section: it completes a pickup or
            # the ending's first bar must complete it.
            if self.short_plain not in (self.section_pickup, self.first_pickup):
                self.bar_need = self.short_plain
            self.short_plain = None
        if number == 1:
            self.ending_next = 2
            self.group_before = self.prev_bar_time
            self.group_end_seen = False
        elif number == self.ending_next:
            self.ending_next += 1
        else:
            return False  # ABC303
        self.ending_open = True
        self.bar_ending_first = True
        self.bar_section_start = False  # an ending's first bar is no section pickup
        return True

    def _field_value(self, ch: str) -> bool:
        if self.field_inline:
            if ch == "]":
                return self._end_field()
        elif ch == "\n":
            if not self._end_field():
                return False
            self.at_line_start = True
            return True
        if ch in "\n%[]" or not ch.isprintable():
            return False
        if self.token + ch not in field_values(self.field_letter)[1]:
            return False
        self.token += ch
        return True

    def _end_field(self) -> bool:
        letter, value = self.field_letter, self.token
        if value not in field_values(letter)[0]:
            return False
        if letter == "M":
            self._set_meter(value)
            self.bar_need = None
        elif letter == "L":
            self.unit = length_of_field(value)
            self.unit_set = True
        self.state = S_IDLE
        self.token = ""
        return True

    def _can_end(self) -> bool:
        """The blank line ending the tune: only after a bar line that closes the music, or
        after a last bar that is not overfull (the last bar may be short)."""
        if self.state != S_IDLE or self.tuplet_left or self.broken_next is not None:
            return False
        if self.tie:
            return False  # ABC322: a tie to nothing
        if self.bars == 0 and not self.bar_content:
            return False
        if self.bar_content and self.bar_need is not None and self.full is not None:
            return self.bar_time == self.bar_need
        return True


def length_of_field(value: str) -> int:
    """The unit note length of an ``L:`` value in ticks (already checked by the validator's
    reader)."""
    from abcparse.build import read_length

    return ticks(read_length(value))
