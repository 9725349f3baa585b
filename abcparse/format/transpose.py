"""Transposition: move every pitch of a tune by N semitones, and say nothing else.

``transpose_str(text, semitones)`` rewrites, on the lossless token tree, only

- K: fields (header, body and inline ``[K:]``): the tonic moves by N semitones and keeps
  its mode (§3.1.14); of the two spellings of the new tonic the one whose signature has
  fewer accidentals is chosen (``D`` + 1 → ``Eb``, not ``D#``); explicit key accidentals
  (``K:D =c``, ``K:D exp ^f``) move with it;
- notes: every note moves by the same number of letter steps as the tonic, so a note that
  followed the old key signature follows the new one; its accidental is recomputed from
  the absolute pitch. A note that had an accidental keeps one (courtesy accidentals stay),
  a note that had none gets one only where the new key and the accidentals met earlier in
  the bar would not give it its pitch (§4.2; accidentals hold to the end of the bar for
  the same letter in every octave, ABC 2.1 §11.3 ``propagate-accidentals pitch``, which
  abc2midi follows too). A pitch that would need a triple sharp is spelled on the next
  letter;
- chord symbols (§4.18): root and bass (``"Am7/G"``) move like the tonic; text that is
  not a chord (``"N.C."``, annotations ``"^..."``) is left alone.

Left untouched: ``K:none`` fields (their notes move; a sharp or flat note keeps its kind
of accidental, ``_D`` up a tone is ``_E``, and a natural one is spelled with sharps going
up and flats going down), the Highland pipes keys ``K:HP``/``K:Hp`` and everything after them,
percussion voices (``clef=perc`` in K: or V:, or ``%%MIDI channel 10``), note lengths,
and every other byte of the file. Tunes without K: are read in C major, so their notes
get the accidentals the new pitches need.

Which pitch a written note has is the music engine's rule (:mod:`abcparse.music.pitch`:
accidentals to the end of the bar as ``%%propagate-accidentals`` says, ties carrying
their note's accidental, grace notes passing none on), applied to the input and to the
output as it is written. The result is verified: the output, read by the music engine,
must sound the input's pitches plus N, note for note (grace notes included); otherwise
:class:`TransposeError` is raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..api import parse as abcparse_parse
from ..build import FieldError, field_letter, read_key, read_voice
from ..errors import AbcError
from ..model import ACCIDENTAL_BY_SPELLING, Key, KeyAccidental, Tune, note_accidental
from ..music import PitchState, propagation, timeline
from ..music.pitch import Pitch
from ..parser import ParseFailure, line_parser, parse_value, plus_chord_notes
from ..split import text_lines
from ..theory import (
    LETTER_SEMITONES,
    LETTERS,
    key_fifths,
    key_signature,
    midi_pitch,
    pitch_text,
)
from .printer import file_chunks

_ACC_TEXT = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}


def _quarter_tone_of_natural(pitch: Pitch) -> tuple[str, int, Pitch] | None:
    """The natural note (letter, octave) a pitch is a quarter tone above or below, with
    that alteration (+1/2 or -1/2 semitone); None when it is not."""
    for alteration in (Fraction(1, 2), Fraction(-1, 2)):
        natural = Fraction(pitch) - alteration
        if natural.denominator != 1:
            continue
        letter, octave, alt = _spell_chromatic(int(natural), True)
        if alt == 0:
            return letter, octave, alteration
    return None


def _microtone_text(alteration: Pitch) -> str:
    """The microtonal accidental (n/d semitones, as abc2midi reads it) for an alteration
    off the semitone grid: ``^/`` and ``_/`` for a quarter tone, which abcjs reads too."""
    sign = "^" if alteration > 0 else "_"
    size = abs(Fraction(alteration))
    if size == Fraction(1, 2):
        return sign + "/"
    return f"{sign}{size.numerator}/{size.denominator}"


_ITEM_TOKENS = frozenset(
    {"CHORD_OPEN", "CHORD_CLOSE", "TIE", "GRACE_OPEN", "GRACE_CLOSE", "REST", "MULTI_REST"}
)
# §4.18: a chord symbol is a root, its sign, a type, and an optional bass after "/" (here
# with a type of its own: "C/Am", a chord over a chord). The types are those chord charts
# write (m, min, maj, dim, aug, sus, add, o, ø, Δ, +, digits, alterations b9 #11 (b9)).
# Quoted text that is not such a chord ("Allegro.", "Coda", "D.C.") is no chord to move.
_SIGN = "[#b\u266f\u266d\u266e]?"
_TYPE = (r"(?:maj|min|dim|aug|sus|add|omit|alt|m|M|[0-9]|\+|-|\u00b0|\u00f8|\u0394|o"
         r"|[#b\u266f\u266d](?=[0-9])|/(?=[0-9])|\((?:[#b\u266f\u266d+-]?[0-9]+,?)+\))*")
_CHORD = re.compile(
    rf"(?P<root>[A-G])(?P<racc>{_SIGN})(?P<type>{_TYPE})"
    rf"(?:/(?P<bass>[A-Ga-g])(?P<bacc>{_SIGN})(?P<btype>{_TYPE}))?"
)
# §4.18 chord symbol signs, with the Unicode ones (§4.18's note to developers, §8.2).
_CHORD_SIGNS = {"#": 1, "b": -1, "\u266f": 1, "\u266d": -1, "\u266e": 0}
_SHARPS = ("C", 0), ("C", 1), ("D", 0), ("D", 1), ("E", 0), ("F", 0), ("F", 1), ("G", 0), (
    "G", 1), ("A", 0), ("A", 1), ("B", 0)
_FLATS = ("C", 0), ("D", -1), ("D", 0), ("E", -1), ("E", 0), ("F", 0), ("G", -1), ("G", 0), (
    "A", -1), ("A", 0), ("B", -1), ("B", 0)


class TransposeError(AbcError):
    """A tune cannot be transposed exactly (its K: cannot be read, or the check of the
    result failed); nothing is written.

    ``line`` and ``col`` (1-based, in the text that was given) say where: the field or
    note that cannot be moved, else the tune's first line; ``tune`` is that first line
    (``X:2``), ``reason`` the message without the place."""

    def __init__(self, reason: str, *, line: int | None = None, col: int | None = None,
                 tune: str = "") -> None:
        self.reason = reason
        self.line = line
        self.col = col
        self.tune = tune
        #: Where in the tune's text the problem is, until the tune's lines are known.
        self.offset: int | None = None
        place = "" if line is None else f"line {line}" + (f", column {col}" if col else "")
        if place and tune:
            place += f" ({tune})"
        super().__init__(f"{place}: {reason}" if place else reason)

    def moved(self, lines: int) -> TransposeError:
        """The same error in a text that starts ``lines`` lines further on."""
        return TransposeError(self.reason, line=None if self.line is None else self.line + lines,
                              col=self.col, tune=self.tune)


@dataclass
class _KeyState:
    """How the notes under one key signature are read and rewritten."""

    old_sig: dict[str, int] = field(default_factory=dict)
    new_sig: dict[str, int] = field(default_factory=dict)
    steps: int | None = None  # letter steps; None: spell each pitch on its own (K:none)
    frozen: bool = False  # percussion or Highland pipes: nothing moves


@dataclass
class _VoiceState:
    """One voice as the text goes by: its key, and how the music engine's pitch rule
    (:class:`~abcparse.music.PitchState`: accidentals, their propagation, ties) reads the
    old text (``old``) and the new (``new``), so a note gets an accidental in the new text
    exactly where, read back, it would otherwise have another pitch."""

    key: _KeyState
    old: PitchState
    new: PitchState
    perc: bool = False
    in_chord: bool = False
    in_grace: bool = False
    # The notes of the item read last, as (letter, octave, pitch) in the old and the new
    # text, for a tie after it; and the notes a tie inside the open chord holds.
    item_old: list[tuple[str, int, Pitch]] = field(default_factory=list)
    item_new: list[tuple[str, int, Pitch]] = field(default_factory=list)
    chord_tied: list[int] = field(default_factory=list)

    def item_starts(self) -> None:
        """A note, rest or chord begins: what a tie carried reaches it and no further."""
        self.item_old = []
        self.item_new = []

    def item_done(self) -> None:
        self.old.item_done()
        self.new.item_done()

    def tie(self, notes: list[int] | None = None) -> None:
        """§4.11: the tied notes keep their alteration in the next item, in both texts."""
        old, new = self.item_old, self.item_new
        if notes is not None:
            old = [old[i] for i in notes]
            new = [new[i] for i in notes]
        self.old.carry(old)
        self.new.carry(new)

    def new_key(self, key: _KeyState) -> None:
        self.key = key
        self.old.set_signature(key.old_sig)
        self.new.set_signature(key.new_sig)


def _letter_steps(old_tonic: str, new_tonic: str, semitones: int) -> int:
    """Letter steps between two tonics, in the direction and octave of ``semitones``."""
    base = (LETTERS.index(new_tonic[0]) - LETTERS.index(old_tonic[0])) % 7
    return base + 7 * round((semitones * 7 / 12 - base) / 7)


def _tonic_pc(tonic: str) -> int:
    return (LETTER_SEMITONES[tonic[0]] + tonic.count("#") - tonic.count("b")) % 12


def new_tonic(key: Key, semitones: int) -> str:
    """The tonic ``semitones`` above ``key``'s, spelled for the fewest accidentals in the
    key signature (ties: sharps going up, flats going down)."""
    assert key.tonic is not None and key.mode is not None
    target = (_tonic_pc(key.tonic) + semitones) % 12
    best: tuple[int, int, str] | None = None
    for letter in LETTERS:
        for alt, mark in ((0, ""), (1, "#"), (-1, "b")):
            if (LETTER_SEMITONES[letter] + alt) % 12 != target:
                continue
            name = letter + mark
            fifths = key_fifths(Key(name, key.mode))
            prefer = 0 if (fifths >= 0) == (semitones >= 0) else 1
            cand = (abs(fifths), prefer, name)
            if best is None or cand < best:
                best = cand
    assert best is not None
    return best[2]


def _spell(step_index: int, midi: int) -> tuple[str, int, int]:
    """Letter, octave and alteration of ``midi`` written on the letter ``step_index``
    (octave * 7 + letter), moving to a neighbouring letter if that needs more than a
    double accidental."""
    for delta in (0, -1, 1, -2, 2):
        idx = step_index + delta
        letter, octave = LETTERS[idx % 7], idx // 7
        alt = midi - midi_pitch(letter, octave, 0)
        if -2 <= alt <= 2:
            return letter, octave, alt
    raise TransposeError(f"cannot spell MIDI pitch {midi}")  # pragma: no cover


def _sharps(alteration: int, semitones: int) -> bool:
    """Whether a pitch with no key to follow is spelled with sharps: as the note or chord
    was (``Db`` up a tone is ``Eb``, not ``D#``; ``C#`` is ``D#``), a natural one with
    sharps going up and flats going down."""
    return alteration > 0 if alteration else semitones > 0


def _spell_chromatic(midi: int, up: bool) -> tuple[str, int, int]:
    """Spelling of a pitch with no key to follow: with sharps, or with flats."""
    letter, alt = (_SHARPS if up else _FLATS)[midi % 12]
    octave = (midi - 60 - LETTER_SEMITONES[letter] - alt) // 12
    return letter, octave, alt


def _shift_accidentals(key: Key, steps: int, semitones: int) -> tuple[KeyAccidental, ...]:
    """The key's accidentals moved with the key. An ``exp`` key (§3.1.14: its accidentals
    are the whole signature) is moved letter by letter, each of the seven with its sharp,
    flat or none: ``K:D exp ^f`` up 2 is ``K:E exp ^f ^g ^c`` (E and C, natural before,
    become F sharp and C sharp), not ``exp ^g``, which would leave them to be written
    on every note."""
    out: list[KeyAccidental] = []
    if key.explicit:
        given = {a.letter: a.accidental.semitones for a in key.accidentals}
        for letter in LETTERS:
            midi = midi_pitch(letter, 0, given.get(letter, 0)) + semitones
            new, _, alt = _spell(LETTERS.index(letter) + steps, midi)
            if alt:
                out.append(KeyAccidental(new, ACCIDENTAL_BY_SPELLING[_ACC_TEXT[alt]]))
        return tuple(out)
    for acc in key.accidentals:
        midi = midi_pitch(acc.letter, 0, acc.accidental.semitones) + semitones
        letter, _, alt = _spell(LETTERS.index(acc.letter) + steps, midi)
        out.append(KeyAccidental(letter, ACCIDENTAL_BY_SPELLING[_ACC_TEXT[alt]]))
    return tuple(out)


class _Transposer:
    """Transposes one tune."""

    def __init__(self, semitones: int, mode: str = "pitch") -> None:
        self.n = semitones
        self.mode = mode  # §11.3 propagate-accidentals, as the engine reads the tune
        self.default = _KeyState(steps=0 if semitones == 0 else None)
        self.voices: dict[str, _VoiceState] = {}
        self.voice: _VoiceState | None = None
        self.order: list[str] = []  # voices in the order V: declares them
        self.default_perc = False  # %%MIDI channel 10 before any V:
        # Semitones each note, rest and chord moves by, by its offset in the input.
        self.moves: dict[int, int] = {}
        self.has_key = False
        #: What was left at its pitch on purpose, as (offset in the tune, message): the
        #: caller reports it, since the user asked for every note to move.
        self.notices: list[tuple[int, str]] = []

    # --- keys ------------------------------------------------------------------------
    def key_value(self, value: str) -> tuple[str, _KeyState | None]:
        """The transposed K: value, and the key state it starts (None for a K: that
        changes only the clef, §4.6: the key stays)."""
        try:
            key = read_key(value)
            tree = parse_value("key_value", value)
        except (FieldError, ParseFailure) as e:
            message = e.message if isinstance(e, FieldError) else str(e)
            raise TransposeError(message) from None
        toks = list(tree.scan_values(lambda v: True))
        perc = key.clef.name == "perc"
        has_sig = any(t.type in ("TONIC", "KEY_SPECIAL") for t in toks)
        if not has_sig and not key.accidentals:
            if perc:
                state = _KeyState(frozen=True)
                return value, state
            return value, None
        if key.highland_pipes is not None or perc:
            if not perc and self.n:
                self.notices.append((-1, (
                    f"K:{value.strip()}: Highland pipes music keeps its pitches (the"
                    " chanter's scale, §3.1.14); the notes after it are not transposed")))
            return value, _KeyState(key_signature(key), key_signature(key), 0, True)
        if key.tonic is None or key.mode is None:
            # K:none (or accidentals only): nothing to move in the field itself.
            sig = key_signature(key)
            if self.n == 0:
                return value, _KeyState(sig, sig, 0)
            if key.accidentals:
                raise TransposeError(
                    f"K:{value.strip()}: accidentals without a tonic cannot be transposed"
                )
            return value, _KeyState(sig, sig, None)
        tonic = new_tonic(key, self.n) if self.n else key.tonic
        steps = _letter_steps(key.tonic, tonic, self.n)
        accs = _shift_accidentals(key, steps, self.n)
        new_key = Key(tonic, key.mode, accs, key.explicit, None, key.clef, key.properties)
        state = _KeyState(key_signature(key), key_signature(new_key), steps)
        # Rewrite the tonic and the accidentals where they stand in the value.
        edits: list[tuple[int, int, str]] = []
        acc_iter = iter(accs)
        prev_end = -1
        written = [t for t in toks if t.type == "KEY_ACCIDENTAL"]
        if key.explicit and written:
            # The whole signature, as many accidentals as the new key has (see
            # _shift_accidentals), where the old ones stood.
            lower = not written[0].value[-1].isupper()
            text = " ".join(a.accidental.value + (a.letter.lower() if lower else a.letter)
                            for a in accs)
            start = written[0].start_pos
            if not text:  # every letter natural now: "K:G exp"
                start = len(value[:start].rstrip())
            edits.append((start, written[-1].end_pos, text))
            toks = [t for t in toks if t.type != "KEY_ACCIDENTAL"]
        for t in toks:
            if t.type == "TONIC":
                edits.append((t.start_pos, t.end_pos, tonic))
            elif t.type == "KEY_ACCIDENTAL":
                acc = next(acc_iter)
                letter = acc.letter if t.value[-1].isupper() else acc.letter.lower()
                # `C^f` is fine, but `Db=g` would read as the property Db=g: a space.
                gap = " " if t.start_pos == prev_end else ""
                edits.append((t.start_pos, t.end_pos, gap + acc.accidental.value + letter))
            prev_end = t.end_pos
        out = value
        for a, b, text in sorted(edits, reverse=True):
            out = out[:a] + text + out[b:]
        try:
            ok = key_signature(read_key(out)) == state.new_sig
        except FieldError:
            ok = False
        if not ok:
            raise TransposeError(f"K:{value.strip()} cannot be written in the new key")
        return out, state

    def set_key(self, state: _KeyState | None, *, header: bool) -> None:
        if state is None:
            return
        self.has_key = True
        if header or self.voice is None:
            self.default = state
            for v in self.voices.values():
                if not v.perc:
                    # The whole key: its signature in the pitch rule too, or a voice the
                    # header declared before K: reads its notes in the old key (V:1 V:3
                    # K:Eb, then [V:1] e: E flat read as E, so f written ^^f).
                    v.new_key(state)
        if self.voice is not None:
            self.voice.new_key(state)

    def switch_voice(self, value: str) -> None:
        try:
            vid, props, words = read_voice(value)
        except FieldError:
            return
        perc = ("clef", "perc") in props or "perc" in words
        v = self._voice(vid)
        if perc:
            v.perc = True
        self.voice = v

    def _voice(self, vid: str) -> _VoiceState:
        v = self.voices.get(vid)
        if v is None:
            key = self.default
            v = _VoiceState(key, PitchState(key.old_sig, self.mode),
                            PitchState(key.new_sig, self.mode), self.default_perc)
            self.voices[vid] = v
            self.order.append(vid)
        return v

    def current(self) -> _VoiceState:
        """The voice the body is in: before any V: in the body, the first voice the
        header declared (as the parser reads it), or the only one."""
        if self.voice is None:
            self.voice = self._voice(self.order[0] if self.order else "")
        return self.voice

    # --- notes -----------------------------------------------------------------------
    def note(self, tok: Any, start: int | None = None) -> str:
        v = self.current()
        acc, pitch, octs = tok.group("n_acc", "n_pitch", "n_oct")
        letter = pitch.upper()
        octave = (1 if pitch.islower() else 0) + (octs or "").count("'") - (octs or "").count(",")
        key = v.key
        grace = v.in_grace
        single = not v.in_chord and not grace
        if single:
            v.item_starts()
        alt = v.old.alter(letter, octave, note_accidental(acc).semitones if acc else None,
                          grace)
        # A microtone (``_/e``) moves as the semitone it is a fraction beyond: the note is
        # spelled for the whole semitones, and the fraction is added back to its
        # accidental (``_/e`` up a tone is ``_/^f``'s sound, written ``^/f``).
        micro = alt - int(alt)
        midi = midi_pitch(letter, octave, int(alt))
        length = tok.string[tok.end("n_oct") if octs else tok.end("n_pitch") : tok.end()]
        # Percussion and frozen keys keep their pitches, but are spelled again against
        # the key signature now in force (a drum voice under a transposed header key).
        shift = 0 if (v.perc or key.frozen) else self.n
        target = midi + shift
        if not 0 <= target <= 127:
            raise TransposeError(
                f"{tok.group()} moved by {shift:+d} semitones would be MIDI pitch {target},"
                " outside the range 0-127 that notes can have"
            )
        if shift == 0:
            new_letter, new_octave, new_alt = letter, octave, int(alt)
        elif key.steps is None and self.n % 12 == 0:
            # K:none moved by octaves: the same spelling an octave away (B flat stays B
            # flat; chromatic spelling would make it A sharp going up).
            new_letter, new_octave, new_alt = letter, octave + self.n // 12, int(alt)
        elif key.steps is None:
            new_letter, new_octave, new_alt = _spell_chromatic(target, _sharps(int(alt),
                                                                               self.n))
        else:
            idx = octave * 7 + LETTERS.index(letter) + key.steps
            new_letter, new_octave, new_alt = _spell(idx, target)
        mark = ""
        sounding: Pitch = new_alt + micro
        if micro and abs(Fraction(sounding)) > Fraction(1, 2):
            # _3/2B is ^/A: a quarter tone off a natural note, the one microtone abcjs
            # reads (it plays _3/2 a quarter tone off) and the simpler one to read.
            near = _quarter_tone_of_natural(target + micro)
            if near is not None:
                new_letter, new_octave, sounding = near
        if acc or v.new.implied(new_letter, new_octave) != sounding:
            mark = _ACC_TEXT[new_alt] if not micro else _microtone_text(sounding)
            v.new.alter(new_letter, new_octave, sounding, grace)
        if not grace:
            v.item_old.append((letter, octave, midi + micro))
            v.item_new.append((new_letter, new_octave, target + micro))
        if single:
            v.item_done()
        self.moves[tok.start() if start is None else start] = shift
        return mark + pitch_text(new_letter, new_octave) + str(length)

    def item(self, typ: str, tok: Any) -> None:
        """The structure around notes that the pitch rule needs: chords, grace groups,
        rests and ties (§4.11, §4.12, §4.17)."""
        v = self.current()
        if typ == "CHORD_OPEN":
            v.item_starts()
            v.in_chord = True
            v.chord_tied = []
            self.moves[tok.start()] = 0 if (v.perc or v.key.frozen) else self.n
        elif typ == "CHORD_CLOSE" and v.in_chord:
            v.in_chord = False
            v.item_done()
            if v.chord_tied:
                v.tie(v.chord_tied)
        elif typ == "TIE":
            if v.in_chord:
                if v.item_old:
                    v.chord_tied.append(len(v.item_old) - 1)
            elif v.item_old:
                v.tie()
        elif typ == "GRACE_OPEN":
            v.in_grace = True
        elif typ == "GRACE_CLOSE":
            v.in_grace = False
        elif typ in ("REST", "MULTI_REST") and not v.in_chord:
            v.item_starts()
            v.item_done()
            self.moves[tok.start()] = 0 if (v.perc or v.key.frozen) else self.n

    def bar(self) -> None:
        v = self.current()
        v.old.bar_line()
        v.new.bar_line()

    def _place_notices(self, offset: int) -> None:
        """Give the notices just made by a K: value the field's offset."""
        self.notices = [(offset if at < 0 else at, m) for at, m in self.notices]

    def symbol_line(self, value: str) -> str:
        """§4.15 an ``s:`` line: its chord symbols move as those in the music do (they
        are read in the key the line above ends in). A value that cannot be read stays."""
        try:
            tree = parse_value("symbol_value", value)
        except ParseFailure:
            return value
        out: list[str] = []
        pos = 0
        for t in tree.scan_values(lambda v: True):
            if t.type == "QUOTED":
                out += [value[pos : t.start_pos], '"', self.chord_symbol(str(t)[1:-1]), '"']
                pos = t.end_pos
        out.append(value[pos:])
        return "".join(out)

    def chord_symbol(self, text: str) -> str:
        """§4.18 move the root and bass of each chord in a chord symbol."""
        v = self.current()
        if v.perc or v.key.frozen or self.n == 0 or not text or text[0] in "^_<>@":
            return text
        parts = re.split(r"(\s+)", text)
        return "".join(self._chord(p, v.key) if p and not p.isspace() else p for p in parts)

    def _chord(self, part: str, key: _KeyState) -> str:
        """One word of a chord symbol: chords, and the parentheses of an alternate chord
        (``G(Em)``, §4.18) or of the whole (``(D7)``), each chord moved; a word that is not
        made of chords is text and stays as written."""
        out: list[str] = []
        pos = 0
        while pos < len(part):
            if part[pos] in "()":
                out.append(part[pos])
                pos += 1
                continue
            m = _CHORD.match(part, pos)
            if m is None:
                return part
            out.append(self._chord_note(m.group("root"), m.group("racc"), key) + m.group("type"))
            bass = m.group("bass")
            if bass:
                moved = self._chord_note(bass.upper(), m.group("bacc"), key)
                if bass.islower():
                    moved = moved[0].lower() + moved[1:]
                out.append("/" + moved + m.group("btype"))
            pos = m.end()
        return "".join(out)

    def _chord_note(self, letter: str, acc: str, key: _KeyState) -> str:
        """A chord's root or bass moved, its sign written as it was: ``#``/``b``, or the
        Unicode ``♯``/``♭``/``♮`` that §4.18 asks software to read as well."""
        if key.steps is None and self.n % 12 == 0:
            return letter + acc  # by octaves with no key: the chord as written
        pc = LETTER_SEMITONES[letter] + _CHORD_SIGNS.get(acc, 0)
        target = 60 + pc + self.n
        if key.steps is None:
            new_letter, _, alt = _spell_chromatic(target, _sharps(_CHORD_SIGNS.get(acc, 0),
                                                                  self.n))
        else:
            new_letter, _, alt = _spell(LETTERS.index(letter) + key.steps, target)
            if abs(alt) > 1:
                new_letter, _, alt = _spell_chromatic(target, alt > 0)
        sharp, flat = ("\u266f", "\u266d") if acc in "\u266f\u266d\u266e" and acc else ("#", "b")
        return new_letter + (sharp * alt if alt > 0 else flat * -alt)

    # --- the tune ----------------------------------------------------------------------
    def tune(self, text: str) -> str:
        parser = line_parser()
        try:
            tree = parser.parse(text, "tune")
            header, body = tree.children[0].children, tree.children[1].children
        except ParseFailure:
            tree = parser.parse(text, "lines")
            header, body = [], tree.children
        out: list[str] = []
        history = _history_lines(header)
        for i, item in enumerate(header):
            out.append(_verbatim(item) if i in history else self.line(item, header=True))
        self.voice = None
        # A header with §10.1's outdated H: does not parse as one: its lines come here.
        history = set() if header else _history_lines(body)
        for i, item in enumerate(body):
            out.append(_verbatim(item) if i in history else self.line(item, header=False))
        return "".join(out)

    def line(self, item: Any, *, header: bool) -> str:
        if not hasattr(item, "data"):
            return str(item.group())  # EOL
        kind = item.data
        toks = item.children
        if kind in ("field_line", "key_line"):
            letter = field_letter(toks[0])
            parts = [t.group() for t in toks]
            value_i = next((i for i, t in enumerate(toks) if t.lastgroup == "FIELD_TEXT"), None)
            value = toks[value_i].group() if value_i is not None else ""
            if letter == "K":
                at = toks[value_i if value_i is not None else 0].start()
                try:
                    new, state = self.key_value(value)
                except TransposeError as e:
                    e.offset = at
                    raise
                self._place_notices(at)
                if value_i is not None:
                    parts[value_i] = new
                self.set_key(state, header=header)
            elif letter == "V":
                self.switch_voice(value)
            elif letter == "s" and value_i is not None:
                parts[value_i] = self.symbol_line(value)
            return "".join(parts)
        if kind == "directive_line":
            d = toks[0].group()
            if re.match(r"%%MIDI\s+channel\s+10\b", d):
                if self.voice is not None:
                    self.voice.perc = True
                else:
                    self.default_perc = True
            return str(d)
        if kind == "music_line":
            out: list[str] = []
            for t in toks:
                try:
                    out.append(self.music_token(t))
                except TransposeError as e:
                    e.offset = t.start()
                    raise
            return "".join(out)
        return _verbatim(item)

    def music_token(self, tok: Any) -> str:
        typ = tok.lastgroup
        if typ == "NOTE":
            return self.note(tok)
        if typ == "PLUS_CHORD":  # +CE+ (§12.1.3): its notes move, the rest stays
            text, pos, parts = tok.string, tok.start(), []
            v = self.current()
            v.item_starts()
            v.in_chord = True
            self.moves[tok.start()] = 0 if (v.perc or v.key.frozen) else self.n
            for m in plus_chord_notes(tok):
                parts += [text[pos : m.start()], self.note(m)]
                pos = m.end()
            v.in_chord = False
            v.item_done()
            return "".join([*parts, text[pos : tok.end()]])
        if typ == "BAR":
            self.bar()
        elif typ in _ITEM_TOKENS:
            self.item(typ, tok)
        elif typ == "QUOTED":
            s = tok.group()
            return '"' + self.chord_symbol(s[1:-1]) + '"'
        elif typ == "INLINE_FIELD":
            letter, value = tok.group("i_letter", "i_value")
            if letter == "K":
                new, state = self.key_value(value)
                self._place_notices(tok.start())
                self.set_key(state, header=False)
                return f"[K:{new}]"
            if letter == "V":
                self.switch_voice(value)
        return str(tok.group())


