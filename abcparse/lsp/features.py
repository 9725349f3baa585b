"""The language features over one open document: hover, outline, folding, completion,
go-to-definition, code actions and formatting.

Each feature reads the document's current text through its :class:`~.lint.Book` (the
pieces, updated edit by edit) and builds only the tune it needs, so answering a hover in
a 2 MB tunebook parses one tune. Results are lsprotocol types in the client's position
encoding (:class:`~.textdoc.TextDocument` converts). Nothing here touches the
connection: :mod:`.server` wires these functions to LSP methods.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from ..api import _BookBuilder
from ..build import FieldError, build_file_header, read_user
from ..diagnostics import Diagnostic, Severity
from ..model import (
    Chord,
    Decoration,
    Field,
    FileHeader,
    GraceGroup,
    InlineField,
    Key,
    Meter,
    Note,
    Rest,
    Tune,
)
from ..split import Chunk, text_lines
from ..theory import key_signature
from ..validate.registry import find_rule
from . import knowledge
from .lint import Book
from .textdoc import TextDocument

SOURCE = "abc-lint"
FIX_ALL_KIND = "source.fixAll.abc-lint"


@dataclass
class LintSettings:
    """What the check of a document uses: ``abc-lint``'s settings for its folder."""

    mode: str = "auto"
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    config_path: str | None = None
    problem: str | None = None  # why the configuration could not be used

    def key(self) -> tuple[Any, ...]:
        return (self.mode, tuple(self.select) if self.select is not None else None,
                tuple(self.ignore), tuple(self.extend_select))


def uri_path(uri: str) -> str | None:
    """The local path of a ``file:`` URI, else None."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and re.match(r"/[A-Za-z]:", path):
        path = path[1:]
    return path


# ---------------------------------------------------------------------------------------
# Positions


def lsp_range(doc: TextDocument, start: int, end: int) -> lsp.Range:
    a = doc.position_at(start)
    b = doc.position_at(max(start, end))
    return lsp.Range(lsp.Position(*a), lsp.Position(*b))


def offset_of(doc: TextDocument, pos: lsp.Position) -> int:
    return doc.offset_at(pos.line, pos.character)


# ---------------------------------------------------------------------------------------
# The tune at a place


class Tunes:
    """Builds the tune a feature asks about, with the file header it is read under
    (§2.2.2), and remembers the last few."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._header_key: Any = None
        self._header: tuple[FileHeader, Any] = (FileHeader(), None)
        self._tunes: dict[tuple[str, int, int], Tune] = {}

    def header(self, book: Book) -> tuple[FileHeader, Any, str]:
        """The file header, its context for tunes, and its text ("" without one)."""
        found = book.header_chunk()
        key = (found[0].text, found[1], found[2]) if found is not None else None
        if key != self._header_key:
            self._header_key = key
            self._tunes.clear()
            if found is None:
                self._header = (FileHeader(), None)
            else:
                h, ctx, _ = build_file_header(*key)  # type: ignore[misc]
                self._header = (h, ctx)
        return self._header[0], self._header[1], found[0].text if found is not None else ""

    def build(self, book: Book, chunk: Chunk) -> Tune | None:
        """The tune of a tune chunk, at its place in the file."""
        if chunk.kind != "tune":
            return None
        header, ctx, _ = self.header(book)
        key = (chunk.text, chunk.start, chunk.line)
        tune = self._tunes.get(key)
        if tune is not None:
            return tune
        builder = _BookBuilder(self.mode, book.version())
        builder.header = header
        if ctx is not None:
            builder.ctx = ctx
        builder.seen_tune = True
        tune, _ = builder.take(chunk)
        if len(self._tunes) > 16:
            self._tunes.clear()
        if tune is not None:
            self._tunes[key] = tune
        return tune


# ---------------------------------------------------------------------------------------
# Walking a tune's elements


def _elements(tune: Tune) -> Iterator[Any]:
    """Every element of the body, the items of chords and grace groups too."""
    for voice in tune.voices:
        for bar in voice.bars:
            for e in bar.elements:
                yield e
                if isinstance(e, (Chord, GraceGroup)):
                    for item in e.items:
                        yield item
                        if isinstance(item, Chord):
                            yield from item.items


