r"""ABC0xx: bytes and encoding (ABC 2.1 §2.1, §3.1.17).

Files are UTF-8 unless the file header declares ``I:abc-charset``. Reading a file
(:func:`abcparse.parse_file`, ``abc-lint``) finds these problems in the bytes; the rules
here also find those that survive in a Python string (a NUL, lone surrogates from
``surrogateescape`` decoding, mixed line ends), so :func:`abcparse.check` on text reports
them too. Both report the same span, and :func:`~abcparse.validate.check` keeps one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from ..diagnostics import Severity
from .context import FileContext, TuneContext
from .registry import Finding, rule

_NL_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}


@rule("ABC001", "undecodable-bytes", strict=Severity.ERROR, loose=Severity.ERROR,
      scope="file", section="§2.1, §3.1.17")
def undecodable_bytes(ctx: FileContext) -> Iterator[Finding]:
    r"""Bytes that are not valid in the file's character set.

    ABC files are UTF-8 unless the file header declares another charset with
    ``I:abc-charset`` (§3.1.17). A byte that does not decode is kept (the file is written
    back unchanged) but its character is unknown. A Latin-1 file usually needs only
    ``I:abc-charset iso-8859-1`` in its file header.

    Passes:

    ```abc-bytes
    X:1
    T:Caf\xc3\xa9 au lait
    K:C
    abc|
    ```

    ```abc-bytes
    I:abc-charset iso-8859-1

    X:1
    T:Caf\xe9 au lait
    K:C
    abc|
    ```

    Fails:

    ```abc-bytes
    X:1
    T:Caf\xe9 au lait
    K:C
    abc|
    ```
    """
    if not ctx.first:
        return  # the whole text's facts are found once, in the first window
    facts = ctx.text_facts
    if facts.first_surrogate is None:
        return
    span, ch = facts.first_surrogate
    yield Finding(
        f"{facts.surrogates} byte(s) are not valid UTF-8 (first: 0x{ord(ch) - 0xDC00:02X});"
        " declare I:abc-charset iso-8859-1 if the file is Latin-1",
        span,
    )


@rule("ABC002", "nul-character", strict=Severity.ERROR, loose=Severity.ERROR, scope="file",
      section="§2.1")
def nul_character(ctx: FileContext) -> Iterator[Finding]:
    r"""A NUL character (byte 0) in the text.

    No ABC construct uses it; it usually means a binary file, or a UTF-16 file read as
    UTF-8.

    Passes:

    ```abc
    X:1
    T:Plain text
    K:C
    abc|
    ```

    Fails:

    ```abc-bytes
    X:1
    T:Nul\x00
    K:C
    abc|
    ```
    """
    if ctx.first and ctx.text_facts.first_nul is not None:
        yield Finding("NUL character in the text", ctx.text_facts.first_nul)


@rule("ABC003", "mixed-line-endings", strict=Severity.WARNING, loose=Severity.WARNING,
      scope="file", section="§2.2")
def mixed_line_endings(ctx: FileContext) -> Iterator[Finding]:
    r"""Lines end in different ways (LF, CRLF, CR) in one file.

    Each of them ends a line (§2.2), so the music is read correctly, but editors and
    version control show the file as changed on every line they normalise. The finding
    points at the first line end that differs from the most common one.

    Passes:

    ```abc-bytes
    X:1\r\nT:All CRLF\r\nK:C\r\nabc|\r\n
    ```

    Fails:

    ```abc-bytes
    X:1\r\nT:Mixed\nK:C\r\nabc|\r\n
    ```
    """
    if not ctx.first:
        return
    facts = ctx.text_facts
    newline = facts.newline
    others = [(span.start, nl, span) for nl, span in facts.first_newline.items()
              if nl != newline]
    if others:
        _, nl, span = min(others)
        yield Finding(
            f"mixed line endings: this line ends with {_NL_NAMES[nl]},"
            f" most lines with {_NL_NAMES[newline]}",
            span,
        )


@rule("ABC004", "charset-mismatch", strict=Severity.WARNING, loose=Severity.WARNING,
      scope="file", source="parser", section="§3.1.17")
def charset_mismatch(ctx: FileContext) -> Iterator[Finding]:
    r"""The declared charset is unknown, or does not match the bytes.

    Found while reading the bytes (so only for files, standard input and
    :func:`abcparse.check` on ``bytes``): ``I:abc-charset`` names a charset Python does
    not know (the file is read as UTF-8), or names a single-byte charset such as
    iso-8859-1 while the bytes are valid UTF-8 with accented letters, which then read as
    two wrong characters each.

    Passes:

    ```abc-bytes
    I:abc-charset utf-8

    X:1
    T:Caf\xc3\xa9
    K:C
    abc|
    ```

    Fails:

    ```abc-bytes
    I:abc-charset klingon-1

    X:1
    T:Plain
    K:C
    abc|
    ```

    ```abc-bytes
    I:abc-charset iso-8859-1

    X:1
    T:Caf\xc3\xa9
    K:C
    abc|
    ```
    """
    return iter(())


#: A quoted-printable escape that ABC never writes in music: ``=`` then a digit and a
#: hex digit (``=3D`` for ``=``, ``=20`` for a space). ``=A``-``=G`` and ``=a``-``=g`` are
#: naturals, so escapes that start with a letter are not told from music and are left
#: alone.
QP_ESCAPE = re.compile(r"=[0-9][0-9A-F]")
#: The escapes of a music line, less what an inline field or a quoted string holds
#: (``[Q:1/4=90]``): group 1 is an escape, group 2 a soft line break (``=`` at a line end,
#: joining it to the next).
_QP = re.compile(rf'\[[A-Za-z]:[^\]\r\n]*\]|"[^"\r\n]*"|({QP_ESCAPE.pattern})|(=(?:\r\n|\n|\r))')
_LINE_END = re.compile(r"\r\n|\n|\r")
#: A line that is no music: a field (``Q:1/4=90``, ``V:1 transpose=12``) or a comment.
_NOT_MUSIC = re.compile(r"[ \t]*(?:[A-Za-z+]:|%)")


def quoted_printable_escapes(text: str, start: int = 0, end: int | None = None
                             ) -> Iterator[tuple[int, int, str]]:
    """The quoted-printable residue on the music lines of ``text[start:end]``: (start,
    end, what it decodes to) for each escape that starts with a digit and encodes a
    printable ASCII character or a tab, and (start, end, "") for each soft line break."""
    stop = len(text) if end is None else end
    line = start
    for nl in itertools.chain(_LINE_END.finditer(text, start, stop), [None]):
        line_end = stop if nl is None else nl.end()
        if line < line_end and not _NOT_MUSIC.match(text, line):
            for m in _QP.finditer(text, line, line_end):
                if m.group(2):
                    if m.end() < stop and not _NOT_MUSIC.match(text, m.end()):
                        yield m.start(), m.end(), ""  # (a field after it stays a field)
                elif m.group(1):
                    code = int(m.group(1)[1:], 16)
                    if code < 0x80 and (chr(code).isprintable() or code == 9):
                        yield m.start(), m.end(), chr(code)
        line = line_end


@rule("ABC005", "quoted-printable", strict=Severity.WARNING, loose=Severity.WARNING,
      section="§2.1, §4.2")
def quoted_printable(ctx: TuneContext) -> Iterator[Finding]:
    """The tune reads as quoted-printable residue: ``=3D`` where ``=`` was meant, ``=20``
    for a space, ``=`` at a line end that joined two lines. E-mail of the 1990s encoded
    ABC so, and tunebooks gathered from mailing lists still carry it (found in Ryan's
    Mammoth as music21 ships it: ``f>d=3DB>a``, a B natural).

    No ABC is written so (an accidental is followed by a note, §4.2), so the escapes are
    read as written, the ``=`` a stray character and the digits a note length, and the
    music is not what was meant. The fix decodes the escapes that start with a digit and
    joins the soft line breaks: a decoded space and a joined line keep the music (safe,
    made first); a decoded music character changes the music as read (unsafe).

    Passes:

    ```abc
    X:1
    T:A natural
    K:G
    f>d=B>a g2|
    ```

    Fails:

    ```abc
    X:1
    T:Quoted-printable residue
    K:G
    f>d=3DB>a g2|=20
    ```
    """
    text = ctx.tune.text
    found = list(quoted_printable_escapes(text))
    escapes = [(a, b) for a, b, new in found if new]
    if not escapes:
        return  # soft line breaks alone: a line that ends with a stray =, nothing more
    breaks = len(found) - len(escapes)
    soft = f" and {breaks} soft line break{'s' if breaks != 1 else ''}" if breaks else ""
    a, b = escapes[0]
    start = ctx.tune.span.start + a
    yield Finding(
        f"{text[a:b]} looks like quoted-printable encoding ({len(escapes)}"
        f" escape{'s' if len(escapes) != 1 else ''}{soft} in this tune: =3D for =, =20 for"
        " a space): read as written, the = is a stray character; decode the tune",
        ctx.span(start, start + b - a),
    )
