"""De-duplication keys and the de-duplicator.

Two keys per tune, both 8-byte BLAKE2b digests, so the de-duplicator holds 16 bytes of
key per kept tune and never the tunes themselves (a collection of millions of tunes
de-duplicates in a few hundred megabytes at most; 64-bit digests make an accidental
collision among a million tunes about one chance in thirty million):

- the **body key**: the normalized body (everything after the header's ``K:`` line, as
  the formatter prints it). Two tunes with the same body are the same transcription,
  whatever their titles or numbers.
- the **melody key**: the melody as intervals: from the tune's sounding notes
  (:meth:`abcparse.Tune.events`, as written, repeats not unrolled), the highest note
  at each onset, and the sequence of (interval to the previous note in semitones,
  time since the previous onset, duration). Transposing a tune changes none of these,
  nor does writing it with another ``L:`` or another key spelling, so the same tune in
  D and in G has one melody key. Times are in quarter-note beats, exact fractions.
  A tune with fewer than two notes has no melody to speak of: its melody key is its
  body key.

The first tune met with a key is kept; later ones are dropped as duplicates of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from ..split import body_start

DIGEST_SIZE = 8


def digest(data: str | bytes, person: bytes = b"") -> bytes:
    """An 8-byte BLAKE2b digest (``person`` separates the kinds of keys)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=DIGEST_SIZE, person=person).digest()


def body_of(tune_text: str) -> str:
    """The body of a tune text: what follows the header's ``K:`` line (§3: K: ends the
    header). The whole text when there is no K: line."""
    start = body_start(tune_text)
    return tune_text if start is None else tune_text[start:]


def body_key(tune_text: str) -> bytes:
    """The exact-duplicate key: a digest of the normalized body."""
    return digest(body_of(tune_text), b"abc-body")


def melody_signature(events: Iterable[Any]) -> list[tuple[int, Fraction, Fraction]]:
    """(interval, onset step, duration) per melody note: the highest pitch sounding at
    each onset, grace notes left out."""
    top: dict[Fraction, tuple[int, Fraction]] = {}
    for e in events:
        if getattr(e, "grace", False):
            continue
        held = top.get(e.onset)
        if held is None or e.pitch > held[0]:
            top[e.onset] = (e.pitch, e.duration)
    sig: list[tuple[int, Fraction, Fraction]] = []
    prev: tuple[Fraction, int] | None = None
    for onset in sorted(top):
        pitch, duration = top[onset]
        if prev is not None:
            sig.append((pitch - prev[1], onset - prev[0], duration))
        prev = (onset, pitch)
    return sig


def melody_key(events: Iterable[Any], tune_text: str) -> bytes:
    """The transposition-invariant key (see the module docstring)."""
    sig = melody_signature(events)
    if not sig:
        return body_key(tune_text)
    text = ";".join(f"{i},{s},{d}" for i, s, d in sig)
    return digest(text, b"abc-melody")


class Deduper:
    """Remembers the keys of kept tunes, and which tune each came from.

    ``first`` maps a key (as an int) to a packed (source, ordinal) reference, so a drop
    can name the tune it duplicates. ``mode`` is "transposed", "exact" or "none"."""

    def __init__(self, mode: str = "transposed") -> None:
        self.mode = mode
        self._body: dict[int, int] = {}
        self._melody: dict[int, int] = {}

    @staticmethod
    def _pack(source: int, ordinal: int) -> int:
        return (source << 40) | ordinal

    @staticmethod
    def unpack(ref: int) -> tuple[int, int]:
        return ref >> 40, ref & ((1 << 40) - 1)

    def seen(self, body: bytes, melody: bytes) -> tuple[str, tuple[int, int]] | None:
        """("duplicate" or "duplicate-transposed", (source, ordinal) of the first) when
        a kept tune has the same key; None when the tune is new (nothing is recorded)."""
        if self.mode == "none":
            return None
        ref = self._body.get(int.from_bytes(body, "big"))
        if ref is not None:
            return "duplicate", self.unpack(ref)
        if self.mode == "transposed":
            ref = self._melody.get(int.from_bytes(melody, "big"))
            if ref is not None:
                return "duplicate-transposed", self.unpack(ref)
        return None

    def add(self, body: bytes, melody: bytes, source: int, ordinal: int) -> None:
        """Record a kept tune's keys."""
        if self.mode == "none":
            return
        ref = self._pack(source, ordinal)
        self._body.setdefault(int.from_bytes(body, "big"), ref)
        if self.mode == "transposed":
            self._melody.setdefault(int.from_bytes(melody, "big"), ref)

    def __len__(self) -> int:
        return len(self._body)
