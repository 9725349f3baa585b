"""ABC1xx: syntax, and the older dialects ABC 2.1 replaced (§4, §8, §12.1).

Most syntax errors are found by the parser while it reads (ABC101, ABC102): in loose
mode it skips to the next bar line and keeps going, so one tune can report several. The
dialect rules (ABC103-ABC105) come from the music walk, :mod:`abcparse.validate.walk`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fractions import Fraction

from ..diagnostics import Severity, Span
from ..model import Chord, GraceGroup, Microtone, Note
from ..split import music_after_key, split, text_lines
from ..theory import STANDARD_DECORATIONS
from .context import FileContext, TuneContext
from .registry import Finding, rule
from .walk import EXTENSION_DECORATIONS

_FIELD_RE = re.compile(r"^[A-Za-z+]:")
# What a microtonal accidental starts with: the tune's text is searched for it before its
# notes are walked, so a tune without one costs a single scan.
_MICROTONE_START_RE = re.compile(r"[\^_][0-9]{0,3}/")


@rule("ABC101", "unexpected-character", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4")
def unexpected_character(ctx: TuneContext) -> Iterator[Finding]:
    """A character that starts no ABC construct where it stands.

    The message says what was expected instead. In loose mode the parser skips the text
    up to the next bar line (or the end of the line) and reads on, so the rest of the
    tune is still checked; the skipped text is kept as an error node and its bar is not
    measured (ABC301).

    Passes:

    ```abc
    X:1
    T:Triplet
    K:C
    (3abc d2|
    ```

    Fails:

    ```abc
    X:1
    T:A stray digit
    K:C
    ab 3 c|
    ```
    """
    return iter(())


@rule("ABC102", "unterminated-string", strict=Severity.ERROR, loose=Severity.ERROR,
      source="parser", section="§4.18, §4.19")
def unterminated_string(ctx: TuneContext) -> Iterator[Finding]:
    """A chord symbol or annotation whose closing double quote is missing.

    Quoted text ends on its own line; without the closing quote the rest of the line
    would be text, so the parser reports the quote and reads on after it.

    Passes:

    ```abc
    X:1
    T:Chords
    K:C
    "Am"abc "G"d2|
    ```

    Fails:

    ```abc
    X:1
    T:Open quote
    K:C
    "Am abc d2|
    ```
    """
    return iter(())


@rule("ABC103", "bang-line-break", strict=Severity.ERROR, loose=Severity.WARNING,
      section="§12.1.1, §10.2.1")
def bang_line_break(ctx: TuneContext) -> Iterator[Finding]:
    """``!`` used as a line break: an ABC 2.0 habit that ABC 2.1 reads differently.

    abc2win and ABC 2.0 ended score lines with ``!``; ABC 2.1 uses ``!`` to delimit
    decorations (``!trill!``) and breaks score lines at the end of each code line (or at
    ``$``). A ``!`` with no closing ``!`` before a bar line, a space or the end of the line
    is read as the old line break (§12.2). Two fixes keep the music as it is: declare
    ``I:linebreak !`` in the file header (or the tune header), which ABC 2.1 keeps for
    exactly this (§12.1.1, §6.1.1; it also implies ``I:decoration +``), or delete the
    ``!`` signs, since the line ends already break the lines. One finding per tune, at the
    first ``!``, with the count.

    Passes:

    ```abc
    X:1
    T:Line ends
    K:C
    abcd|
    dcba|]
    ```

    ```abc
    X:1
    T:Declared
    I:linebreak !
    K:C
    abcd|!
    dcba|]
    ```

    Fails:

    ```abc
    X:1
    T:ABC 2.0 line breaks
    K:C
    abcd|!
    dcba|]
    ```
    """
    spans = ctx.music.bang_breaks
    if not spans or ctx.bang_linebreaks:
        return
    more = f" (and {len(spans) - 1} more in this tune)" if len(spans) > 1 else ""
    yield Finding(
        f"! used as a line break{more}: that is ABC 2.0 (§12.1.1); in ABC 2.1 ! starts a"
        " decoration. Declare I:linebreak ! in the file or tune header to keep them, or"
        " delete them: each line end already breaks the score line"
        + _unclosed_decoration_hint(ctx, spans),
        spans[0],
    )


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.]*")


def _unclosed_decoration_hint(ctx: TuneContext, spans: Iterable[Span]) -> str:
    """Where a ``!`` read as a line break is followed by the name of a decoration
    (``!trill B``), the closing ``!`` was most likely forgotten: say so, with the
    place, since the reading as a line break leaves the name's letters as stray
    symbols (ABC332) and plays no trill."""
    tune = ctx.tune
    text, base = tune.text, tune.span.start
    for span in spans:
        word = _WORD.match(text, span.end - base)
        name = word.group() if word is not None else ""
        if name in STANDARD_DECORATIONS or name in EXTENSION_DECORATIONS:
            return (f". At {span.line}:{span.col} !{name} is more likely the decoration"
                    f" !{name}! with its closing ! missing (§4.14)")
    return ""


@rule("ABC104", "decoration-dialect", strict=Severity.ERROR, loose=Severity.WARNING,
      section="§12.1.2, §10.2.2")
def decoration_dialect(ctx: TuneContext) -> Iterator[Finding]:
    """A decoration written in the dialect the tune has not declared.

    ABC 2.1 writes decorations ``!trill!``; ``+trill+`` is the ABC 2.0 syntax, accepted
    only under ``I:decoration +`` (which ``I:linebreak !`` implies). Under that
    instruction, ``!trill!`` is the error instead (§12.1.2).

    Passes:

    ```abc
    X:1
    T:Bangs
    K:C
    !trill!abc d2|
    ```

    ```abc
    X:1
    T:Declared pluses
    I:decoration +
    K:C
    +trill+abc d2|
    ```

    Fails:

    ```abc
    X:1
    T:Undeclared pluses
    K:C
    +trill+abc d2|
    ```

    ```abc
    X:1
    T:Bangs under pluses
    I:decoration +
    K:C
    !trill!abc d2|
    ```
    """
    yield from ctx.music.get("ABC104")


@rule("ABC105", "plus-chord", strict=Severity.ERROR, loose=Severity.WARNING,
      section="§12.1.3")
def plus_chord(ctx: TuneContext) -> Iterator[Finding]:
    """A chord written between ``+`` signs, the syntax of ABC 1.2 to 1.5.

    ``+CEG+`` was replaced by ``[CEG]`` in 1996 and is obsolete (§12.1.3: no instruction
    brings it back). abcparse still reads it as the chord it stands for (with the spaces
    and the length after it that old files have: ``+E3 c3 +2``), so that an old tunebook
    keeps its notes, plays and is measured; readers of ABC 2.1 take it for an unknown
    ``+...+`` decoration and lose the notes. ``abc-lint --fix`` writes ``[CEG]``.

    Passes:

    ```abc
    X:1
    T:Brackets
    K:C
    [CEG]2 c2|
    ```

    Fails:

    ```abc
    X:1
    T:Pluses
    K:C
    +CEG+2 c2|
    ```
    """
    yield from ctx.music.get("ABC105")


@rule("ABC107", "field-backslash", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§10.3")
def field_backslash(ctx: TuneContext) -> Iterator[Finding]:
    """A ``K:``, ``M:``, ``L:``, ``Q:``, ``P:`` or ``V:`` line that ends with ``\\``.

    ABC 2.0 made ``\\`` a continuation character for every line; ABC 2.1 disallows that
    (§10.3) and keeps it for music lines only, where it joins score lines (§6.1.1).
    Tunebooks written with music lines joined by ``\\`` often end the field lines among
    them the same way (``K:D\\``); the next line is music, not more of the field.
    abcparse reads the value without the backslash, as abc2midi and abcjs do (the value
    with it cannot be read, and a key or unit length would be lost), and reports it. The
    safe fix deletes the backslash. To continue a field, write ``+:`` on the next line
    (§3.3).

    Passes:

    ```abc
    X:1
    T:Field on its own
    K:C
    abc|\\
    L:1/16
    abcd|
    ```

    Fails:

    ```abc
    X:1
    T:Field with a backslash
    K:C
    abc|\\
    L:1/16\\
    abcd|
    ```
    """
    return iter(())


@rule("ABC108", "note-like-field", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§3, §4.8")
def note_like_field(ctx: TuneContext) -> Iterator[Finding]:
    """A music line that starts with a note letter and a repeat sign: ``e:|``, ``d::``.

    By §3 a line that begins with a letter and a colon is a field, so ``e:|`` would be an
    unknown field ``e:`` and its note and repeat would be ignored. abc2midi and abcjs both
    read such a line as music when the letter is a lower-case note (a-g are no field
    letters), and so does abcparse, which keeps the notes; the line is reported because
    other readers may follow §3. The safe fix writes a space after the note (``e :|``),
    which every reader takes as music.

    Passes:

    ```abc
    X:1
    T:Space after the note
    K:C
    |:c2 d2 e2 f2|g4
    e :|
    ```

    Fails:

    ```abc
    X:1
    T:A field by the letter of §3
    K:C
    |:c2 d2 e2 f2|g4
    e:|
    ```
    """
    return iter(())


@rule("ABC109", "indented-field", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§3, §12.2")
def indented_field(ctx: TuneContext) -> Iterator[Finding]:
    """A field line written indented: `` L:1/16``, ``  K:G``.

    §3 makes a field of a line that *begins* with a letter and a colon, so by its letter an
    indented field is music, and music that is no music: the letter, a stray colon and
    the value's letters read as notes (``K:G`` would play a G). abc2midi reads the line
    as the field it was meant to be, and so do abcjs for ``K:`` and ``L:`` and abcparse
    (§12.2: do the best with what is written); the indentation is reported because other
    readers follow §3 (abcjs plays `` A:B`` as two notes). The safe fix deletes the spaces
    before the letter, which changes nothing that abcparse reads. An indented note letter
    with a repeat sign (`` B::``, the last note of a wrapped line) is music, for both
    players too.

    Passes:

    ```abc
    X:1
    T:Field at the start of its line
    K:C
    CDEF GABc|
    L:1/16
    CDEF GABc CDEF GABc|
    ```

    Fails:

    ```abc
    X:1
    T:Indented field
    K:C
    CDEF GABc|
     L:1/16
    CDEF GABc CDEF GABc|
    ```
    """
    return iter(())


@rule("ABC110", "tex-line", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§12.2")
def tex_line(ctx: TuneContext) -> Iterator[Finding]:
    """A line that starts with a backslash and a letter: ``\\bigskip``, ``\\vfill\\eject``.

    In ABC 1.x such a line was a TeX command for abc2mtex's typesetting. ABC 2.1 has no
    such line, so by its letter the line would be music: the letters b and g of
    ``\\bigskip`` played as notes. abc2midi and abcjs skip the line, and so does abcparse
    (§12.2: old files are read as well as can be); it is reported so that the tunebook
    can be made ABC 2.1. The safe fix makes it a comment (``%\\bigskip``).

    Passes:

    ```abc
    X:1
    T:A comment
    K:C
    CDEF GABc|
    %\\bigskip
    cBAG FEDC|
    ```

    Fails:

    ```abc
    X:1
    T:A TeX line
    K:C
    CDEF GABc|
    \\bigskip
    cBAG FEDC|
    ```
    """
    return iter(())


@rule("ABC111", "text-ending", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§4.10, §12.2")
def text_ending(ctx: TuneContext) -> Iterator[Finding]:
    """A variant ending labelled with text, ``["Coda"`` or ``["last time"``.

    abcm2ps writes a text in quotes after ``[`` for an ending that has no number; ABC 2.1
    numbers its endings (§4.10), and by its letter ``["Coda" zag`` opens a chord that is
    never closed, whose notes would sound at once (abc2midi plays them so). abcparse reads
    the text as an annotation and the notes in order, as abcjs plays them (§12.2: old and
    other dialects are read as well as can be). The safe fix writes the annotation
    (``"^Coda" zag``), which every reader reads alike.

    Passes:

    ```abc
    X:1
    T:An annotation
    M:3/4
    L:1/8
    K:D
    |: A dc | d2 z :|"^Coda" zag | d6 |]
    ```

    Fails:

    ```abc
    X:1
    T:A text ending
    M:3/4
    L:1/8
    K:D
    |: A dc | d2 z :|["Coda" zag | d6 |]
    ```
    """
    return iter(())


@rule("ABC112", "colon-thick-bar", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§4.8")
def colon_thick_bar(ctx: TuneContext) -> Iterator[Finding]:
    """The bar line ``:]``, a dot and a thick bar.

    §4.8 asks parsers to accept bar lines of any shape made of ``|``, ``[``, ``]`` and
    ``:``, but gives ``:]`` no meaning: its dots look like the end of a repeated section,
    yet abc2midi and abcjs both play it as a bar line that repeats nothing (a transcriber's
    end of a tune, ``H:]``, in Kerr's Merry Melodies). abcparse reads it as they play it: a
    thick bar line that ends the bar (accidentals end there, §4.2, and a decoration
    before it is the bar line's, §4.14). The safe fix writes ``|]``, the same music in
    every reader; write ``:|]`` if a repeat was meant.

    Passes:

    ```abc
    X:1
    T:An end bar
    M:6/8
    L:1/8
    K:F
    A2B c2f | fef gfg | a2f f2 H|]
    ```

    Fails:

    ```abc
    X:1
    T:A colon before a thick bar
    M:6/8
    L:1/8
    K:F
    A2B c2f | fef gfg | a2f f2 H:]
    ```
    """
    return iter(())


@rule("ABC113", "thick-bar-repeat-dots", strict=Severity.ERROR, loose=Severity.WARNING,
      source="parser", section="§4.8")
def thick_bar_repeat_dots(ctx: TuneContext) -> Iterator[Finding]:
    """Repeat dots beside a thick bar: ``|]:``, ``:[|``, ``||]:``, ``[:``.

    §4.8 asks parsers to accept bar lines of any shape made of ``|``, ``[``, ``]`` and
    ``:``, and gives these no meaning of their own. abcparse reads their dots as it reads
    them beside a thin bar (``|]:`` starts a repeated section, ``:[|`` ends one), which is
    what the tunes that write them mean (a ``|1``/``:|2`` pair after ``|]:`` shows it).
    abc2midi and abcjs both ignore dots beside a ``[`` or ``]``, so the section is not
    repeated where they play it. The safe fix puts a thin bar between the dots and the
    thick bar (``|]|:``, ``:|[|``): the music abcparse reads, played alike by all three.
    ``[:`` (dots after a lone ``[``) is such a bar line too, never the start of a chord (no
    chord starts with a colon), and is read as ``[|:``: abc2midi reads it as a chord and
    sounds the notes after it at once, abcjs as a bar line that starts no repeat.
    (``:]``, dots before a lone ``]``, is ABC112.)

    Passes:

    ```abc
    X:1
    T:A new section
    M:4/4
    L:1/8
    K:G
    GABc d2B2 |]|: c2e2 d2B2 :|
    ```

    Fails:

    ```abc
    X:1
    T:Dots beside a thick bar
    M:4/4
    L:1/8
    K:G
    GABc d2B2 |]: c2e2 d2B2 :|
    ```
    """
    return iter(())


@rule("ABC114", "microtonal-accidental", strict=Severity.ERROR, loose=Severity.WARNING,
      section="§4.2")
def microtonal_accidental(ctx: TuneContext) -> Iterator[Finding]:
    """A microtonal accidental: ``^/c``, ``_/e``, ``^3/4c``.

    ABC 2.1's accidentals move a note by whole semitones (§4.2). abcm2ps, abc2midi and
    abcjs read a fraction after ``^`` or ``_`` as part of a semitone (``^/`` a quarter
    tone up, ``^3/4`` three quarters of a semitone; abcjs reads ``^/`` and ``_/`` only),
    and abcparse reads them as they do: the microtone replaces the key signature for its
    note, holds for the rest of the bar like an accidental, and MIDI export bends the note
    by it. It is reported because a reader of ABC 2.1 takes the fraction for a stray
    character and plays the plain note. The unsafe fix writes the accidental the microtone
    leans to (``_/e`` as ``_e``), which moves the pitch.

    Passes:

    ```abc
    X:1
    T:Semitones
    M:4/4
    L:1/8
    K:D
    d2 _e2 d2 ^c2 |
    ```

    Fails:

    ```abc
    X:1
    T:A quarter tone
    M:4/4
    L:1/8
    K:D
    d2 _/e2 d2 ^c2 |
    ```
    """
    tune = ctx.tune
    if not _MICROTONE_START_RE.search(ctx.file.at(tune.span.start, tune.span.end)):
        return
    for voice in tune.voices:
        for bar in voice.bars:
            for note in _notes(bar.elements):
                acc = note.accidental
                if type(acc) is Microtone:
                    start = note.span.start
                    size = abs(acc.semitones)
                    way = "up" if acc.semitones > 0 else "down"
                    moves = (f"a quarter tone {way}" if size == Fraction(1, 2)
                             else f"{size} semitone {way}")
                    yield Finding(
                        f"{acc.value} is a microtonal accidental ({moves}):"
                        " abcm2ps, abc2midi and abcjs read it, but ABC 2.1 accidentals move"
                        " whole semitones (§4.2)",
                        ctx.span(start, start + len(acc.value)),
                    )


# A music line's continuation backslash at its end, before spaces and a comment (§6.1.1).
_LAST_BACKSLASH_RE = re.compile(r"\\[ \t]*(?:%.*)?$")


@rule("ABC115", "continuation-at-tune-end", strict=Severity.ERROR, loose=Severity.WARNING,
      section="§6.1.1, §2.2.6")
def continuation_at_tune_end(ctx: TuneContext) -> Iterator[Finding]:
    """A ``\\`` that continues the last music line of a tune: the line it would join is
    the empty line that ends the tune, or the end of the file.

    §6.1.1 gives ``cdef|\\``, an empty line and ``cdef:|`` as "not legal": a backslash
    must not stand before an empty line. The empty line still ends the tune (§2.2.1),
    so the music after it belongs to no tune and is not played (by abcparse, abc2midi or
    abcjs); the backslash joins nothing. The safe fix deletes it: the tune and its
    layout stay as they are read. To join the music after the empty line to the tune,
    delete the empty line (a ``\\`` alone on a line may stand for it, §6.1.1).

    Passes:

    ```abc
    X:1
    T:Continued
    K:C
    cdef|\\
    cedf:|
    ```

    Fails:

    ```abc
    X:1
    T:Continued into the end
    K:C
    cdef|\\

    cdef:|
    ```
    """
    text = ctx.tune.text
    if "\\" not in text:
        return
    lines = text_lines(text, keepends=True)
    offset = len(text)
    for line in reversed(lines):
        offset -= len(line)
        body = line.rstrip("\r\n")
        if not body.strip() or body.lstrip().startswith("%"):
            continue
        if _FIELD_RE.match(body):
            return  # a field's trailing backslash is ABC107's
        m = _LAST_BACKSLASH_RE.search(body)
        if m is not None and ctx.tune.voices:
            start = ctx.tune.span.start + offset + m.start()
            yield Finding("\\ at the end of the tune's last music line continues it past the"
                          " end of the tune (an empty line, which §6.1.1 does not allow after"
                          " it, or the end of the file); music after an empty line is no"
                          " part of the tune",
                          ctx.span(start, start + 1))
        return


def _notes(elements: Iterable[object]) -> Iterator[Note]:
    """The notes among ``elements``, with those inside chords and grace groups."""
    for e in elements:
        if type(e) is Note:
            yield e
        elif isinstance(e, (Chord, GraceGroup)):
            yield from _notes(e.items)


@rule("ABC106", "header-free-text", strict=Severity.ERROR, loose=Severity.WARNING,
      scope="file", section="§2.2.2, §2.2.3")
def header_free_text(ctx: FileContext) -> Iterator[Finding]:
    """Text that is neither a field, a comment nor a directive in the file header.

    The first block of a file, before the first tune, is the file header when it holds
    only fields, comments and directives (§2.2.2); its fields then apply to every tune.
    A block that mixes fields with other text is free text (§2.2.3), and its fields
    apply to nothing, which is rarely what was meant. Separate the text from the fields
    with an empty line, or make it a comment. A block with a ``K:`` field and music after
    it is a tune whose ``X:`` line is missing or mistyped: the finding says so, and the
    safe fix, which makes the text comments, leaves such a block alone.

    Passes:

    ```abc
    %abc-2.1
    M:6/8
    L:1/8

    X:1
    T:Jig
    K:D
    dAF dAF|
    ```

    Fails:

    ```abc
    %abc-2.1
    M:6/8
    These tunes are jigs.

    X:1
    T:Jig
    K:D
    dAF dAF|
    ```
    """
    if not ctx.first:
        return  # the text before the first tune is in the first window
    tunes = ctx.tunes
    end = tunes[0].span.start if tunes else ctx.own_end
    head = ctx.at(0, end)
    if not head.strip():
        return
    # Only the first block counts (§2.2.2): cut the text before the first tune as the
    # parser does, and look at its first block that is not the version line.
    for chunk in split(head, loose=not ctx.strict)[0]:
        if chunk.kind in ("version", "blank"):
            continue
        if chunk.kind != "text":
            return
        lines = text_lines(chunk.text, keepends=True)
        if not any(_FIELD_RE.match(ln) for ln in lines):
            return
        offset = chunk.start
        advice = (
            "; it has a K: field and music: a tune whose X: line is missing (§3.1.1)?"
            " Start it with X:" if music_after_key(chunk.text)
            else "; put an empty line between them"
        )
        for ln in lines:
            if not _FIELD_RE.match(ln) and not ln.startswith("%") and ln.strip():
                stop = offset + len(ln.rstrip("\r\n"))
                yield Finding(
                    "text in the file header that is not a field, comment or directive:"
                    " the block is read as free text and its fields apply to no tune"
                    " (§2.2.2)" + advice,
                    ctx.span(offset, stop),
                )
                return
            offset += len(ln)
        return
