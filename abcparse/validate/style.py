"""ABC4xx: style, what the normalizer (``abcparse format``) would change.

Off by default (``--select ABC4`` or ``--extend-select ABC4`` turns them on): none of them
is wrong ABC. They are cheap textual checks so ``abc-lint`` can say what formatting a file
lacks without running the formatter; the formatter's own safety codes are ABC902-ABC904.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from ..diagnostics import Fix, Severity
from ..model import Note
from ..theory import length_text
from .context import FileContext, TuneContext
from .registry import Finding, rule

_TRAILING_RE = re.compile(r"[ \t]+(?=\r\n|\r|\n|$)")
_NOTE_LENGTH_RE = re.compile(r"[0-9/]+$")


@rule("ABC401", "trailing-whitespace", strict=Severity.INFO, loose=Severity.INFO,
      scope="file", default=False)
def trailing_whitespace(ctx: FileContext) -> Iterator[Finding]:
    r"""Spaces or tabs at the end of a line.

    They are invisible and mean nothing in ABC (a space only matters between notes, for
    beaming, §4.7), but they make differences in version control noisy.

    Passes:

    ```abc
    X:1
    T:Clean
    K:C
    abc|
    ```

    Fails:

    ```abc-bytes
    X:1\nT:Trailing\nK:C\nabc|\x20\x20\n
    ```
    """
    base = ctx.base
    for m in _TRAILING_RE.finditer(ctx.text, ctx.own - base, ctx.own_end - base):
        start, end = base + m.start(), base + m.end()
        yield Finding(
            "trailing whitespace",
            ctx.span(start, end),
            Fix(start, end, "", "remove trailing whitespace"),
        )


@rule("ABC402", "note-length-spelling", strict=Severity.INFO, loose=Severity.INFO,
      default=False, section="§4.3")
def note_length_spelling(ctx: TuneContext) -> Iterator[Finding]:
    """A note length with a redundant part: ``A1``, ``A1/2``, ``A2/4``.

    §4.3: a length is a multiplier of the unit note length; a multiplier of 1 says
    nothing and a fraction that reduces (``2/4``) hides the length it means. The
    normalizer writes the shortest form.

    Passes:

    ```abc
    X:1
    T:Plain lengths
    K:C
    A/ A/2 B3/2 c2 d|
    ```

    Fails:

    ```abc
    X:1
    T:Redundant lengths
    K:C
    A1 B2/4 c2 d|
    ```
    """
    text = ctx.tune.text
    base = ctx.tune.span.start
    for voice in ctx.tune.voices:
        for bar in voice.bars:
            for e in bar.elements:
                if not isinstance(e, Note):
                    continue
                raw = text[e.span.start - base : e.span.end - base]
                m = _NOTE_LENGTH_RE.search(raw)
                if m is None:
                    continue
                written = m.group()
                num, _, den = written.partition("/")
                redundant = num == "1" or (
                    num.isdigit() and den.isdigit() and int(den) and
                    Fraction(int(num), int(den)).denominator != int(den)
                )
                if redundant:
                    best = length_text(e.length)
                    start = e.span.start + m.start()
                    yield Finding(
                        f"note length {written!r} is {best or '1'!r} written the long way"
                        f" (§4.3)",
                        ctx.span(start, e.span.end),
                        Fix(start, e.span.end, best, "shortest note length"),
                    )


@rule("ABC403", "no-version-line", strict=None, loose=Severity.INFO, scope="file",
      default=False, section="§2.1, §12")
def no_version_line(ctx: FileContext) -> Iterator[Finding]:
    """A file that does not say which version of ABC it is written in.

    A file starting with ``%abc-2.1`` is read strictly by every program that follows the
    standard (§12.3); without it, loosely, with each program's own guesses (§12.2).

    Passes:

    ```abc
    %abc-2.1
    X:1
    T:Declared
    K:C
    abc|
    ```

    Fails:

    ```abc
    X:1
    T:Undeclared
    K:C
    abc|
    ```
    """
    if ctx.first and ctx.book.abc_version is None and ctx.tunes:
        yield Finding(
            "no %abc-2.1 line: the file is read loosely (§12.2); start it with %abc-2.1",
            ctx.span(0, 0),
            Fix(0, 0, "%abc-2.1\n", "declare ABC 2.1"),
        )
