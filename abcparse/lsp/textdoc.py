"""Open documents as the server keeps them: the text, and LSP positions ↔ offsets.

The server keeps its own copy of every open document instead of pygls's workspace: an
incremental change is applied by slicing the text at two offsets (pygls rebuilds the
document line by line, about 50 ms per keystroke on a 1.7 MB tunebook), and lines are
cut where ABC and LSP both cut them, at CR, LF and CRLF only (``str.splitlines`` also
cuts at form feeds, NEL and U+2028, which a title or a comment may hold, and then every
position after them would be off by a line).

Columns: the model's spans count code points; an LSP client counts in the position
encoding agreed at initialization, UTF-16 code units unless it offers another.
:class:`TextDocument` converts both ways; on a line of ASCII and BMP text (nearly all
ABC) UTF-16 and code points agree and nothing is converted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..source import NEWLINE_RE

_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


@dataclass
class TextDocument:
    """One open document: ``text`` at ``version``, with ``encoding`` the position
    encoding of the client ("utf-16", "utf-8" or "utf-32")."""

    uri: str
    text: str
    version: int = 0
    language_id: str = "abc"
    encoding: str = UTF16
    _starts: list[int] | None = field(default=None, repr=False)
    _plain: bool | None = field(default=None, repr=False)

    # --- lines ----------------------------------------------------------------------
    @property
    def starts(self) -> list[int]:
        """Offset of the first character of each line (line 0 starts at 0)."""
        if self._starts is None:
            starts = [0]
            starts.extend(m.end() for m in NEWLINE_RE.finditer(self.text))
            self._starts = starts
        return self._starts

    @property
    def plain(self) -> bool:
        """True when client units and code points agree on every line of the text."""
        if self._plain is None:
            if self.encoding == UTF32:
                self._plain = True
            elif self.encoding == UTF8:
                self._plain = _NON_ASCII_RE.search(self.text) is None
            else:
                self._plain = _ASTRAL_RE.search(self.text) is None
        return self._plain

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_start(self, line: int) -> int:
        """Offset of the start of 0-based ``line`` (clamped to the text)."""
        starts = self.starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        return starts[line]

    def line_end(self, line: int, *, keep_newline: bool = False) -> int:
        """Offset of the end of 0-based ``line``, before its line end unless
        ``keep_newline``."""
        starts = self.starts
        if line < 0:
            return 0
        if line + 1 >= len(starts):
            return len(self.text)
        end = starts[line + 1]
        if keep_newline:
            return end
        text = self.text
        if end >= 2 and text[end - 2 : end] == "\r\n":
            return end - 2
        return end - 1

    def line_text(self, line: int) -> str:
        return self.text[self.line_start(line) : self.line_end(line)]

    def line_of(self, offset: int) -> int:
        """0-based line holding ``offset``."""
        return max(bisect.bisect_right(self.starts, offset) - 1, 0)

    # --- positions ------------------------------------------------------------------
    def offset_at(self, line: int, character: int) -> int:
        """The offset of an LSP position (client units), clamped to the text: a
        position past the end of a line means its end (LSP says so), a line past the
        last means the end of the text."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.line_end(line)
        if character <= 0:
            return start
        if self.plain:
            return min(start + character, end)
        units = 0
        pos = start
        text = self.text
        while pos < end and units < character:
            units += _width(text[pos], self.encoding)
            pos += 1
        return pos

    def position_at(self, offset: int) -> tuple[int, int]:
        """(line, character in client units) of an offset, clamped to the text."""
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        start = self.starts[line]
        if self.plain:
            return line, offset - start
        return line, units(self.text[start:offset], self.encoding)

    def span_position(self, line: int, col: int) -> tuple[int, int]:
        """(0-based line, client character) of a model position (1-based line, column
        in code points)."""
        line0 = line - 1
        if self.plain or line0 < 0 or line0 >= len(self.starts):
            return max(line0, 0), max(col - 1, 0)
        start = self.starts[line0]
        return line0, units(self.text[start : start + col - 1], self.encoding)

    def copy(self) -> TextDocument:
        """A copy that later edits leave alone (the line index is shared: an edit
        builds a new one, it never changes one), for work in another thread."""
        return TextDocument(self.uri, self.text, self.version, self.language_id,
                            self.encoding, self._starts, self._plain)

    # --- changes --------------------------------------------------------------------
    def replace(self, start: int, end: int, new: str, version: int | None = None) -> None:
        """Replace ``text[start:end]`` by ``new``. The line index is updated around the
        edit, not rebuilt (a rebuild costs tens of milliseconds in a 2 MB tunebook, on
        every keystroke)."""
        old_text = self.text
        start = min(max(start, 0), len(old_text))
        end = min(max(end, start), len(old_text))
        self.text = text = old_text[:start] + new + old_text[end:]
        starts = self._starts
        if starts is not None:
            # From the line before the edit (a CR and an LF may join or part there) to
            # the start of the second line after it, scanned again; the rest moves.
            n = len(starts)
            a = max(bisect.bisect_right(starts, start) - 2, 0)
            b = bisect.bisect_right(starts, end) + 1
            delta = len(new) - (end - start)
            lo = starts[a]
            hi = starts[b] + delta if b < n else len(text)
            mid = [lo + m.end() for m in NEWLINE_RE.finditer(text[lo:hi])
                   if lo + m.end() < hi or b >= n]
            tail = [x + delta for x in starts[b:]] if b < n else []
            self._starts = [*starts[: a + 1], *mid, *tail]
        if self._plain is not None and not (self._plain and self._plain_text(new)):
            self._plain = None
        if version is not None:
            self.version = version

    def _plain_text(self, text: str) -> bool:
        if self.encoding == UTF32:
            return True
        if self.encoding == UTF8:
            return _NON_ASCII_RE.search(text) is None
        return _ASTRAL_RE.search(text) is None

    def set_text(self, text: str, version: int | None = None) -> None:
        self.text = text
        self._starts = None
        self._plain = None
        if version is not None:
            self.version = version


def _width(ch: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(ch.encode("utf-8", "surrogatepass"))
    if encoding == UTF16:
        return 2 if ord(ch) > 0xFFFF else 1
    return 1


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the client's units."""
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == UTF16:
        return len(text) + len(_ASTRAL_RE.findall(text))
    return len(text)
