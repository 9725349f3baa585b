"""Cut a tunebook's text into the version line, file header, tunes, free text and blanks.

§2.2: an ABC file is blocks separated by empty lines. The first block may be the file
header; a tune starts at ``X:`` (§3.1.1) and ends at the next empty line; anything else
is free text. This module is total: any text is cut into chunks whose concatenation is
the text, and it never raises. One tune at a time then goes to the parser, so a broken
tune never spoils its neighbours and memory is bounded by the largest tune.

Loose reading (§12.2) adds one repair that real collections need: when an empty line
falls between a tune's header and its music (two tunes of the MIT Irish corpus), the
music block is read as that tune's body, with diagnostic ABC209. Strict reading keeps the
standard's rule (the tune ends at the empty line) and reports the same place as an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from . import speedups
from .diagnostics import Diagnostic, Severity, Span
from .model import fast_constructor

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# §3: a line that begins with a letter (or + for a continuation, §3.3) and a colon is a
# field line. Except: a lower-case note letter with a repeat sign after its colon
# (``e:|``, ``d::``) is music, as abc2midi and abcjs both read it. a-g are no field
# letters of ABC 2.1, so nothing defined is lost, and the notes of the many tunebooks
# that end a section with a note and ``:|`` at the start of a line are kept
# (ABC108 reports it). And: spaces or tabs before the letter (`` L:1/16``, ``  K:G``)
# still make a field line, as abc2midi reads it (abcjs too for the fields that change
# the music), where §3 would read music that is no music (the letter, a stray colon, the
# value's letters as notes); ABC109 reports the indentation. An indented note letter of
# either case with a repeat sign (`` B::``, `` A:|``: a wrapped line's last note) is
# music for both players, and here. The grammar's FIELD_START and KEY_START terminals
# are these patterns (a test checks).
FIELD_START_PATTERN = "(?:[ \t]+(?![A-Ga-g]:[:|])|(?![a-g]:[:|]))[A-Za-z+]:"
FIELD_LINE_RE = re.compile(FIELD_START_PATTERN)
KEY_START_PATTERN = "[ \t]*K:"
KEY_LINE_RE = re.compile(KEY_START_PATTERN)
#: U+FEFF, a byte-order mark kept at the start of decoded text (see :func:`_lines`).
BOM = "\ufeff"
_BLOCK_BEGIN = "%%begin"
_BLOCK_END = "%%end"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of the text: ``kind`` is "version", "header", "tune", "text" or "blank"."""

    kind: str
    text: str
    start: int  # offset of the first character in the whole text
    line: int  # 1-based line number of the first line


#: Chunk(...) by its slots: a frozen dataclass's own __init__ took a seventh of the split
#: of a book of short tunes (two chunks per tune, see _tune_piece).
_make_chunk = fast_constructor(Chunk)


@dataclass(slots=True)
class _Line:
    text: str
    start: int
    number: int
    blank: bool


# Characters other than CR and LF that str.splitlines() treats as line ends; ABC does not.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def has_other_breaks(text: str) -> bool:
    """Whether ``text`` holds a character that ``str.splitlines()`` takes for a line end
    and ABC does not. An ASCII text (which CPython knows without reading it) can hold
    only five of them, found by literal searches: the regex tests every character
    against its set, and the splitter asks this of every tune."""
    if text.isascii():
        return ("\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text
                or "\x1e" in text)
    return _OTHER_BREAKS.search(text) is not None


def text_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of ABC text. §2.2: a line ends with CR, LF or CRLF, and nothing else:
    ``str.splitlines()`` also breaks at VT, FF, FS, GS, RS, NEL and U+2028/U+2029, which a
    title, a comment or free text may hold (NEL is the ellipsis of a Windows-1252 file read
    as Latin-1). Everything that cuts ABC text into lines goes through here, so line
    numbers and line-wise edits agree with the parser's."""
    if not has_other_breaks(text):
        return text.splitlines(keepends)
    lines: list[str] = _LINE_RE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]


