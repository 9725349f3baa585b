"""The parsing entry points: :func:`parse`, :func:`parse_file`, :func:`read_headers`.

Modes (ABC 2.1 §12): ``"strict"`` reads by the letter of 2.1, ``"loose"`` accepts older
habits and recovers; ``"auto"`` reads a file (or tune) declared ``%abc-2.1`` or later (by
the version line or ``I:abc-version``) strictly and everything else loosely.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .build import (
    FieldError,
    FileContext,
    TuneBuilder,
    build_file_header,
    read_key,
    read_length,
    read_meter,
    read_parts,
    read_tempo,
)
from .diagnostics import Diagnostic, Span, sort_diagnostics
from .errors import AbcIOError, AbcUsageError, require_type
from .gcpause import paused_gc
from .model import FileHeader, FreeText, Key, Meter, Tempo, Tune, Tunebook, TuneHeader
from .source import (
    READ_BLOCK,
    SourceText,
    TextFacts,
    decode,
    scan_file,
    sniff_charset,
    text_blocks,
)
from .split import (
    BOM,
    BlockEnds,
    Chunk,
    split_pieces,
    string_blocks,
)
from .theory import default_unit_length

MODES = ("auto", "strict", "loose")
_VERSION_RE = re.compile(r"%abc-?([0-9]+(?:\.[0-9]+)*)")


def version_is_strict(version: str | None) -> bool:
    """§12.3: version 2.1 or later is read strictly; none, 2.0 or older loosely."""
    if not version:
        return False
    parts = []
    for p in version.strip().split("."):
        if not p.isdigit():
            return False
        parts.append(int(p))
    return tuple(parts) >= (2, 1)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise AbcUsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")


def _file_version(chunks: list[Chunk]) -> str | None:
    if chunks and chunks[0].text == BOM:
        chunks = chunks[1:]
    if chunks and chunks[0].kind == "version":
        m = _VERSION_RE.match(chunks[0].text)
        return m.group(1) if m else None
    return None


def parse(text: str, *, mode: str = "auto", path: str | None = None) -> Tunebook:
    """Parse ABC text into a :class:`Tunebook`. Never raises for bad ABC: problems are in
    ``Tunebook.diagnostics`` and in each ``Tune.diagnostics``."""
    require_type(text, str, "parse() takes ABC text (a str)",
                 "parse_file() reads a path, parse_bytes() bytes")
    _check_mode(mode)
    return _parse_source(SourceText(text, path), [], mode)


def parse_file(path: str | os.PathLike[str], *, mode: str = "auto") -> Tunebook:
    """Read and parse an ABC file (UTF-8 by default; BOM, ``I:abc-charset``, any line
    ends). Raises :class:`AbcIOError` if the file cannot be read."""
    _check_mode(mode)
    source, diags = _decode_path(path)
    return _parse_source(source, diags, mode)


def parse_bytes(data: bytes, *, mode: str = "auto", path: str | None = None) -> Tunebook:
    """Parse the bytes of an ABC file (standard input, an archive member) exactly as
    :func:`parse_file` parses a file's: decoded the same way, bad bytes reported."""
    require_type(data, (bytes, bytearray, memoryview), "parse_bytes() takes bytes",
                 "parse() reads text, parse_file() a path")
    _check_mode(mode)
    source, diags = decode(bytes(data), path)
    return _parse_source(source, diags, mode)


def _decode_path(path: str | os.PathLike[str]) -> tuple[SourceText, list[Diagnostic]]:
    require_type(path, (str, os.PathLike), "parse_file() takes a path",
                 "parse() reads text, parse_bytes() bytes")
    if not os.fspath(path):
        raise AbcIOError("the path is empty: name an ABC file")
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise AbcIOError(f"{os.fspath(path)}: is a folder, not an ABC file") from None
    except FileNotFoundError:
        raise AbcIOError(f"{os.fspath(path)}: no such file") from None
    except OSError as e:
        raise AbcIOError(f"{os.fspath(path)}: cannot read: {e.strerror or e}") from None
    except ValueError as e:  # a NUL in the path: no file can have that name
        raise AbcIOError(f"{os.fspath(path)!r}: cannot read: {e}") from None
    return decode(data, os.fspath(path))


def _parse_source(source: SourceText, diags: list[Diagnostic], mode: str) -> Tunebook:
    # The model is a large graph of small immutable objects with no reference cycles;
    # CPython's cyclic collector would rescan it again and again while it grows (it
    # doubled the parse time of the Nottingham corpus), so it is paused meanwhile.
    with paused_gc():
        return _parse_source_nogc(source, diags, mode)


