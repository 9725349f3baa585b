"""Documented size limits on what grows with the input, in one place.

The promise is one clear message and bounded time and memory for any input. Python itself
refuses ``int()`` of more than 4,300 digits (CVE-2020-10735) with a ``ValueError``, and a
MIDI file has fixed-size fields; a number or a size beyond these limits is reported as
"not a number" (a diagnostic) or :class:`~abcparse.errors.AbcLimitError`, never as the
exception of whatever it would have broken further down.
"""

from __future__ import annotations

__all__ = ["MAX_FINDINGS_PER_CODE", "MAX_NUMBER_DIGITS", "bounded_int"]

#: Digits a whole number written in ABC text (an ``X:`` reference number, a count) may
#: have and still be read as a number: up to 999,999,999, far above any real tunebook.
MAX_NUMBER_DIGITS = 9

#: Findings of one code the parser lists for one tune. Past it, the next one is listed with
#: the count of those not listed, and the rest are counted only (as C compilers stop
#: after so many errors): a tune of ``[A[A[A...`` would otherwise keep a finding per two
#: characters, more memory than its music (issue 15), and no reader wants the ten
#: thousandth copy of one message. A real tune has a few hundred elements; each listed
#: finding that ``--fix`` mends uncovers the next ones on its next round. The music
#: itself (every note, chord and stray sign) is built as always.
MAX_FINDINGS_PER_CODE = 1000


def bounded_int(text: str, max_digits: int = MAX_NUMBER_DIGITS) -> int | None:
    """``text`` (surrounding blanks ignored) as a non-negative int, or None when it is not
    ASCII digits only or has more than ``max_digits`` of them.

    ``str.isdigit`` alone is not enough: it accepts superscripts (``²``), which ``int``
    refuses, and other scripts' digits; and ``int`` of thousands of digits raises.

    >>> bounded_int(" 12 "), bounded_int("1" * 10), bounded_int("\\u00b2"), bounded_int("-1")
    (12, None, None, None)
    """
    value = text.strip()
    if not value or len(value) > max_digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)
