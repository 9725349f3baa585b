"""The canonical printer: ABC text → the same music in canonical form.

It works on the *lossless* token tree (:func:`abcparse.parser.line_parser`), one tune at a
time, and prints every token in its canonical spelling. Working on tokens rather than on
the typed model is what lets comments, ``%%`` directives, free text, unknown decorations
and even unreadable text survive untouched: the printer only rewrites what it knows.

Rules (``docs/format.md`` documents each with examples):

- file: one empty line between blocks (version line, file header, tunes, free text), no
  empty line at the start or end, one line end style, no trailing white space;
- tune header: X: first, T: second, the rest in the order §3 recommends, K: last; comment
  and directive lines move with the field below them (the header keeps its order when
  moving would change the order of two ``%%`` directives); no space after the colon;
  K:, M:, L:, Q: and X: values in canonical spelling;
- body: notes, rests and chords in their shortest length spelling, one decoration
  spelling, one bar-line spacing, runs of spaces reduced to one (beams stay as written),
  ABC 2.0 ``!`` line breaks turned into line ends, one space before an end-of-line comment.

Nothing here checks that the music survived: :mod:`abcparse.format.safety` does, by
parsing the output again. The printer's own guards (a line with text it cannot read is
kept as it is, a field value whose canonical spelling would not read back the same is
left alone) only keep that check from failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..build import (
    FieldError,
    field_letter,
    outside_quotes,
    read_instruction,
    read_key,
    read_length,
    read_meter,
    read_tempo,
    read_user,
    read_voice,
)
from ..parser import ParseFailure, line_parser, parse_value
from ..source import dominant_newline
from ..split import Chunk, split, text_lines
from ..theory import DEFAULT_SYMBOLS, length_text, pitch_text, written_length
from .options import FormatOptions

# §3 "Order of information fields": identification (X T C O R), background (B D F G H N S
# Z), how to read the code (I m U), how to play it (P V M L Q K). A: (area, deprecated)
# sits with O:; fields the standard does not place (W:, r:, E:, unknown letters) go
# between the background and the reading instructions.
_ORDER = "XTCOARBDFGHNSZ" + "\0" + "ImUPVMLQK"
_RANK = {letter: i for i, letter in enumerate(_ORDER)}
_OTHER_RANK = _RANK["\0"]

# Fields whose value is written right after the colon (their leading spaces mean nothing).
_STRIPPED = frozenset("ABCDEFGHIKLMNOPQRSTUVWXZmr")

_VERSION_RE = re.compile(r"%abc-?([0-9]+(?:\.[0-9]+)*)")
_BANG_NAME = re.compile(r"[^!|\[\]: \t\r\n]{1,64}")
_PLUS_NAME = re.compile(r"[^+|\[\]: \t\r\n]{1,64}")
# What starts a field line by the letter of §3: a letter or + and a colon. Wider than the
# grammar's FIELD_START (split.FIELD_START_PATTERN), which reads ``e:|`` as music: printed
# music never starts so, because other readers may follow §3 (ABC108).
_FIELD_START = re.compile(r"[A-Za-z+]:")
_MODES = {
    "maj": "",
    "ion": "",
    "min": "m",
    "aeo": "m",
    "m": "m",
    "mix": "Mix",
    "dor": "Dor",
    "phr": "Phr",
    "lyd": "Lyd",
    "loc": "Loc",
}

# Tokens after which the space before a bar line can go without the two running together
# (`.` + `|` would be the dotted bar `.|`, `[` + `|` the thick-thin bar `[|`).
_SAFE_BEFORE_BAR = frozenset({
    "NOTE", "REST", "MULTI_REST", "CHORD_CLOSE", "GRACE_CLOSE", "SLUR_CLOSE", "TIE", "QUOTED",
    "DECORATION", "PLUS_DECORATION", "PLUS_CHORD", "INLINE_FIELD", "SPACER", "SYMBOL",
})
# Tokens before which the space after a bar line can go (`|` + `|` would be `||`).
_SAFE_AFTER_BAR = frozenset({
    "NOTE", "REST", "MULTI_REST", "CHORD_OPEN", "GRACE_OPEN", "SLUR_OPEN", "TUPLET", "QUOTED",
    "DECORATION", "PLUS_DECORATION", "PLUS_CHORD", "SYMBOL", "INLINE_FIELD", "VARIANT", "SPACER",
})


# ---------------------------------------------------------------------------------------
# Field values


def _tokens(tree: Any) -> list[Any]:
    return list(tree.scan_values(lambda v: True))


#: §4.6, §7.1: the short names a property may be written with, and the full ones the
#: canonical form writes. abc2midi and abcjs read ``transpose=`` and ignore ``t=``, so a
#: tune written with ``t=`` sounds untransposed in both (docs/playback.md).
LONG_PROPERTY_NAMES = {"t": "transpose", "m": "middle", "nm": "name", "snm": "subname"}


def long_names(props: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Properties with their short names written in full (LONG_PROPERTY_NAMES): what
    the canonical form writes, and what the formatter's safety check compares."""
    return tuple((LONG_PROPERTY_NAMES.get(k, k), v) for k, v in props)