def _parse_source_nogc(source: SourceText, diags: list[Diagnostic], mode: str) -> Tunebook:
    text = source.text
    # split()'s chunks and findings, a piece at a time (split_pieces gives the same): the
    # pieces are found by a pass over the text's lines (compiled where the extension is
    # built), where split() reads it a line at a time in Python. §2.1: a version line can
    # only be the file's first line (as split() reads it).
    chunks: list[Chunk] = []
    split_diags: list[Diagnostic] = []
    for piece_chunks, piece_diags in split_pieces(
            string_blocks(text), loose=_loose_split(mode, text),
            last_end=lambda: _block_ends(string_blocks(text))):
        chunks += piece_chunks
        split_diags += piece_diags
    builder = _BookBuilder(mode, _file_version(chunks))
    all_diags: list[Diagnostic] = list(diags)
    tunes: list[Tune] = []
    free: list[FreeText] = []
    texts: list[str] = []
    # Each chunk is let go once read: on a book of many short tunes the chunks were a
    # twentieth of the peak (issue 15).
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        texts.append(chunk.text)
        tune, hdiags = builder.take(chunk)
        all_diags.extend(hdiags)
        if tune is not None:
            tunes.append(tune)
            all_diags.extend(tune.diagnostics)
        elif chunk.kind == "text" or (chunk.kind == "header" and builder.seen_tune):
            free.append(FreeText(chunk.text, _chunk_span(chunk)))
    for d in split_diags:
        all_diags.append(d)
    sort_diagnostics(all_diags)
    return Tunebook(
        builder.header,
        tuple(tunes),
        tuple(free),
        tuple(all_diags),
        builder.file_version,
        mode,
        tuple(texts),
        source,
    )


def _loose_split(mode: str, text: str) -> bool:
    """Whether the file is cut into tunes loosely (§12: the version line, ``text``'s
    first line, decides under ``"auto"``)."""
    declared = _VERSION_RE.match(text, 1 if text.startswith(BOM) else 0)
    return mode == "loose" or (
        mode == "auto" and not version_is_strict(declared.group(1) if declared else None)
    )


class _BookBuilder:
    """Chunks → model, in file order: the file header (whose fields and directives apply
    to every tune, §2.2.2) and the tunes, each read strictly or loosely (§12). One
    mechanism for :func:`parse` (a whole book) and :func:`iter_tunes` (a stream)."""

    __slots__ = ("ctx", "file_version", "header", "mode", "seen_tune")

    def __init__(self, mode: str, file_version: str | None) -> None:
        self.mode = mode
        self.file_version = file_version
        self.header = FileHeader()
        self.ctx = FileContext()
        self.seen_tune = False

    def take(self, chunk: Chunk) -> tuple[Tune | None, list[Diagnostic]]:
        """The tune of a tune chunk; the file header's diagnostics for the header chunk.
        The collector is paused while its objects are made (see :mod:`.gcpause`), so a
        caller that streams tunes need not pause it around each."""
        with paused_gc():
            return self._take(chunk)

    def _take(self, chunk: Chunk) -> tuple[Tune | None, list[Diagnostic]]:
        if chunk.kind == "header" and not self.seen_tune:
            self.header, self.ctx, hdiags = build_file_header(chunk.text, chunk.start, chunk.line)
            return None, hdiags
        if chunk.kind != "tune":
            return None, []
        self.seen_tune = True
        mode = self.mode
        version = self.ctx.version or self.file_version
        strict = _tune_strict(mode, version, chunk)
        builder = TuneBuilder(chunk.text, chunk.start, chunk.line, self.ctx, strict)
        if builder.version is None:
            builder.version = self.file_version
        tune = builder.build()
        if mode == "auto" and tune.abc_version != version:
            # I:abc-version in the tune header decides for this tune (§12).
            tune = _with_strict(tune, version_is_strict(tune.abc_version))
        return tune, []


def _tune_strict(mode: str, version: str | None, chunk: Chunk) -> bool:
    if mode == "strict":
        return True
    if mode == "loose":
        return False
    return version_is_strict(version)


def _with_strict(tune: Tune, strict: bool) -> Tune:
    from dataclasses import replace

    return replace(tune, strict=strict)


