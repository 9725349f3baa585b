"""Run abc2midi's checker and compare its findings with ours, tune by tune.

``abc2midi FILE -c`` (abcMIDI's "checking only" option, see its man page) prints, per
problem, ``Warning in line-char L-C : Track T Bar B has X time units while the time
signature has Y`` for bar lengths and messages such as ``Assuming repeat`` or ``found [1
or like before |:`` for repeats. Lines are 1-based lines of the file; a finding belongs to
the tune whose ``X:`` line is the last one at or before it.

Used by tests/validate/test_abc2midi.py and benchmarks/lint_speed.py.
"""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import abcparse
from abcparse.model import Chord
from abcparse.music import BarInfo, judge_bars, timeline

ABC2MIDI = shutil.which("abc2midi")
_LINE_RE = re.compile(r"^(Warning|Error) in line-char (\d+)-(\d+) : (.*)$")
BAR_RE = re.compile(r"Bar \d+ has .* time units while the time signature has")
REPEAT_MESSAGES = {
    "Assuming repeat": "repeat-end-without-start",
    "found [1 or like before |:": "ending-without-repeat-start",
    # "a repeat started and never ended": the same finding as our ABC305.
    "Missing :| at end of tune": "repeat-start-not-closed",
}


@dataclass
class TuneComparison:
    """What abc2midi and abcparse say about one tune."""

    index: int
    reference: int | None
    title: str | None
    line: int
    peer_bars: list[str] = field(default_factory=list)
    peer_repeats: set[str] = field(default_factory=set)
    ours_bars: list[str] = field(default_factory=list)
    ours_repeats: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)  # why short bars were fine
    unmeasured: set[str] = field(default_factory=set)  # why bars were not measured
    repeat_end_after: set[str] = field(default_factory=set)  # what our ABC302s follow
    part_labels: bool = False  # P: fields in the body (§3.1.9)
    plus_chords: bool = False  # obsolete +CE+ chords (§12.1.3), which abc2midi misreads


def run_abc2midi(path: Path) -> str:
    assert ABC2MIDI is not None
    # abc2midi -c writes barloc.txt into its working folder: keep it out of the checkout.
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([ABC2MIDI, str(path.resolve()), "-c"], capture_output=True,
                           text=True, errors="replace", timeout=300, check=False, cwd=tmp)
    return r.stdout + r.stderr


def compare_file(path: Path) -> list[TuneComparison]:
    book = abcparse.parse_file(path)
    starts = [t.header.span.line for t in book.tunes]
    out = [
        TuneComparison(i, t.reference, t.title, starts[i]) for i, t in enumerate(book.tunes)
    ]
    for line in run_abc2midi(path).splitlines():
        m = _LINE_RE.match(line.strip())
        if m is None:
            continue
        k = bisect.bisect_right(starts, int(m.group(2))) - 1
        if k < 0:
            continue
        msg = m.group(4).strip()
        if BAR_RE.search(msg):
            out[k].peer_bars.append(f"{m.group(2)}: {msg}")
        for text, kind in REPEAT_MESSAGES.items():
            if text in msg:
                out[k].peer_repeats.add(kind)
    strict_codes = {"ABC302": "repeat-end-without-start", "ABC303": "ending-without-first",
                    "ABC304": "ending-not-closed", "ABC305": "repeat-start-not-closed"}
    diags = abcparse.check(book)
    strict = abcparse.check(book, mode="strict", select=list(strict_codes))
    for d in diags:
        if d.code == "ABC301":
            k = bisect.bisect_right(starts, d.line) - 1
            out[k].ours_bars.append(f"{d.line}:{d.col}: {d.message}")
    for d in strict:
        k = bisect.bisect_right(starts, d.line) - 1
        out[k].ours_repeats.add(strict_codes[d.code])
        if d.code == "ABC302":
            after = ("double-bar" if "after the double bar" in d.message
                     else "ending" if "after the variant ending" in d.message
                     else "repeat-end")
            out[k].repeat_end_after.add(after)
    for i, tune in enumerate(book.tunes):
        out[i].part_labels = any(f.letter == "P" and f.in_body for f in tune.fields)
        for vt in timeline(tune).voices:
            accepted: dict[int, str] = {}
            judge_bars(vt, accepted)
            out[i].accepted.update(accepted.values())
            for b in vt.bars:
                if any(isinstance(e, Chord) and e.plus for e in b.bar.elements):
                    out[i].plus_chords = True
                if b.content and not b.measured and b.meter is not None \
                        and b.meter.bar_length is not None:
                    out[i].unmeasured.add(_why_unmeasured(b))
    return out


def _why_unmeasured(b: BarInfo) -> str:
    from abcparse.model import ErrorNode, InlineField, Rest

    elements = b.bar.elements
    if any(isinstance(e, ErrorNode) for e in elements):
        return "unreadable-text"
    if any(isinstance(e, Rest) and e.measures for e in elements):
        return "multi-measure-rest"
    if any(isinstance(e, InlineField) and e.letter == "M" for e in elements):
        return "meter-change-in-bar"
    return "other"


def bar_disagreement_kind(c: TuneComparison) -> str | None:
    """None when both flag the tune or neither does; else the kind of disagreement."""
    peer, ours = bool(c.peer_bars), bool(c.ours_bars)
    if peer == ours:
        return None
    if ours:
        return "ours-only"
    if c.plus_chords:
        return "peer-misreads-plus-chord"
    if c.unmeasured:
        return "not-measured:" + ",".join(sorted(c.unmeasured))
    if c.accepted:
        return "accepted:" + ",".join(sorted(c.accepted))
    return "counted-differently"


def compare_files(paths: Iterable[Path]) -> list[tuple[Path, TuneComparison]]:
    return [(p, c) for p in paths for c in compare_file(p)]


def repeat_disagreements(c: TuneComparison) -> list[str]:
    """Repeat findings only one side makes, as "peer:KIND" or "ours:KIND"."""
    out = []
    for k in sorted(c.peer_repeats - c.ours_repeats):
        if k == "repeat-end-without-start" and c.part_labels:
            k += ":after-part-label"  # a P: part is a section of its own for us
        out.append(f"peer:{k}")
    for k in sorted(c.ours_repeats - c.peer_repeats):
        if k == "repeat-end-without-start" and c.repeat_end_after <= {"double-bar", "ending"}:
            # abc2midi restarts from a double bar or after variant endings silently.
            k += ":after-" + "-or-".join(sorted(c.repeat_end_after))
        out.append(f"ours:{k}")
    return out