def canonical_key(value: str) -> str:
    """§3.1.14: ``G Major`` → ``G``, ``A Dorian`` → ``ADor``, ``E minor`` → ``Em``; the
    explicit accidentals, clef and other properties follow, one space apart, properties
    as ``name=value`` with their full names (``t=8`` → ``transpose=8``). A value that does
    not read (or would not read back the same) is only stripped."""
    raw = value.strip()
    try:
        tree = parse_value("key_value", value)
        before = read_key(value)
    except (ParseFailure, FieldError):
        return raw
    sig = ""
    rest: list[str] = []
    for tok in _tokens(tree):
        t = tok.type
        if t == "TONIC":
            sig = tok.value
        elif t == "MODE":
            low = tok.value.lower()
            sig += _MODES["m" if low == "m" else low[:3]]
        elif t == "PROPERTY":
            name, _, val = tok.value.partition("=")
            name = name.strip()
            rest.append(f"{LONG_PROPERTY_NAMES.get(name, name)}={val.strip()}")
        else:
            rest.append(tok.value)
    out = " ".join(x for x in (sig, *rest) if x)
    try:
        after = read_key(out)
    except FieldError:
        return raw
    same = replace(after, properties=long_names(after.properties)) == replace(
        before, properties=long_names(before.properties))
    return out if same else raw


def canonical_voice(value: str) -> str:
    """§7.1: ``V:`` keeps its text, with its properties' short names written in full
    (``V:1 t=-2 nm="Alto"`` → ``V:1 transpose=-2 name="Alto"``); a value that does not
    read (or would not read back the same) is only stripped."""
    raw = value.strip()
    try:
        vid, props, words = read_voice(raw)
    except FieldError:
        return raw
    if not any(k in LONG_PROPERTY_NAMES for k, _ in props):
        return raw
    out = outside_quotes(
        raw, lambda part: _SHORT_PROPERTY.sub(lambda m: LONG_PROPERTY_NAMES[m[1]] + "=", part))
    try:
        again = read_voice(out)
    except FieldError:
        return raw
    return out if again == (vid, long_names(props), words) else raw


# A short property name (t=, m=, nm=, snm=) where a property starts: after a space.
_SHORT_PROPERTY = re.compile(r"(?<=[ \t])(t|m|nm|snm)=")


def canonical_meter(value: str) -> str:
    """§3.1.6: ``M: 6/8`` → ``6/8``; ``2+3+2/8`` → ``(2+3+2)/8``; C, C| and none stay."""
    raw = value.strip()
    try:
        before = read_meter(value)
        out = str(before)
        return out if read_meter(out) == before else raw
    except (FieldError, IndexError):
        return raw


def canonical_length(value: str) -> str:
    """§3.1.7: the unit note length as a reduced fraction: ``1/8``, ``1/4``, ``1/1``."""
    raw = value.strip()
    try:
        before = read_length(value)
    except FieldError:
        return raw
    out = f"{before.numerator}/{before.denominator}"
    return out if read_length(out) == before else raw


