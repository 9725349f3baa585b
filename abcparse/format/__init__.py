"""The ABC formatter (normalizer) and transposition.

``format_str(text, **options)`` returns the canonical form of an ABC file's text; the
rules are documented rule by rule in ``docs/format.md``. Like black, every result is
checked before it is handed out, a tune at a time: the output is parsed again and must hold
the same music, format to itself, and carry no diagnostic the input did not have
(:mod:`abcparse.format.safety`); a tune that fails is left as it was, with ABC902/903/904
diagnostics (:func:`format_text`), or :class:`UnsafeFormattingError` is raised
(:func:`format_str`).

The repair engine (issue 4, part 2) will live beside these modules as ``repair.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import require_type
from ..fileio import atomic_write_bytes, read_bytes
from ..source import SourceText, decode, dominant_newline, refuse_non_abc
from ..split import BOM
from .options import FormatOptions, load_options
from .printer import (
    Printer,
    canonical_key,
    canonical_length,
    canonical_meter,
    canonical_tempo,
    canonical_value,
    format_unchecked,
)
from .safety import TuneCheck, UnsafeFormattingError, check_formatting, music
from .transpose import TransposeError, transpose_str, transpose_text


@dataclass(frozen=True, slots=True)
class FormatResult:
    """The outcome of formatting one text.

    ``text`` is the formatted text, in which every tune that failed a safety check is
    left as it was (with what comes before it: free text, empty lines and, for the first
    tune, the file header); ``diagnostics`` holds the ABC9xx findings of the safety
    checks, one or more for each tune left as it was (empty when every tune passed);
    ``checks`` the outcome per tune of the input (empty when the text was already in
    canonical form, which needs no check).
    """

    original: str
    text: str
    diagnostics: tuple[Diagnostic, ...] = ()
    checks: tuple[TuneCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _options(options: FormatOptions | None, overrides: dict[str, Any]) -> FormatOptions:
    base = options or FormatOptions()
    return base.replace(**overrides) if overrides else base


def format_text(
    text: str, options: FormatOptions | None = None, *, safe: bool = True, **overrides: Any
) -> FormatResult:
    """Format ``text``; with ``safe`` (the default) check each tune on its own (the
    safety checks of :mod:`abcparse.format.safety`, the tune read after the file's version
    line and file header, as ``abcparse format`` does: :mod:`abcparse.rewrite`). A tune
    that fails is left as it was, with ABC902/903/904 diagnostics; the others are
    formatted. Findings about the file as a whole (two tunes with one ``X:`` number) are
    no tune's doing and do not stop it."""
    require_type(text, str, "format_str() and format_text() take ABC text (a str)",
                 "format_file() formats a file")
    if text.startswith(BOM):
        # A byte-order mark kept in the text stays where it is: the formatter prints
        # tunes and lines, and the mark is neither.
        inner = format_text(text[1:], options, safe=safe, **overrides)
        return FormatResult(text, BOM + inner.text, inner.diagnostics, inner.checks)
    opts = _options(options, overrides)
    if not safe:
        return FormatResult(text, format_unchecked(text, opts))
    from ..rewrite import format_segments, text_segments

    newline = {"lf": "\n", "crlf": "\r\n"}.get(opts.line_ending, dominant_newline(text))
    out: list[str] = []
    outcome = format_segments(text_segments(text, opts.mode), opts, newline, out.append)
    formatted = "".join(out)
    if formatted == text and not outcome.diagnostics:
        # Already canonical: the same text holds the same music, formats to itself and
        # has the same diagnostics; nothing to check (the common case under --check).
        return FormatResult(text, text)
    found = {c.index: c for c in outcome.checks}
    checks = tuple(found.get(i, TuneCheck(i, True, True, True)) for i in range(outcome.tunes))
    return FormatResult(text, formatted, tuple(outcome.diagnostics), checks)


def format_str(text: str, *, safe: bool = True, **options: Any) -> str:
    """The canonical form of ABC ``text`` (a whole file or one tune).

    Options (see :class:`FormatOptions` and ``docs/format.md``): ``line_ending``
    ("keep", "lf", "crlf"), ``decorations`` ("short", "long", "keep"), ``bar_spacing``
    ("none", "space", "keep"), ``target`` (None or "2.1"), ``renumber`` (bool), ``mode``
    ("auto", "strict", "loose": how the input is read).

    Raises :class:`UnsafeFormattingError` when a tune's result would not hold the same
    music, would not be stable, or would add a diagnostic (unless ``safe=False``); its
    ``text`` is the text with every other tune formatted.

    >>> import abcparse
    >>> print(abcparse.format_str("X:1\\nM: 6/8\\nT:Demo\\nK:G Major\\nA/2B1c//|]\\n"), end="")
    X:1
    T:Demo
    M:6/8
    K:G
    A/Bc/4|]
    """
    result = format_text(text, FormatOptions().replace(**options), safe=safe)
    if result.diagnostics:
        raise UnsafeFormattingError(result.diagnostics, text=result.text)
    return result.text


def read_source(path: str | os.PathLike[str]) -> SourceText:
    """Decode a file as the parser does (BOM, declared charset, undecodable bytes kept)."""
    source, _ = decode(read_bytes(path), os.fspath(path))
    return source


def encode_like(source: SourceText, text: str) -> bytes:
    """``text`` as bytes in the encoding (and BOM) the file came in."""
    return SourceText(text, source.path, source.encoding, source.bom, source.newline).to_bytes()


def format_file(
    path: str | os.PathLike[str],
    options: FormatOptions | None = None,
    *,
    write: bool = True,
) -> FormatResult:
    """Format a file in place (atomically, and only when it changes; a tune that fails
    a safety check is written as it was). Raises :class:`~abcparse.errors.AbcIOError`
    when it cannot be read or written, or is not ABC text (:func:`abcparse.source.not_abc`:
    binary data, UTF-16/32, no ABC line)."""
    refuse_non_abc(path)
    source = read_source(path)
    result = format_text(source.text, options)
    if write and result.changed:
        atomic_write_bytes(path, encode_like(source, result.text))
    return result


__all__ = [
    "FormatOptions",
    "FormatResult",
    "Printer",
    "TransposeError",
    "TuneCheck",
    "UnsafeFormattingError",
    "canonical_key",
    "canonical_length",
    "canonical_meter",
    "canonical_tempo",
    "canonical_value",
    "check_formatting",
    "encode_like",
    "format_file",
    "format_str",
    "format_text",
    "format_unchecked",
    "load_options",
    "music",
    "read_source",
    "transpose_str",
    "transpose_text",
]
