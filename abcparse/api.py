"""The parsing entry points: :func:`parse`, :func:`parse_file`, :func:`read_headers`.

Modes (ABC 2.1 §12): ``"strict"`` reads by the letter of 2.1, ``"loose"`` accepts older
habits and recovers; ``"auto"`` reads a file (or tune) declared ``%abc-2.1`` or later (by
the version line or ``I:abc-version``) strictly and everything else loosely.
"""

from __future__ import annotations

import functools
import gc
import os
import re
from collections.abc import Iterator
from pathlib import Path

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
from .diagnostics import Diagnostic, Span
from .errors import AbcIOError, AbcUsageError
from .model import FileHeader, FreeText, Key, Meter, Tempo, Tune, Tunebook, TuneHeader
from .source import SourceText, decode
from .split import Chunk, split
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
    if chunks and chunks[0].kind == "version":
        m = _VERSION_RE.match(chunks[0].text)
        return m.group(1) if m else None
    return None


def parse(text: str, *, mode: str = "auto", path: str | None = None) -> Tunebook:
    """Parse ABC text into a :class:`Tunebook`. Never raises for bad ABC: problems are in
    ``Tunebook.diagnostics`` and in each ``Tune.diagnostics``."""
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
    _check_mode(mode)
    source, diags = decode(data, path)
    return _parse_source(source, diags, mode)


def _decode_path(path: str | os.PathLike[str]) -> tuple[SourceText, list[Diagnostic]]:
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise AbcIOError(f"{os.fspath(path)}: is a folder, not an ABC file") from None
    except FileNotFoundError:
        raise AbcIOError(f"{os.fspath(path)}: no such file") from None
    except OSError as e:
        raise AbcIOError(f"{os.fspath(path)}: cannot read: {e.strerror or e}") from None
    return decode(data, os.fspath(path))


def _parse_source(source: SourceText, diags: list[Diagnostic], mode: str) -> Tunebook:
    # The model is a large graph of small immutable objects with no reference cycles;
    # CPython's cyclic collector would rescan it again and again while it grows (it
    # doubled the parse time of the Nottingham corpus), so it is paused meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _parse_source_nogc(source, diags, mode)
    finally:
        if paused:
            gc.enable()


def _parse_source_nogc(source: SourceText, diags: list[Diagnostic], mode: str) -> Tunebook:
    text = source.text
    # §2.1: a version line can only be the file's first line (as split() reads it).
    declared = _VERSION_RE.match(text)
    file_version = declared.group(1) if declared else None
    loose_split = mode == "loose" or (mode == "auto" and not version_is_strict(file_version))
    chunks, split_diags = split(text, loose=loose_split)
    file_version = _file_version(chunks)
    all_diags: list[Diagnostic] = list(diags)
    header = FileHeader()
    ctx = FileContext()
    tunes: list[Tune] = []
    free: list[FreeText] = []
    for chunk in chunks:
        if chunk.kind == "header" and not tunes:
            header, ctx, hdiags = build_file_header(chunk.text, chunk.start, chunk.line)
            all_diags.extend(hdiags)
        elif chunk.kind == "tune":
            version = ctx.version or file_version
            strict = _tune_strict(mode, version, chunk)
            builder = TuneBuilder(chunk.text, chunk.start, chunk.line, ctx, strict)
            if builder.version is None:
                builder.version = file_version
            tune = builder.build()
            if mode == "auto" and tune.abc_version != version:
                # I:abc-version in the tune header decides for this tune (§12).
                tune = _with_strict(tune, version_is_strict(tune.abc_version))
            tunes.append(tune)
            all_diags.extend(tune.diagnostics)
        elif chunk.kind in ("text", "header"):
            free.append(FreeText(chunk.text, _chunk_span(chunk)))
    for d in split_diags:
        all_diags.append(d)
    all_diags.sort(key=Diagnostic.sort_key)
    return Tunebook(
        header,
        tuple(tunes),
        tuple(free),
        tuple(all_diags),
        file_version,
        mode,
        tuple(c.text for c in chunks),
        source,
    )


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
# Headers only