def canonical_tempo(value: str) -> str:
    """§3.1.8: ``Q: "Allegro"  1/4 = 120`` → ``Q:"Allegro" 1/4=120``; beat lengths reduced.
    A bare number (``Q:120``, §10.1, deprecated) stays as it is: the standard reads it as
    unit notes per minute but abc2midi as quarter notes, so any rewrite would change
    how one of them plays the tune."""
    raw = value.strip()
    unit = Fraction(1, 8)
    try:
        tree = parse_value("tempo_value", value)
        before = read_tempo(value, unit)
    except (ParseFailure, FieldError):
        return raw
    parts: list[str] = []
    for child in tree.children:
        if hasattr(child, "data"):  # tempo_beat
            notes: list[str] = []
            bpm = ""
            for sub in child.children:
                if hasattr(sub, "data"):  # tempo_note: INT "/" INT
                    a, b = (int(t.value) for t in _tokens(sub))
                    if b == 0:
                        return raw
                    f = Fraction(a, b)
                    notes.append(f"{f.numerator}/{f.denominator}")
                else:
                    bpm = str(int(sub.value))
            parts.append(" ".join(notes) + "=" + bpm if notes else bpm)
        else:
            parts.append(child.value)
    out = " ".join(parts)
    try:
        return out if read_tempo(out, unit) == before else raw
    except FieldError:
        return raw


def canonical_value(letter: str, value: str) -> str:
    """The canonical spelling of a field value (stripped for the fields not listed)."""
    if letter == "K":
        return canonical_key(value)
    if letter == "V":
        return canonical_voice(value)
    if letter == "M":
        return canonical_meter(value)
    if letter == "L":
        return canonical_length(value)
    if letter == "Q":
        return canonical_tempo(value)
    if letter == "X":
        raw = value.strip()
        # Leading zeros go (X:01 -> X:1), by text: int() refuses thousands of digits.
        return (raw.lstrip("0") or "0") if raw.isdigit() and raw.isascii() else raw
    return value.strip()


# ---------------------------------------------------------------------------------------
# Chunks


def file_chunks(text: str, mode: str) -> list[Chunk]:
    """Cut ``text`` as :func:`abcparse.parse` does in ``mode`` (loose splitting unless the
    file is read strictly), so the printer sees the same tunes as the parser."""
    if mode == "strict":
        loose = False
    elif mode == "loose":
        loose = True
    else:
        probe, _ = split(text, loose=True)
        version = None
        if probe and probe[0].kind == "version":
            m = _VERSION_RE.match(probe[0].text)
            version = m.group(1) if m else None
        from ..api import version_is_strict

        loose = not version_is_strict(version)
    return split(text, loose=loose)[0]


def _lines_of(text: str) -> list[str]:
    return text_lines(text)


@dataclass
class _Context:
    """What the file header hands down to the tunes (§2.2.2)."""

    symbols: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_SYMBOLS))
    instructions: dict[str, str] = field(default_factory=dict)  # I: name → argument


def _instruction(value: str, into: dict[str, str]) -> None:
    try:
        name, arg = read_instruction(value)
    except FieldError:
        return
    into[name] = arg


def _bang_breaks(instructions: dict[str, str]) -> bool:
    """``I:linebreak !`` (§6.1.1) makes ``!`` a score line break even in ABC 2.1."""
    return "!" in instructions.get("linebreak", "").split()


def _plus_dialect(instructions: dict[str, str]) -> bool:
    """Decorations are written ``+name+`` under ``I:decoration +`` (§12.1.2), which
    ``I:linebreak !`` implies unless ``I:decoration`` says otherwise."""
    if "decoration" in instructions:
        return instructions["decoration"].strip() == "+"
    return _bang_breaks(instructions)


