"""``abcparse corpus stats FILE``: what a collection of tunes holds.

Counts and distributions a person training on the collection wants to see first: how
many tunes and characters, which keys, meters and unit note lengths (in canonical
spelling), how long the tunes are (characters and bars), and every character with its
count (the vocabulary a character-level model learns).

Streaming like the cleaner: tunes are read one at a time and only counters are kept
(a distribution is a counter of values), so the memory does not grow with the file.
Tunes are read loosely (§12.2), with the file header's fields applying, so any ABC file
can be described, not only cleaned ones.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import parse
from ..format import canonical_key
from ..model import Tune
from ..music import timeline
from .reader import SourceFile
from .stage import self_contained


@dataclass(slots=True)
class CorpusStats:
    """Counters over the tunes of one or more files (see :func:`stats`)."""

    files: list[str] = field(default_factory=list)
    tunes: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    meters: Counter[str] = field(default_factory=Counter)
    unit_lengths: Counter[str] = field(default_factory=Counter)
    tune_characters: Counter[int] = field(default_factory=Counter)
    tune_bars: Counter[int] = field(default_factory=Counter)
    characters: Counter[str] = field(default_factory=Counter)

    def add(self, text: str, tune: Tune) -> None:
        self.tunes += 1
        key = next((f.value for f in tune.fields if f.letter == "K" and not f.in_body), None)
        self.keys[canonical_key(key) if key is not None else "(none)"] += 1
        self.meters[str(tune.meter) if tune.meter is not None else "(none)"] += 1
        u = tune.unit_length
        self.unit_lengths[f"{u.numerator}/{u.denominator}"] += 1
        self.tune_characters[len(text)] += 1
        # Bars as the music engine reads them: those holding a note, rest or chord.
        voices = timeline(tune).voices
        self.tune_bars[sum(1 for b in voices[0].bars if b.content) if voices else 0] += 1
        self.characters.update(text)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (what ``--json`` prints)."""
        return {
            "files": list(self.files),
            "tunes": self.tunes,
            "characters_total": sum(self.characters.values()),
            "keys": _ranked(self.keys),
            "meters": _ranked(self.meters),
            "unit_lengths": _ranked(self.unit_lengths),
            "tune_characters": distribution(self.tune_characters),
            "tune_bars": distribution(self.tune_bars),
            "characters": dict(sorted(self.characters.items())),
        }

    def to_text(self, top: int = 12) -> str:
        """A report for people."""
        total = sum(self.characters.values())
        lines = [
            f"files: {', '.join(self.files)}",
            f"tunes: {self.tunes:,}   characters: {total:,}"
            f"   distinct characters: {len(self.characters)}",
        ]
        for title, counter in (
            ("keys", self.keys),
            ("meters", self.meters),
            ("unit lengths", self.unit_lengths),
        ):
            lines.append(f"{title} ({len(counter)}): " + _top(counter, top, self.tunes))
        for title, lengths in (
            ("characters per tune", self.tune_characters),
            ("bars per tune", self.tune_bars),
        ):
            d = distribution(lengths)
            if d["count"]:
                lines.append(
                    f"{title}: min {d['min']}, median {d['median']}, mean {d['mean']:.1f},"
                    f" 90% at most {d['p90']}, max {d['max']}"
                )
        shown = ", ".join(
            f"{ch!r} {n:,}" for ch, n in sorted(self.characters.items(), key=_count_order)
        )
        lines.append(f"characters: {shown}")
        return "\n".join(lines)


def _count_order(item: tuple[Any, int]) -> tuple[int, str]:
    return (-item[1], str(item[0]))


def _ranked(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=_count_order))


def _top(counter: Counter[str], top: int, total: int) -> str:
    items = sorted(counter.items(), key=_count_order)
    shown = ", ".join(f"{k} {n} ({n / max(total, 1):.0%})" for k, n in items[:top])
    if len(items) > top:
        shown += f", ... {len(items) - top} more"
    return shown


def distribution(counter: Counter[int]) -> dict[str, Any]:
    """min, max, mean, median, 90th percentile and the histogram of a counter of
    values (the histogram as {value: count}, values ascending)."""
    count = sum(counter.values())
    if not count:
        return {"count": 0, "histogram": {}}
    values = sorted(counter)

    def quantile(q: float) -> int:
        """The nearest-rank quantile: the least value that at least ``q`` of all values
        are at most (of 49 and 67, the 90th percentile is 67: only half are at most 49)."""
        rank = max(1, math.ceil(q * count))
        seen = 0
        for v in values:
            seen += counter[v]
            if seen >= rank:
                return v
        return values[-1]

    return {
        "count": count,
        "min": values[0],
        "max": values[-1],
        "mean": sum(v * n for v, n in counter.items()) / count,
        "median": quantile(0.5),
        "p90": quantile(0.9),
        "histogram": {str(v): counter[v] for v in values},
    }


def stats(paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str]) -> CorpusStats:
    """Describe the tunes of ABC files (streaming; see the module docstring)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    result = CorpusStats(files=[os.fspath(p) for p in paths])
    for i, path in enumerate(paths):
        _add_file(result, SourceFile(path, i).tunes_iter())
    return result


def _add_file(result: CorpusStats, tunes: Iterable[Any]) -> None:
    for raw in tunes:
        text, _, _ = self_contained(raw)
        book = parse(text, mode="loose")
        if book.tunes:
            result.add(raw.text.rstrip("\r\n") + "\n", book.tunes[0])