def _midi_text(pitch: int | Fraction) -> str:
    """A sounding pitch as MIDI writes it: the note, and the bend of a microtone."""
    from ..music.pitch import split_pitch

    key, cents = split_pitch(pitch)
    return f"{key} +{cents} cents" if cents else str(key)


def _at(span: Any, offset: int) -> bool:
    start: int = span.start
    end: int = span.end
    return start <= offset < max(end, start + 1)


def _fields(tune: Tune, header: FileHeader) -> Iterator[Field]:
    yield from header.fields
    yield from tune.fields


def _user_definitions(tune: Tune | None, header: FileHeader) -> list[tuple[str, str | None, Field]]:
    """(symbol, decoration name, field) of every U: field in force, the tune's last, so
    later definitions override earlier ones (§4.16)."""
    out = []
    fields: Iterable[Field] = _fields(tune, header) if tune is not None else header.fields
    for f in fields:
        if f.letter != "U":
            continue
        try:
            symbol, name = read_user(f.value)
        except FieldError:
            continue
        out.append((symbol, name, f))
    return out


# ---------------------------------------------------------------------------------------
# Hover


def _note_hover(tune: Tune, element: Any, offset: int) -> str | None:
    """The sounding pitch and length of the note (or chord, or rest) at ``offset``, as
    the music engine reads it."""
    from ..music import timeline

    try:
        tl = timeline(tune)
    except Exception:  # the engine must never take the editor down
        return None
    for v in tl.voices:
        for item in v.items:
            e = item.element
            if not _at(e.span, offset):
                continue
            whole = tl.whole(item.ticks)
            length = knowledge.length_name(whole)
            onset = tl.whole(item.onset)
            where = (f"Bar {item.bar + 1}, " + ("on the bar line" if not onset else
                     f"{onset} of a whole note after the bar line"))
            voice = f", voice {v.voice.id}" if len(tl.voices) > 1 else ""
            if isinstance(e, Rest):
                return f"**rest** (§4.5): {length}\n\n{where}{voice}"
            notes = item.notes()
            pitches = list(zip(notes, item.pitches, strict=False))
            if isinstance(e, Chord):
                picked = [(n, p) for n, p in pitches if _at(n.span, offset)]
                shown = picked or pitches
                head = "**chord** (§4.17): " + ", ".join(
                    f"{n.spelling} sounds {knowledge.pitch_name(p)} (MIDI {_midi_text(p)})"
                    for n, p in shown)
            else:
                n, p = pitches[0] if pitches else (e, None)
                head = (f"**note** `{n.spelling}` (§4.1-§4.3): sounds "
                        f"{knowledge.pitch_name(p)} (MIDI {_midi_text(p)})" if p is not None
                        else f"**note** `{e.spelling}`")
            notes_on = []
            if not item.plain:
                notes_on.append("its time changed by a tuplet (§4.13) or a broken rhythm"
                                " (§4.4)")
            if item.tied:
                notes_on.append("tied to the next note (§4.11)")
            extra = "; " + "; ".join(notes_on) if notes_on else ""
            return (f"{head}\n\nLasts {length}{extra}. Unit length L:{tune.unit_length}."
                    f"\n\n{where}{voice}")
    if isinstance(element, Note):  # a grace note: no time of its own (§4.12)
        return (f"**grace note** `{element.spelling}` (§4.12): takes no time of its own")
    return None


def _key_hover(key: Key) -> str:
    parts = []
    if key.tonic is None:
        parts.append("**K:** no key signature (§3.1.14)")
    else:
        mode = key.mode
        parts.append(f"**K:** {key.tonic} {knowledge.mode_text(mode) if mode else ''}"
                     .rstrip() + " (§3.1.14)")
    sig = key_signature(key)
    if sig:
        marks = ", ".join(f"{letter}{'#' * v if v > 0 else 'b' * -v}"
                          for letter, v in sorted(sig.items(), key=lambda x: "FCGDAEB".index(x[0])))
        parts.append(f"Key signature: {marks}")
    else:
        parts.append("Key signature: no sharps or flats")
    if key.clef.name:
        parts.append(f"Clef: {key.clef.name} (§4.6)")
    return "\n\n".join(parts)


