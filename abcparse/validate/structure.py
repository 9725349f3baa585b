"""ABC2xx: file and tune-header structure (ABC 2.1 §2.2, §3).

What fields a tune has, in what order, where each field letter may stand, and whether
field values can be read. The parser reports values it cannot read (ABC221-ABC228) and
the file's block structure (ABC209, ABC211); the rules here check the rest from the
tunes' field lists and the file's chunks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from ..build import OUTDATED_TEMPO_RE
from ..diagnostics import Severity
from ..limits import MAX_NUMBER_DIGITS, bounded_int
from ..model import Field, Tune
from ..split import text_lines
from .context import FileContext, TuneContext
from .registry import Finding, rule

# §3 table "Abc Fields and their usage".
KNOWN_FIELDS = frozenset("ABCDFGHIKLMmNOPQRrSsTUVWwXZ")
FILE_HEADER_FIELDS = frozenset("ABCDFGHILMmNORrSUZ")
BODY_FIELDS = frozenset("IKLMmNPQRrsTUVWw")
INLINE_FIELDS = frozenset("IKLMmNPQRrUV")
BODY_ONLY_FIELDS = frozenset("sw")
HEADER_ONLY_FIELDS = frozenset("ABCDFGHOSZ")  # X: starts the next tune
_FIELD_LINE_RE = re.compile(r"^[A-Za-z+]:")
_X_RE = re.compile(r"^X:", re.M)


def _field_span_text(f: Field) -> str:
    return f"{f.letter}:{f.value}"


@rule("ABC201", "missing-reference", section="§3.1.1")
def missing_reference(ctx: TuneContext) -> Iterator[Finding]:
    """A tune without an ``X:`` field.

    ``X:`` (the reference number) starts every tune (§3.1.1); a block of fields with a
    ``K:`` and music but no ``X:`` is read as a tune in loose mode, so its music is
    checked, but other programs will see free text.

    Passes:

    ```abc
    X:1
    T:Numbered
    K:C
    abc|
    ```

    Fails:

    ```abc
    T:No number
    K:C
    abc|
    ```
    """
    fields = ctx.tune.header.fields
    if any(f.letter == "X" for f in fields):
        return
    if any(b is ctx.tune for _, b in _header_split_pairs(ctx.file)):
        return  # the second half of a header cut by an empty line: ABC209 says so
    where = fields[0].span if fields else ctx.tune.span
    yield Finding("tune without X:: every tune starts with its X: reference number (§3.1.1)",
                  where)


@rule("ABC202", "reference-not-first", scope="file", section="§3.1.1, §2.2.2")
def reference_not_first(ctx: FileContext) -> Iterator[Finding]:
    """Fields directly above ``X:``, with no empty line between.

    ``X:`` must be the first field of a tune (§3.1.1): fields written above it in the
    same block do not belong to the tune. If they were meant as the file header, end the
    header with an empty line (§2.2.2); if they belong to the tune, move them below
    ``X:``.

    Passes:

    ```abc
    M:6/8

    X:1
    T:Header apart
    K:D
    dAF dAF|
    ```

    Fails:

    ```abc
    T:Title first
    X:1
    K:D
    dAF dAF|
    ```
    """
    # The window's text holds the tune before this one's first, so looking back never
    # runs out of text before it meets a line that is not a comment.
    text = ctx.text
    base = ctx.base
    for tune in ctx.tunes:
        start = tune.span.start - base
        if tune.span.start == 0 or not text.startswith("X:", start):
            continue
        # The lines above X:, skipping comments, up to an empty line.
        end = start
        while end > 0:
            line_end = end - 1
            if text[line_end] == "\n" and line_end > 0 and text[line_end - 1] == "\r":
                line_end -= 1
            line_start = max(text.rfind("\n", 0, line_end), text.rfind("\r", 0, line_end)) + 1
            line = text[line_start:line_end]
            if line.startswith("%"):
                end = line_start
                continue
            if _FIELD_LINE_RE.match(line):
                yield Finding(
                    "field directly above X: with no empty line between: X: must be the"
                    " first field of its tune (§3.1.1); end a file header with an empty"
                    " line (§2.2.2)",
                    ctx.span(base + line_start, base + line_end),
                )
            break


@rule("ABC203", "title-not-second", strict=Severity.ERROR, loose=None, section="§3.1.2")
def title_not_second(ctx: TuneContext) -> Iterator[Finding]:
    """``T:`` is not the field right after ``X:`` (strict mode only).

    ABC 2.1 puts the title second: "A T: field must follow immediately after the X:
    field" (§3.1.2; it may be empty). Older files often put it later or leave it out,
    which loose reading accepts.

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:Title second
    M:4/4
    K:C
    abcd|
    ```

    Fails:

    ```abc
    %abc-2.1
    X:1
    M:4/4
    T:Title third
    K:C
    abcd|
    ```

    ```abc
    %abc-2.1
    X:1
    M:4/4
    K:C
    abcd|
    ```
    """
    fields = ctx.tune.header.fields
    if not fields or fields[0].letter != "X":
        return
    if len(fields) > 1 and fields[1].letter == "T":
        return
    titles = [f for f in fields if f.letter == "T"]
    if titles:
        yield Finding("T: must come right after X: (§3.1.2)", titles[0].span)
    else:
        yield Finding("tune without T:: a T: title (it may be empty) must follow X: (§3.1.2)",
                      fields[0].span)


@rule("ABC204", "missing-key", section="§3.1.14, §2.2.1")
def missing_key(ctx: TuneContext) -> Iterator[Finding]:
    """A tune whose header does not end with ``K:``, or has no ``K:`` at all.

    ``K:`` is the last field of the tune header (§3.1.14); the music starts after it.
    The parser reports music that comes before any ``K:``; this rule reports a tune with
    no ``K:`` at all.

    Passes:

    ```abc
    X:1
    T:Keyed
    K:G
    GAB|
    ```

    Fails:

    ```abc
    X:1
    T:Music too early
    GAB|
    K:G
    ```

    ```abc
    X:1
    T:Only a header
    M:4/4
    ```
    """
    tune = ctx.tune
    if any(f.letter == "K" for f in tune.header.fields):
        return
    if any(d.code == "ABC204" for d in tune.diagnostics):
        return  # the parser already said where the music starts
    if any(a is tune for a, _ in _header_split_pairs(ctx.file)):
        return  # the first half of a header cut by an empty line: ABC209 says so
    fields = tune.header.fields
    where = fields[0].span if fields else tune.span
    yield Finding("tune without K:: the tune header must end with a K: field (§3.1.14)", where)


@rule("ABC205", "header-field-in-body", section="§3")
def header_field_in_body(ctx: TuneContext) -> Iterator[Finding]:
    """A field that belongs in the header written after ``K:``.

    ``A: B: C: D: F: G: H: O: S: Z:`` are allowed in the file header and the tune header
    only (§3, the table of fields): after ``K:`` the header has ended, and these lines
    are not part of the tune's description. Move them above ``K:``.

    Passes:

    ```abc
    X:1
    T:Good
    C:Trad.
    K:C
    abc|
    N:notes are fine in the body
    ```

    Fails:

    ```abc
    X:1
    T:Late composer
    K:C
    abc|
    C:Trad.
    ```
    """
    for f in ctx.tune.fields:
        if f.in_body and not f.inline and f.letter in HEADER_ONLY_FIELDS:
            yield Finding(
                f"{f.letter}: belongs in the tune header, above K: (§3); after K: it is in"
                " the tune body",
                f.span,
            )


@rule("ABC206", "duplicate-reference", scope="file", section="§3.1.1")
def duplicate_reference(ctx: FileContext) -> Iterator[Finding]:
    """Two tunes of one file with the same ``X:`` number.

    ``X:`` assigns each tune "a unique reference number" (§3.1.1): programs select tunes
    by it (``abcm2ps -e 12``), and duplicates pick the wrong one. The finding is on the
    second tune and names the first.

    Passes:

    ```abc
    X:1
    T:One
    K:C
    abc|

    X:2
    T:Two
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:1
    T:One
    K:C
    abc|

    X:1
    T:Also one
    K:C
    abc|
    ```
    """
    # The numbers seen so far, with their lines: all this rule keeps of a streamed file.
    seen: dict[str, int] = ctx.carry.setdefault("ABC206", {})
    for tune in ctx.tunes:
        ref = reference_field(tune.header.fields)
        if ref is None:
            continue
        value = ref.value.strip()
        if value in seen:
            yield Finding(
                f"X:{value} is already the number of the tune on line {seen[value]}:"
                " reference numbers must be unique in a file (§3.1.1)",
                ref.span,
            )
        else:
            seen[value] = ref.span.line


def reference_field(fields: tuple[Field, ...]) -> Field | None:
    """The X: field a tune is known by: its header's first, when it has a value
    (``fields``: the tune header's). ``abc-lint --jobs`` reads it from each tune's
    header alone, to tell the worker processes the numbers earlier tunes used."""
    for f in fields:
        if f.letter == "X":
            return f if f.value.strip() else None
    return None


@rule("ABC207", "unknown-field", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§3")
def unknown_field(ctx: TuneContext) -> Iterator[Finding]:
    """A field letter that ABC 2.1 does not define.

    §3: "programs that comply with this standard must ignore the occurrence of
    information fields not defined here (although they should give a non-fatal error
    message ...)". The line is ignored; if it was meant as text, make it a comment
    (``%``) or an ``N:`` note.

    Passes:

    ```abc
    X:1
    T:Known fields
    N:a note
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:1
    T:Unknown field
    Y:what is this
    K:C
    abc|
    ```
    """
    for f in ctx.tune.fields:
        if f.letter not in KNOWN_FIELDS and f.letter not in DEPRECATED_FIELDS:
            yield Finding(
                f"{f.letter}: is not an ABC 2.1 field; programs ignore it (§3)", f.span
            )


#: §10.1's deprecated fields, each with what to write instead.
DEPRECATED_FIELDS = {
    "A": "area information goes in O: (origin)",
    "E": "it set note spacing for abc2mtex; no program needs it now: delete it",
}


@rule("ABC215", "deprecated-field", strict=Severity.WARNING, loose=None,
      section="§10.1, §10")
def deprecated_field(ctx: TuneContext) -> Iterator[Finding]:
    """``A:`` (area) or ``E:`` (note spacing for abc2mtex), fields §10.1 deprecates.

    §10 asks conforming software that meets deprecated syntax under strict interpretation
    to warn about it. ``A:`` is kept in 2.1 for backward compatibility but marked
    deprecated (its meaning changed twice: area, then lyrics author, then area again);
    ``E:`` spaced notes for abc2mtex. Both are read as text and change nothing that is
    played. Write the area in ``O:``, and delete ``E:``.

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:An area
    O:Ireland, Donegal
    K:C
    abc|
    ```

    Fails:

    ```abc
    %abc-2.1
    X:1
    T:An area
    A:Donegal
    K:C
    abc|
    ```
    """
    for f in ctx.tune.fields:
        why = DEPRECATED_FIELDS.get(f.letter)
        if why is not None:
            yield Finding(f"{f.letter}: is a field §10.1 deprecates: {why}", f.span)


@rule("ABC208", "field-not-allowed-here", section="§3, §3.3, §6.1.1")
def field_not_allowed_here(ctx: TuneContext) -> Iterator[Finding]:
    """A field where the standard does not allow that field.

    §3's table says where each field may stand: ``s:`` and ``w:`` only in the tune body;
    inline (``[X:...]``) only ``I: K: L: M: m: N: P: Q: R: r: U: V:``; ``I:linebreak`` not
    in the body (§6.1.1). A ``+:`` line continues the field on the line right above it
    (§3.3); after anything else it continues nothing.

    Passes:

    ```abc
    X:1
    T:Fine
    K:C
    [M:3/4] abc|
    w:la la la
    ```

    Fails:

    ```abc
    X:1
    T:Lyrics in the header
    w:la la la
    K:C
    abc|
    ```

    ```abc
    X:1
    T:Inline title
    K:C
    abc [T:Second part] def|
    ```

    ```abc
    X:1
    T:Continuation after music
    K:C
    abc|
    +:more
    ```
    """
    tune = ctx.tune
    for f in tune.fields:
        letter = f.letter
        if f.inline:
            if letter not in INLINE_FIELDS and letter in KNOWN_FIELDS:
                yield Finding(
                    f"{letter}: cannot be written inline as [{letter}:...] (§3); put it on a"
                    " line of its own",
                    f.span,
                )
        elif not f.in_body:
            if letter in BODY_ONLY_FIELDS:
                yield Finding(
                    f"{letter}: belongs in the tune body, after K: and the music it goes"
                    " with (§3)",
                    f.span,
                )
        elif letter == "I" and f.value.startswith("linebreak"):
            yield Finding("I:linebreak is not allowed in the tune body (§6.1.1); put it in"
                          " the tune header or the file header", f.span)
    yield from _orphan_continuations(ctx)


def _orphan_continuations(ctx: TuneContext) -> Iterator[Finding]:
    """``+:`` lines whose line above is not a field line (§3.3)."""
    text = ctx.tune.text
    if "\n+:" not in text and "\r+:" not in text:
        return
    base = ctx.tune.span.start
    prev_field = False
    offset = 0
    for line in text_lines(text, keepends=True):
        body = line.rstrip("\r\n")
        if body.startswith("+:"):
            if not prev_field:
                yield Finding(
                    "+: continues the field on the line above (§3.3), but the line above is"
                    " not a field",
                    ctx.span(base + offset, base + offset + 2),
                )
        elif body.startswith("%"):
            offset += len(line)
            continue
        prev_field = bool(_FIELD_LINE_RE.match(body)) or (body.startswith("+:") and prev_field)
        offset += len(line)


@rule("ABC209", "empty-line-in-tune", scope="file", section="§2.2.1")
def empty_line_in_tune(ctx: FileContext) -> Iterator[Finding]:
    """An empty line inside a tune: in its header, or between its header and its music.

    An empty line ends a tune (§2.2.1), so what follows it is not part of the tune.
    Loose reading glues music after the empty line back to its header (two tunes of the
    MIT Irish corpus need it) and warns; strict reading keeps the standard's rule and
    reports an error. Both report an empty line in the middle of the header fields (the
    tune before it has no ``K:``, the block after it no ``X:``). Delete the empty line.

    Passes:

    ```abc
    X:1
    T:Together
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:1
    T:Apart
    K:C

    abc|
    ```

    ```abc
    X:1
    T:Header apart

    M:4/4
    K:C
    abc|
    ```
    """
    # The parser reports the first case while it splits the file; this finds the second,
    # in the window of the second half.
    own = ctx.tunes
    for a, b in _header_split_pairs(ctx):
        if not any(b is t for t in own):
            continue
        end = a.span.start + len(a.text)
        yield Finding(
            "empty line inside the tune header: it ends the tune (§2.2.1), so the fields"
            " and music after it belong to no tune; delete it",
            ctx.span(end, end),
        )


def _header_split_pairs(ctx: FileContext) -> list[tuple[Tune, Tune]]:
    """Tunes cut in two by an empty line in the header: a tune without ``K:`` followed,
    after nothing but empty lines, by a block with no ``X:`` (among the window's tunes
    and the tunes on either side of it)."""
    cached: list[tuple[Tune, Tune]] | None = ctx._cache.get("header split pairs")
    if cached is not None:
        return cached
    tunes = [t for t in (ctx.before, *ctx.tunes, ctx.after) if t is not None]
    out = []
    for a, b in itertools.pairwise(tunes):
        if any(f.letter == "K" for f in a.header.fields):
            continue
        if any(f.letter == "X" for f in b.header.fields):
            continue
        gap = ctx.at(a.span.start + len(a.text), b.span.start)
        if not gap.strip():
            out.append((a, b))
    ctx._cache["header split pairs"] = out
    return out


@rule("ABC210", "reference-not-a-number", section="§3.1.1")
def reference_not_a_number(ctx: TuneContext) -> Iterator[Finding]:
    """An ``X:`` value that is not a positive whole number.

    The reference number is "a positive integer" (§3.1.1). An empty ``X:`` is allowed
    (not recommended) and not reported.

    Passes:

    ```abc
    X:12
    T:Twelve
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:A1
    T:Letter
    K:C
    abc|
    ```

    ```abc
    X:0
    T:Zero
    K:C
    abc|
    ```
    """
    for f in ctx.tune.header.fields:
        if f.letter != "X":
            continue
        value = f.value.strip()
        number = bounded_int(value)
        if value and (number is None or number <= 0):
            shown = value if len(value) <= 20 else value[:20] + "..."
            why = (f"has more than {MAX_NUMBER_DIGITS} digits" if value.isascii()
                   and value.isdigit() else "is not a positive whole number")
            yield Finding(f"X:{shown} {why} (§3.1.1)", f.span)
        return


@rule("ABC211", "missing-empty-line", source="parser", section="§2.2")
def missing_empty_line(ctx: TuneContext) -> Iterator[Finding]:
    """A tune that starts (``X:``) with no empty line after the tune before it.

    Tunes are separated by empty lines (§2.2): without one, programs that follow the
    standard read the second tune as part of the first. The parser starts a new tune at
    every ``X:`` line anyway and reports the missing empty line.

    Passes:

    ```abc
    X:1
    T:One
    K:C
    abc|

    X:2
    T:Two
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:1
    T:One
    K:C
    abc|
    X:2
    T:Two
    K:C
    abc|
    ```
    """
    return iter(())


def _value_rule(code: str, name: str, letter: str, section: str, good: str, bad: str,
                what: str) -> None:
    """Register the documentation rule of a parser code for unreadable field values."""

    def doc_rule(ctx: TuneContext) -> Iterator[Finding]:
        return iter(())

    doc_rule.__doc__ = (
        f"A value of {letter} that cannot be read as a {what}.\n\n"
        "The parser reads field values with their own grammars and reports the first\n"
        "character that does not fit, with what was expected there. The field is then\n"
        "ignored, so what it would have set keeps its previous value or its default.\n\n"
        f"Passes:\n\n```abc\nX:1\nT:Good\n{good}\nabc|\n```\n\n"
        f"Fails:\n\n```abc\nX:1\nT:Bad\n{bad}\nabc|\n```\n"
    )
    doc_rule.__name__ = doc_rule.__qualname__ = f"invalid_{code.lower()}"
    # M:, L: and K: change how the music reads (durations, pitches): an error in both
    # modes. The others lose a tempo, a part order, a voice property or lyrics: loose
    # reading warns (the Nottingham Music Database writes free text in P:).
    loose = Severity.ERROR if code in ("ABC221", "ABC222", "ABC223") else Severity.WARNING
    rule(code, name, strict=Severity.ERROR, loose=loose, source="parser",
         section=section)(doc_rule)


_value_rule("ABC221", "invalid-meter", "M:", "§3.1.6", "M:6/8\nK:C", "M:6/x\nK:C", "meter")
_value_rule("ABC222", "invalid-unit-length", "L:", "§3.1.7", "L:1/8\nK:C", "L:1/x\nK:C",
            "unit note length")
_value_rule("ABC223", "invalid-key", "K:", "§3.1.14", "K:Gmix", "K:Hm", "key")
_value_rule("ABC224", "invalid-tempo", "Q:", "§3.1.8", 'Q:"Allegro" 1/4=120\nK:C',
            "Q:fast=\nK:C", "tempo")
_value_rule("ABC225", "invalid-parts", "P:", "§3.1.9", "P:A2B\nK:C", "P:(AB\nK:C",
            "part order")
_value_rule("ABC226", "invalid-voice", "V:", "§7.1", "V:1 clef=bass\nK:C", "V:\nK:C",
            "voice definition")
_value_rule("ABC227", "invalid-instruction", "U: or I:", "§4.16, §3.1.17",
            "U:W = !trill!\nK:C", "U:Z = !trill!\nK:C", "symbol definition or instruction")
_value_rule("ABC228", "invalid-lyrics", "s: or w:", "§4.15, §5.1", "K:C",
            'K:C\nabc|\ns: "open', "symbol line or lyrics line")


@rule("ABC231", "unlisted-unit-length", strict=Severity.WARNING, loose=Severity.WARNING,
      source="parser", section="§3.1.7")
def unlisted_unit_length(ctx: TuneContext) -> Iterator[Finding]:
    """A unit note length that §3.1.7 does not list: ``L:1/1875000``, ``L:1/6``.

    §3.1.7 lists ``L:1`` to ``L:1/512``, halving each time. A fraction with another
    denominator is read as written, as abc2midi and abcjs read it (the notes' lengths are
    multiples of it), and reported: a typesetter cannot draw such a note. Maestro's
    exports for a game's music player write such a unit to time the notes of a recorded
    performance.

    Passes:

    ```abc
    X:1
    T:Eighths
    M:3/8
    L:1/8
    K:D
    DEF|F2E|
    ```

    Fails:

    ```abc
    X:1
    T:Sixths
    M:3/8
    L:1/6
    K:G
    G3/4A3/4|
    ```
    """
    return iter(())


@rule("ABC212", "missing-meter", strict=Severity.WARNING, loose=Severity.WARNING,
      default=False, section="§3.1.6")
def missing_meter(ctx: TuneContext) -> Iterator[Finding]:
    """A tune with no ``M:`` field, in its header or the file header.

    The standard lets a tune leave the meter out (free meter, §3.1.6), but players do not
    agree on what to do: abc2midi assumes 4/4 and measures every bar against it ("No M: in
    header, using default"). Off by default; the ``playable`` profile (``abc-lint
    --profile playable``) turns it on.

    Passes:

    ```abc
    X:1
    T:With a meter
    M:6/8
    K:G
    GAB c2d|
    ```

    Fails:

    ```abc
    X:1
    T:No meter
    K:G
    GAB c2d|
    ```
    """
    if ctx.tune.meter is not None:
        return
    if any(f.letter == "M" for f in ctx.book.header.fields):
        return
    first = ctx.tune.header.fields[0] if ctx.tune.header.fields else None
    if first is not None:
        yield Finding("no M: field: players disagree on the meter (abc2midi assumes 4/4);"
                      " write M: (M:none for free meter) (§3.1.6)", first.span)


@rule("ABC213", "outdated-history-continuation", strict=Severity.WARNING,
      loose=Severity.WARNING, source="parser", section="§3.1.13, §10.1")
def outdated_history_continuation(ctx: TuneContext) -> Iterator[Finding]:
    """A line of the tune header with no field letter, after an ``H:`` line: the
    original usage of the history field, which runs on over lines until the next field.

    §10.1 deprecates that usage, and §10 asks software to still read deprecated syntax,
    with a warning under strict interpretation too. abcparse reads the line as more of the
    history (``H:`` text, as abc2midi and abcjs read it), not as music before ``K:``;
    only in the header, and only when a ``K:`` line follows. Write ``+:`` at the start of
    the line (§3.3), which the safe fix does.

    Passes:

    ```abc
    X:1
    T:A history
    H:this history
    +:continues here
    K:C
    CDEF GABc|
    ```

    Fails:

    ```abc
    X:1
    T:A history
    H:this history
    continues here
    K:C
    CDEF GABc|
    ```
    """
    return iter(())


@rule("ABC214", "outdated-tempo", strict=Severity.WARNING, loose=None,
      section="§3.1.8, §10.1")
def outdated_tempo(ctx: TuneContext) -> Iterator[Finding]:
    """A tempo in one of the outdated forms of §10.1: ``Q:120`` or ``Q:C=120``, both 120
    unit note lengths a minute.

    §10 asks software to read deprecated syntax and, under strict interpretation, to warn
    about it. abcparse plays both as written: ``C=`` counts unit notes (``C2=``, notes two
    units long), as abc2midi does. The tempo moves with ``L:``, which is why §3.1.8 now
    names the beat: write ``Q:1/8=120`` for ``L:1/8``. No fix: abc2midi reads a bare
    number as quarter notes, abcparse and abcjs as unit notes, so a rewrite would change
    how one of them plays the tune.

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:A tempo
    L:1/8
    Q:1/8=120
    K:C
    CDEF GABc|
    ```

    Fails:

    ```abc
    %abc-2.1
    X:1
    T:An outdated tempo
    L:1/8
    Q:C=120
    K:C
    CDEF GABc|
    ```
    """
    for f in ctx.tune.fields:
        if f.letter == "Q" and OUTDATED_TEMPO_RE.match(f.value):
            yield Finding(f"Q:{f.value} counts unit notes per minute, a form §10.1"
                          " deprecates; name the beat (Q:1/4=120) (§3.1.8)", f.span)


_INCLUDE_RE = re.compile(r"[ \t]*abc-include\b")


@rule("ABC230", "include-not-read", strict=Severity.WARNING, loose=Severity.WARNING,
      scope="file", section="§3.1.17")
def include_not_read(ctx: FileContext) -> Iterator[Finding]:
    """``I:abc-include FILE.abh``: the instruction to insert a header file's fields and
    directives (§3.1.17), which abcparse does not follow.

    abcparse reads one file (or text) at a time: the definitions in the header file (a
    ``U:`` symbol, an ``m:`` macro, ``M:`` or ``L:`` defaults) are not applied, so the
    tunes may read and sound differently from what the header file would make them.
    §3.1.17 asks for a non-fatal message when the header file cannot be used; this is
    that message. Copy the header file's lines into the file header to have them read.

    Passes:

    ```abc
    U:T = !trill!

    X:1
    T:Definitions written out
    K:C
    TC DE|
    ```

    Fails:

    ```abc
    I:abc-include mydefs.abh

    X:1
    T:Definitions in another file
    K:C
    TC DE|
    ```
    """
    fields: list[Field] = list(ctx.book.header.fields) if ctx.first else []
    for tune in ctx.tunes:
        fields.extend(tune.fields)
    for f in fields:
        if f.letter == "I" and _INCLUDE_RE.match(f.value):
            name = f.value.split(None, 1)[1] if len(f.value.split(None, 1)) > 1 else "?"
            yield Finding(f"I:abc-include {name}: abcparse reads one file and does not insert"
                          " the header file's definitions (§3.1.17); write them into the file"
                          " header", f.span)


@rule("ABC229", "ignored-directive-value", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§11.0.2, §11.3")
def ignored_directive_value(ctx: TuneContext) -> Iterator[Finding]:
    """A playback directive whose value is ignored: ``%%MIDI program 200``,
    ``%%MIDI channel 17``, ``%%MIDI transpose up``, ``%%propagate-accidentals all``.

    §11.0.2 tells programs to ignore a directive they do not understand, and abcparse
    does: the voice keeps its instrument, channel or transposition, and accidentals keep
    the rule in force. That is right for another program's directive,
    but a value out of range or misspelt in one they all read is a slip the tune plays
    wrong with, silently. These are the directives the music engine reads: ``%%MIDI
    program [C] N`` (0-127), ``%%MIDI voice ... instrument=N`` (1-128), ``%%MIDI channel
    N`` (1-16), ``%%MIDI transpose N`` (whole semitones up to 127 either way), and
    ``%%propagate-accidentals not|octave|pitch`` (§11.3), each also as an ``I:`` field.

    Passes:

    ```abc
    X:1
    T:A fiddle
    K:D
    %%MIDI program 40
    %%propagate-accidentals octave
    DEF ^G|
    ```

    Fails:

    ```abc
    X:1
    T:No such instrument
    K:D
    %%MIDI program 200
    DEF ^G|
    ```
    """
    from ..events import midi_settings
    from ..music.pitch import PROPAGATION_MODES, midi_transpose, propagation_settings
    from ..music.timeline import midi_instructions

    tune = ctx.tune
    found: list[tuple[int, str]] = list(midi_settings(tune).ignored)
    for at, value in midi_instructions(tune):
        words = value.split("%", 1)[0].split()
        if words and words[0] == "transpose" and midi_transpose(value) is None:
            shown = " ".join(words[1:])[:20]
            found.append((at, f"MIDI transpose {shown} is not a whole number of semitones"
                              " within 127"))
    for at, value in propagation_settings(tune):
        if value not in PROPAGATION_MODES:
            found.append((at, f"propagate-accidentals {value[:20]} is not one of"
                              f" {', '.join(PROPAGATION_MODES)}"))
    for at, why in sorted(found):
        if at < 0:
            continue  # the file header's: not this tune's text
        end = ctx.file.text.find("\n", at - ctx.file.base)
        end = at + 1 if end < 0 else end + ctx.file.base
        yield Finding(f"{why}: the directive is ignored (§11.0.2)",
                      ctx.span(at, max(at + 1, end)))
