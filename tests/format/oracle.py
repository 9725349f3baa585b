"""abc2midi as an external oracle: the notes it plays for one tune.

The formatter promises to keep the music; abc2midi (abcMIDI, a peer implementation we do
not share code with) is asked to play each tune before and after formatting, and the notes
must be the same: pitch, onset and duration, read from the MIDI file with mido. A tune is
played on its own, with the file header (and version line) above it, as the file would
give it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import mido

import abcparse

ABC2MIDI = shutil.which("abc2midi")

Note = tuple[int, int, float, float]  # channel, pitch, onset (s), duration (s)


def tune_files(text: str) -> list[str]:
    """One self-contained ABC text per tune of ``text``: version line and file header,
    an empty line, then the tune."""
    book = abcparse.parse(text)
    head = ""
    if book.abc_version is not None and text.startswith("%abc"):
        head = text.splitlines()[0] + "\n"
    if book.header.text:
        head += book.header.text.rstrip("\r\n") + "\n"
    if head:
        head += "\n"
    return [head + t.text for t in book.tunes]


def notes_of_midi(path: str) -> list[Note]:
    """Every note of a MIDI file with its onset and duration in seconds (tempo applied)."""
    mid = mido.MidiFile(path)
    now = 0.0
    sounding: dict[tuple[int, int], list[float]] = {}
    out: list[Note] = []
    for msg in mid:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault((msg.channel, msg.note), []).append(now)
        elif msg.type in ("note_off", "note_on"):
            starts = sounding.get((msg.channel, msg.note))
            if starts:
                start = starts.pop(0)
                out.append((msg.channel, msg.note, round(start, 6), round(now - start, 6)))
    return sorted(out)


def abc2midi_notes(abc: str, workdir: str | None = None) -> list[Note] | None:
    """The notes abc2midi plays for a one-tune ABC text; None if it writes no file."""
    assert ABC2MIDI is not None
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        src = os.path.join(tmp, "tune.abc")
        out = os.path.join(tmp, "tune.mid")
        with open(src, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(abc)
        subprocess.run(
            [ABC2MIDI, src, "-silent", "-o", out],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        if not os.path.exists(out):
            return None
        return notes_of_midi(out)


def compare(before: str, after: str) -> Iterator[tuple[int, bool, str]]:
    """For each tune: (index, same notes?, a short reason when not)."""
    a, b = tune_files(before), tune_files(after)
    if len(a) != len(b):
        yield -1, False, f"{len(a)} tunes before, {len(b)} after"
        return
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        na, nb = abc2midi_notes(x), abc2midi_notes(y)
        if na == nb:
            yield i, True, ""
        else:
            pairs = zip(na or [], nb or [], strict=False)
            first = next((k for k, (p, q) in enumerate(pairs) if p != q), None)
            count = f"{len(na or [])} vs {len(nb or [])} notes"
            yield i, False, f"first difference at note {first}: {count}"