def _meter_hover(meter: Meter) -> str:
    if meter.kind == "none":
        return "**M:none** (§3.1.6): free meter, bars are not measured"
    bar = meter.bar_length
    beats = f"{meter.numerator} beats of 1/{meter.beat_unit}"
    text = {"common": "common time, the same as 4/4",
            "cut": "cut time, the same as 2/2"}.get(meter.kind, beats)
    return f"**M:{meter}** (§3.1.6): {text}; a full bar lasts {bar} of a whole note"


def _field_value_hover(f: Field | InlineField, tune: Tune) -> str | None:
    base = knowledge.field_hover(f.letter)
    extra: str | None = None
    if f.letter == "K":
        key = f.parsed if isinstance(f, InlineField) else (tune.key if not f.in_body else None)
        if isinstance(key, Key):
            extra = _key_hover(key)
    elif f.letter == "M":
        meter = f.parsed if isinstance(f, InlineField) else (tune.meter if not f.in_body else None)
        if isinstance(meter, Meter):
            extra = _meter_hover(meter)
    elif f.letter == "L":
        unit = f.parsed if isinstance(f, InlineField) else tune.unit_length
        if isinstance(unit, Fraction):
            extra = f"A note written without a length lasts {knowledge.length_name(unit)}"
    elif f.letter == "X":
        extra = f"This is tune number {f.value.strip()}"
    if extra is None:
        return base
    return f"{extra}\n\n---\n\n{base}" if base else extra


def hover(doc: TextDocument, book: Book, tunes: Tunes, offset: int,
          diagnostics: Iterable[Diagnostic]) -> tuple[str, tuple[int, int]] | None:
    """Markdown for the place ``offset`` and the range it describes, or None."""
    parts: list[str] = []
    where: tuple[int, int] | None = None
    chunk = book.chunk_at(offset)
    if chunk is not None and chunk.kind == "tune":
        tune = tunes.build(book, chunk)
        if tune is not None:
            found = _hover_in_tune(tune, tunes.header(book)[0], offset)
            if found is not None:
                parts.append(found[0])
                where = found[1]
    elif chunk is not None and chunk.kind == "header":
        header = tunes.header(book)[0]
        for f in header.fields:
            if _at(f.span, offset):
                text = knowledge.field_hover(f.letter)
                if text:
                    parts.append(text)
                    where = (f.span.start, f.span.end)
    seen: set[str] = set()
    for d in diagnostics:
        s = d.span
        if s.start <= offset <= max(s.end, s.start + 1) and d.code not in seen:
            seen.add(d.code)
            rule = find_rule(d.code)
            explanation = rule.explanation() if rule is not None else ""
            parts.append(f"**{d.code}** {d.message}\n\n```text\n{explanation.strip()}\n```")
            if where is None:
                where = (s.start, max(s.end, s.start))
    if not parts:
        return None
    return "\n\n---\n\n".join(parts), where or (offset, offset)


def _hover_in_tune(tune: Tune, header: FileHeader, offset: int
                   ) -> tuple[str, tuple[int, int]] | None:
    for f in tune.fields:
        if not f.inline and _at(f.span, offset):
            text = _field_value_hover(f, tune)
            return (text, (f.span.start, f.span.end)) if text else None
    best: Any = None
    for e in _elements(tune):
        if _at(e.span, offset) and (best is None
                                    or e.span.end - e.span.start < best.span.end - best.span.start):
            best = e
    if best is None:
        return None
    span = (best.span.start, best.span.end)
    if isinstance(best, Decoration):
        user = None
        if not best.symbol.startswith(("!", "+")):
            for symbol, _name, f in reversed(_user_definitions(tune, header)):
                if symbol == best.symbol:
                    user = f"U:{f.value}"
                    break
        return knowledge.decoration_hover(best.name, best.symbol, user), span
    if isinstance(best, InlineField):
        text = _field_value_hover(best, tune)
        return (text, span) if text else None
    if isinstance(best, (Note, Rest, Chord)):
        text = _note_hover(tune, best, offset)
        return (text, span) if text else None
    return None


# ---------------------------------------------------------------------------------------
# Outline and folding