def body_start(tune_text: str) -> int | None:
    """Offset of the first character after a tune's first ``K:`` line, where its body
    starts (§3.1.14: K: ends the header); None when the text has no ``K:`` line."""
    pos = 0
    for line in text_lines(tune_text, keepends=True):
        pos += len(line)
        if KEY_LINE_RE.match(line):
            return pos
    return None


def music_after_key(block: str) -> bool:
    """Whether a block of text holds a ``K:`` line with more text after it that is not a
    field or comment: the header and music of a tune whose ``X:`` line is missing or
    mistyped (``:1646``). Only ``X:`` starts a tune (§3.1.1), so such a block is free
    text (§2.2.3), but its lines are music, not prose to be commented out."""
    body = body_start(block)
    if body is None:
        return False
    return any(
        line.strip() and not line.startswith("%") and not FIELD_LINE_RE.match(line)
        for line in text_lines(block[body:])
    )


def _lines(text: str) -> list[_Line]:
    """The lines of ``text`` with their line ends."""
    raw = text_lines(text, keepends=True)
    out = []
    start = 0
    if raw and raw[0].startswith(BOM):
        # A byte-order mark (text read with ``open(path, encoding="utf-8")`` keeps it) is
        # no part of the first line: a blank line of its own, so that ``X:1`` or the
        # version line after it is read as written (§2.1), as it is from a file's bytes.
        out.append(_Line(BOM, 0, 1, True))
        raw[0] = raw[0][1:]
        start = 1
        if not raw[0]:
            return out
    for number, s in enumerate(raw, 1):
        out.append(_Line(s, start, number, not s.strip(" \t\r\n")))
        start += len(s)
    return out


def _blocks(text: str) -> Iterator[tuple[bool, list[_Line]]]:
    """Runs of non-blank lines (False, lines) and of blank lines (True, lines).

    A ``%%begin...`` block runs to its ``%%end...`` line whatever it holds, as the grammar's
    DIRECTIVE_BLOCK terminal does; one that is never closed is an ordinary line.
    """
    lines = _lines(text)
    i = 0
    n = len(lines)
    while i < n:
        blank = lines[i].blank
        j = i
        while j < n and lines[j].blank == blank:
            if not blank and lines[j].text.startswith(_BLOCK_BEGIN):
                k = j + 1
                while k < n and not lines[k].text.startswith(_BLOCK_END):
                    k += 1
                if k < n:
                    j = k
            j += 1
        yield blank, lines[i:j]
        i = j


def parted_ending(text: str, pos: int) -> bool:
    """Whether the digit at ``pos`` stands where a variant ending's number would, parted
    from its bar line: it opens a line whose line before ends with a bar line (``:|``
    then ``2 fdcA``: a line wrap), or spaces part it from the bar line before it on its
    own music line (``:| 2 fdcA``). §4.9 writes ``:|2`` (or ``[2``, §4.10); abc2midi and
    abcjs read no ending there, and neither does abcparse, but it is most likely the
    author's ending: the finding names it, and the safe fix keeps the digit (deleting it
    would delete the ending)."""
    if not (0 < pos < len(text) and text[pos].isdigit()):
        return False
    if text[pos - 1] in " \t":  # on the bar line's own line
        before = _line_before(text, pos)
        return _ends_with_bar(before) and _FIELD_LINE_START.match(before) is None
    if text[pos - 1] not in "\r\n":
        return False
    end = pos - 1
    if text[end] == "\n" and end > 0 and text[end - 1] == "\r":
        end -= 1
    return _ends_with_bar(_line_before(text, end))


def _line_before(text: str, end: int) -> str:
    """The text of the line that holds ``text[end - 1]``, up to ``end``, without the
    spaces it ends with."""
    start = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
    return text[start:end].rstrip(" \t")


def _ends_with_bar(line: str) -> bool:
    """Whether ``line`` (not a comment) ends with a bar line or its dots."""
    return line.endswith(("|", ":")) and not line.startswith("%")


# A field line (``w: la | 2``, ``T:A | 2``): its text holds no endings.
_FIELD_LINE_START = re.compile(r"[A-Za-z+]:")


# A ":" then the line end and a line that starts with a bar line: a ":|" that a line wrap
# broke (see broken_repeat_end).
_BROKEN_REPEAT_END_RE = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*\|")


