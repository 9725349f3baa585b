"""Corpus cleaning before training: ``abcparse corpus clean`` and ``corpus stats``.

>>> from abcparse.corpus import clean, stats          # doctest: +SKIP
>>> report = clean(["corpus/irish.abc"], "out/")     # doctest: +SKIP
>>> report.kept, report.splits                       # doctest: +SKIP

``clean`` reads ABC files as a stream, validates every tune strictly, repairs or drops
it, normalizes it, filters, strips fields, de-duplicates (also up to transposition),
splits train/valid/test by tune, and writes the splits with a manifest that accounts
for every tune read (``docs/corpus.md``). ``stats`` describes a file of tunes.
"""

from __future__ import annotations

from .options import CleanOptions
from .pipeline import CleanReport, clean
from .stats import CorpusStats, stats

__all__ = ["CleanOptions", "CleanReport", "CorpusStats", "clean", "stats"]
