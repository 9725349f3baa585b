"""The formatter's safety checks, as black does them: parse what was printed.

After formatting, the output is parsed again and three things must hold, or the tune is
left as it was and a diagnostic says why (at the first line of the tune concerned; the
callers check a tune at a time, :mod:`abcparse.rewrite`):

- ABC903 the music is the same: :func:`music` of every tune of the output equals that of
  the input tune at the same place, and there are as many tunes;
- ABC902 formatting is idempotent: formatting the output again changes nothing;
- ABC904 no diagnostic is added: every tune's diagnostics (codes counted) in the output are
  among the input's (``abcparse.check`` when the validator provides it, else the
  parser's own diagnostics). Findings of the file-scope rules (the registry's
  ``scope="file"``: bytes and line ends, ``X:`` numbers repeated across tunes, fields
  above ``X:``, an empty line in a tune) are left out: they are about the file as a
  whole, not one tune's formatting (``X:01`` printed ``X:1`` beside another ``X:1`` is
  the file's duplicate, issue 13), and what formatting could break among them (where
  tunes start and end, the file header, the free text) the music check compares.

What "the music" is, precisely: everything in the typed model except what the formatter
is allowed to change, which is

- spans and the text (the model's equality already leaves them out);
- line breaks (``LineBreak`` elements: code line ends, ``$``, the 2.0 ``!`` break), the
  layout of the score, not its music;
- the spelling of a decoration (``~`` / ``!roll!`` / ``+roll+``): decorations compare by
  name, and by their symbol only when no name is known for it;
- the spelling of field values: K:, M:, L:, Q:, X: values compare in canonical form (their
  typed values, ``Key``, ``Meter``, ``Tempo``, compare as they are), every other value as
  the parser stripped it;
- the order of the header fields (compared as a multiset; body fields keep their order),
  and the places of comments (compared as a multiset of their texts, trailing white space
  removed), since comments move with the header field below them;
- with ``renumber``, X: values; with ``target``, the ABC version and strictness a tune is
  read with; unreadable text (``ErrorNode``) compares without its surrounding white space.

Notes (pitch, octave, accidental, length), rests, chords, grace notes, tuplets, broken
rhythms, ties, slurs, bar lines with their repeats and endings, variant endings, chord
symbols, annotations, inline fields, overlays, spacers, reserved characters, voices and
their properties, lyrics (with their alignment), symbol lines, W: words, ``%%`` directives
(in order), the file header and free text are all compared.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..diagnostics import Diagnostic, Severity, Span, sort_diagnostics
from ..errors import AbcError
from ..model import (
    Bar,
    Chord,
    Comment,
    Decoration,
    ErrorNode,
    Field,
    FileHeader,
    GraceGroup,
    InlineField,
    LineBreak,
    Tune,
    Tunebook,
    Voice,
)
from ..split import text_lines
from .options import FormatOptions
from .printer import canonical_value, long_names

CODE_NOT_IDEMPOTENT = "ABC902"
CODE_CHANGED_MUSIC = "ABC903"
CODE_ADDED_DIAGNOSTIC = "ABC904"


class UnsafeFormattingError(AbcError):
    """Formatting failed a safety check; ``diagnostics`` say which and where."""

    def __init__(self, diagnostics: Sequence[Diagnostic], path: str | None = None,
                 text: str | None = None) -> None:
        self.diagnostics = tuple(diagnostics)
        self.path = path
        self.text = text  # the text with every tune that passed formatted, when known
        first = self.diagnostics[0] if self.diagnostics else None
        where = f"{path}:" if path else ""
        text = f"{where}{first.line}:{first.col}: {first.code} {first.message}" if first else ""
        more = len(self.diagnostics) - 1
        if more > 0:
            text += f" (and {more} more)"
        super().__init__(text)


# ---------------------------------------------------------------------------------------
# What "the music" is


def _element(e: Any) -> Any:
    """One element with what the formatter may change taken out (see the module doc)."""
    if isinstance(e, Decoration):
        return Decoration(e.name, "" if e.name is not None else e.symbol)
    if isinstance(e, Chord):
        return dataclasses.replace(e, items=tuple(_element(i) for i in e.items))
    if isinstance(e, GraceGroup):
        return dataclasses.replace(e, items=tuple(_element(i) for i in e.items))
    if isinstance(e, InlineField):
        return dataclasses.replace(e, value=canonical_value(e.letter, e.value),
                                   parsed=_long_props(e.parsed))
    if isinstance(e, ErrorNode):
        return ErrorNode(e.text.strip())
    return e


def _elements(elements: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_element(e) for e in elements if not isinstance(e, LineBreak))


def _bar(bar: Bar) -> Bar:
    # Made directly, not by dataclasses.replace: the span is not music (it is left out of
    # ==), and replace would unpack it (model.SpanSlot) for every bar of both texts.
    return Bar(_elements(bar.elements), bar.opening, bar.closing, bar.ending)


def _voice(voice: Voice) -> Voice:
    out: Voice = _long_props(dataclasses.replace(voice, bars=tuple(_bar(b) for b in voice.bars)))
    return out


def _long_props(value: Any) -> Any:
    """A key or voice with its properties' names written in full (``t=`` is
    ``transpose=``: the formatter writes the long names, printer.long_names)."""
    props = getattr(value, "properties", None)
    if not props:
        return value
    return dataclasses.replace(value, properties=long_names(props))


def _field(f: Field, renumber: bool) -> tuple[str, str, bool, bool]:
    value = "" if (renumber and f.letter == "X" and not f.in_body) else f.value
    return (f.letter, canonical_value(f.letter, value), f.in_body, f.inline)


def _comments(comments: Iterable[Comment]) -> list[str]:
    return sorted(c.text.rstrip() for c in comments)


def music(tune: Tune, options: FormatOptions | None = None) -> dict[str, Any]:
    """The parts of ``tune`` the formatter must keep, as a dict of comparable values
    (a dict, so a difference can be named)."""
    opts = options or FormatOptions()
    fields = [_field(f, opts.renumber) for f in tune.fields]
    head = [f for f in fields if not f[2]]
    body = [f for f in fields if f[2]]
    h = tune.header
    out: dict[str, Any] = {
        "key": _long_props(h.key),
        "meter": h.meter,
        "unit length": h.unit_length,
        "tempo": h.tempo,
        "parts": h.parts,
        "header fields": sorted(head),
        "body fields": body,
        "voices": [v.id for v in tune.voices],
        "directives": tune.directives,
        "comments": _comments(tune.comments),
        "words": tune.words,
    }
    for v in tune.voices:
        nv = _voice(v)
        out[f"voice {v.id}"] = dataclasses.replace(nv, bars=())
        for i, bar in enumerate(nv.bars, 1):
            out[f"voice {v.id}, bar {i}"] = bar
        out[f"voice {v.id}, bar count"] = len(nv.bars)
    if opts.target is None:
        out["ABC version"] = tune.abc_version
        out["strict reading"] = tune.strict
    return out


def _file_header(header: FileHeader) -> tuple[Any, ...]:
    return (
        [_field(f, False) for f in header.fields],
        header.directives,
        _comments(header.comments),
    )


def _free_text(book: Tunebook) -> list[str]:
    out: list[str] = []
    for ft in book.free_text:
        out.extend(line.rstrip() for line in text_lines(ft.text) if line.strip())
    return out


def first_difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """The name of the first part that differs between two :func:`music` dicts."""
    for key in [*a, *(k for k in b if k not in a)]:
        if a.get(key, _MISSING) != b.get(key, _MISSING):
            return key
    return None


_MISSING = object()


# ---------------------------------------------------------------------------------------
# Diagnostics


def _diagnostics_of(text: str, book: Tunebook, mode: str) -> list[Diagnostic]:
    """The validator's diagnostics when it exists (``abcparse.check``), else the
    parser's. Only their codes are compared (positions move when formatting)."""
    import abcparse

    check: Callable[..., Any] | None = getattr(abcparse, "check", None)
    if check is not None:
        try:
            result = check(book, mode=mode)
        except Exception:  # a validator bug must not stop formatting: fall back
            return list(book.diagnostics)
        found = getattr(result, "diagnostics", result)
        return [d for d in found if isinstance(d, Diagnostic)]
    return list(book.diagnostics)


