"""Bytes to text, and positions in that text.

ABC 2.1 §2.1 / §3.1.17 (charset field): files are UTF-8 unless a file header declares
``I:abc-charset`` (or the older ``%%abc-charset``); iso-8859-1 ... 10 and us-ascii are the
other legal values. Decoding here never loses a byte: bytes that do not decode are kept
as lone surrogates (``surrogateescape``) and reported as ABC001, so ``to_bytes()`` gives
back the file exactly and the linter can point at the bad byte.

A declared charset is used only if it is on :data:`TEXT_CHARSETS`: Python's codec
registry also holds codecs that are not character sets at all (base64, zlib, rot13,
idna ...) or that cannot carry an ASCII ``I:abc-charset`` line (UTF-16/32), and decoding
with those raises or turns the file into garbage. Anything else is reported as ABC004 and
the file is read as UTF-8, as for a name Python does not know.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from typing import NamedTuple

from .diagnostics import Diagnostic, Severity, Span

# §3.1.17: the charset is declared in the file header, before the first tune.
_CHARSET_RE = re.compile(rb"^(?:I:|%%)abc-charset[ \t]+([A-Za-z0-9_.:-]+)", re.M)
_FIRST_TUNE_RE = re.compile(rb"^X:", re.M)
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")

# Charsets a declaration may select, by Python's canonical codec name
# (``codecs.lookup(name).name``). The standard's own list (§3.1.17: iso-8859-1 through
# iso-8859-10, us-ascii, utf-8) plus the other ASCII-compatible text charsets ABC files
# are found in. Each one must give back every byte sequence exactly through
# ``surrogateescape`` decoding and encoding (``SourceText.to_bytes``); a test checks
# that on random bytes. Big5 and cp932 are left out because they do not (several byte
# sequences decode to one character), stateful encodings (ISO-2022, UTF-7, HZ) because
# an ASCII byte's meaning depends on what came before it.
TEXT_CHARSETS: frozenset[str] = frozenset(
    {
        "utf-8",
        "ascii",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
        "cp437",
        "cp850",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "tis-620",
        "shift_jis",
        "euc_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "euc_kr",
    }
)

# How much of a declared charset name a message quotes: the name is the file's text and
# may be any length.
_NAME_SHOWN = 40


class LineCol(NamedTuple):
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class SourceText:
    """Decoded text of an ABC file, with what is needed to write the same bytes back."""

    text: str
    path: str | None = None
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    def to_bytes(self) -> bytes:
        """The original bytes: BOM, encoding and undecodable bytes restored."""
        body = self.text.encode(self.encoding, errors="surrogateescape")
        if self.bom:
            body = codecs.BOM_UTF8 + body
        return body


class LineIndex:
    """Maps 0-based offsets to 1-based (line, column); columns count code points.

    CR, LF and CRLF each end one line, as in §2.2 (any of the three is a line end).
    """

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        starts.extend(m.end() for m in _NEWLINE_RE.finditer(text))
        self._starts = starts

    def position(self, offset: int) -> LineCol:
        starts = self._starts
        i = max(bisect.bisect_right(starts, offset) - 1, 0)
        return LineCol(i + 1, offset - starts[i] + 1)

    def span(self, start: int, end: int) -> Span:
        a = self.position(start)
        b = self.position(end)
        return Span(a.line, a.col, b.line, b.col, start, end)

    @property
    def line_count(self) -> int:
        return len(self._starts)


def dominant_newline(text: str) -> str:
    """The line end used most often ("\\n", "\\r\\n" or "\\r"); "\\n" when there is none."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    best = max((lf, "\n"), (crlf, "\r\n"), (cr, "\r"))
    return best[1] if best[0] else "\n"


def _declared_charset(data: bytes) -> tuple[str, int] | None:
    first_tune = _FIRST_TUNE_RE.search(data)
    head = data[: first_tune.start()] if first_tune else data
    m = _CHARSET_RE.search(head)
    if m is None:
        return None
    return m.group(1).decode("ascii").lower(), m.start(1)