_FIELD_LINE = re.compile(r"([A-Za-z]):[ \t]*([^\r\n%]*)")
_INLINE = re.compile(r"\[([PV]):[ \t]*([^\]\r\n]*)\]")


@dataclass
class _TuneOutline:
    chunk: Chunk
    number: str | None
    title: str | None
    first_line_end: int
    last_line: int  # 0-based, last non-empty line
    parts: list[tuple[str, int, int]]  # (label, start, end of its field)
    voices: list[tuple[str, int, int]]


def _outline(chunk: Chunk, cache: dict[str, _TuneOutline] | None = None) -> _TuneOutline:
    """What a tune's lines say about it, read from the text alone (no parse): the
    outline of a 2 MB tunebook must come quickly. ``cache`` remembers each tune's by its
    text, with offsets from the tune's start (a tune that moved is not read again)."""
    if cache is not None:
        found = cache.get(chunk.text)
        if found is None:
            found = _outline(Chunk(chunk.kind, chunk.text, 0, 1))
            cache[chunk.text] = found
        if chunk.start == 0 and chunk.line == 1:
            return found
        at = chunk.start
        return _TuneOutline(chunk, found.number, found.title, found.first_line_end + at,
                            found.last_line + chunk.line - 1,
                            [(v, a + at, b + at) for v, a, b in found.parts],
                            [(v, a + at, b + at) for v, a, b in found.voices])
    number = title = None
    parts: list[tuple[str, int, int]] = []
    voices: list[tuple[str, int, int]] = []
    pos = chunk.start
    in_body = False
    lines = text_lines(chunk.text, keepends=True)
    last = chunk.line - 1
    for i, line in enumerate(lines):
        if line.strip():
            last = chunk.line - 1 + i
        m = _FIELD_LINE.match(line)
        if m is not None:
            letter, value = m.group(1), m.group(2).strip()
            if letter == "X" and number is None and not in_body:
                number = value
            elif letter == "T" and title is None and not in_body:
                title = value
            elif letter == "P" and in_body and value:
                parts.append((value, pos, pos + len(line.rstrip("\r\n"))))
            elif letter == "V" and value:
                voices.append((value.split()[0], pos, pos + len(line.rstrip("\r\n"))))
            if letter == "K":
                in_body = True
        elif in_body and not line.startswith("%"):
            for im in _INLINE.finditer(line):
                value = im.group(2).strip()
                if not value:
                    continue
                target = parts if im.group(1) == "P" else voices
                target.append((value.split()[0] if im.group(1) == "V" else value,
                               pos + im.start(), pos + im.end()))
        pos += len(line)
    first = len(lines[0].rstrip("\r\n")) if lines else 0
    return _TuneOutline(chunk, number, title, chunk.start + first, last, parts, voices)


def document_symbols(doc: TextDocument, book: Book,
                     cache: dict[str, _TuneOutline] | None = None) -> list[lsp.DocumentSymbol]:
    """One symbol per tune (``X:`` number and title), its parts and voices inside.
    ``cache``: see :func:`_outline` (it keeps only the tunes of this call)."""
    out = []
    fresh: dict[str, _TuneOutline] | None = {} if cache is not None else None
    for chunk in book.chunks():
        if chunk.kind == "header":
            end = chunk.start + len(chunk.text.rstrip("\r\n"))
            out.append(lsp.DocumentSymbol(
                name="file header", kind=lsp.SymbolKind.Namespace,
                range=lsp_range(doc, chunk.start, end),
                selection_range=lsp_range(doc, chunk.start, chunk.start),
                detail="fields for every tune (§2.2.2)"))
            continue
        if chunk.kind != "tune":
            continue
        if cache is not None and fresh is not None:
            known = cache.get(chunk.text)
            if known is not None:
                fresh[chunk.text] = known
            o = _outline(chunk, fresh)
        else:
            o = _outline(chunk)
        name = (f"X:{o.number}" if o.number else "tune") + (f" {o.title}" if o.title else "")
        end = chunk.start + len(chunk.text.rstrip("\r\n"))
        children = []
        voice_seen: dict[str, lsp.DocumentSymbol] = {}
        for vid, a, b in o.voices:
            if vid in voice_seen:
                continue
            sym = lsp.DocumentSymbol(name=f"V:{vid}", kind=lsp.SymbolKind.Field,
                                     range=lsp_range(doc, a, b),
                                     selection_range=lsp_range(doc, a, b), detail="voice")
            voice_seen[vid] = sym
            children.append(sym)
        for k, (label, a, b) in enumerate(o.parts):
            stop = o.parts[k + 1][1] if k + 1 < len(o.parts) else end
            stop = max(stop, b)
            children.append(lsp.DocumentSymbol(
                name=f"P:{label}", kind=lsp.SymbolKind.Namespace,
                range=lsp_range(doc, a, stop), selection_range=lsp_range(doc, a, b),
                detail="part"))
        children.sort(key=lambda s: (s.range.start.line, s.range.start.character))
        out.append(lsp.DocumentSymbol(
            name=name, kind=lsp.SymbolKind.Module, range=lsp_range(doc, chunk.start, end),
            selection_range=lsp_range(doc, chunk.start, o.first_line_end),
            detail=o.title if o.title and not o.number else None,
            children=children or None))
    if cache is not None and fresh is not None:
        cache.clear()
        cache.update(fresh)
    return out