def file_scope_codes() -> frozenset[str]:
    """The codes of the validator's file-scope rules (``scope="file"``), which the
    ABC904 check leaves out (see the module docstring)."""
    try:
        from ..validate import registry
    except ImportError:  # no validator: the parser's diagnostics only
        return frozenset()
    return frozenset(code for code, r in registry().items() if r.scope == "file")


def _by_tune(diags: Iterable[Diagnostic], book: Tunebook) -> list[Counter[str]]:
    """Diagnostic codes counted per tune (index i) and, last, for the rest of the file;
    file-scope findings left out."""
    spans = [(t.span.start, t.span.end) for t in book.tunes]
    counts: list[Counter[str]] = [Counter() for _ in range(len(spans) + 1)]
    skip = file_scope_codes()
    for d in diags:
        if d.code.startswith("ABC9") or d.code in skip:
            continue
        pos = d.span.start
        index = len(spans)
        for i, (a, b) in enumerate(spans):
            if a <= pos < b or (a == pos == b):
                index = i
                break
        counts[index][d.code] += 1
    return counts


# ---------------------------------------------------------------------------------------
# The checks


def tune_span(tune: Tune, text: str) -> Span:
    """The first line of a tune (its X: line), where an ABC9xx diagnostic points."""
    start = tune.span.start
    end = start
    while end < len(text) and text[end] not in "\r\n":
        end += 1
    return Span(tune.span.line, 1, tune.span.line, end - start + 1, start, end)


def _file_span(text: str) -> Span:
    end = 0
    while end < len(text) and text[end] not in "\r\n":
        end += 1
    return Span(1, 1, 1, end + 1, 0, end)


def _label(tune: Tune) -> str:
    ref = tune.header.first("X")
    title = tune.title
    name = f"X:{ref.strip()}" if ref is not None else "the tune"
    return f"{name} ({title})" if title else name