def _history_lines(items: list[Any]) -> set[int]:
    """The music lines among header ``items`` that continue an ``H:`` in §10.1's outdated
    multi-line form (ABC213, as the builder reads them: after ``H:`` or such a line, up to
    the ``K:`` line): history text, whose letters are not notes."""
    found: set[int] = set()
    history = False
    for i, item in enumerate(items):
        kind = getattr(item, "data", None)
        if kind == "key_line":
            return found
        if kind == "field_line":
            history = field_letter(item.children[0]) == "H"
        elif kind == "music_line" and history:
            found.add(i)
    return set()  # no K: line: the lines are music before K: (ABC204)


def _verbatim(item: Any) -> str:
    return "".join(t.group() for t in item.children)


#: Told where music was left at its pitch on purpose: (line, column, message), 1-based in
#: the text given to :func:`transpose_text`.
Notice = Callable[[int, int, str], object]


def transpose_text(text: str, semitones: int, *, mode: str = "auto", check: bool = True,
                   notice: Notice | None = None) -> str:
    """Transpose every tune of ``text`` by ``semitones`` (see the module docstring); the
    rest of the file is kept byte for byte. ``notice`` is told of each place where notes
    keep their pitch by design (a Highland pipes key), which the user may not expect."""
    if not isinstance(semitones, int) or isinstance(semitones, bool):
        raise TransposeError(f"semitones must be a whole number, not {semitones!r}")
    if semitones == 0:
        return text
    out: list[str] = []
    line = 1
    for chunk in file_chunks(text, mode):
        if chunk.kind != "tune":
            out.append(chunk.text)
            continue
        try:
            before = _read(chunk.text)
            t = _Transposer(semitones, propagation(before) if before is not None else "pitch")
            new = t.tune(chunk.text)
            if check:
                _verify(before, new, t)
        except TransposeError as e:
            first = text_lines(chunk.text)[0].strip() if chunk.text else ""
            line, col = chunk.line, None
            if e.offset is not None:
                line += chunk.text.count("\n", 0, e.offset)
                col = e.offset - (chunk.text.rfind("\n", 0, e.offset) + 1) + 1
            raise TransposeError(e.reason, line=line, col=col, tune=first) from None
        if notice is not None:
            for offset, message in t.notices:
                start = chunk.text.rfind("\n", 0, offset) + 1
                notice(chunk.line + chunk.text.count("\n", 0, offset), offset - start + 1,
                       message)
        out.append(new)
        line += 1
    return "".join(out)


