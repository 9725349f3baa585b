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
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from .diagnostics import Diagnostic, Severity, Span

# §3.1.17: the charset is declared in the file header, before the first tune.
_CHARSET_RE = re.compile(rb"^(?:I:|%%)abc-charset[ \t]+([A-Za-z0-9_.:-]+)", re.M)
_FIRST_TUNE_RE = re.compile(rb"^X:", re.M)
#: One line end of any kind (§2.2: CR LF, CR or LF), as every module that counts, finds or
#: rewrites line ends reads them.
NEWLINE_RE = re.compile(r"\r\n|\r|\n")

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
        starts.extend(m.end() for m in NEWLINE_RE.finditer(text))
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
    for m in NEWLINE_RE.finditer(text):
        if m.group() != newline:
            return m.start(), m.group()
    return None


# ---------------------------------------------------------------------------------------
# Incremental decoding: what decode() finds, from a file read in blocks.
#
# Streaming readers (abcparse.iter_tunes, abc-lint and abcparse format on big files) never
# hold a whole file as text. They read it twice in blocks: a first pass finds what decode()
# reports about the whole file (the charset, the dominant line end, the first undecodable
# byte, NUL or stray line end, which need every byte), a second pass hands out the text.
# Both passes decode with the same incremental decoder, so the text, its offsets and the
# diagnostics equal decode()'s; tests/core/test_stream.py checks that on every corpus file
# and on random bytes.