_KEY_LINE = re.compile(r"^K:[^\r\n]*", re.M)


def read_headers(source: str | os.PathLike[str]) -> Iterator[TuneHeader]:
    """Yield each tune's header (X: through K:) without reading the bodies.

    ``source`` is ABC text, or a path to an ABC file. Field values are read with the same
    field grammars as :func:`parse`; values that cannot be read are left as None.
    """
    if isinstance(source, str) and ("\n" in source or "\r" in source or source.startswith("X:")):
        text = source
    else:
        text = _decode_path(source)[0].text
    chunks, _ = split(text, loose=True)
    ctx = FileContext()  # what the file header passes on to every tune (§2.2.2)
    seen_tune = False
    for chunk in chunks:
        if chunk.kind == "header" and not seen_tune:
            _, ctx, _ = build_file_header(chunk.text, chunk.start, chunk.line)
            continue
        if chunk.kind != "tune":
            continue
        seen_tune = True
        m = _KEY_LINE.search(chunk.text)
        head = chunk.text[: m.end()] if m else chunk.text
        builder = TuneBuilder(head, chunk.start, chunk.line, ctx, False)
        # As in parse(): the collector is paused while objects are made (never across the
        # yield, so the caller's program is not affected).
        paused = gc.isenabled()
        gc.disable()
        try:
            header = _header_only(builder)
        finally:
            if paused:
                gc.enable()
        yield header


@functools.cache
def _header_scanners() -> tuple[re.Pattern[str], ...]:
    """Regexes for header lines, made from the grammar's own terminals (FIELD_START,
    FIELD_TEXT, COMMENT, DIRECTIVE_BLOCK, EOL) so the fast path reads exactly what the
    grammar reads."""
    from .parser import line_parser

    terms = line_parser().terminals

    def rx(name: str, prefix: str = "") -> re.Pattern[str]:
        return re.compile(f"{prefix}(?P<{name}>{terms[name].pattern.to_regexp()})")

    return (
        rx("FIELD_START"),
        rx("FIELD_TEXT"),
        rx("COMMENT"),
        rx("DIRECTIVE_BLOCK"),
        rx("COMMENT", "[ \t]*"),
        rx("EOL"),
    )


def _header_only(builder: TuneBuilder) -> TuneHeader:
    """Read header lines with the grammar's terminal regexes, without the LALR parser:
    a header holds only field, comment and directive lines, and reading the header of
    every tune of a big collection is what ``read_headers`` is for."""
    field_start, field_text, comment, block, comment_line, eol = _header_scanners()
    text = builder.text
    pos = 0
    n = len(text)
    while pos < n:
        m = field_start.match(text, pos)
        if m is not None:
            p = m.end()
            value = field_text.match(text, p)
            if value is not None:
                p = value.end()
            c = comment.match(text, p)
            if c is not None:
                builder.t_comment(c)
                p = c.end()
            builder.field_line(m, value)
            if builder.in_body:
                break
        else:
            c = block.match(text, pos) or comment_line.match(text, pos)
            if c is None:
                break  # music before K: — the header ends here, as in a full parse
            p = c.end()
            if c.lastgroup == "DIRECTIVE_BLOCK":
                builder.line_directive_line([c])
        e = eol.match(text, p)
        if e is None:
            break
        builder.end_of_line(e)
        pos = e.end()
    if not builder.in_body:
        builder.finish_header(None)
    return builder.header


__all__ = [
    "FieldError",
    "Key",
    "Meter",
    "Tempo",
    "default_unit_length",
    "parse",
    "parse_file",
    "read_headers",
    "read_key",
    "read_length",
    "read_meter",
    "read_parts",
    "read_tempo",
    "version_is_strict",
]