def broken_repeat_end(text: str, pos: int) -> bool:
    """Whether the ``:`` at ``pos``, which starts nothing where it stands, ends its line
    and the next line starts with a bar line (``dcBA:`` then ``|GABc``): most likely a
    ``:|`` that a line wrap broke (hard-wrapped tunebooks). §4.8 has no repeat there, and
    neither abc2midi nor abcjs nor abcparse plays one; the finding names it, the safe fix
    keeps the ``:`` (deleting it would delete the author's repeat) and the unsafe fix
    writes the ``:|``."""
    return (
        0 <= pos < len(text)
        and text[pos] == ":"
        and _BROKEN_REPEAT_END_RE.match(text, pos + 1) is not None
    )


def _is_field(line: _Line) -> bool:
    return FIELD_LINE_RE.match(line.text) is not None


def _looks_like_music(line: _Line) -> bool:
    t = line.text
    return not (_is_field(line) or t.startswith("%"))


def _chunk(text: str, kind: str, lines: list[_Line]) -> Chunk:
    """The chunk holding ``lines``: a slice of the text (one copy, not a join per line)."""
    first = lines[0]
    if len(lines) == 1:
        return _make_chunk(kind, first.text, first.start, first.number)
    last = lines[-1]
    return _make_chunk(kind, text[first.start : last.start + len(last.text)], first.start,
                       first.number)


def _has_body(chunk: Chunk) -> bool:
    """True when a tune chunk has a line of music after its first K: line: a line that is
    not a comment (§2.2.5: a line holding only a comment, after spaces or tabs too, is as
    if removed, as the builder reads it; an indented comment used to count as music, so
    that the formatter, which writes it unindented, changed how the tune was split) and
    not a field line (``L:1/8`` or ``V:1`` after ``K:``, then an empty line, then the
    music, as Maestro writes every tune: the music was dropped unreported, where a
    comment line there was bridged, ABC209)."""
    seen_key = False
    for line in text_lines(chunk.text):
        if (seen_key and line.strip() and not line.lstrip().startswith("%")
                and not FIELD_LINE_RE.match(line)):
            return True
        if KEY_LINE_RE.match(line):
            seen_key = True
    return False


def split(text: str, *, loose: bool = True) -> tuple[list[Chunk], list[Diagnostic]]:
    """Cut ``text`` into chunks; ``"".join(c.text for c in chunks) == text`` always."""
    chunks: list[Chunk] = []
    diags: list[Diagnostic] = []
    first_content = True
    for blank, lines in _blocks(text):
        if blank:
            chunks.append(_chunk(text, "blank", lines))
            continue
        if first_content and (not chunks or chunks[0].text == BOM) and lines[0].text.startswith(
            "%abc"
        ):
            # §2.1: the version line opens the file.
            chunks.append(_chunk(text, "version", lines[:1]))
            lines = lines[1:]
            if not lines:
                continue
        starts = _tune_starts(lines)
        if starts:
            if starts[0] > 0:
                before = lines[: starts[0]]
                kind = "header" if first_content and _only_header_lines(before) else "text"
                chunks.append(_chunk(text, kind, before))
            for a, b in zip(starts, [*starts[1:], len(lines)], strict=True):
                if a != starts[0]:
                    diags.append(_missing_empty_line(lines[a].number, lines[a].start))
                chunks.append(_chunk(text, "tune", lines[a:b]))
            first_content = False
            continue
        prev = _last_tune(chunks)
        if prev is not None and _looks_like_music(lines[0]) and not _has_body(chunks[prev]):
            gap = chunks[prev + 1 :]
            where = gap[0] if gap else _chunk(text, "text", lines)
            span = Span(where.line, 1, where.line, 1, where.start, where.start)
            if loose:
                diags.append(
                    Diagnostic(
                        "ABC209",
                        "empty line between the tune header and its music; read as one tune",
                        span,
                        Severity.WARNING,
                        "empty-line-in-tune",
                    )
                )
                merged = (
                    chunks[prev].text
                    + "".join(c.text for c in gap)
                    + "".join(x.text for x in lines)
                )
                chunks[prev:] = [_make_chunk("tune", merged, chunks[prev].start, chunks[prev].line)]
                continue
            diags.append(
                Diagnostic(
                    "ABC209",
                    "empty line ends the tune before its music (§2.2.1); the music after it"
                    " is read as free text",
                    span,
                    Severity.ERROR,
                    "empty-line-in-tune",
                )
            )
        if any(KEY_LINE_RE.match(line.text) for line in lines) and _is_field(lines[0]):
            # A tune without X: (loose files, fragments): the parser reports ABC201.
            chunks.append(_chunk(text, "tune", lines))
        elif first_content and _only_header_lines(lines):
            chunks.append(_chunk(text, "header", lines))
        else:
            chunks.append(_chunk(text, "text", lines))
        first_content = False
    return chunks, diags