def _read(text: str) -> Tune | None:
    """One tune's text as the parser reads it (None if it holds no tune)."""
    book = abcparse_parse(text)
    return book.tunes[0] if book.tunes else None


def _verify(before: Tune | None, after_text: str, t: _Transposer) -> None:
    """The output, read by the music engine, must sound the input's pitches moved by the
    semitones each note was moved by (none for frozen ones), note for note, grace notes
    included."""
    after = _read(after_text)
    if before is None or after is None:
        if (before is None) != (after is None):
            raise TransposeError("internal error: the output does not read as a tune")
        return
    old, new = timeline(before), timeline(after)
    if len(old.voices) != len(new.voices):
        raise TransposeError("internal error: the output has other voices")
    count = 0
    for vo, vn in zip(old.voices, new.voices, strict=True):
        if len(vo.items) != len(vn.items):
            raise TransposeError("internal error: the output has other notes")
        for a, b in zip(vo.items, vn.items, strict=True):
            shift = t.moves.get(a.element.span.start, t.n)
            moved = tuple(p + shift for p in a.pitches)
            graces = tuple(tuple(p + shift for p in g) for g in a.graces)
            if b.pitches != moved or b.graces != graces:
                raise TransposeError(
                    f"the transposed note #{count} does not have the expected pitch"
                )
            count += 1


def transpose_str(text: str, semitones: int, **options: Any) -> str:
    """Transpose ABC ``text`` by ``semitones`` (positive: up). See :mod:`abcparse.format.
    transpose`; raises :class:`TransposeError` when a tune cannot be moved exactly.

    >>> print(transpose_str("X:1\\nT:t\\nK:D\\n\\"Am7/G\\"A2 ^c=f|\\n", 2), end="")
    X:1
    T:t
    K:E
    "Bm7/A"B2 ^d=g|
    """
    return transpose_text(text, semitones, **options)