def folding_ranges(doc: TextDocument, book: Book) -> list[lsp.FoldingRange]:
    """A fold per tune and for the file header."""
    out = []
    for chunk in book.chunks():
        if chunk.kind not in ("tune", "header"):
            continue
        last = chunk.line - 1 + max(len(text_lines(chunk.text.rstrip("\r\n"))) - 1, 0)
        if last > chunk.line - 1:
            out.append(lsp.FoldingRange(start_line=chunk.line - 1, end_line=last,
                                        kind=lsp.FoldingRangeKind.Region))
    return out


# ---------------------------------------------------------------------------------------
# Completion

_KEY_TONIC = re.compile(r"(?:^K:|\[K:)[ \t]*([A-G][#b]?)[ \t]*([A-Za-z]*)$")
_KEY_START = re.compile(r"(?:^K:|\[K:)[ \t]*$")
_TONICS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "F", "Bb", "Eb", "Ab", "Db", "Gb", "Cb"]


def completion(doc: TextDocument, book: Book, tunes: Tunes, offset: int
               ) -> list[lsp.CompletionItem]:
    """Decoration names after ``!``, field letters at the start of a line, tonics and
    modes in a ``K:`` value."""
    line = doc.line_of(offset)
    start = doc.line_start(line)
    before = doc.text[start:offset]
    items: list[lsp.CompletionItem] = []
    # A decoration being written: an odd number of ! on the line before the cursor,
    # outside a comment (§4.14).
    code = before.split("%", 1)[0]
    if code.count("!") % 2 == 1 and not re.match(r"[A-Za-z]:", before):
        typed = code[code.rfind("!") + 1:]
        a = offset - len(typed)
        after = doc.text[offset : offset + 1]
        close = "" if after == "!" else "!"
        names = knowledge.decoration_names()
        chunk = book.chunk_at(offset)
        tune = tunes.build(book, chunk) if chunk is not None else None
        user = {n for _s, n, _f in _user_definitions(tune, tunes.header(book)[0]) if n}
        for name in sorted(set(names) | user):
            meaning = knowledge.decoration_text(name) or "defined by a U: field (§4.16)"
            items.append(lsp.CompletionItem(
                label=f"!{name}!", kind=lsp.CompletionItemKind.Keyword, detail=meaning,
                filter_text=name, sort_text=name,
                text_edit=lsp.TextEdit(lsp_range(doc, a, offset), name + close)))
        return items
    m = _KEY_TONIC.search(before)
    if m is not None and m.group(1):
        typed = m.group(2)
        a = offset - len(typed)
        for word, mode in knowledge.MODE_WORDS.items():
            items.append(lsp.CompletionItem(
                label=word, kind=lsp.CompletionItemKind.EnumMember,
                detail=knowledge.mode_text(mode) + " (§3.1.14)",
                text_edit=lsp.TextEdit(lsp_range(doc, a, offset), word)))
        return items
    if _KEY_START.search(before):
        for i, tonic in enumerate(_TONICS):
            items.append(lsp.CompletionItem(label=tonic, kind=lsp.CompletionItemKind.Value,
                                            detail="key tonic (§3.1.14)", sort_text=f"{i:02}"))
        items.append(lsp.CompletionItem(label="none", kind=lsp.CompletionItemKind.Value,
                                        detail="no key signature (§3.1.14)"))
        return items
    if re.fullmatch(r"[A-Za-z]?", before):
        for letter, (name, section, what) in knowledge.FIELDS.items():
            items.append(lsp.CompletionItem(
                label=f"{letter}:", kind=lsp.CompletionItemKind.Field,
                detail=f"{name} ({section})", documentation=what,
                filter_text=letter, sort_text=letter,
                text_edit=lsp.TextEdit(lsp_range(doc, start, offset), f"{letter}:")))
    return items