def decode(data: bytes, path: str | None = None) -> tuple[SourceText, list[Diagnostic]]:
    """Decode an ABC file's bytes; never raises for bad bytes (they become diagnostics)."""
    diags: list[Diagnostic] = []
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    encoding = "utf-8"
    declared = _declared_charset(data)
    if declared is not None:
        name, where = declared
        canonical = _text_charset(name)
        if canonical is None:
            shown = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "..."
            why = "unknown charset" if _codec_name(name) is None else "unsupported charset"
            text_before = data[:where].decode("utf-8", errors="surrogateescape")
            pos = LineIndex(text_before).position(len(text_before))
            diags.append(
                Diagnostic(
                    "ABC004",
                    f"{why} {shown!r} declared (§3.1.17 names utf-8, us-ascii and"
                    " iso-8859-1 to -10); reading the file as UTF-8",
                    Span(
                        pos.line, pos.col, pos.line, pos.col + len(name), where, where + len(name)
                    ),
                    Severity.WARNING,
                    "charset-mismatch",
                )
            )
        else:
            encoding = canonical
        if bom and encoding != "utf-8":
            encoding = "utf-8"
    text = data.decode(encoding, errors="surrogateescape")
    index: LineIndex | None = None

    def span_at(offset: int, length: int = 1) -> Span:
        nonlocal index
        if index is None:
            index = LineIndex(text)
        return index.span(offset, offset + length)

    if encoding == "utf-8":
        bad = _first_surrogate(text)
        if bad is not None:
            count = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
            diags.append(
                Diagnostic(
                    "ABC001",
                    f"{count} byte(s) are not valid UTF-8 (first: 0x{ord(text[bad]) - 0xDC00:02X});"
                    " declare I:abc-charset iso-8859-1 if the file is Latin-1",
                    span_at(bad),
                    Severity.ERROR,
                    "undecodable-bytes",
                )
            )
    elif declared is not None and encoding != "ascii":
        # A single-byte charset decodes anything; if the bytes are valid UTF-8 with
        # multi-byte sequences, the declaration is most likely wrong.
        try:
            utf8 = data.decode("utf-8")
        except UnicodeDecodeError:
            utf8 = None
        if utf8 is not None and any(ord(ch) > 127 for ch in utf8):
            first = next(i for i, ch in enumerate(text) if ord(ch) > 127)
            diags.append(
                Diagnostic(
                    "ABC004",
                    f"the file declares {declared[0]} but its bytes are UTF-8",
                    span_at(first),
                    Severity.WARNING,
                    "charset-mismatch",
                )
            )
    nul = text.find("\0")
    if nul >= 0:
        diags.append(
            Diagnostic(
                "ABC002", "NUL character in the text", span_at(nul), Severity.ERROR, "nul-character"
            )
        )
    newline = dominant_newline(text)
    mixed = _first_other_newline(text, newline)
    if mixed is not None:
        diags.append(
            Diagnostic(
                "ABC003",
                f"mixed line endings: this line ends with {_NL_NAMES[mixed[1]]},"
                f" most lines with {_NL_NAMES[newline]}",
                span_at(mixed[0], len(mixed[1])),
                Severity.WARNING,
                "mixed-line-endings",
            )
        )
    return SourceText(text, path, encoding, bom, newline), diags


_NL_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}


def _codec_name(name: str) -> str | None:
    """Python's canonical name for a codec, or None when Python knows no such codec."""
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        # ValueError: a name with a NUL or similar that the registry refuses outright.
        return None


def _text_charset(name: str) -> str | None:
    """The codec to decode a file declaring ``name`` with, or None when it is not allowed."""
    canonical = _codec_name(name)
    return canonical if canonical in TEXT_CHARSETS else None


def _first_surrogate(text: str) -> int | None:
    m = re.search("[\udc80-\udcff]", text)
    return m.start() if m else None


def _first_other_newline(text: str, newline: str) -> tuple[int, str] | None:
    for m in _NEWLINE_RE.finditer(text):
        if m.group() != newline:
            return m.start(), m.group()
    return None
