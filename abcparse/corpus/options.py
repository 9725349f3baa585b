"""What ``abcparse corpus clean`` may vary, in one frozen record.

The record travels to worker processes (and Dask workers) with every chunk of tunes, so
it holds only plain values; :meth:`CleanOptions.to_json` is what the manifest records,
so a reader of ``manifest.json`` knows exactly how the splits were made. Options that
cannot change the output (``--jobs``, ``--dask``, the progress bar) are not part of it:
the output is the same whichever way it was computed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import AbcUsageError

DEFAULT_KEEP_FIELDS = "XTMLKQR"
# Fields that are always kept: X: and K: frame a tune (§3.1.1, §3.1.14).
REQUIRED_FIELDS = "XK"
DEDUPE_MODES = ("transposed", "exact", "none")
SPLIT_NAMES = ("train", "valid", "test")


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """How tunes are repaired, filtered, stripped, de-duplicated and split.

    - ``repair``: repair tunes that fail strict validation (``abcparse.repair``); when
      False they are dropped (``--no-repair``).
    - ``repair_warnings``: after normalizing, also repair the strict-mode warnings that
      have a fixer (``abcparse.repair(..., warnings=True)``), so the splits pass
      ``abc-lint --strict`` with no finding at all and a model trained on them does not
      learn the habits the warnings are about (``--keep-warnings`` turns it off).
    - ``meters``, ``keys``: keep only tunes whose header M: / K: is one of these
      (compared in canonical spelling: ``6/8``, ``C|``, ``D``, ``Em``, ``ADor``); empty
      keeps all.
    - ``max_voices``, ``min_bars``, ``max_chars``, ``ascii``: drop tunes with more voices,
      fewer bars (bars holding a note, rest or chord), more characters (as written to the
      split), or a character outside ASCII (as written to the split).
    - ``keep_fields``: the field letters kept (header and body); X: and K: always are.
      Body fields that change the music (K: L: M: P: Q: V: I: U: m:) are always kept.
      ``keep_comments`` / ``keep_directives`` keep ``%`` comments and ``%%`` directives.
    - ``dedupe``: "transposed" (exact body, then same melody in another key),
      "exact" (same normalized body) or "none".
    - ``split``: percentages of train, valid and test; ``split_seed`` changes which tunes
      go where (any string; the default keeps the shipped assignment).
    """

    repair: bool = True
    repair_warnings: bool = True
    meters: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    max_voices: int | None = None
    min_bars: int = 0
    max_chars: int | None = None
    ascii: bool = False
    keep_fields: str = DEFAULT_KEEP_FIELDS
    keep_comments: bool = False
    keep_directives: bool = False
    dedupe: str = "transposed"
    split: tuple[int, int, int] = (80, 10, 10)
    split_seed: str = ""

    def __post_init__(self) -> None:
        if self.dedupe not in DEDUPE_MODES:
            raise AbcUsageError(
                f"dedupe must be one of {', '.join(DEDUPE_MODES)}, not {self.dedupe!r}"
            )
        if len(self.split) != 3 or any(p < 0 for p in self.split) or sum(self.split) != 100:
            raise AbcUsageError(
                f"split must be three percentages (train, valid, test) adding up to 100,"
                f" not {self.split!r}"
            )
        for name in ("max_voices", "max_chars"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise AbcUsageError(f"{name} must be at least 1, not {value}")
        if self.min_bars < 0:
            raise AbcUsageError(f"min_bars must not be negative, not {self.min_bars}")
        bad = [c for c in self.keep_fields if not (c.isascii() and c.isalpha())]
        if bad:
            raise AbcUsageError(f"keep_fields takes field letters, not {''.join(bad)!r}")
        letters = "".join(sorted(set(self.keep_fields + REQUIRED_FIELDS)))
        object.__setattr__(self, "keep_fields", letters)

    def replace(self, **changes: Any) -> CleanOptions:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The options as the manifest records them (sorted, plain JSON values)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out
