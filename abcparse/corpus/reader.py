"""Streaming reader: ABC files → one tune text at a time.

A training collection may be far larger than memory, so the cleaner never holds a whole
file: bytes are read in blocks, decoded incrementally, cut into lines, and a tune is
handed out as soon as the next tune starts. The cutting itself is the core's
:func:`abcparse.split.split` with loose rules (§12.2: an empty line between a tune's
header and its music joins the two, ABC209), applied to the text between two tune
starts. A tune always starts at ``X:`` after an empty line (§2.2.1), and nothing the
splitter does crosses that point, so cutting there first gives exactly the chunks of
``split(whole_text)`` (a test checks it on the corpora) while holding one tune at a time.

The file header (§2.2.2: fields and directives before the first tune, which apply to
every tune) is kept and handed along with each tune, so the cleaner can make each tune
self-contained.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import AbcIOError
from ..source import decode
from ..split import split

_BLOCK = 1 << 20
# Enough bytes to see the file header's I:abc-charset declaration (§3.1.17); a header
# longer than this is read whole before decoding starts.
_HEAD_PROBE = 1 << 16
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
# Line starts after any of the three line ends (re.M's ^ knows only LF).
_TITLE_RE = re.compile(r"(?:\A|[\r\n])T:[ \t]*([^\r\n%]*)")
_REF_RE = re.compile(r"(?:\A|[\r\n])X:[ \t]*([^\r\n%]*)")
_FIRST_TUNE_RE = re.compile(rb"(?:^|[\r\n])X:")


@dataclass(frozen=True, slots=True)
class RawTune:
    """One tune as read: where it came from and its text.

    ``source`` is the index of the input file, ``ordinal`` the 1-based position of the
    tune in that file, ``line`` its first line; ``header`` the text of the file header
    (empty when the file has none)."""

    source: int
    ordinal: int
    line: int
    text: str
    header: str = ""

    @property
    def reference(self) -> str:
        """The X: value as written ("" when missing)."""
        m = _REF_RE.search(self.text)
        return m.group(1).strip() if m else ""

    @property
    def title(self) -> str:
        """The first T: value as written ("" when missing)."""
        m = _TITLE_RE.search(self.text)
        return m.group(1).strip() if m else ""


class SourceFile:
    """One input file, read once, streaming; ``sha256`` and ``tunes`` are final once
    :meth:`tunes_iter` is exhausted."""

    def __init__(self, path: str | os.PathLike[str], index: int = 0) -> None:
        self.path = os.fspath(path)
        self.index = index
        self.sha256 = ""
        self.size = 0
        self.bytes_read = 0
        self.position = 0  # characters handed out so far (for progress)
        self.tunes = 0
        self.header = ""
        self.encoding = "utf-8"

    def _blocks(self) -> Iterator[bytes]:
        try:
            self.size = os.path.getsize(self.path)
            with open(self.path, "rb") as f:
                while True:
                    block = f.read(_BLOCK)
                    if not block:
                        return
                    yield block
        except IsADirectoryError:
            raise AbcIOError(f"{self.path}: is a folder, not an ABC file") from None
        except FileNotFoundError:
            raise AbcIOError(f"{self.path}: no such file") from None
        except OSError as e:
            raise AbcIOError(f"{self.path}: cannot read: {e.strerror or e}") from None

    def _text_blocks(self) -> Iterator[str]:
        """Decoded text, block by block. The encoding is decided as the core decides it
        (:func:`abcparse.source.decode`: BOM, then the file header's declared charset,
        else UTF-8), from the bytes before the first tune; undecodable bytes are kept
        as lone surrogates, which the cleaner later reports."""
        digest = hashlib.sha256()
        blocks = self._blocks()
        head = b""
        for block in blocks:
            digest.update(block)
            self.bytes_read += len(block)
            head += block
            if len(head) >= _HEAD_PROBE or _FIRST_TUNE_RE.search(head):
                break
        probe = _FIRST_TUNE_RE.search(head)
        source, _ = decode(head[: probe.start()] if probe else head)
        self.encoding = source.encoding
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape")
        yield decoder.decode(head)
        for block in blocks:
            digest.update(block)
            self.bytes_read += len(block)
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)
        self.sha256 = digest.hexdigest()

    def _lines(self) -> Iterator[str]:
        """Lines with their line ends (CR, LF or CRLF, §2.2); the last may have none."""
        rest = ""
        for text in self._text_blocks():
            if not text:
                continue
            text = rest + text
            end = 0
            for m in _LINE_RE.finditer(text):
                if m.end() == len(text) and text.endswith("\r"):
                    break  # a CR at the end of a block may be the first half of CRLF
                end = m.end()
                yield m.group()
            rest = text[end:]
        if rest:
            yield from (m.group() for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", rest))

    def tunes_iter(self) -> Iterator[RawTune]:
        """Yield every tune of the file, in order (see the module docstring)."""
        pending: list[str] = []
        base_line = 1  # line number of pending[0]
        in_block = False
        prev_blank = True
        first = True
        for line_no, line in enumerate(self._lines(), 1):
            self.position += len(line)
            blank = not line.strip(" \t\r\n")
            if in_block:
                in_block = not line.startswith("%%end")
            elif line.startswith("%%begin"):
                in_block = True
            elif line.startswith("X:") and prev_blank and any(
                p.strip(" \t\r\n") for p in pending
            ):
                yield from self._flush(pending, base_line, first)
                first = False
                pending = []
                base_line = line_no
            pending.append(line)
            prev_blank = blank and not in_block
        if pending:
            yield from self._flush(pending, base_line, first)

    def _flush(self, lines: list[str], base_line: int, first: bool) -> Iterator[RawTune]:
        chunks, _ = split("".join(lines), loose=True)
        for chunk in chunks:
            if chunk.kind == "header" and first and self.tunes == 0:
                self.header = chunk.text
            elif chunk.kind == "tune":
                self.tunes += 1
                yield RawTune(
                    self.index, self.tunes, base_line + chunk.line - 1, chunk.text, self.header
                )


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(_BLOCK), b""):
                digest.update(block)
    except OSError as e:
        raise AbcIOError(f"{os.fspath(path)}: cannot read: {e.strerror or e}") from None
    return digest.hexdigest()