def _missing_empty_line(line: int, start: int) -> Diagnostic:
    """ABC211 at the X: of a tune that follows another with no empty line between."""
    return Diagnostic(
        "ABC211",
        "a new tune starts at X: without an empty line after the last one",
        Span(line, 1, line, 3, start, start + 2),
        Severity.WARNING,
        "missing-empty-line",
    )


def _tune_starts(lines: list[_Line]) -> list[int]:
    """Indexes of the X: lines that start a tune: not those inside a closed
    ``%%begin...``/``%%end...`` block, whose lines are text, not ABC (§11)."""
    out: list[int] = []
    i = 0
    n = len(lines)
    while i < n:
        t = lines[i].text
        if t.startswith(_BLOCK_BEGIN):
            k = i + 1
            while k < n and not lines[k].text.startswith(_BLOCK_END):
                k += 1
            if k < n:
                i = k + 1
                continue
        elif t.startswith("X:"):
            out.append(i)
        i += 1
    return out


def _last_tune(chunks: list[Chunk]) -> int | None:
    """Index of the last chunk if it is a tune followed only by blank chunks."""
    for i in range(len(chunks) - 1, -1, -1):
        if chunks[i].kind == "tune":
            return i
        if chunks[i].kind != "blank":
            return None
    return None


def _only_header_lines(lines: list[_Line]) -> bool:
    """A file header holds field lines, comments and directives (§2.2.2)."""
    in_block = False
    for line in lines:
        t = line.text
        if in_block:
            in_block = not t.startswith(_BLOCK_END)
            continue
        if t.startswith(_BLOCK_BEGIN):
            in_block = True
            continue
        # §2.2.5: a comment line may be indented.
        if not (t.lstrip(" \t").startswith("%") or _is_field(line)):
            return False
    return True


# ---------------------------------------------------------------------------------------
# Streaming: the same chunks, a piece of the file at a time.
#
# A line starting with X: right after an empty line (outside a closed %%begin ... %%end
# block) always starts a tune chunk, and nothing split() does crosses it: its blocks end at
# the empty line, its ABC209 merge only joins a tune with a following block that does not
# start a tune, and its first-block rules (version line, file header) are settled by then.
# So does a line starting with X: that follows a tune's line with no empty line between
# (an X: line, outside a closed %%begin block, has come since the last empty line): split()
# starts a tune there too, the second of its block (ABC211), and the lines before it are
# the tune before it. So cutting the text at those lines first and splitting each piece
# alone gives exactly split()'s chunks and diagnostics, once the ABC211 that split() gives
# at a cut of the second kind is added (tests/core/test_stream.py checks it on the corpora
# and on random texts), while holding one piece, a tune and the free text after it, at a
# time: a tunebook whose tunes are not parted by empty lines is still read a tune at a
# time. Whether a %%begin line opens a closed block depends on whether any later line
# starts with %%end: :class:`BlockEnds` finds the last such line in a first pass.

SPLIT_BLOCK = 1 << 20  # characters of an in-memory text handed to the splitter at a time


