"""Exceptions raised by abcparse.

Bad ABC never raises: it yields diagnostics. Only failures outside the music raise, each
as a subclass of :class:`AbcError`, so callers can catch one type.
"""

from __future__ import annotations


class AbcError(Exception):
    """Base class of every exception abcparse raises on purpose."""


class AbcIOError(AbcError, OSError):
    """A file could not be read or written (missing, a folder, no permission...)."""


class AbcDecodeError(AbcError, ValueError):
    """Bytes could not be turned into text at all (for example an unknown BOM encoding)."""


class AbcUsageError(AbcError, ValueError):
    """An API or command was called with arguments that make no sense (bad mode name...)."""


class AbcLimitError(AbcError, ValueError):
    """The input is beyond a documented size limit of what it is turned into (a MIDI file's
    track count or length, a number's digits ...); the message names the limit. Raised
    instead of the ``struct.error``/``OverflowError`` the format's fixed-size fields would
    give, so a caller can report it and go on with the next tune."""


def require_type(value: object, kind: type | tuple[type, ...], what: str, hint: str = "") -> None:
    """Refuse an argument of the wrong type with one clear message (an
    :class:`AbcUsageError` naming the call and what it takes), not the internal error a
    wrong type would meet deeper in (``expected string or bytes-like object``)."""
    if not isinstance(value, kind) or isinstance(value, bool):
        raise AbcUsageError(f"{what}, not {type(value).__name__}" + (f": {hint}" if hint else ""))