def _chunk_span(chunk: Chunk) -> Span:
    lines = chunk.text.count("\n") + chunk.text.count("\r") - chunk.text.count("\r\n")
    return Span(chunk.line, 1, chunk.line + lines, 1, chunk.start, chunk.start + len(chunk.text))


# ---------------------------------------------------------------------------------------
# Streaming


@dataclass(frozen=True, slots=True)
class Piece:
    """One chunk of a file as :meth:`TuneStream.pieces` hands it out, in file order:
    the chunk (its kind, text, offset and line), the tune built from it (tune chunks
    only), and the file-level diagnostics found with it: the file header's own, and
    the splitter's (ABC209, ABC211) for the stretch of the file this chunk opens."""

    chunk: Chunk
    tune: Tune | None = None
    diagnostics: tuple[Diagnostic, ...] = ()


def _is_text(source: str) -> bool:
    """A string holding ABC text rather than a path: it has a line end or starts a
    tune. (A path to a file is a string without line ends.)"""
    return "\n" in source or "\r" in source or source.startswith("X:")


class TuneStream:
    """A tunebook read one tune at a time (:func:`iter_tunes`): iterate it for the
    tunes; ``pieces()`` gives every chunk (free text, blank lines, the file header) with
    them. Read in one pass; memory holds one tune and the free text after it.

    ``diagnostics`` holds the file-level diagnostics found so far: those of the bytes
    (ABC0xx, known before the first tune), of the file header and of the splitter, in
    the order found; it is complete once the stream is exhausted. Together with each
    tune's ``diagnostics`` they are exactly a :class:`Tunebook`'s (sorted by position).
    ``header`` is the file header (§2.2.2) once the first tune has been handed out;
    ``version`` the version line's (§2.1, §12), ``encoding``/``bom``/``newline`` what
    writing the file back needs.
    """

    def __init__(
        self, source: str | bytes | os.PathLike[str] | BinaryIO, mode: str = "auto",
        path: str | None = None,
    ) -> None:
        _check_mode(mode)
        self.mode = mode
        self.path = path
        self.header = FileHeader()
        self.version: str | None = None
        self.diagnostics: list[Diagnostic] = []
        self.encoding = "utf-8"
        self.bom = False
        self.newline = "\n"
        self.facts: TextFacts | None = None  # what the byte rules report, found in pass one
        self.context = FileContext()  # what the file header passes on to tunes (§2.2.2)
        self._file: BinaryIO | None = None
        self._owned = False
        self._text: str | None = None
        self._ends = BlockEnds()
        try:
            self._open(source)
        except BaseException:
            self.close()
            raise
        self._gen: Iterator[Piece] | None = None

    # --- opening: the first pass --------------------------------------------------------
    def _open(self, source: str | bytes | os.PathLike[str] | BinaryIO) -> None:
        if isinstance(source, str) and _is_text(source):
            self._text = source
            facts = TextFacts("utf-8")
            for block in string_blocks(source):
                facts.feed(block)
                self._ends.feed(block)
            self.facts = facts
            self.newline = facts.newline
            return
        if isinstance(source, (str, os.PathLike)):
            name = os.fspath(source)
            self.path = self.path or name
            try:
                self._file = open(name, "rb")  # noqa: SIM115 - closed by close()
            except IsADirectoryError:
                raise AbcIOError(f"{name}: is a folder, not an ABC file") from None
            except FileNotFoundError:
                raise AbcIOError(f"{name}: no such file") from None
            except OSError as e:
                raise AbcIOError(f"{name}: cannot read: {e.strerror or e}") from None
            self._owned = True
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self._file = io.BytesIO(bytes(source))
            self._owned = True
        elif hasattr(source, "read"):
            self._file, self._owned = _seekable(source, self.path)
        else:
            raise AbcUsageError(
                f"iter_tunes() takes a path, ABC text, bytes or a binary stream, not"
                f" {type(source).__name__}"
            )
        try:
            info = scan_file(self._file, self.path, self._ends.feed)
        except OSError as e:
            raise AbcIOError(f"{self.path or '-'}: cannot read: {e.strerror or e}") from None
        self.encoding, self.bom, self.newline = info.encoding, info.bom, info.newline
        self.facts = info.facts
        self.diagnostics.extend(info.diagnostics)

    def _blocks(self) -> Iterator[str]:
        if self._text is not None:
            return string_blocks(self._text)
        assert self._file is not None
        return text_blocks(self._file, self.encoding, self.bom)

    # --- reading: the second pass -------------------------------------------------------
    def pieces(self, *, build: bool = True) -> Iterator[Piece]:
        """Every chunk of the file in order, with its tune built (one pass: this and
        iterating the stream share it). ``build=False`` leaves the tunes unbuilt (their
        pieces have no ``tune``), for a reader that builds them elsewhere (the worker
        processes of ``abc-lint --jobs``); the file header is built either way."""
        if self._gen is None:
            self._gen = self._pieces(build)
        return self._gen

    def _pieces(self, build: bool) -> Iterator[Piece]:
        try:
            blocks = self._blocks()
            first = next(blocks, "")
            loose = _loose_split(self.mode, first)
            builder: _BookBuilder | None = None
            cut = split_pieces(
                itertools.chain((first,), blocks) if first else (), loose=loose,
                last_end=self._ends.last,
            )
            for chunks, split_diags in cut:
                if builder is None:
                    self.version = _file_version(chunks)
                    builder = _BookBuilder(self.mode, self.version)
                pending = tuple(split_diags)
                for chunk in chunks:
                    if not build and chunk.kind == "tune":
                        builder.seen_tune = True
                        self.diagnostics.extend(pending)
                        yield Piece(chunk, None, pending)
                        pending = ()
                        continue
                    tune, hdiags = builder.take(chunk)
                    if chunk.kind == "header" and not builder.seen_tune:
                        self.header = builder.header
                        self.context = builder.ctx
                    found = (*pending, *hdiags)
                    pending = ()
                    self.diagnostics.extend(found)
                    yield Piece(chunk, tune, found)
        except OSError as e:
            raise AbcIOError(f"{self.path or '-'}: cannot read: {e.strerror or e}") from None
        finally:
            self.close()

    def __iter__(self) -> TuneStream:
        return self

    def __next__(self) -> Tune:
        for piece in self.pieces():
            if piece.tune is not None:
                return piece.tune
        raise StopIteration

    def close(self) -> None:
        """Close the file (done by itself at the end of the stream)."""
        if self._file is not None and self._owned:
            self._file.close()
        self._file = None

    def __enter__(self) -> TuneStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _seekable(stream: Any, path: str | None) -> tuple[BinaryIO, bool]:
    """A binary stream read from its start twice: itself when it is seekable and at its
    start, else a temporary copy (standard input, a pipe, a socket). A text stream is a
    usage error: its bytes are gone."""
    if isinstance(stream, io.TextIOBase):
        raise AbcUsageError(
            "iter_tunes() needs a binary stream (open(path, 'rb'), sys.stdin.buffer)"
        )
    try:
        if stream.seekable() and stream.tell() == 0:
            return stream, False
    except (AttributeError, OSError, ValueError):
        pass
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by TuneStream.close()
    try:
        while True:
            data = stream.read(READ_BLOCK)
            if not data:
                break
            if not isinstance(data, bytes):
                raise AbcUsageError("iter_tunes() needs a binary stream, not a text one")
            spool.write(data)
    except OSError as e:
        spool.close()
        raise AbcIOError(f"{path or '-'}: cannot read: {e.strerror or e}") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, True