READ_BLOCK = 1 << 20  # bytes per read; a block of text may be longer by one line
_CHARSET_LINE_RE = re.compile(rb"(?:I:|%%)abc-charset[ \t]+([A-Za-z0-9_.:-]+)")
_BARE_CR_RE = re.compile(r"\r(?!\n)")
_BARE_LF_RE = re.compile(r"(?<!\r)\n")
_SURROGATES_RE = re.compile("[\udc80-\udcff]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What :func:`decode` would give for a whole file, less the text itself: the
    encoding, BOM and dominant line end (to write the file back alike) and the
    diagnostics, in decode()'s order."""

    path: str | None
    encoding: str
    bom: bool
    newline: str
    diagnostics: tuple[Diagnostic, ...]
    facts: TextFacts | None = None


def _line_ends(b: bytes) -> int:
    crlf = b.count(b"\r\n")
    return b.count(b"\r") - crlf + b.count(b"\n")


def sniff_charset(
    f: BinaryIO, path: str | None = None
) -> tuple[str, bool, str | None, list[Diagnostic]]:
    """Read ``f`` from its start up to its first tune (a line starting ``X:``) and decide
    the encoding as :func:`decode` does: (encoding, bom, declared name, diagnostics). Holds
    one line at a time, so a file without tunes costs no memory."""
    first = f.read(len(codecs.BOM_UTF8))
    bom = first == codecs.BOM_UTF8
    pending = b"" if bom else first
    offset = 0  # byte offset of ``pending`` after the BOM (decode() strips it first)
    lines_before = 0  # line ends before ``pending`` (CR, LF, CRLF: LineIndex's)
    declared: tuple[str, int, int, bytes] | None = None
    done = False
    while not done:
        block = f.read(READ_BLOCK)
        data = pending + block
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0 and block:
                break
            end = len(data) if nl < 0 else nl + 1
            line = data[start:end]
            if line.startswith(b"X:"):
                done = True
                break
            if declared is None:
                m = _CHARSET_LINE_RE.match(line)
                if m is not None:
                    declared = (
                        m.group(1).decode("ascii").lower(), offset + m.start(1),
                        lines_before, line[: m.start(1)],
                    )
            lines_before += _line_ends(line)
            offset += len(line)
            start = end
            if end >= len(data):
                break
        pending = data[start:]
        if not block:
            break
    encoding = "utf-8"
    diags: list[Diagnostic] = []
    if declared is not None:
        name, where, lines_above, before = declared
        canonical = _text_charset(name)
        if canonical is None:
            shown = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "..."
            why = "unknown charset" if _codec_name(name) is None else "unsupported charset"
            col = len(before.decode("utf-8", errors="surrogateescape")) + 1
            row = lines_above + 1
            diags.append(
                Diagnostic(
                    "ABC004",
                    f"{why} {shown!r} declared (§3.1.17 names utf-8, us-ascii and"
                    " iso-8859-1 to -10); reading the file as UTF-8",
                    Span(row, col, row, col + len(name), where, where + len(name)),
                    Severity.WARNING,
                    "charset-mismatch",
                )
            )
        else:
            encoding = canonical
        if bom and encoding != "utf-8":
            encoding = "utf-8"
    return encoding, bom, declared[0] if declared else None, diags


def text_blocks(
    f: BinaryIO, encoding: str, bom: bool, raw: Callable[[bytes], None] | None = None
) -> Iterator[str]:
    """The text of ``f`` (read from its start), decoded as :func:`decode` decodes it, in
    blocks that each end at a line end (the last one may not): a reader can cut lines in a
    block without looking at the next. A CR at the end of a block waits for the next,
    which may start with the LF of a CRLF. ``raw`` sees every block of bytes read (the
    final one empty)."""
    f.seek(0)
    if bom:
        f.read(len(codecs.BOM_UTF8))
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    rest: list[str] = []
    while True:
        data = f.read(READ_BLOCK)
        if raw is not None:
            raw(data)
        text = decoder.decode(data, final=not data)
        if text:
            whole = text[:-1] if text.endswith("\r") else text
            cut = max(whole.rfind("\n"), whole.rfind("\r")) + 1
            if cut == 0:
                rest.append(text)
            else:
                rest.append(text[:cut])
                yield "".join(rest)
                rest = [text[cut:]] if cut < len(text) else []
        if not data:
            break
    tail = "".join(rest)
    if tail:
        yield tail


class TextFacts:
    """What :func:`decode` reports about a whole text (undecodable bytes, NUL, mixed
    line ends, the dominant line end), gathered from the text's blocks in order. Blocks
    must end at line ends, as :func:`text_blocks` cuts them."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self.offset = 0  # characters fed so far
        self.lines = 0  # line ends fed so far
        self.crlf = self.cr = self.lf = 0
        self.first_newline: dict[str, Span] = {}
        self.surrogates = 0
        self.first_surrogate: tuple[Span, str] | None = None
        self.first_nul: Span | None = None
        self.first_non_ascii: Span | None = None

    def _span(self, block: str, i: int, length: int) -> Span:
        before = block[:i]
        n = _line_ends_text(before)
        line = self.lines + n + 1
        # A block starts at the start of a line.
        col = i - max(before.rfind("\n"), before.rfind("\r")) if n else i + 1
        start = self.offset + i
        if block.startswith(("\r\n", "\r", "\n"), i) and block[i : i + length] in _NL_NAMES:
            return Span(line, col, line + 1, 1, start, start + length)
        return Span(line, col, line, col + length, start, start + length)

    def feed(self, block: str) -> None:
        crlf = block.count("\r\n")
        cr = block.count("\r") - crlf
        lf = block.count("\n") - crlf
        first = self.first_newline
        if crlf and "\r\n" not in first:
            first["\r\n"] = self._span(block, block.find("\r\n"), 2)
        if cr and "\r" not in first:
            m = _BARE_CR_RE.search(block)
            if m is not None:
                first["\r"] = self._span(block, m.start(), 1)
        if lf and "\n" not in first:
            m = _BARE_LF_RE.search(block)
            if m is not None:
                first["\n"] = self._span(block, m.start(), 1)
        # Undecodable bytes (kept as lone surrogates) in any charset: decode() reports
        # them for UTF-8 files, the ABC001 rule for every text.
        found = _SURROGATES_RE.findall(block)
        if found:
            if self.first_surrogate is None:
                m = _SURROGATES_RE.search(block)
                assert m is not None
                self.first_surrogate = (self._span(block, m.start(), 1), m.group())
            self.surrogates += len(found)
        if self.encoding != "utf-8" and self.first_non_ascii is None:
            m = _NON_ASCII_RE.search(block)
            if m is not None:
                self.first_non_ascii = self._span(block, m.start(), 1)
        if self.first_nul is None:
            i = block.find("\0")
            if i >= 0:
                self.first_nul = self._span(block, i, 1)
        self.crlf += crlf
        self.cr += cr
        self.lf += lf
        self.lines += crlf + cr + lf
        self.offset += len(block)

    @property
    def newline(self) -> str:
        """:func:`dominant_newline` of the whole text."""
        best = max((self.lf, "\n"), (self.crlf, "\r\n"), (self.cr, "\r"))
        return best[1] if best[0] else "\n"

    def diagnostics(self, declared: str | None = None, utf8: bool = False) -> list[Diagnostic]:
        """decode()'s ABC001, ABC004 (a declared single-byte charset over UTF-8 bytes:
        ``utf8`` says the bytes decode as UTF-8 and are not all ASCII), ABC002, ABC003."""
        diags: list[Diagnostic] = []
        if self.encoding == "utf-8":
            if self.first_surrogate is not None:
                span, ch = self.first_surrogate
                diags.append(
                    Diagnostic(
                        "ABC001",
                        f"{self.surrogates} byte(s) are not valid UTF-8 (first:"
                        f" 0x{ord(ch) - 0xDC00:02X}); declare I:abc-charset iso-8859-1 if"
                        " the file is Latin-1",
                        span,
                        Severity.ERROR,
                        "undecodable-bytes",
                    )
                )
        elif (declared is not None and self.encoding != "ascii" and utf8
              and self.first_non_ascii is not None):
            diags.append(
                Diagnostic(
                    "ABC004",
                    f"the file declares {declared} but its bytes are UTF-8",
                    self.first_non_ascii,
                    Severity.WARNING,
                    "charset-mismatch",
                )
            )
        if self.first_nul is not None:
            diags.append(
                Diagnostic(
                    "ABC002", "NUL character in the text", self.first_nul, Severity.ERROR,
                    "nul-character",
                )
            )
        newline = self.newline
        others = [(s.start, nl, s) for nl, s in self.first_newline.items() if nl != newline]
        if others:
            _, nl, span = min(others)
            diags.append(
                Diagnostic(
                    "ABC003",
                    f"mixed line endings: this line ends with {_NL_NAMES[nl]},"
                    f" most lines with {_NL_NAMES[newline]}",
                    span,
                    Severity.WARNING,
                    "mixed-line-endings",
                )
            )
        return diags


def _line_ends_text(text: str) -> int:
    crlf = text.count("\r\n")
    return text.count("\r") - crlf + text.count("\n")


def scan_file(
    f: BinaryIO, path: str | None = None, on_block: Callable[[str], None] | None = None
) -> StreamInfo:
    """The first pass over a seekable binary file: :func:`decode`'s findings without
    holding the text. ``on_block`` sees every block of text (a reader that needs a fact
    about the whole text before its second pass gathers it there)."""
    f.seek(0)
    encoding, bom, declared, diags = sniff_charset(f, path)
    facts = TextFacts(encoding)
    # decode(): a declared single-byte charset over bytes that are valid UTF-8.
    utf8 = (codecs.getincrementaldecoder("utf-8")()
            if declared is not None and encoding not in ("utf-8", "ascii") else None)
    state = {"utf8": utf8 is not None, "non_ascii": False}

    def check_utf8(data: bytes) -> None:
        if utf8 is None or not state["utf8"]:
            return
        try:
            utf8.decode(data, final=not data)
        except UnicodeDecodeError:
            state["utf8"] = False
        state["non_ascii"] = state["non_ascii"] or not data.isascii()

    for block in text_blocks(f, encoding, bom, check_utf8):
        facts.feed(block)
        if on_block is not None:
            on_block(block)
    diags.extend(facts.diagnostics(declared, state["utf8"] and state["non_ascii"]))
    return StreamInfo(path, encoding, bom, facts.newline, tuple(diags), facts)


# ---------------------------------------------------------------------------------------
# Is it ABC at all? (issue 13: the commands that rewrite files refuse anything else)

SNIFF_BYTES = 1 << 16  # how much of a file the byte rules look at
CONTROL_SHARE = 0.05  # control characters beyond this share of the sample: binary
UNDECODABLE_SHARE = 0.25  # bytes that are not in the file's charset beyond this: binary
_CONTROL = bytes([*range(0, 9), 11, *range(14, 32), 127])  # not TAB LF FF CR
_ABC_LINE_RE = re.compile(rb"(?m)^[ \t]*(?:[A-Za-z+]:|%)")

# Byte-order marks of the encodings an ABC file cannot be in (§2.1: UTF-8, or an 8-bit
# charset declared in ASCII); UTF-32's before UTF-16's, which they start with.
_WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32 text (byte order mark FF FE 00 00)"),
    (codecs.BOM_UTF32_BE, "UTF-32 text (byte order mark 00 00 FE FF)"),
    (codecs.BOM_UTF16_LE, "UTF-16 text (byte order mark FF FE)"),
    (codecs.BOM_UTF16_BE, "UTF-16 text (byte order mark FE FF)"),
)

# Signatures of file formats that are not text, each with at least one byte no ABC text
# starts with (or a second signature further on), so a tunebook is never taken for one.
MAGIC: tuple[tuple[tuple[tuple[int, bytes], ...], str], ...] = (
    (((0, b"\x89PNG\r\n\x1a\n"),), "a PNG image"),
    (((0, b"\xff\xd8\xff"),), "a JPEG image"),
    (((0, b"GIF87a"),), "a GIF image"),
    (((0, b"GIF89a"),), "a GIF image"),
    (((0, b"%PDF-"),), "a PDF document"),
    (((0, b"PK\x03\x04"),), "a zip archive (or a file built on one: .mxl, .docx, .odt)"),
    (((0, b"PK\x05\x06"),), "an empty zip archive"),
    (((0, b"\x1f\x8b"),), "gzip-compressed data"),
    (((0, b"BZh"), (4, b"1AY&SY")), "bzip2-compressed data"),
    (((0, b"\xfd7zXZ\x00"),), "xz-compressed data"),
    (((0, b"(\xb5/\xfd"),), "zstd-compressed data"),
    (((0, b"7z\xbc\xaf'\x1c"),), "a 7-Zip archive"),
    (((0, b"Rar!\x1a\x07"),), "a RAR archive"),
    (((257, b"ustar"),), "a tar archive"),
    (((0, b"\x7fELF"),), "an ELF executable or library"),
    (((0, b"MZ"), (2, b"\x90\x00")), "a Windows executable"),
    (((0, b"\xcf\xfa\xed\xfe"),), "a Mach-O executable"),
    (((0, b"\xce\xfa\xed\xfe"),), "a Mach-O executable"),
    (((0, b"\xca\xfe\xba\xbe"),), "a Java class file or Mach-O universal binary"),
    (((0, b"\x00asm"),), "a WebAssembly module"),
    (((0, b"SQLite format 3\x00"),), "an SQLite database"),
    (((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),), "an old Microsoft Office document"),
    (((0, b"MThd\x00\x00\x00\x06"),), "a MIDI file"),
    (((0, b"RIFF"), (8, b"WAVE")), "a WAV sound file"),
    (((0, b"OggS\x00"),), "an Ogg sound file"),
    (((0, b"fLaC\x00"),), "a FLAC sound file"),
    (((0, b"fLaC\x80"),), "a FLAC sound file"),
    (((0, b"ID3"), (3, b"\x02")), "an MP3 sound file"),
    (((0, b"ID3"), (3, b"\x03")), "an MP3 sound file"),
    (((0, b"ID3"), (3, b"\x04")), "an MP3 sound file"),
)


def not_abc(head: bytes, rest: Iterable[bytes] = ()) -> str | None:
    """Why a file is not ABC text, or None when it may be: the rule ``abcparse format``
    and ``abc-lint --fix`` apply before they rewrite anything (docs/format.md, "What is
    not ABC"), so a PNG, a zip, a UTF-16 file or random bytes is refused, never rewritten.

    ``head`` is the file's first :data:`SNIFF_BYTES` bytes (or all of it), ``rest`` the
    bytes after them, read only when the head holds no line of ABC. In order:

    1. a UTF-16 or UTF-32 byte-order mark;
    2. the signature of a binary file format (:data:`MAGIC`);
    3. NUL bytes between most characters (UTF-16/32 text without a byte-order mark), or
       control characters (bytes 0-8, 11, 14-31, 127) in more than
       :data:`CONTROL_SHARE` of the head;
    4. bytes that are not valid in the file's charset (UTF-8 unless the file declares
       another, §3.1.17) in more than :data:`UNDECODABLE_SHARE` of the head;
    5. text with no line that is an ABC field, comment or directive (a letter and a colon,
       or ``%``, at the start of a line): no tune and no ABC structure.

    An empty file, or one of white space only, is an empty tunebook, not refused. A
    tunebook with a stray NUL or a few Latin-1 letters in a UTF-8 file stays ABC (its
    bytes are reported as ABC001/ABC002, which ``abc-lint --fix`` may repair).

    >>> not_abc(b"X:1\\nT:Tune\\nK:G\\nGAB|\\n") is None
    True
    >>> not_abc(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR")
    'a PNG image'
    >>> not_abc("X:1\\nK:C\\nC|\\n".encode("utf-16"))
    'UTF-16 text (byte order mark FF FE)'
    """
    for bom, what in _WIDE_BOMS:
        if head.startswith(bom):
            return what
    for parts, what in MAGIC:
        if all(head[at:at + len(sig)] == sig for at, sig in parts):
            return what
    if not head.strip():
        return None
    size = len(head)
    nul = head.count(0)
    if nul * 10 >= size * 3:  # 30%: ASCII text in UTF-16 is half NULs, in UTF-32 three quarters
        return (f"binary data or UTF-16/32 text without a byte order mark ({nul} NUL bytes in"
                f" its first {size})")
    controls = size - len(head.translate(None, _CONTROL))
    if controls > size * CONTROL_SHARE:
        return (f"binary data ({controls} control characters in its first {size} bytes,"
                f" {nul} of them NUL)")
    bad = _undecodable(head)
    if bad > size * UNDECODABLE_SHARE:
        return (f"binary data, or text in an undeclared charset ({bad} of its first {size}"
                " bytes are not valid UTF-8; a file in another charset declares it with"
                " I:abc-charset, §3.1.17)")
    if _ABC_LINE_RE.search(head):
        return None
    tail = head[max(head.rfind(b"\n"), head.rfind(b"\r")) + 1:]
    for block in rest:
        data = tail + block
        if _ABC_LINE_RE.search(data):
            return None
        tail = data[max(data.rfind(b"\n"), data.rfind(b"\r")) + 1:]
    return "no tune, no field and no comment: no line of it is ABC"


def _undecodable(head: bytes) -> int:
    """Bytes of ``head`` that its charset cannot read (:func:`decode` keeps them as lone
    surrogates): UTF-8, or the charset the file declares (§3.1.17)."""
    bom = head.startswith(codecs.BOM_UTF8)
    data = head[len(codecs.BOM_UTF8):] if bom else head
    encoding = "utf-8"
    declared = _declared_charset(data)
    if declared is not None and not bom:
        encoding = _text_charset(declared[0]) or "utf-8"
    count = len(_SURROGATES_RE.findall(data.decode(encoding, errors="surrogateescape")))
    # A character cut by the end of the sample is not a bad byte.
    return max(0, count - 3) if len(head) >= SNIFF_BYTES else count


def not_abc_stream(f: BinaryIO) -> str | None:
    """:func:`not_abc` of a binary file read from where it stands; it is left where it
    was (it must be seekable)."""
    where = f.tell()
    try:
        head = f.read(SNIFF_BYTES)

        def rest() -> Iterator[bytes]:
            while block := f.read(READ_BLOCK):
                yield block

        return not_abc(head, rest())
    finally:
        f.seek(where)


def refuse_non_abc(source: str | os.PathLike[str] | BinaryIO, name: str | None = None
                   ) -> None:
    """Raise :class:`~abcparse.errors.AbcDecodeError` ("NAME: not an ABC file: REASON;
    left unchanged") when ``source`` (a path, or a seekable binary file read from where
    it stands) is not ABC text (:func:`not_abc`); :class:`~abcparse.errors.AbcIOError`
    when it cannot be read. What ``abcparse format``, ``transpose`` and ``abc-lint
    --fix`` call before they rewrite a file."""
    from .errors import AbcDecodeError, AbcIOError

    if isinstance(source, (str, os.PathLike)):
        shown = name or os.fspath(source)
        try:
            with open(source, "rb") as f:
                why = not_abc_stream(f)
        except IsADirectoryError:
            raise AbcIOError(f"{shown}: is a folder, not an ABC file") from None
        except FileNotFoundError:
            raise AbcIOError(f"{shown}: no such file") from None
        except OSError as e:
            raise AbcIOError(f"{shown}: cannot read: {e.strerror or e}") from None
    else:
        shown = name or "-"
        why = not_abc_stream(source)
    if why is not None:
        raise AbcDecodeError(f"{shown}: not an ABC file: {why}; left unchanged")