class BlockEnds:
    """The number of the last line starting with ``%%end`` (0 when there is none), from
    a text fed in blocks that end at line ends."""

    __slots__ = ("last", "lines")

    def __init__(self) -> None:
        self.lines = 0  # line ends fed so far
        self.last = 0

    def feed(self, block: str) -> None:
        i = block.rfind(_BLOCK_END)
        while i > 0 and block[i - 1] not in "\r\n":
            i = block.rfind(_BLOCK_END, 0, i)
        if i >= 0:
            self.last = self.lines + _count_line_ends(block, i) + 1
        self.lines += _count_line_ends(block, len(block))


def string_blocks(text: str, size: int = SPLIT_BLOCK) -> Iterator[str]:
    """``text`` in blocks of about ``size`` characters that end at line ends, as
    :func:`abcparse.source.text_blocks` cuts a file."""
    start = 0
    n = len(text)
    while start < n:
        end = start + size
        if end >= n:
            yield text[start:]
            return
        # Cut after a line end, never between the CR and LF of a CRLF.
        cut = max(text.rfind("\n", start, end), text.rfind("\r", start, end - 1)) + 1
        if cut <= start:
            m = _NEXT_END_RE.search(text, end)
            cut = m.end() if m is not None else n
        yield text[start:cut]
        start = cut


_NEXT_END_RE = re.compile(r"\r\n|\r(?!\Z)|\n")


def pieces(
    blocks: Iterable[str], last_end: int | Callable[[], int], after_tune: bool = False
) -> Iterator[tuple[str, int, int, bool]]:
    """(text, offset, first line number, joined) of the pieces of a text given in blocks
    ending at line ends: cut before each ``X:`` line, outside a closed ``%%begin`` block,
    that follows an empty line, or that follows a tune's line with no empty line between
    (``joined``: split() reports ABC211 there; see above). ``last_end`` is
    :class:`BlockEnds`' line, or a function giving it, called only if a ``%%begin`` line
    comes (most files have none). ``after_tune``: the text is a stretch of a file that
    starts at such a joined ``X:`` line (the language server re-splits stretches)."""
    pending: list[str] = []
    content = False  # a non-blank line is pending
    start = 0  # offset of pending[0]
    first_line = 1
    offset = 0  # of the block
    number = 0  # lines before the block
    in_block = False
    prev_blank = not after_tune
    tune_run = after_tune  # an X: line has come since the last empty line
    joined = after_tune  # the pending piece starts at an X: joined to the tune before
    for block in blocks:
        if in_block or _BLOCK_BEGIN in block:
            # Line by line, following %%begin ... %%end blocks.
            at = offset
            for line in text_lines(block, keepends=True):
                number += 1
                blank = not line.strip(" \t\r\n")
                if in_block:
                    in_block = not line.startswith(_BLOCK_END)
                elif line.startswith(_BLOCK_BEGIN):
                    if not isinstance(last_end, int):
                        last_end = last_end()
                    in_block = last_end > number
                elif line.startswith("X:"):
                    if content and (prev_blank or tune_run):
                        yield "".join(pending), start, first_line, joined
                        pending = []
                        content = False
                        start = at
                        first_line = number
                        joined = not prev_blank
                    tune_run = True
                pending.append(line)
                content = content or not blank
                prev_blank = blank and not in_block
                if prev_blank:
                    tune_run = False
                at += len(line)
            offset = at
            continue
        # No block: the cuts are at the X: lines after an empty line or in a tune's run.
        pos = 0
        cuts, tail_lines, tail_content, tune_run, prev_blank = _block_cuts(
            block, prev_blank, tune_run)
        for cut, joins, lines, seg_content in cuts:
            if cut > pos:
                pending.append(block[pos:cut])
                content = content or seg_content
                number += lines
            pos = cut
            if content:
                yield "".join(pending), start, first_line, joined
                pending = []
                content = False
                start = offset + cut
                first_line = number + 1
                joined = joins
        if pos < len(block):
            pending.append(block[pos:] if pos else block)
            content = content or tail_content
            number += tail_lines
        offset += len(block)
    if pending:
        yield "".join(pending), start, first_line, joined


#: A cut of a block (see :func:`_block_cuts`): its offset, whether it is joined to the
#: tune before (ABC211), and the line ends and whether anything but blanks stands between
#: the cut before (or the block's start) and it.
Cut = tuple[int, bool, int, bool]