def iter_tunes(
    source: str | bytes | os.PathLike[str] | BinaryIO, *, mode: str = "auto",
    path: str | None = None,
) -> TuneStream:
    """Read a tunebook one tune at a time: the tunes of ``parse_file(path)``, equal
    and in order, without ever holding the whole file (as text or as a
    :class:`Tunebook`).

    ``source`` is a path, ABC text (a string with a line end, or starting ``X:``), the
    bytes of a file, or a binary stream (read from its start; one that cannot seek, such
    as standard input, is copied to a temporary file first, because the file is read
    twice: once for what must be known about the whole file before its first tune, such as
    its dominant line end, once for the tunes). ``path`` names the source in
    diagnostics. Each tune carries the file header's context (§2.2.2) and its own
    diagnostics; the file-level ones are on the returned :class:`TuneStream`. Raises
    :class:`AbcIOError` if the file cannot be read, at once for a missing file.

    >>> import abcparse
    >>> text = "M:6/8\\n\\nX:1\\nT:One\\nK:G\\nGAB|\\n\\nX:2\\nT:Two\\nK:D\\nDEF|\\n"
    >>> [(t.title, str(t.meter)) for t in abcparse.iter_tunes(text)]
    [('One', '6/8'), ('Two', '6/8')]
    """
    return TuneStream(source, mode, path)


# ---------------------------------------------------------------------------------------
# Headers only

