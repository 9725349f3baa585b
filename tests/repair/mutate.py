"""Seeded random damage to corpus tunes: the broken input the repair engine is measured on.

Each mutated tune is a corpus tune (``corpus/irish.abc`` and, where the shared corpora are
present, the Nottingham files as published) with 1 to 4 characters deleted, inserted or
replaced at random places. Inserted and replacing characters are drawn from printable
ASCII plus the line end, so a mutation can break a field, a note, a bar line, a quote, a
bracket or the block structure. The same seed always gives the same tunes.
"""

from __future__ import annotations

import functools
import random
import string

import abcparse
from tests.core.corpora import SHARED, SHIPPED_IRISH

ALPHABET = string.ascii_letters + string.digits + string.punctuation + " \n"


@functools.cache
def corpus_tunes() -> tuple[str, ...]:
    """The text of every tune of the shipped Irish file and the Nottingham originals."""
    files = [SHIPPED_IRISH]
    nottingham = SHARED / "nottingham" / "ABC_original"
    if nottingham.is_dir():
        files += sorted(nottingham.glob("*.abc"))
    out: list[str] = []
    for f in files:
        out.extend(t.text for t in abcparse.parse_file(f).tunes)
    return tuple(out)


def mutate(text: str, rng: random.Random, count: int) -> str:
    """``text`` with ``count`` characters deleted, inserted or replaced."""
    for _ in range(count):
        op = rng.choice(("delete", "insert", "replace")) if text else "insert"
        if op == "insert":
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + rng.choice(ALPHABET) + text[pos:]
        else:
            pos = rng.randrange(len(text))
            new = rng.choice(ALPHABET) if op == "replace" else ""
            text = text[:pos] + new + text[pos + 1 :]
    return text


def mutated_tunes(n: int, seed: int = 2024) -> list[str]:
    """``n`` mutated corpus tunes, the same for the same seed."""
    rng = random.Random(seed)
    tunes = corpus_tunes()
    return [mutate(rng.choice(tunes), rng, rng.randint(1, 4)) for _ in range(n)]
