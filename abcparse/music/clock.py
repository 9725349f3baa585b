"""The bar clock: how long a written note lasts, in integer ticks (§4.3, §4.4, §4.13).

One set of rules for time, used by the timeline reader (:mod:`.timeline`) and by the
generator's constrained decoder, which asks the same questions one character at a time:

- a written length (§4.3) times the unit note length (``L:``, §3.1.7);
- inside tuplets (§4.13), times q/p of each running tuplet (nested tuplets multiply);
- after a broken-rhythm sign (§4.4), times the factor of the note after it; the note
  before it takes the other factor.

Times are ticks of ``1/resolution`` of a whole note. :data:`RESOLUTION` holds every note
value down to 1/1024 and triplets, quintuplets and septuplets exactly; a time that is not
whole raises :class:`Rescale`, and the timeline is read again at a finer resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ..model import Meter
from ..theory import tuplet_ratio

__all__ = [
    "MAX_BROKEN",
    "RESOLUTION",
    "Rescale",
    "broken_factors",
    "exact",
    "length_ticks",
    "note_time",
    "tuplet_factor",
]

#: Ticks per whole note tried first.
RESOLUTION = 2**10 * 3**2 * 5 * 7
#: ``>>>`` is the longest broken rhythm §4.4 defines; longer runs read as this many.
MAX_BROKEN = 8


class Rescale(Exception):
    """The resolution is too coarse for a time: read again with it multiplied by
    ``factor``."""

    def __init__(self, factor: int) -> None:
        super().__init__(factor)
        self.factor = factor


def exact(num: int, den: int) -> int:
    """num / den, which must be a whole number of ticks (else :class:`Rescale`)."""
    q, r = divmod(num, den)
    if r:
        raise Rescale(den // math.gcd(num, den))
    return q


def length_ticks(length: Fraction, unit_ticks: int) -> int:
    """Ticks of a written length (§4.3) when the unit note length is ``unit_ticks``."""
    return exact(length.numerator * unit_ticks, length.denominator)


def tuplet_factor(p: int, q: int | None, r: int | None,
                  meter: Meter | None) -> tuple[int, int, int] | None:
    """§4.13 ``(p:q:r``: (q, p, r): the next r notes take q/p of their time; None for a
    mark that puts nothing into any time (``(0``)."""
    p, q, r = tuplet_ratio(p, q, r, meter)
    if p <= 0 or r <= 0 or q <= 0:
        return None
    return q, p, r


def broken_factors(direction: str, count: int) -> tuple[Fraction, Fraction]:
    """§4.4: the factors of the note before and the note after a broken-rhythm sign:
    ``>`` 3/2 and 1/2, ``>>`` 7/4 and 1/4, ``>>>`` 15/8 and 1/8; ``<`` the other way."""
    small = Fraction(1, 2 ** min(count, MAX_BROKEN))
    big = 2 - small
    return (big, small) if direction == ">" else (small, big)


def note_time(ticks: int, tuplets: Sequence[Sequence[Any]] = (),
              broken: Fraction | None = None) -> int:
    """Ticks of a note written ``ticks`` long, inside the running ``tuplets`` (each
    starting with its multiplier q and divisor p, as :func:`tuplet_factor` gives them)
    and after a broken-rhythm sign whose factor for it is ``broken``."""
    for t in tuplets:
        ticks = exact(ticks * t[0], t[1])
    if broken is not None:
        ticks = exact(ticks * broken.numerator, broken.denominator)
    return ticks