def read_headers(
    source: str | bytes | os.PathLike[str] | BinaryIO, *, mode: str = "loose"
) -> Iterator[TuneHeader]:
    """Yield each tune's header (X: through K:) without reading the bodies.

    ``source`` is ABC text, a path to an ABC file, its bytes or a binary stream. Field
    values are read with the same field grammars as :func:`parse`; values that cannot be
    read are left as None. The file is cut into tunes loosely (§12.2) by default; give
    the ``mode`` of a parse (``"auto"``, ``"strict"``) to get the headers of exactly its
    tunes. The file is read a block at a time (as :func:`iter_tunes` reads it), and of
    each tune only the header is read: the body is skipped as text, to the empty line
    that ends it.
    """
    _check_mode(mode)
    if isinstance(source, str) and _is_text(source):
        return _headers(string_blocks(source), lambda: _block_ends(string_blocks(source)),
                        mode)
    if not isinstance(source, (str, os.PathLike)):
        return _stream_headers(TuneStream(source, mode))
    name = os.fspath(source)
    try:
        f = open(name, "rb")  # noqa: SIM115 - closed by _file_headers
    except IsADirectoryError:
        raise AbcIOError(f"{name}: is a folder, not an ABC file") from None
    except FileNotFoundError:
        raise AbcIOError(f"{name}: no such file") from None
    except OSError as e:
        raise AbcIOError(f"{name}: cannot read: {e.strerror or e}") from None
    return _file_headers(f, name, mode)


def _stream_headers(stream: TuneStream) -> Iterator[TuneHeader]:
    """The headers of a stream's tunes, each read alone (bytes, binary streams)."""
    for piece in stream.pieces(build=False):
        chunk = piece.chunk
        if chunk.kind != "tune":
            continue
        with paused_gc():
            header = TuneBuilder(
                chunk.text, chunk.start, chunk.line, stream.context, False).read_header()
        yield header


def _file_headers(f: BinaryIO, name: str, mode: str) -> Iterator[TuneHeader]:
    try:
        encoding, bom, _, _ = sniff_charset(f, name)

        def ends() -> int:
            # Another handle: the reading one is in the middle of the file.
            with open(name, "rb") as g:
                return _block_ends(text_blocks(g, encoding, bom))

        yield from _headers(text_blocks(f, encoding, bom), ends, mode)
    except OSError as e:
        raise AbcIOError(f"{name}: cannot read: {e.strerror or e}") from None
    finally:
        f.close()


def _block_ends(blocks: Iterator[str]) -> int:
    ends = BlockEnds()
    for block in blocks:
        ends.feed(block)
    return ends.last


# Headers read per pause of the collector: one pause per tune let it run between every two
# tunes, walking the headers the caller keeps (about 4% of the time, counting the pass
# that follows the last pause).
_HEADER_BATCH = 256


def _headers(blocks: Iterator[str], last_end: Callable[[], int], mode: str
             ) -> Iterator[TuneHeader]:
    ctx = FileContext()  # what the file header passes on to every tune (§2.2.2)
    seen_tune = False
    first = next(blocks, "")
    cut = split_pieces(itertools.chain((first,), blocks) if first else (),
                       loose=_loose_split(mode, first), last_end=last_end)
    while True:
        # As in parse(): the collector is paused while objects are made (never across
        # the yield, so the caller's program is not affected). Reading headers makes few
        # objects that live, and a collection here would scan whatever the caller holds
        # (a parsed book of millions of objects made it as slow as a full parse).
        headers: list[TuneHeader] = []
        with paused_gc():
            while len(headers) < _HEADER_BATCH:
                batch = next(cut, None)
                if batch is None:
                    break
                for chunk in batch[0]:
                    if chunk.kind == "header" and not seen_tune:
                        _, ctx, _ = build_file_header(chunk.text, chunk.start, chunk.line)
                        continue
                    if chunk.kind != "tune":
                        continue
                    seen_tune = True
                    # read_header reads no line after K: (the split has found the
                    # tune's end without reading its music)
                    headers.append(TuneBuilder(
                        chunk.text, chunk.start, chunk.line, ctx, False).read_header())
        if not headers:
            return
        yield from headers


__all__ = [
    "FieldError",
    "Key",
    "Meter",
    "Piece",
    "Tempo",
    "TuneStream",
    "default_unit_length",
    "iter_tunes",
    "parse",
    "parse_bytes",
    "parse_file",
    "read_headers",
    "read_key",
    "read_length",
    "read_meter",
    "read_parts",
    "read_tempo",
    "version_is_strict",
]