class Printer:
    """Prints a whole file in canonical form. One instance per call: it carries the file
    context (U: symbols, decoration dialect) and the X: counter for ``renumber``."""

    def __init__(self, options: FormatOptions) -> None:
        self.options = options
        self.ctx = _Context()
        self.number = 0

    # --- file ------------------------------------------------------------------------
    def format(self, text: str) -> str:
        opts = self.options
        if opts.line_ending == "lf":
            newline = "\n"
        elif opts.line_ending == "crlf":
            newline = "\r\n"
        else:
            newline = dominant_newline(text)
        chunks = file_chunks(text, opts.mode)
        blocks: list[list[str]] = []  # printed blocks, separated by one empty line
        glue_next = False  # the next chunk continues the current block (after a version)
        seen_content = False
        seen_tune = False
        for i, chunk in enumerate(chunks):
            kind = chunk.kind
            if kind == "blank":
                glue_next = False
                continue
            if kind == "version":
                lines = [self.version_line(chunk.text)]
            elif kind == "header" and not seen_tune:
                lines = self.file_header(chunk.text)
            elif kind == "tune":
                seen_tune = True
                lines = self.tune(chunk.text)
            else:
                lines = [ln.rstrip() for ln in _lines_of(chunk.text)]
                lines = [ln for ln in lines if ln] or lines[:1]
            if not seen_content and kind != "version" and i > 0 and chunk.text.startswith("%abc"):
                # A `%abc` line after leading empty lines is not a version line (§2.1):
                # keep one empty line before it so it is not read as one.
                blocks.append([])
            if glue_next and blocks:
                blocks[-1].extend(lines)
            else:
                blocks.append(lines)
            # Chunks written without an empty line between them stay together (a comment
            # or a file header right above X:, the version line), except two tunes: an
            # empty line ends a tune (§2.2.1), so one goes between them.
            glue_next = kind != "tune"
            seen_content = True
        if opts.target == "2.1":
            blocks = self._declare_21(blocks, chunks)
        out_lines: list[str] = []
        for b, lines in enumerate(blocks):
            if b:
                out_lines.append("")
            out_lines.extend(lines)
        if not out_lines:
            return ""
        # A %%begin ... %%end block is one line here, its own lines joined by "\n".
        return newline.join(ln.replace("\n", newline) for ln in out_lines) + newline

    def _declare_21(self, blocks: list[list[str]], chunks: list[Chunk]) -> list[list[str]]:
        """``--target 2.1``: the file opens with ``%abc-2.1`` (§2.1), so it is read strictly."""
        if chunks and chunks[0].kind == "version" and blocks and blocks[0]:
            first = blocks[0][0]
            m = _VERSION_RE.match(first)
            rest = first[m.end() :] if m else first[len("%abc") :]
            blocks[0][0] = "%abc-2.1" + rest
            return blocks
        if blocks and blocks[0] == []:
            blocks = blocks[1:]
        first = next((c.kind for c in chunks if c.kind != "blank"), "tune")
        if blocks and first in ("header", "text"):
            return [["%abc-2.1", *blocks[0]], *blocks[1:]]
        return [["%abc-2.1"], *blocks]

    def version_line(self, text: str) -> str:
        return text.rstrip()

    def file_header(self, text: str) -> list[str]:
        """§2.2.2 the file header: its fields normalized like a tune's, its order kept
        (it has no X:/K: frame, and its U: and I: lines apply in order)."""
        try:
            tree = line_parser().parse(text, "lines")
        except ParseFailure:  # pragma: no cover - "lines" accepts any text
            return [ln.rstrip() for ln in _lines_of(text)]
        out: list[str] = []
        for line in _line_items(tree.children):
            if line is None:
                continue
            kind = line.data
            if kind in ("field_line", "key_line"):
                letter, value, _comment = _field_parts(line)
                if letter == "U":
                    self._define_symbol(value)
                elif letter == "I":
                    _instruction(value, self.ctx.instructions)
                out.extend(self.field_line(line, header=False))
            else:
                out.extend(self.verbatim_line(line))
        return [ln for ln in out if ln]

    def _define_symbol(self, value: str, symbols: dict[str, str | None] | None = None) -> None:
        try:
            symbol, name = read_user(value)
        except FieldError:
            return
        (self.ctx.symbols if symbols is None else symbols)[symbol] = name

    # --- tunes -----------------------------------------------------------------------
    def tune(self, text: str) -> list[str]:
        parser = line_parser()
        try:
            tree = parser.parse(text, "tune")
            header_items = tree.children[0].children
            body_items = tree.children[1].children
            structured = True
        except ParseFailure:
            tree = parser.parse(text, "lines")
            header_items = tree.children
            body_items = []
            structured = False
        state = _TuneState(dict(self.ctx.symbols), False)
        instructions = dict(self.ctx.instructions)
        header_lines = [ln for ln in _line_items(header_items) if ln is not None]
        body_lines = [ln for ln in _line_items(body_items) if ln is not None]
        # The reading context of the body comes from the header, in its written order.
        for line in header_lines:
            if line.data in ("field_line", "key_line"):
                letter, value, _ = _field_parts(line)
                if letter == "U":
                    self._define_symbol(value, state.symbols)
                elif letter == "I":
                    _instruction(value, instructions)
        state.plus = _plus_dialect(instructions)
        state.bang_breaks = _bang_breaks(instructions)
        out: list[str] = []
        if structured:
            out.extend(self.tune_header(header_lines))
        else:
            first_field = True
            for line in header_lines:
                if line.data in ("field_line", "key_line") and first_field:
                    first_field = False
                    if line.children[0].group() == "X:":
                        out.extend(self.field_line(line, header=True))
                        continue
                out.extend(self.body_line(line, state))
        body: list[str] = []
        for line in body_lines:
            body.extend(ln for ln in self.body_line(line, state) if ln)
        if body_lines and not body:
            # The body printed nothing (it held only layout, such as a line of 2.0 `!`
            # breaks): its lines stay as written. A tune printed as its header alone
            # would take in music written after the next empty line (§12.2, loose
            # reading, ABC209), which before was not part of it.
            body = [ln for line in body_lines for ln in self.verbatim_line(line) if ln]
        # An empty line would end the tune (§2.2.1): none may come out of a tune.
        return [ln for ln in out if ln] + body

    def tune_header(self, lines: list[Any]) -> list[str]:
        """Print the header X: ... K:, its fields in the recommended order."""
        blocks: list[tuple[int, list[Any]]] = []
        pending: list[Any] = []
        reorder = True
        for line in lines:
            if line.data in ("field_line", "key_line"):
                letter = field_letter(line.children[0])
                if letter == "+":
                    if not blocks:
                        reorder = False  # continues nothing: keep it where it is
                        pending.append(line)
                        continue
                    blocks[-1][1].extend([*pending, line])
                    pending = []
                    continue
                if letter == "r":  # a remark reads like a comment: it moves with the next field
                    pending.append(line)
                    continue
                blocks.append((_RANK.get(letter, _OTHER_RANK), [*pending, line]))
                pending = []
            else:
                pending.append(line)
        if pending:
            blocks.append((len(_ORDER), pending))
        ordered = sorted(blocks, key=lambda b: b[0]) if reorder else blocks
        if ordered != blocks:
            before = [ln for _, block in blocks for ln in block if ln.data == "directive_line"]
            after = [ln for _, block in ordered for ln in block if ln.data == "directive_line"]
            if before != after:
                ordered = blocks
        out: list[str] = []
        for _, block in ordered:
            for line in block:
                if line.data in ("field_line", "key_line"):
                    out.extend(self.field_line(line, header=True))
                else:
                    out.extend(self.verbatim_line(line))
        return out

    def field_line(self, line: Any, *, header: bool) -> list[str]:
        letter, value, comment = _field_parts(line)
        if letter == "X" and header and self.options.renumber:
            self.number += 1
            value = str(self.number)
        if letter in _STRIPPED:
            text = f"{letter}:{canonical_value(letter, value)}"
        else:
            # Lyrics (w:), symbol lines (s:), continuations and fields the standard does
            # not define keep their spacing: it often aligns them with the notes above.
            text = f"{letter}:{value.rstrip()}"
        if comment is not None:
            text = f"{text} {comment.rstrip()}" if text[-1] != " " else text + comment.rstrip()
        return [text]

    def verbatim_line(self, line: Any) -> list[str]:
        """Comment and directive lines: kept, trailing white space removed (a
        ``%%begin ... %%end`` block line by line)."""
        if line.data in ("comment_line", "directive_line"):
            text = line.children[0].group()
            # A %%begin block stays one item (its empty lines are part of it, and must
            # not be taken for the empty line that ends a tune).
            return ["\n".join(ln.rstrip() for ln in _lines_of(text))]
        return ["".join(_leaf_texts(line)).rstrip()]

    def body_line(self, line: Any, state: _TuneState) -> list[str]:
        kind = line.data
        if kind in ("field_line", "key_line"):
            letter, value, _ = _field_parts(line)
            if letter == "U":
                self._define_symbol(value, state.symbols)
            return self.field_line(line, header=False)
        if kind == "music_line":
            return self.music_line(line.children, state)
        return self.verbatim_line(line)

    # --- music -----------------------------------------------------------------------
    def music_line(self, tokens: list[Any], state: _TuneState) -> list[str]:
        """One line of music; may become several lines (2.0 ``!`` line breaks)."""
        if any(t.lastgroup == "STRAY" for t in tokens):
            # Text the parser cannot read is kept as written (the parser skips it to the
            # next bar line; any change could change what it skips).
            return ["".join(t.group() for t in tokens).rstrip()]
        if all(t.lastgroup in ("WS", "COMMENT") for t in tokens):
            return ["".join(t.group() for t in tokens).strip()]
        spacing = self.options.bar_spacing
        lines: list[str] = []
        cur: list[str] = []
        prev_type = ""
        prev_text = ""
        ws = False
        depth_chord = False
        depth_grace = False
        n = len(tokens)
        for i, tok in enumerate(tokens):
            typ = tok.lastgroup
            if typ == "WS":
                ws = True
                continue
            if typ == "LINEBREAK_20" and not state.bang_breaks:
                # §12.1.1: the ABC 2.0 line break becomes a line end (inside an open
                # chord or grace group, where a line end would close it, it is dropped).
                if not (depth_chord or depth_grace):
                    if cur:
                        lines.append("".join(cur))
                    cur = []
                    prev_type = prev_text = ""
                ws = ws and bool(cur)
                continue
            if typ == "COMMENT":
                text = tok.group().rstrip()
                cur.append((" " if cur else "") + text)
                prev_type, prev_text, ws = typ, text, False
                continue
            nxt = tokens[i + 1] if i + 1 < n else None
            if typ == "CHORD_CLOSE" and not depth_chord:
                text = str(tok.group())  # `]` closing nothing: unreadable, kept (ABC313)
            else:
                text = self.token(tok, typ, nxt, state)
            # Track open chords and grace groups as the builder does: `}` and a bar line
            # close an open chord, a bar line and [V:] close both.
            if typ == "CHORD_OPEN":
                depth_chord = True
            elif typ == "CHORD_CLOSE":
                depth_chord = False
            elif typ == "GRACE_OPEN":
                depth_grace = True
            elif typ in ("GRACE_CLOSE", "BAR") or (
                typ == "INLINE_FIELD" and tok.group("i_letter") == "V"
            ):
                depth_chord = depth_grace = False
            carry = False
            if typ == "TIE" and ws and prev_type in ("NOTE", "CHORD_CLOSE"):
                # §4.11: a tie is written against the note it starts (`d3 -d` → `d3- d`,
                # the space, which breaks the beam, moves after it).
                ws, carry = False, True
            if cur and self._space(prev_type, prev_text, typ, ws, spacing):
                cur.append(" ")
            cur.append(text)
            prev_type, prev_text, ws = typ, text, carry
        if cur:
            lines.append("".join(cur))
        return [_music_text(line) for line in lines]

    @staticmethod
    def _space(prev_type: str, prev_text: str, typ: str, ws: bool, spacing: str) -> bool:
        if prev_type == "VARIANT":  # `[2` starts an ending as `|2` does (§4.10)
            prev_type = "BAR"
        if spacing == "keep" or (prev_type != "BAR" and typ != "BAR"):
            return ws
        if prev_type == "COMMENT":
            return ws
        if spacing == "space":
            return typ != "LINE_CONT" or ws
        # "none": no space beside a bar line, where the two tokens cannot run together.
        if not ws:
            return False
        if typ == "BAR":
            return not (prev_type in _SAFE_BEFORE_BAR and prev_text[-1:] not in ".[")
        return typ not in _SAFE_AFTER_BAR

    def token(self, tok: Any, typ: str, nxt: Any, state: _TuneState) -> str:
        if typ == "NOTE":
            acc, pitch, octs, num, den, sl = tok.group(
                "n_acc", "n_pitch", "n_oct", "n_num", "n_den", "n_sl"
            )
            octave = 1 if pitch.islower() else 0
            if octs:
                octave += octs.count("'") - octs.count(",")
            letter: str = pitch.upper()
            spelled = pitch_text(letter, octave)
            return str(acc or "") + spelled + length_text(written_length(num, den, sl))
        if typ == "REST":
            kind, num, den, sl = tok.group("r_kind", "r_num", "r_den", "r_sl")
            return str(kind) + length_text(written_length(num, den, sl))
        if typ == "MULTI_REST":
            kind, count = tok.group("m_kind", "m_count")
            return str(kind) if count == "1" else str(tok.group())
        if typ == "CHORD_CLOSE":
            num, den, sl = tok.group("c_num", "c_den", "c_sl")
            return "]" + length_text(written_length(num, den, sl))
        if typ == "TUPLET":
            p, q, r = tok.group("t_p", "t_q", "t_r")
            out = "(" + str(p)
            if r:
                out += ":" + (q or "") + ":" + r
            elif q:
                out += ":" + q
            return out
        if typ in ("DECORATION", "PLUS_DECORATION", "SYMBOL"):
            return self.decoration(tok, typ, nxt, state)
        if typ == "INLINE_FIELD":
            letter, value = tok.group("i_letter", "i_value")
            if letter == "U":
                self._define_symbol(value, state.symbols)
            return f"[{letter}:{canonical_value(letter, value)}]"
        return str(tok.group())

    def decoration(self, tok: Any, typ: str, nxt: Any, state: _TuneState) -> str:
        """§4.14 one spelling per decoration: ``short`` uses the one-character symbol the
        current U: table (§4.16) gives the name, ``long`` the ``!name!`` form (``+name+``
        under ``I:decoration +``), ``keep`` only the delimiter of the file's dialect."""
        written = str(tok.group())
        if typ == "SYMBOL":
            name = state.symbols.get(written)
        else:
            name = tok.group("d_name" if typ == "DECORATION" else "p_name")
        if name is None:  # a symbol U: gave no meaning: as written
            return written
        style = self.options.decorations
        if style == "short":
            short = state.shorthand(name)
            if short is not None and (typ == "SYMBOL" or _takes_shorthand(nxt)):
                return short
        elif style == "keep" and typ == "SYMBOL":
            return written
        return state.long(name, written)


