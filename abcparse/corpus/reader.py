"""Streaming reader: ABC files → one tune text at a time.

A training collection may be far larger than memory, so the cleaner never holds a whole
file: it reads each file with :func:`abcparse.iter_tunes` (bytes read in blocks, decoded
as the parser decodes them, cut into the chunks ``split`` gives the whole text, with
loose rules, §12.2: an empty line between a tune's header and its music joins the two,
ABC209), without building the tunes: each tune's text is handed out as soon as it is
cut, for the cleaning stage to parse (in worker processes, with ``--jobs``).

The file header (§2.2.2: fields and directives before the first tune, which apply to
every tune) is kept and handed along with each tune, so the cleaner can make each tune
self-contained.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..api import TuneStream
from ..errors import AbcIOError

_BLOCK = 1 << 20  # bytes per read when hashing a file
# Line starts after any of the three line ends (re.M's ^ knows only LF).
_TITLE_RE = re.compile(r"(?:\A|[\r\n])T:[ \t]*([^\r\n%]*)")
_REF_RE = re.compile(r"(?:\A|[\r\n])X:[ \t]*([^\r\n%]*)")


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

    def tunes_iter(self) -> Iterator[RawTune]:
        """Yield every tune of the file, in order (see the module docstring)."""
        stream = TuneStream(self.path, mode="loose")
        self.encoding = stream.encoding
        try:
            self.size = os.path.getsize(self.path)
        except OSError as e:
            raise AbcIOError(f"{self.path}: cannot read: {e.strerror or e}") from None
        for piece in stream.pieces(build=False):
            chunk = piece.chunk
            self.position = chunk.start + len(chunk.text)
            if chunk.kind == "header" and self.tunes == 0:
                self.header = chunk.text
            elif chunk.kind == "tune":
                self.tunes += 1
                yield RawTune(self.index, self.tunes, chunk.line, chunk.text, self.header)
        self.sha256 = file_sha256(self.path)
        self.bytes_read = self.size


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