# ---------------------------------------------------------------------------------------
# Go to definition


def definition(book: Book, tunes: Tunes, offset: int) -> list[tuple[int, int]]:
    """Where the symbol at ``offset`` is defined: the ``U:`` field that gives a
    one-character symbol (or a ``!name!``) its meaning (§4.16)."""
    chunk = book.chunk_at(offset)
    if chunk is None or chunk.kind != "tune":
        return []
    tune = tunes.build(book, chunk)
    if tune is None:
        return []
    header = tunes.header(book)[0]
    target: Decoration | None = None
    for e in _elements(tune):
        if isinstance(e, Decoration) and _at(e.span, offset):
            target = e
            break
    if target is None:
        return []
    defs = _user_definitions(tune, header)
    out = []
    for symbol, name, f in reversed(defs):
        if symbol == target.symbol or (
                target.symbol.startswith(("!", "+")) and name == target.name):
            out.append((f.span.start, f.span.end))
            break
    return out


# ---------------------------------------------------------------------------------------
# Code actions

_SUPPRESS_RE = re.compile(r"(%[ \t]*abc-lint:[ \t]*disable[ \t]*=[ \t]*)([A-Za-z0-9_, \t]+)",
                          re.I)


def _text_edits(doc: TextDocument, start: int, old: str, new: str) -> list[lsp.TextEdit]:
    """The smallest one edit turning ``old`` (at ``start``) into ``new``: whole lines,
    the common first and last lines left alone."""
    if old == new:
        return []
    a = text_lines(old, keepends=True)
    b = text_lines(new, keepends=True)
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    pre = sum(len(x) for x in a[:i])
    old_mid = "".join(a[i : len(a) - j])
    new_mid = "".join(b[i : len(b) - j])
    return [lsp.TextEdit(lsp_range(doc, start + pre, start + pre + len(old_mid)), new_mid)]


def disable_action(doc: TextDocument, d_line: int, code: str,
                   diags: list[lsp.Diagnostic]) -> lsp.CodeAction | None:
    """"Disable CODE on this line": a ``% abc-lint: disable=CODE`` comment at the end of
    the line (one already there gets the code added). Not on an empty line, which a
    comment would make into a line of text (an empty line ends a tune, §2.2.1)."""
    if d_line >= doc.line_count:
        return None
    text = doc.line_text(d_line)
    if not text.strip():
        return None
    start = doc.line_start(d_line)
    m = _SUPPRESS_RE.search(text)
    if m is not None:
        codes = [c.strip() for c in re.split(r"[,\s]+", m.group(2)) if c.strip()]
        if code in codes or "ALL" in (c.upper() for c in codes):
            return None
        at = start + m.end(2)
        new = ("," if m.group(2).rstrip() == m.group(2) else "") + code
        edit = lsp.TextEdit(lsp_range(doc, at, at), new)
    else:
        at = start + len(text)
        edit = lsp.TextEdit(lsp_range(doc, at, at), f" % abc-lint: disable={code}")
    return lsp.CodeAction(
        title=f"Disable {code} on this line", kind=lsp.CodeActionKind.QuickFix,
        diagnostics=diags, edit=lsp.WorkspaceEdit(changes={doc.uri: [edit]}))


@dataclass
class FixOffer:
    """A fix for one finding: edits in the document, and whether it is safe."""

    code: str
    why: str
    safe: bool
    edits: list[tuple[int, int, str]]
    note: str = ""