def _block_cuts(block: str, prev_blank: bool, tune_run: bool
                ) -> tuple[list[Cut], int, bool, bool, bool]:
    """Where :func:`pieces` cuts a block with no ``%%begin`` line: at each line starting
    ``X:`` that follows an empty line, or a tune's line with no empty line between
    (joined). ``prev_blank``: the line before the block is empty (or there is none);
    ``tune_run``: an X: line has come since the last empty line. Gives the cuts, the line
    ends and whether anything but blanks stands after the last cut, and ``tune_run`` and
    ``prev_blank`` at the block's end. ``speedups.block_cuts`` is the same pass,
    compiled: one call per block, where this makes several per tune (a fifth of
    ``read_headers``, issue 16)."""
    if speedups.block_cuts is not None:  # abcparse.speedups
        return speedups.block_cuts(block, prev_blank, tune_run)
    cuts: list[Cut] = []
    pos = 0
    scan = 0  # an empty line in block[scan:next X: line] ends the run
    x_lines = _x_lines(block)
    if block.startswith("X:"):
        x_lines.insert(0, (0, prev_blank))
    for cut, after_blank in x_lines:
        if tune_run and _has_empty_line(block, scan, cut):
            tune_run = False
        joins = tune_run and not after_blank
        tune_run = True
        scan = cut
        if after_blank or joins:
            cuts.append((cut, joins, _count_line_ends(block, cut, pos),
                         _CONTENT_RE.search(block, pos, cut) is not None))
            pos = cut
    if tune_run and _has_empty_line(block, scan, len(block)):
        tune_run = False
    ends = 2 if block.endswith("\r\n") else 1 if block.endswith(("\r", "\n")) else 0
    body = block[: len(block) - ends]
    last = body[max(body.rfind("\n"), body.rfind("\r")) + 1 :]
    return (cuts, _count_line_ends(block, len(block), pos),
            _CONTENT_RE.search(block, pos) is not None, tune_run,
            ends > 0 and not last.strip(" \t"))


def _x_lines(block: str) -> list[tuple[int, bool]]:
    """The lines of ``block`` after its first that start ``X:``: (offset, whether the
    line before is empty). §2.2.1: tunes are separated by empty lines; an empty line
    holds only spaces and tabs. Found from each ``X:`` backwards: a literal search is
    many times faster than trying a pattern's look-behinds at every character, and
    finding the cuts was an eighth of what :func:`abcparse.read_headers` spends
    (issue 16)."""
    out = []
    find = block.find
    p = find("X:", 1)
    while p > 0:
        if block[p - 1] in "\r\n":
            out.append((p, after_empty_line(block, p)))
        p = find("X:", p + 1)
    return out


def after_empty_line(text: str, at: int) -> bool:
    """Whether the line before the one that starts at ``at`` is empty (spaces and tabs
    at most), the text's start counting as one."""
    q = at - 1
    if q > 0 and text[q] == "\n" and text[q - 1] == "\r":
        q -= 1  # the line end is \r\n
    while q > 0 and text[q - 1] in " \t":
        q -= 1
    return q <= 0 or text[q - 1] in "\r\n"


# A line end, then an empty line (not the CR of a CRLF taken for a line end of its own).
# It starts with a line end, which the search finds quickly; a look-behind at the empty
# line itself would be tried at every character (a fifth of the splitter's time).
_EMPTY_LINE_RE = re.compile(r"(?:\r\n|\r(?!\n)|\n)[ \t]*(?:\r\n|\r|\n)")
_EMPTY_FIRST_LINE_RE = re.compile(r"[ \t]*(?:\r\n|\r|\n)")


def _has_empty_line(block: str, start: int, end: int) -> bool:
    """Whether a line of ``block`` that starts in [start, end) is empty (``start`` is
    the block's start, which starts a line, or the start of an X: line, which is not
    empty; ``end`` is never inside a line end)."""
    if start == 0 and _EMPTY_FIRST_LINE_RE.match(block, 0, end) is not None:
        return True
    return _EMPTY_LINE_RE.search(block, start, end) is not None