def _music_text(line: str) -> str:
    """A printed music line that reads as music again.

    A line that starts with a letter and a colon is a field line (§3), so a one-letter
    note or decoration symbol and the bar line after it (``A :|``, ``I ::``) keep the
    space between them that the bar spacing would take away."""
    return line[0] + " " + line[1:] if _FIELD_START.match(line) else line


# What a one-character decoration may stand right before. After a space a shorthand is
# not attached to the note by every reader (abc2midi ignores `T C` but plays `!trill! C`),
# and `.` before `(`, `-` or `|` would read as a dotted slur, tie or bar line (§4.11).
_SHORTHAND_BEFORE = frozenset({
    "NOTE", "REST", "MULTI_REST", "CHORD_OPEN", "GRACE_OPEN", "DECORATION", "PLUS_DECORATION",
    "PLUS_CHORD", "SYMBOL",
})


def _takes_shorthand(nxt: Any) -> bool:
    return nxt is not None and nxt.lastgroup in _SHORTHAND_BEFORE


@dataclass
class _TuneState:
    symbols: dict[str, str | None]
    plus: bool
    bang_breaks: bool = False

    def shorthand(self, name: str) -> str | None:
        """The symbol that means ``name`` now: the standard one if U: has not taken it,
        else one that U: defined."""
        for symbol, default in DEFAULT_SYMBOLS.items():
            if default == name and self.symbols.get(symbol) == name:
                return symbol
        for symbol, meaning in self.symbols.items():
            if meaning == name:
                return symbol
        return None

    def long(self, name: str, written: str) -> str:
        if self.plus:
            return f"+{name}+" if _PLUS_NAME.fullmatch(name) else written
        return f"!{name}!" if _BANG_NAME.fullmatch(name) else written


def _leaf_texts(tree: Any) -> Iterator[str]:
    for child in tree.children:
        if hasattr(child, "data"):
            yield from _leaf_texts(child)
        else:
            yield child.group()


def _line_items(items: list[Any]) -> list[Any]:
    """The line trees of a tree's children (EOL tokens dropped; None for empty lines)."""
    out: list[Any] = []
    current: Any = None
    for item in items:
        if hasattr(item, "data"):
            current = item
        else:  # EOL
            out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return out


def _field_parts(line: Any) -> tuple[str, str, str | None]:
    """Letter, raw value and end-of-line comment of a field or key line."""
    letter = field_letter(line.children[0])
    value = ""
    comment = None
    for c in line.children[1:]:
        if c.lastgroup == "FIELD_TEXT":
            value = c.group()
        elif c.lastgroup == "COMMENT":
            comment = c.group()
    return letter, value, comment


def format_unchecked(text: str, options: FormatOptions | None = None) -> str:
    """The canonical form of ``text`` without the safety checks (see
    :func:`abcparse.format.format_text` for the checked version)."""
    return Printer(options or FormatOptions()).format(text)
