"""Train / valid / test assignment by tune.

A tune's split is a pure function of its melody key (:mod:`abcparse.corpus.dedupe`, the
transposition-invariant key of its normalized body) and the seed: no random state, no
dependence on file order or on which other tunes are in the collection. So a tune lands
in the same split in every run, adding tunes never moves the ones already assigned, and
a tune and its duplicates (same body, or the same melody in another key) would always
land together, even with de-duplication turned off.

(Not to be confused with :mod:`abcparse.split`, which cuts a file into tunes.)
"""

from __future__ import annotations

import hashlib

from .options import SPLIT_NAMES

_BUCKETS = 10_000


def bucket(key: bytes, seed: str = "") -> int:
    """A number in [0, 10000) drawn from the key (and the seed)."""
    data = key + b"\0" + seed.encode("utf-8")
    h = hashlib.blake2b(data, digest_size=8, person=b"abc-split")
    return int.from_bytes(h.digest(), "big") % _BUCKETS


def assign(key: bytes, percentages: tuple[int, int, int] = (80, 10, 10), seed: str = "") -> str:
    """"train", "valid" or "test" for a tune with this melody key."""
    b = bucket(key, seed)
    edge = 0
    for name, pct in zip(SPLIT_NAMES, percentages, strict=True):
        edge += pct * (_BUCKETS // 100)
        if b < edge:
            return name
    return SPLIT_NAMES[-1]