_CONTENT_RE = re.compile(r"[^ \t\r\n]")


# One tune block (its first line X:, no other line starting X:) and nothing after it but
# empty lines: what most pieces of a tunebook are. split() gives it a tune chunk and a
# blank chunk; _tune_piece finds that without cutting lines (split_pieces calls split()
# for the other pieces).
_TUNE_THEN_BLANK_RE = re.compile(
    r"X:[^\r\n]*(?:\r\n|\r|\n|\Z)"
    r"(?:(?!X:)[ \t]*[^ \t\r\n][^\r\n]*(?:\r\n|\r|\n|\Z))*"
)
#: Spaces, tabs and line ends (possibly none), from a position.
BLANKS_RE = re.compile(r"[ \t\r\n]*")


def _tune_piece(text: str, offset: int, line: int) -> list[Chunk] | None:
    """The chunks of a piece that is one tune and empty lines after it, placed at
    ``offset`` and ``line`` of the whole text (what ``split`` then shifting gives), or
    None for any other piece."""
    if speedups.tune_piece is not None:  # the same pass, compiled (abcparse.speedups)
        end, lines = speedups.tune_piece(text)
    else:
        end, lines = _tune_piece_end(text)
    if end < 0:
        return None
    tune = _make_chunk("tune", text[:end], offset, line)
    if end == len(text):
        return [tune]
    return [tune, _make_chunk("blank", text[end:], offset + end, line + lines)]


def _tune_piece_end(text: str) -> tuple[int, int]:
    """Where the tune chunk of a piece that is one tune and empty lines after it ends,
    and the line ends before that; (-1, 0) for any other piece: one with a ``%%begin``
    line (a block may hold empty lines), or with a line break ``split`` reads otherwise
    (:func:`has_other_breaks`), or with text after the tune's empty line."""
    if not text.startswith("X:") or "%%begin" in text or has_other_breaks(text):
        return -1, 0
    m = _TUNE_THEN_BLANK_RE.match(text)
    if m is None or BLANKS_RE.fullmatch(text, m.end()) is None:
        return -1, 0
    return m.end(), _count_line_ends(text, m.end())


def _count_line_ends(text: str, end: int, start: int = 0) -> int:
    """The line ends in text[start:end] (never inside a CRLF at either side)."""
    if text.find("\r", start, end) < 0:  # most files: one count, not three
        return text.count("\n", start, end)
    crlf = text.count("\r\n", start, end)
    return text.count("\r", start, end) - crlf + text.count("\n", start, end)


def shift_span(span: Span, offset: int, lines: int) -> Span:
    """``span`` of a piece moved to its place in the whole text (``lines`` is the piece's
    first line number minus one; pieces start at line starts, so columns stay)."""
    return Span(span.line + lines, span.col, span.end_line + lines, span.end_col,
                span.start + offset, span.end + offset)


def split_pieces(
    blocks: Iterable[str], *, loose: bool, last_end: int | Callable[[], int],
    after_tune: bool = False,
) -> Iterator[tuple[list[Chunk], list[Diagnostic]]]:
    """:func:`split` of a text given in blocks, a piece at a time: the concatenation of
    what it yields equals ``split(text, loose=loose)`` (chunks with the same offsets and
    line numbers, the same diagnostics in the same order). ``last_end`` and
    ``after_tune`` as for :func:`pieces`."""
    for text, offset, line, joined in pieces(blocks, last_end, after_tune):
        # The file's first piece may hold its header: split() reads it.
        placed = _tune_piece(text, offset, line) if offset else None
        if placed is not None:
            yield placed, [_missing_empty_line(line, offset)] if joined else []
            continue
        chunks, diags = split(text, loose=loose)
        if joined:
            diags.insert(0, _missing_empty_line(1, 0))
        if offset or line > 1:
            lines = line - 1
            chunks = [_make_chunk(c.kind, c.text, c.start + offset, c.line + lines) for c in chunks]
            diags = [
                Diagnostic(d.code, d.message, shift_span(d.span, offset, lines), d.severity,
                           d.rule, d.fix)
                for d in diags
            ]
        yield chunks, diags
