"""Form-aware decoding: the constrained decoder, steered toward a whole tune.

:class:`~abcparse.generator.constrain.TuneConstraint` refuses characters that cannot
continue a strictly valid tune. A valid tune is not yet a tune people play: the lab's
samples ran on for a few bars and stopped, or ran the same bar again and again. Here the
decoder also knows where it is in the form of a dance tune, and refuses what would break
it; the model still chooses every note, among what is allowed (masks over its
distribution, no music written by hand):

- **The header** holds the fields asked for (``--key``, ``--meter``, ``--rhythm``; when the
  user gives none, a (rhythm, meter, key) drawn from the training tunes, so keys and meters
  come in the proportions people play them: the model alone, trained on transposed copies,
  writes F major ten times too often). Order X, T, R, M, L, K as the corpus writes it.
- **Two parts of eight bars**, A and B, each played twice: A may open with ``|:``; it ends
  with ``:|`` or ``::`` after its eighth bar; B opens with ``|:`` (after ``:|``) and ends
  with ``:|``; then the tune ends. Before its eighth bar a part has only plain bar lines,
  every bar full. So the tune plays AABB, 32 bars (§4.8).
- **Pickups** (§4.8 and players' practice): a part may open with a pickup of at most half a
  bar; its last bar then lasts the rest of a bar, so the repeat plays whole bars. B's
  pickup is A's, so A's last bar also completes B's pickup when the music goes on. This is
  what abc2midi checks and where it warned on most generated tunes before.
- **No bar three times running**: when the last two bars were written alike, the next bar
  may not start with their first character.

Variant endings are left out in this mode (each part closes with a repeat instead); the
plain checker still accepts them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .constrain import (
    BAR_PREFIXES,
    HEADER,
    REST_LETTERS,
    S_BAR,
    S_IDLE,
    S_NOTE,
    TuneConstraint,
    drawable,
    field_values,
)
from .vocab import RESERVED, Vocab

__all__ = ["BARS_PER_PART", "PARTS", "FormConstraint", "HeaderPlan", "header_plans", "writable"]

BARS_PER_PART = 8
#: Octave marks on one note: three commas to three apostrophes, MIDI 24 to 107, wider
#: than any folk tune.
MAX_OCTAVE_MARKS = 3
PARTS = 2
_HEADER_ORDER = "RMLK"


@dataclass(frozen=True, slots=True)
class HeaderPlan:
    """The header fields a row must write (None: the model's choice)."""

    rhythm: str | None = None
    meter: str | None = None
    key: str | None = None

    def value(self, letter: str) -> str | None:
        return {"R": self.rhythm, "M": self.meter, "K": self.key}.get(letter)

    def within(self, prime: str) -> HeaderPlan:
        """This plan made to agree with a prime that already wrote header fields: a field
        the prime wrote takes the prime's value; one it left out before the last field it
        wrote (fields come in the order R, M, K) can no longer be written, so it is
        dropped; the others stay planned. Why: a drawn plan with ``R:jig`` cannot follow
        ``--prefix "T:...\nM:6/8\n..."``, and a row whose prime its plan refuses would
        sample with no checker at all."""
        given = prime_fields(prime)
        last = max(("RMK".index(f) for f in given), default=-1)
        values = {}
        for i, (letter, name) in enumerate(zip("RMK", ("rhythm", "meter", "key"), strict=True)):
            values[name] = given.get(letter) or (getattr(self, name) if i > last else None)
        return HeaderPlan(**values)


_FIELD = re.compile(r"^([A-Za-z]):(.*)$", re.MULTILINE)


def prime_fields(prime: str) -> dict[str, str]:
    """The ``R:``, ``M:`` and ``K:`` values a prime (``--prefix``) writes, stripped (the
    last of each letter), which a plan must agree with."""
    return {m.group(1): m.group(2).strip() for m in _FIELD.finditer(prime)
            if m.group(1) in "RMK"}


def header_plans(train_tunes: Sequence[str], wanted: HeaderPlan, rng: np.random.Generator,
                 n: int) -> list[HeaderPlan]:
    """``n`` plans: the fields ``wanted`` gives, the others drawn together from the
    training tunes that agree with what is given (their derived rhythm included).

    When none agrees with all of it, the draw keeps what goes together: the tunes that
    agree on the rhythm and meter asked for (a key no such tune is in is still written
    as asked), else on the key. A rhythm is never drawn for another meter than the one
    asked for (``--meter 3/4`` gives no ``R:jig``): it is then the meter's own dance
    (``rhythm.rhythm_for_meter``) or none; and a meter is never drawn for another rhythm
    (``--rhythm mazurka`` gives 3/4, ``rhythm.meter_for_rhythm``)."""
    from .rhythm import derive_rhythm, meter_for_rhythm, rhythm_for_meter

    rows: list[HeaderPlan] = []
    for t in train_tunes:
        fields: dict[str, str] = {}
        for m in _FIELD.finditer(t):
            fields.setdefault(m.group(1), m.group(2).strip())
        meter, key = fields.get("M"), fields.get("K")
        if meter is None or key is None:
            continue
        rows.append(HeaderPlan(derive_rhythm(t), meter, key))
    if not rows:
        return [wanted] * n

    def agrees(p: HeaderPlan, fields: tuple[str, ...]) -> bool:
        return all(getattr(wanted, f) is None or getattr(wanted, f) == getattr(p, f)
                   for f in fields)

    pool = rows
    for names in (("rhythm", "meter", "key"), ("rhythm", "meter"), ("key",)):
        agreeing = [p for p in rows if agrees(p, names)]
        if agreeing:
            pool = agreeing
            break
    out = []
    for _ in range(n):
        p = pool[int(rng.integers(len(pool)))]
        rhythm = wanted.rhythm or p.rhythm
        meter = wanted.meter or p.meter
        if wanted.meter is not None and wanted.rhythm is None and p.meter != wanted.meter:
            rhythm = rhythm_for_meter(wanted.meter)
        if wanted.rhythm is not None and wanted.meter is None and p.rhythm != wanted.rhythm:
            meter = meter_for_rhythm(wanted.rhythm) or p.meter
        out.append(HeaderPlan(rhythm, meter, wanted.key or p.key))
    return out


def writable(plan: HeaderPlan, vocab: Vocab) -> HeaderPlan:
    """``plan`` without the values the model cannot write (a character its vocabulary
    lacks: the shipped model of an older corpus has no ``j``, so no ``R:jig``)."""
    def ok(value: str | None) -> str | None:
        if value is None:
            return None
        return value if all(vocab.id_of(ch) >= len(RESERVED) for ch in value) else None

    return HeaderPlan(ok(plan.rhythm), ok(plan.meter), ok(plan.key))


def key_distribution(tunes: Sequence[str]) -> Counter[str]:
    """How often each ``K:`` value opens a tune (for the statistics of evaluate)."""
    out: Counter[str] = Counter()
    for t in tunes:
        m = re.search(r"^K:(.*)$", t, re.MULTILINE)
        if m:
            out[m.group(1).strip()] += 1
    return out


class FormConstraint(TuneConstraint):
    """:class:`TuneConstraint` with the header plan and the form of the module docstring.
    Like its base, every attribute holds an immutable value (``feed`` restores them)."""

    def __init__(self, plan: HeaderPlan | None = None) -> None:
        super().__init__()
        self.plan = plan or HeaderPlan()
        self.part = 0  # 0: A, 1: B
        self.part_bars = 0  # bars of the current part, its pickup not counted
        self.part_pickup = 0  # ticks of the current part's pickup (0: none)
        self.pickup_taken = False  # the current part's first bar is behind us
        self.pickup_need: int | None = None  # the next part's first bar must last this
        self.need_start_repeat = False  # B must open with |: (A closed with :|)
        self.tune_done = False
        self.bar_text = ""
        self.prev_bars: tuple[str, str] = ("", "")
        self.last_length = ""  # the written length of the note being (or last) read
        self.broken_length = ""  # ... of the note before a broken-rhythm sign
        self.tuplet_length: str | None = None  # ... of the first note of the tuplet read
        # The pitches (letter and octave marks) written with an accidental in this bar (see
        # _end_note); a frozenset, as every attribute is immutable (see TuneConstraint).
        self.bar_accidentals: frozenset[str] = frozenset()

    @classmethod
    def factory_for(cls, prime: str, plans: Sequence[HeaderPlan]
                    ) -> Callable[[], TuneConstraint]:
        """A function making one checker per row, row i following ``plans[i]`` (cycled),
        each already fed with ``prime``."""
        templates = []
        for plan in plans or [HeaderPlan()]:
            t = cls._primed(plan, prime) or cls._primed(plan.within(prime), prime)
            if t is None:
                t = cls(plan)
                t.give_up()
            templates.append(t)
        count = [0]

        def make() -> TuneConstraint:
            template = templates[count[0] % len(templates)]
            count[0] += 1
            row = cls.__new__(cls)
            row.__dict__.update(template.__dict__)
            return row

        return make

    @classmethod
    def _primed(cls, plan: HeaderPlan, prime: str) -> FormConstraint | None:
        """A checker following ``plan`` fed with ``prime``, or None if it refuses it."""
        t = cls(plan)
        return t if all(t.feed(ch) for ch in prime) else None

    @classmethod
    def factory(cls, vocab: Vocab, prime: str) -> Callable[[], TuneConstraint]:
        del vocab
        return cls.factory_for(prime, [HeaderPlan()])

    # -- the header ----------------------------------------------------------------------
    def _header(self, ch: str) -> bool:
        if self.at_line_start and self.header_lines >= 2:
            # After X: and T:, the fields in the corpus's order, those planned included.
            letter = self._next_header_letter()
            if letter is None or ch != letter:
                return False
        elif not self.at_line_start and len(self.line) >= 2 and ch != "\n":
            want = self.plan.value(self.line[0])
            if want is not None and not want.startswith(self.line[2:] + ch):
                return False
        elif not self.at_line_start and ch == "\n" and len(self.line) >= 2:
            want = self.plan.value(self.line[0])
            if want is not None and self.line[2:] != want:
                return False
        return super()._header(ch)

    def _next_header_letter(self) -> str | None:
        seen = self.seen_fields
        for letter in _HEADER_ORDER:
            if letter in seen:
                continue
            if letter == "R" and self.plan.rhythm is None:
                continue
            return letter
        return None

    # -- the body ------------------------------------------------------------------------
    def _body(self, ch: str) -> bool:
        if self.tune_done and ch not in "\n":
            return False
        if self.state == S_NOTE and ch in ",'" and self._length_text() == "" and (
                self.token[0].islower() == (ch == ",") or self.token[0] in REST_LETTERS
                or len(self.token) > MAX_OCTAVE_MARKS):
            # c, and C' are ABC (§4.1) but abc2midi refuses them: write C and c. Judged by
            # the letter, so marks never mix (e', is abc2midi's "Bad pitch specifier"),
            # and a rest has no octave. At most MAX_OCTAVE_MARKS: a note beyond MIDI's
            # range (g followed by eight marks) is played differently by each player.
            return False
        if ch not in "|:] \n":
            if self.state == S_BAR:  # the bar line ends here: a new bar starts
                last_two = (self.bar_text, self.prev_bars[0])
            elif self.state == S_IDLE and not self.bar_text and not self.bar_content:
                last_two = self.prev_bars
            else:
                last_two = ("", "")
            if last_two[0] and last_two[0] == last_two[1] and ch == last_two[0][0]:
                return False  # a third bar like the last two
            if self.need_start_repeat and self.state in (S_IDLE, S_BAR):
                return False  # part B opens with |:
        if self.state == S_BAR and self.full is not None and ch in "|:]":
            # A bar line being written: only toward one the form allows here.
            grown = self.token + ch
            if grown in BAR_PREFIXES and not any(t.startswith(grown)
                                                 for t in self._allowed_bar_tokens()):
                return False
        ok = super()._body(ch)
        if ok and ch in "<>" and self.broken_next is not None:
            self.broken_length = self.last_length
        if ok and self.state == S_NOTE:
            self.last_length = self._length_text()
        if ok and self.need_start_repeat and ch not in "|: \n":
            return False  # part B opens with |: (the :| before it just ended part A)
        if ok and ch == "-" and self.part_bars + 1 >= BARS_PER_PART and self.full is not None \
                and self.bar_time == self._cap():
            return False  # a part's last note ties to nothing: the repeat follows
        if ok and self.phase != HEADER and self.state != S_BAR and ch not in "|: \n":
            self.bar_text = self.bar_text + ch
        return ok

    def _end_note(self) -> bool:
        length = self._length_text()
        pitch = self._pitch()
        if not self.note_acc and self._accidental_owed(pitch):
            return False
        in_tuplet = self.note_tuplet is not None
        need = self._required_length()
        if need is not None and length != need:
            # a>b between notes of different written lengths (B>B/): §4.4 "should be
            # avoided", and abc2midi refuses it and miscounts the bar; (3d2dd': abc2midi's
            # "Different length notes in tuple", and a mistimed bar. Checked where the note
            # ends, also when the next note follows at once (B>B/A, no space); a length
            # character that cannot lead to the length is refused as it comes.
            return False
        if not super()._end_note():
            return False
        if self.note_acc and pitch[0].upper() not in "ZX":
            self.bar_accidentals = self.bar_accidentals | {pitch}
        if in_tuplet:
            self.tuplet_length = length if self.tuplet_left else None
        return True

    def _idle(self, ch: str) -> bool:
        if ch in "|:" and self.full is not None and not any(
                t.startswith(ch) for t in self._allowed_bar_tokens()):
            return False  # no bar line may end this bar yet (or this way)
        if ch == "[" or (self.at_line_start and ch in "KML"):
            return False  # no endings, no changes of key, meter or unit: one form
        if ch in "^_=" and self.tie:
            return False  # a tied note keeps its pitch, written without accidental
        return super()._idle(ch)

    def _extend_length(self, ch: str) -> bool:
        """Note lengths people write (§4.3): 1 to 16 units, halves and quarters (``3/2``,
        ``/``, ``//``, ``/4``); a length such as ``/840`` or ``///`` is a dead end: no bar
        is filled on the grid after it."""
        text = self._length_text() + ch
        num, _, den = text.partition("/")
        if num and (not num.isdigit() or int(num) > 16 or num.startswith("0")):
            return False
        if num and "/" not in text and not drawable(Fraction(int(num))):
            return False  # 5, 9, 10: no note value however it goes on (see drawable)
        if "/" in text and den not in ("", "/", "2", "4"):
            return False
        need = self._required_length()
        if need is not None and not need.startswith(text):
            return False  # refused at its first character, not where the note ends
        return super()._extend_length(ch)

    def _required_length(self) -> str | None:
        """The written length the note being read must have (see _end_note): that of the
        note before its broken-rhythm sign, or of its tuplet's first note; None: any."""
        if self.note_broken is not None:
            return self.broken_length
        if self.note_tuplet is not None:
            return self.tuplet_length
        return None

    def _start_note(self, letter: str, accidental: str) -> bool:
        if not accidental and self._accidental_owed(letter):
            return False  # refused at the letter already, so the sampler can write ^d
        return super()._start_note(letter, accidental)

    def _accidental_owed(self, pitch: str) -> bool:
        """Whether a note written plain (``pitch``: letter and octave marks) must carry an
        accidental: its letter has one in another octave of this bar. ``^D ... d``:
        §11.3's default carries the sharp to every octave (abcparse and abc2midi play d
        sharp), abcjs to the same octave only, so the accidental is written again (the
        sampler tries ``^d`` or ``=d``) and every player agrees. Also when its own octave
        has one too: in ``_G =g G`` the last G is natural by §11.3 and flat to abcjs.
        Checked at the letter and again where the note ends (octave marks may follow the
        letter)."""
        letter = pitch[0].upper()
        return letter not in "ZX" and any(
            p[0].upper() == letter and p != pitch for p in self.bar_accidentals)

    def _allowed_bar_tokens(self) -> frozenset[str]:
        """The bar lines that may end the bar written so far (mirrors :meth:`_end_bar`),
        so the decoder refuses a bar line's first character, not its end, when none may
        (a bar line that cannot be finished is a dead end for the sampler)."""
        full = self.full
        if full is None or self.tune_done or self.tuplet_left or self.broken_next is not None:
            return frozenset()
        if not self.bar_content:
            start = not (self.part_bars or self.part_pickup or self.repeat_open)
            return frozenset({"|:"}) if start else frozenset()
        d = self.bar_time
        plain = frozenset({"|"})
        if self.part_bars == 0 and not self.pickup_taken and (self.pickup_need or d < full):
            need = self.pickup_need
            if need:
                return plain if d == need else frozenset()
            return plain if need is None and 2 * d <= full else frozenset()
        if self.part_bars + 1 < BARS_PER_PART:
            return plain if d == full else frozenset()
        if self.tie or d != full - self.part_pickup:
            return frozenset()
        if self.part == 0:
            return frozenset({":|", "::"})
        return frozenset({":|"}) if (self.repeat_open or not self.section_ended) else frozenset()

    def _start_ending(self, number: int) -> bool:
        return False  # parts close with repeats in this mode (see the module)

    def _room_for_note(self) -> bool:
        if self.tune_done:
            return False
        return super()._room_for_note()

    def _cap(self) -> int | None:
        full = self.full
        if full is None:
            return super()._cap()
        if self.part_bars == 0 and not self.pickup_taken and self.pickup_need:
            return self.pickup_need
        if self.part_bars == BARS_PER_PART - 1:
            return full - self.part_pickup
        return full

    def _end_bar(self) -> bool:
        if not self._form_end_bar():
            return False
        self.bar_accidentals = frozenset()  # an accidental holds to its bar's end (§4.2)
        return True

    def _form_end_bar(self) -> bool:
        token = self.token
        full = self.full
        if full is None or token not in ("|", "||", "|]", "|:", ":|", "::"):
            return super()._end_bar()
        if token not in self._allowed_bar_tokens():
            return False
        content = self.bar_content
        d = self.bar_time
        closes = False
        if not content:
            # A bar line with no music before it: only |: opening a part.
            if token != "|:" or self.part_bars or self.part_pickup or self.repeat_open:
                return False
            self.need_start_repeat = False
            self.repeat_open = True
        elif self.part_bars == 0 and not self.pickup_taken and (self.pickup_need or d < full):
            # The part's pickup: at most half a bar; B's is A's.
            need = self.pickup_need
            if token != "|" or (need is not None and need != 0 and d != need) or (
                    need in (None, 0) and 2 * d > full) or (need == 0 and d != full):
                return False
            self.part_pickup = d
            self.pickup_taken = True
        else:
            self.pickup_taken = True
            self.part_bars += 1
            if self.part_bars < BARS_PER_PART:
                if token != "|" or d != full:
                    return False
            else:
                if d != full - self.part_pickup:
                    return False
                if self.part == 0 and token not in (":|", "::"):
                    return False
                if self.part == 1 and token != ":|":
                    return False
                if token == ":|" and not (self.repeat_open or not self.section_ended):
                    return False
                closes = True
        if content:
            self.bars += 1
            self.first_bar_done = True
            self.prev_bars = (self.bar_text, self.prev_bars[0])
        if closes:
            pickup = self.part_pickup
            self.section_ended = True
            self.repeat_open = token == "::"
            if self.part == PARTS - 1:
                self.tune_done = True
            else:
                self.part += 1
                self.need_start_repeat = token == ":|"
            self.part_bars = 0
            self.part_pickup = 0
            self.pickup_taken = False
            self.pickup_need = pickup
        elif content and self.part_bars >= 1:
            self.pickup_need = None
        self.bar_need = None
        self.short_plain = None
        self.bar_time = 0
        self.bar_content = False
        self.last_note = None
        self.bar_text = ""
        self.state = S_IDLE
        self.token = ""
        return True

    def _can_end(self) -> bool:
        if self.full is None:
            return super()._can_end()
        return self.tune_done and self.state == S_IDLE


def plan_values_ok(plan: HeaderPlan) -> bool:
    """Whether every planned value is one the checker can write (a value the validator
    reads, from the checker's closed lists)."""
    for letter in "MK":
        v = plan.value(letter)
        if v is not None and v not in field_values(letter)[0]:
            return False
    return True