def _repair_prefix(header_text: str) -> str:
    from ..format.repair import _prefix

    return _prefix(header_text or None)


def finding_fix(book: Book, tunes: Tunes, settings: LintSettings, offset: int,
                code: str) -> FixOffer | None:
    """The fix for the finding ``code`` at ``offset``: what its fixer
    (:data:`abcparse.format.fixers.FIXERS`) proposes for that one finding. A fix the
    fixer declares safe is offered as safe only when the repair engine, which checks
    each safe fix against the music engine, applies the same edits; otherwise it is
    offered as unsafe, saying so."""
    from ..api import parse
    from ..format.fixers import FIX_SAFETY, FIXERS, FixContext
    from ..format.repair import repair
    from ..validate import check

    fixer = FIXERS.get(code)
    chunk = book.chunk_at(offset)
    if fixer is None or chunk is None or chunk.kind != "tune":
        return None
    _, _, header_text = tunes.header(book)
    prefix = _repair_prefix(header_text)
    base = len(prefix)
    full = prefix + chunk.text
    mode = settings.mode
    tbook = parse(full, mode=mode)
    found = check(tbook, mode=mode, select=code)
    local = offset - chunk.start + base
    target = next((d for d in found if d.span.start == local), None)
    if target is None:
        return None
    ctx = FixContext(full, tbook, base, mode == "strict")
    ctx.diagnostics = [target]
    try:
        group = fixer(ctx, target)
    except Exception:
        return None
    if not group or any(e.start < base for e in group):
        return None
    safe = all(e.is_safe for e in group)
    note = ""
    if safe:
        kept = repair(chunk.text, header=header_text or None, target=mode, warnings=True,
                      select=code, unsafe=False)
        applied = {(e.start, e.end, e.new) for e in kept.edits if e.round == 1}
        if not all((e.start - base, e.end - base, e.new) in applied for e in group):
            safe = False
            reasons = {w.reason for w in kept.withdrawn}
            note = ("the music engine found that " + "; ".join(sorted(reasons))
                    if reasons else "the repair engine did not apply it")
    elif not FIX_SAFETY.get(code, False):
        note = "it may change the music"
    edits = [(e.start - base + chunk.start, e.end - base + chunk.start, e.new) for e in group]
    return FixOffer(code, group[0].why, safe, edits, note)


def tune_fix_all(doc: TextDocument, book: Book, tunes: Tunes, settings: LintSettings,
                 offset: int) -> list[lsp.TextEdit] | None:
    """The safe fixes of the tune at ``offset`` (abc-lint --fix for one tune)."""
    from ..format.repair import repair

    chunk = book.chunk_at(offset)
    if chunk is None or chunk.kind != "tune":
        return None
    _, _, header_text = tunes.header(book)
    r = repair(chunk.text, header=header_text or None, target=settings.mode, warnings=True,
               select=settings.select, ignore=settings.ignore,
               extend_select=settings.extend_select, unsafe=False)
    if not r.changed:
        return None
    return _text_edits(doc, chunk.start, chunk.text, r.text)


def file_fix_all(doc: TextDocument, settings: LintSettings) -> list[lsp.TextEdit] | None:
    """The safe fixes of the whole document (abc-lint --fix)."""
    from ..format.repair import repair_text

    r = repair_text(doc.text, target=settings.mode, warnings=True, select=settings.select,
                    ignore=settings.ignore, extend_select=settings.extend_select,
                    unsafe=False)
    if not r.changed:
        return None
    return _text_edits(doc, 0, doc.text, r.text)


# ---------------------------------------------------------------------------------------
# Formatting


def _format_options(doc: TextDocument, settings: LintSettings) -> Any:
    from ..format import FormatOptions, load_options

    path = uri_path(doc.uri)
    try:
        options = load_options(os.path.dirname(path)) if path else FormatOptions()
    except Exception:  # an unreadable [tool.abcparse.format]: the defaults
        options = FormatOptions()
    if settings.mode != "auto":
        options = options.replace(mode=settings.mode)
    return options


