"""Suppression comments: ``% abc-lint: disable=ABC301,ABC330``.

Where the comment stands decides what it silences (docs/validator.md, "Suppressing"):

- at the end of a line with other text on it: that line;
- on a line of its own inside a tune's body (after ``K:``): the next line;
- on a line of its own inside a tune's header (``X:`` to ``K:``), or in the comment lines
  directly above a tune's ``X:`` line: the whole tune;
- on a line of its own in the file header (the first block, before any tune, when it is
  not directly above ``X:``): the whole file.

A comment anywhere else (free text between tunes) silences nothing. The list holds codes
(``ABC301``) or code prefixes (``ABC3``: every music rule), or ``all``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..diagnostics import Diagnostic
from ..model import Tunebook

_DIRECTIVE_RE = re.compile(
    r"(?<!\\)%[ \t]*abc-lint:[ \t]*disable[ \t]*=[ \t]*([A-Za-z0-9_, \t]+)", re.I
)
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True, slots=True)
class Suppression:
    """Codes silenced between two offsets of the file (end exclusive)."""

    prefixes: tuple[str, ...]
    start: int
    end: int
    line: int  # where the comment is, for reports
    scope: str  # "line", "next-line", "tune", "file"

    def covers(self, d: Diagnostic) -> bool:
        if not self.start <= d.span.start < self.end and not (
            self.start == self.end == d.span.start
        ):
            return False
        return any(p == "ALL" or d.code.startswith(p) for p in self.prefixes)


def find_suppressions(text: str, book: Tunebook) -> list[Suppression]:
    """Every suppression comment in ``text`` with the range it silences."""
    if "abc-lint" not in text:
        return []
    lines = [(m.start(), m.end(), m.group()) for m in _LINE_RE.finditer(text)]
    starts = [s for s, _, _ in lines]
    tunes = [(t.span.start, max(t.span.end, t.span.start + len(t.text)), t) for t in book.tunes]
    out: list[Suppression] = []
    for m in _DIRECTIVE_RE.finditer(text):
        prefixes = tuple(
            p.strip().upper() for p in re.split(r"[,\s]+", m.group(1)) if p.strip()
        )
        if not prefixes:
            continue
        li = bisect.bisect_right(starts, m.start()) - 1
        ls, le, ltext = lines[li]
        alone = not ltext[: m.start() - ls].strip()
        if not alone:
            out.append(Suppression(prefixes, ls, le, li + 1, "line"))
            continue
        tune = next(((a, b, t) for a, b, t in tunes if a <= m.start() < b), None)
        if tune is not None:
            a, b, t = tune
            header_end = t.header.span.end
            if m.start() < header_end:
                out.append(Suppression(prefixes, a, b, li + 1, "tune"))
            elif li + 1 < len(lines):
                ns, ne, _ = lines[li + 1]
                out.append(Suppression(prefixes, ns, ne, li + 1, "next-line"))
            continue
        # Comment lines directly above a tune's X: line belong to that tune.
        j = li + 1
        while j < len(lines) and lines[j][2].startswith("%"):
            j += 1
        if j < len(lines) and lines[j][2].startswith("X:"):
            below = next(((a, b) for a, b, _ in tunes if a == lines[j][0]), None)
            if below is not None:
                out.append(Suppression(prefixes, below[0], below[1], li + 1, "tune"))
                continue
        first_tune = tunes[0][0] if tunes else len(text) + 1
        if m.start() < first_tune:
            out.append(Suppression(prefixes, 0, len(text) + 1, li + 1, "file"))
    return out


def apply_suppressions(diags: list[Diagnostic], sups: list[Suppression]) -> list[Diagnostic]:
    if not sups:
        return diags
    return [d for d in diags if not any(s.covers(d) for s in sups)]
