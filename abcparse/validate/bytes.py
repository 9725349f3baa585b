r"""ABC0xx: bytes and encoding (ABC 2.1 §2.1, §3.1.17).

Files are UTF-8 unless the file header declares ``I:abc-charset``. Reading a file
(:func:`abcparse.parse_file`, ``abc-lint``) finds these problems in the bytes; the rules
here also find those that survive in a Python string (a NUL, lone surrogates from
``surrogateescape`` decoding, mixed line ends), so :func:`abcparse.check` on text reports
them too. Both report the same span, and :func:`~abcparse.validate.check` keeps one.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Severity
from .context import FileContext
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