def _segments(text: str, options: Any) -> list[tuple[str, str]]:
    """(original, formatted) of each segment of ``text`` as ``abcparse format`` formats
    it (:func:`abcparse.rewrite.format_stream`: a tune with the text before it; a tune
    that fails the safety checks comes back unchanged)."""
    from ..api import iter_tunes
    from ..rewrite import format_stream

    pairs: list[tuple[str, str]] = []
    format_stream(iter_tunes(text, mode=options.mode), options, None,
                  lambda a, b: pairs.append((a, b)))
    return pairs


def format_document(doc: TextDocument, settings: LintSettings) -> list[lsp.TextEdit]:
    """The edits that make the document what ``abcparse format`` writes."""
    text = doc.text
    if not text:
        return []
    options = _format_options(doc, settings)
    edits: list[lsp.TextEdit] = []
    pos = 0
    for original, formatted in _segments(text, options):
        edits.extend(_text_edits(doc, pos, original, formatted))
        pos += len(original)
    if pos != len(text):  # the segments must cover the text; if not, change nothing
        return []
    return edits


def format_range(doc: TextDocument, book: Book, settings: LintSettings, start: int,
                 end: int) -> list[lsp.TextEdit]:
    """Format the tunes that the range touches (each with the text before it), as
    ``abcparse format`` formats them; the rest of the document is left alone.

    Only the touched segments are formatted, after the file's first segment (the
    version line and file header decide how a tune is read, §2.2.2, §12), so a range in
    a big tunebook costs what its tunes cost. ``renumber`` is left off: its X: counter
    runs through the whole file."""
    text = doc.text
    if not text:
        return []
    options = _format_options(doc, settings).replace(renumber=False)
    tunes = [c for c in book.chunks() if c.kind == "tune"]
    if not tunes:
        return format_document(doc, settings)
    # Segment k: from the end of tune k-1 to the end of tune k (the first from 0, the
    # last to the end of the text), as the formatter cuts the file.
    bounds = []
    for k, c in enumerate(tunes):
        a = 0 if k == 0 else tunes[k - 1].start + len(tunes[k - 1].text)
        b = len(text) if k == len(tunes) - 1 else c.start + len(c.text)
        bounds.append((a, b))
    touched = [k for k, (a, b) in enumerate(bounds)
               if a <= end and start < max(b, a + 1)]
    if not touched:
        return []
    chosen = sorted(set([0, *touched]))
    sub = "".join(text[bounds[k][0] : bounds[k][1]] for k in chosen)
    pairs = _segments(sub, options)
    if (len(pairs) != len(chosen)
            or any(p[0] != text[bounds[k][0] : bounds[k][1]] for p, k in zip(pairs, chosen,
                                                                          strict=True))):
        edits = format_document(doc, settings)  # cut differently: format it all, keep ours
        lo, hi = bounds[touched[0]][0], bounds[touched[-1]][1]
        return [e for e in edits if lo <= doc.offset_at(e.range.start.line,
                                                        e.range.start.character) <= hi]
    edits = []
    for (original, formatted), k in zip(pairs, chosen, strict=True):
        if k in touched:
            edits.extend(_text_edits(doc, bounds[k][0], original, formatted))
    return edits


# ---------------------------------------------------------------------------------------
# Diagnostics → LSP

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


def severity(s: Severity) -> lsp.DiagnosticSeverity:
    return _SEVERITY.get(s, lsp.DiagnosticSeverity.Warning)


def diagnostic_json(doc: TextDocument, d: Diagnostic, href: str | None) -> dict[str, Any]:
    """An LSP Diagnostic as JSON (built directly: thousands of findings in a big
    tunebook go out on every change, and lsprotocol's converter costs more than the
    check of one tune)."""
    s = d.span
    a = doc.span_position(s.line, s.col)
    b = doc.span_position(s.end_line, s.end_col)
    if b < a:
        b = a
    out: dict[str, Any] = {
        "range": {"start": {"line": a[0], "character": a[1]},
                  "end": {"line": b[0], "character": b[1]}},
        "severity": int(severity(d.severity)),
        "code": d.code,
        "source": SOURCE,
        "message": d.message,
    }
    if href:
        out["codeDescription"] = {"href": href}
    return out
