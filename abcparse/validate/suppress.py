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
from .context import Window

_DIRECTIVE_RE = re.compile(
    r"(?<!\\)%[ \t]*abc-lint:[ \t]*disable[ \t]*=[ \t]*([A-Za-z0-9_, \t]+)", re.I
)
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
WHOLE_FILE = 1 << 62  # the end of a file-wide suppression: past any offset


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


def find_suppressions(window: Window) -> list[Suppression]:
    """Every suppression comment in the own part of ``window`` (see
    :class:`~abcparse.validate.context.Window`; a whole book is one window) with the
    range of the file it silences."""
    text = window.text
    base = window.base
    own_start = window.own - base
    own_end = window.own_end - base
    if text.find("abc-lint", own_start, own_end) < 0:
        return []
    lines = [(m.start(), m.end(), m.group()) for m in _LINE_RE.finditer(text)]
    starts = [s for s, _, _ in lines]
    tunes = [(t.span.start - base, max(t.span.end, t.span.start + len(t.text)) - base, t)
             for t in window.tunes]
    out: list[Suppression] = []
    for m in _DIRECTIVE_RE.finditer(text, own_start, own_end):
        prefixes = tuple(
            p.strip().upper() for p in re.split(r"[,\s]+", m.group(1)) if p.strip()
        )
        if not prefixes:
            continue
        li = bisect.bisect_right(starts, m.start()) - 1
        ls, le, ltext = lines[li]
        number = window.line + li
        alone = not ltext[: m.start() - ls].strip()
        if not alone:
            out.append(Suppression(prefixes, base + ls, base + le, number, "line"))
            continue
        tune = next(((a, b, t) for a, b, t in tunes if a <= m.start() < b), None)
        if tune is not None:
            a, b, t = tune
            header_end = t.header.span.end - base
            if m.start() < header_end:
                out.append(Suppression(prefixes, base + a, base + b, number, "tune"))
            elif li + 1 < len(lines):
                ns, ne, _ = lines[li + 1]
                out.append(Suppression(prefixes, base + ns, base + ne, number, "next-line"))
            elif window.after is not None:
                # The next line is the first of the tune after the window (no empty line
                # between, ABC211).
                first = _LINE_RE.match(window.after.text)
                if first is not None:
                    ns = window.after.span.start
                    out.append(Suppression(prefixes, ns, ns + first.end(), number,
                                           "next-line"))
            continue
        # Comment lines directly above a tune's X: line belong to that tune.
        j = li + 1
        while j < len(lines) and lines[j][2].startswith("%"):
            j += 1
        if j < len(lines) and lines[j][2].startswith("X:"):
            below = next(((a, b) for a, b, _ in tunes if a == lines[j][0]), None)
            if below is not None:
                out.append(Suppression(prefixes, base + below[0], base + below[1], number,
                                       "tune"))
                continue
        if window.first:
            first_tune = tunes[0][0] if tunes else len(text) + 1
            if m.start() < first_tune:
                out.append(Suppression(prefixes, 0, WHOLE_FILE, number, "file"))
    return out


def apply_suppressions(diags: list[Diagnostic], sups: list[Suppression]) -> list[Diagnostic]:
    if not sups:
        return diags
    return [d for d in diags if not any(s.covers(d) for s in sups)]