@dataclasses.dataclass(frozen=True, slots=True)
class TuneCheck:
    """Per-tune outcome of the safety checks (used by the corpus measurements)."""

    index: int
    music_kept: bool
    idempotent: bool
    no_new_diagnostic: bool

    @property
    def ok(self) -> bool:
        return self.music_kept and self.idempotent and self.no_new_diagnostic


def check_formatting(
    original: str,
    formatted: str,
    reformatted: str,
    options: FormatOptions | None = None,
    *,
    before: Tunebook | None = None,
) -> tuple[list[Diagnostic], list[TuneCheck]]:
    """Compare ``original`` with its ``formatted`` text (and ``reformatted``, the output of
    formatting ``formatted`` again). Returns ABC902/903/904 diagnostics positioned in
    ``original``, and the outcome per input tune."""
    from ..api import parse

    opts = options or FormatOptions()
    book_in = before if before is not None else parse(original, mode=opts.mode)
    book_out = parse(formatted, mode=opts.mode)
    diags: list[Diagnostic] = []
    n_in, n_out = len(book_in.tunes), len(book_out.tunes)
    music_ok = [True] * n_in
    idem_ok = [True] * n_in
    diag_ok = [True] * n_in

    def report(index: int | None, code: str, message: str, rule: str) -> None:
        if index is not None and index < n_in:
            tune = book_in.tunes[index]
            span = tune_span(tune, original)
            message = f"{_label(tune)}: {message}"
        else:
            span = _file_span(original)
        diags.append(Diagnostic(code, message, span, Severity.ERROR, rule))

    # ABC903: the music.
    if n_in != n_out:
        report(None, CODE_CHANGED_MUSIC,
               f"formatting would change the number of tunes from {n_in} to {n_out};"
               " left as it was",
               "format-changed-music")
        music_ok = [False] * n_in
    else:
        for i, (a, b) in enumerate(zip(book_in.tunes, book_out.tunes, strict=True)):
            ma, mb = music(a, opts), music(b, opts)
            if ma != mb:
                music_ok[i] = False
                what = first_difference(ma, mb)
                report(i, CODE_CHANGED_MUSIC,
                       f"formatting would change the music ({what} differs); left as it was",
                       "format-changed-music")
        if _file_header(book_in.header) != _file_header(book_out.header):
            report(None, CODE_CHANGED_MUSIC,
                   "formatting would change the file header; left as it was",
                   "format-changed-music")
        if _free_text(book_in) != _free_text(book_out):
            report(None, CODE_CHANGED_MUSIC,
                   "formatting would change the free text between tunes; left as it was",
                   "format-changed-music")

    # ABC902: idempotence.
    if reformatted != formatted:
        out_lines = text_lines(formatted)
        again = text_lines(reformatted)
        line_no = next(
            (k for k, (x, y) in enumerate(zip(out_lines, again, strict=False), 1) if x != y),
            min(len(out_lines), len(again)) + 1,
        )
        index = _tune_at_line(book_out, line_no)
        was = out_lines[line_no - 1] if line_no <= len(out_lines) else ""
        now = again[line_no - 1] if line_no <= len(again) else ""
        if index is not None and index < n_in:
            idem_ok[index] = False
        else:
            idem_ok = [False] * n_in
        report(index, CODE_NOT_IDEMPOTENT,
               f"formatting is not idempotent: a second pass changes {was!r} into {now!r};"
               " left as it was", "format-not-idempotent")

    # ABC904: diagnostics. With a target version, the output is read as that version
    # declares (strictly), so it is compared with the input read the same way: what the
    # declaration reveals was there before formatting (and is for abc-lint to report).
    diag_in = book_in
    if opts.target is not None:
        diag_in = parse(original, mode="strict")
    c_in = _by_tune(_diagnostics_of(original, diag_in, diag_in.mode), diag_in)
    c_out = _by_tune(_diagnostics_of(formatted, book_out, opts.mode), book_out)
    if len(c_in) != len(c_out):  # the strict reading cuts the file differently
        c_in = [_total(c_in)]
        c_out = [_total(c_out)]
    if n_in == n_out:
        for i, (a_count, b_count) in enumerate(zip(c_in, c_out, strict=True)):
            added = b_count - a_count
            if added:
                index = i if (i < n_in and len(c_in) > 1) else None
                if index is not None:
                    diag_ok[index] = False
                elif len(c_in) == 1:
                    diag_ok = [False] * n_in
                codes = ", ".join(sorted(added.elements()))
                report(index, CODE_ADDED_DIAGNOSTIC,
                       f"formatting would add diagnostic(s) {codes}; left as it was",
                       "format-added-diagnostic")
    checks = [TuneCheck(i, music_ok[i], idem_ok[i], diag_ok[i]) for i in range(n_in)]
    sort_diagnostics(diags)
    return diags, checks


def _total(counts: list[Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counts:
        out.update(c)
    return out


def _tune_at_line(book: Tunebook, line: int) -> int | None:
    for i, t in enumerate(book.tunes):
        if t.span.line <= line <= t.span.end_line:
            return i
    return None
