"""Differential playback against abc2midi: our notes versus the notes of its MIDI file.

For one tune, both sides become a sorted list of (onset, pitch, duration) in MIDI ticks at
abc2midi's resolution (480 per quarter note), grace notes left out on both sides
(``-NGRA``; ``grace="ignore"``). abc2midi runs on a file holding the file header and that
one tune (so repeated ``X:`` numbers do not matter), with the options and the one
directive below; what they turn off is documented in
``tests/fixtures/abc2midi_playback_differences.json``:

- ``-NGRA`` grace notes, ``-NGUI`` the guitar-chord accompaniment track;
- ``%%MIDI chordattack 0`` (inserted after ``X:``): abc2midi starts the notes of a chord
  10 ticks apart by default;
- ``R:`` lines are commented out: abc2midi swings a tune whose rhythm is "hornpipe"
  (pairs of eighths played 2:1), a stress model §6.2 leaves unstandardised;
- its note-ons come one tick late, and its rolls (``~``) and trills (``T``, ``!trill!``)
  are played as runs of short notes: :func:`normalize_peer` undoes both.

Run ``python -m tests.playback.peer`` for the whole corpus (prints the share of equal
tunes and every difference), or import :func:`compare` in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import mido

import abcparse
from abcparse.events import DRUM_CHANNEL, NoteEvent, tune_events
from abcparse.model import Tune

TPB = 480
TOLERANCE = 2  # ticks: abc2midi rounds tuplet lengths to whole ticks as it goes
ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))
ORNAMENTS = frozenset({"roll", "trill"})
ABC2MIDI = shutil.which("abc2midi")

Note3 = tuple[int, "Pitch", int]  # onset, pitch, duration (ticks)
Pitch = int | Fraction  # MIDI semitones; a Fraction for a microtone (a note bent off the grid)


def sounding(note: int, cents: int | float) -> Pitch:
    """The pitch a note sounds: its MIDI key, raised by the cents it is bent (a microtone,
    ``_/e``; abc2midi bends the key, abcjs gives ``cents``, abcparse ``NoteEvent.cents``),
    so that players that bend different keys to the same sound compare equal."""
    c = round(cents)
    return note + Fraction(c, 100) if c else note
_F = TypeVar("_F", bound=Any)


@dataclass(frozen=True)
class CorpusTune:
    file: str  # "irish.abc", or "ABC_original/jigs.abc" / "ABC_cleaned/jigs.abc"
    index: int  # 1-based position in the file (X: numbers repeat in irish.abc)
    tune: Tune
    header_text: str

    @property
    def id(self) -> str:
        return f"{self.file}#{self.index}"


@dataclass(frozen=True)
class Result:
    id: str
    equal: bool
    detail: str = ""


NOTTINGHAM_FOLDERS = ("ABC_original", "ABC_cleaned")
DEBIAN = "debian-examples"


def corpus_files(debian: bool = False) -> list[tuple[str, Path]]:
    """(label, path): ``corpus/irish.abc`` (shipped), then every file of
    ``../shared/corpus/nottingham``: the database as published (``ABC_original``) and after
    its clean-up (``ABC_cleaned``, the same tunes with many typing errors mended). The
    label names the folder, so the two copies of a tune have different ids. With
    ``debian``, also the example files of Debian's abcm2ps and abcmidi packages
    (``debian-examples/abcmidi/demo.abc``): the comparison of both players covers them;
    the abc2midi test and its fixture keep to the first three collections."""
    irish = ROOT / "corpus" / "irish.abc"
    if not irish.is_file():
        irish = SHARED / "mit-irish" / "irish.abc"
    files = [(irish.name, irish)]
    for folder in NOTTINGHAM_FOLDERS:
        for path in sorted((SHARED / "nottingham" / folder).glob("*.abc")):
            files.append((f"{folder}/{path.name}", path))
    if debian:
        for path in sorted((SHARED / DEBIAN).glob("*/*.abc")):
            files.append((f"{DEBIAN}/{path.parent.name}/{path.name}", path))
    return [(label, f) for label, f in files if f.is_file()]


def corpus_tunes(single_voice: bool = True, debian: bool = False,
                 files: Sequence[tuple[str, Path]] | None = None) -> Iterator[CorpusTune]:
    """Every tune of the corpus files, or of ``files`` ((label, path) pairs), single-voice
    ones by default, in file order."""
    for label, path in corpus_files(debian) if files is None else files:
        book = abcparse.parse_file(path)
        for i, tune in enumerate(book.tunes, 1):
            if single_voice and len(tune.voices) != 1:
                continue
            yield CorpusTune(label, i, tune, book.header.text)


def peer_input(header_text: str, tune_text: str) -> str:
    """The file abc2midi reads: the file header, then the tune with the chord-attack
    directive after its X: line and its R: lines commented out (abc2midi swings tunes
    whose rhythm is "hornpipe")."""
    lines = tune_text.splitlines(keepends=True)
    if not lines:
        return header_text
    first = lines[0] if lines[0].endswith(("\n", "\r")) else lines[0] + "\n"
    rest = ["%" + line if line.startswith("R:") else line for line in lines[1:]]
    tune = first + "%%MIDI chordattack 0\n" + "".join(rest)
    head = header_text
    if head and not head.endswith("\n\n"):
        head = head.rstrip("\r\n") + "\n\n"
    return head + tune


_TEMPERAMENT_RE = re.compile(r"^[ \t]*(?:%%|I:)(?:MIDI[ \t]+)?temperament", re.M)


def abc2midi_notes(text: str, workdir: str) -> list[Note3]:
    """Run abc2midi on ``text`` and read its note tracks back (note-ons paired with their
    note-offs per channel and pitch; drums and accompaniment tracks left out)."""
    assert ABC2MIDI is not None
    src = os.path.join(workdir, "tune.abc")
    out = os.path.join(workdir, "tune.mid")
    if os.path.exists(out):
        os.unlink(out)
    # A file that is not UTF-8 is read with its undecodable bytes as surrogates: they go
    # back to abc2midi as the bytes they were.
    with open(src, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    subprocess.run(
        [ABC2MIDI, src, "-o", out, "-NGRA", "-NGUI", "-silent"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if not os.path.exists(out):
        return []
    try:
        # clip: abc2midi writes a pitch above 127 (or a velocity) as a data byte that
        # MIDI does not allow; read it clipped, as a synthesizer would, not as an abort.
        midi = mido.MidiFile(out, clip=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError):
        return []  # a file abc2midi left broken: no notes read, as when it wrote none
    scale = Fraction(TPB, midi.ticks_per_beat)
    # abc2midi bends a key for a written microtone (_/e) and to tune it (its %%temperament
    # directives, which abcparse does not play): bends count as pitch only without those.
    microtones = not _TEMPERAMENT_RE.search(text)
    notes: list[Note3] = []
    for track in midi.tracks:
        names = [m.text for m in track if m.type == "text"]
        # abc2midi names a voice's track "note track", or "notes/lyric track" when the
        # voice has w: lyrics (its notes are there too); the others are accompaniment.
        if names and not any("note track" in n or "notes/lyric track" in n for n in names):
            continue  # gchord / drone / drum tracks
        now = 0
        on: dict[tuple[int, int], list[tuple[int, Pitch]]] = {}
        bend: dict[int, int] = {}  # channel -> pitch wheel (a microtone), two semitones wide
        for msg in track:
            now += msg.time
            if msg.type == "pitchwheel":
                bend[msg.channel] = msg.pitch
            elif msg.type == "note_on" and msg.velocity > 0:
                if msg.channel == 9:
                    continue
                cents = bend.get(msg.channel, 0) * 200 / 8192 if microtones else 0
                pitch = sounding(msg.note, cents)
                on.setdefault((msg.channel, msg.note), []).append((now, pitch))
            elif msg.type in ("note_off", "note_on"):
                starts = on.get((msg.channel, msg.note))
                if starts:
                    s, pitch = starts.pop(0)
                    # abc2midi sends note-on one tick after the note's time.
                    onset = round((s - 1) * scale)
                    notes.append((onset, pitch, round((now - s + 1) * scale)))
    notes.sort()
    return notes


def our_notes(tune: Tune) -> tuple[list[Note3], list[tuple[int, int, int]]]:
    """Our notes in ticks, and the spans (onset, end, pitch) of notes that carry an
    ornament abc2midi expands."""
    # A drum voice (%%MIDI channel 10) is not in either player's note tracks.
    events: list[NoteEvent] = [
        e for e in tune_events(tune, grace="ignore") if e.channel != DRUM_CHANNEL
    ]
    notes = sorted(
        (round(e.onset * TPB), sounding(e.pitch, e.cents), round(e.duration * TPB))
        for e in events
    )
    orn = [
        (round(e.onset * TPB), round(e.end * TPB), sounding(e.pitch, e.cents))
        for e in events
        if ORNAMENTS.intersection(e.decorations)
    ]
    return notes, orn


def normalize_peer(notes: list[Note3], ornaments: Sequence[tuple[int, int, int]]) -> list[Note3]:
    """Fold abc2midi's ornament runs back into the written note: the notes that start
    inside an ornamented note's time become that note (onset of the first, end of the
    last)."""
    if not ornaments:
        return notes
    out: list[Note3] = []
    used: set[int] = set()
    for start, end, pitch in ornaments:
        group = [
            i for i, n in enumerate(notes)
            if i not in used and start - TOLERANCE <= n[0] < end - TOLERANCE
        ]
        if len(group) > 1:
            used.update(group)
            first = min(notes[i][0] for i in group)
            last = max(notes[i][0] + notes[i][2] for i in group)
            out.append((first, pitch, last - first))
    out.extend(n for i, n in enumerate(notes) if i not in used)
    out.sort()
    return out


def same(a: Sequence[Note3], b: Sequence[Note3]) -> int | None:
    """Index of the first note that differs (beyond the tick tolerance), None if equal."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x[1] != y[1] or abs(x[0] - y[0]) > TOLERANCE or abs(x[2] - y[2]) > TOLERANCE:
            return i
    if len(a) != len(b):
        return min(len(a), len(b))
    return None


def departure_verdict(was_at: int | None, now_at: int | None) -> str:
    """What a change of the text did to a player whose notes changed with it, from the
    index of its first departure from the engine's notes before (``was_at``) and after
    (``now_at``; None: none): "to" (it now plays the engine's reading), "closer" (its first
    departure comes later), "same" (at the same note: the change lies beyond a reading of
    the player's own) or "away" (it played the engine's reading before, or departs
    earlier now: what a safe fix must not do). For either player (same / first_difference
    give the indices)."""
    if now_at is None:
        return "to"
    if was_at is None or now_at < was_at:
        return "away"
    return "closer" if now_at > was_at else "same"


def _fmt(n: Note3) -> str:
    return f"{n[1]}@{Fraction(n[0], TPB)}+{Fraction(n[2], TPB)}"


def compare(ct: CorpusTune, workdir: str) -> Result:
    theirs = abc2midi_notes(peer_input(ct.header_text, ct.tune.text), workdir)
    ours, orn = our_notes(ct.tune)
    theirs = normalize_peer(theirs, orn)
    # Equal chords may list their notes in another order at the same onset: sorted.
    at = same(ours, theirs)
    if at is None:
        return Result(ct.id, True)
    if not theirs:
        return Result(ct.id, False, f"abc2midi played no notes (ours: {len(ours)})")
    lo = max(0, at - 2)
    detail = (
        f"first difference at note {at} of {len(ours)} (abc2midi: {len(theirs)}); "
        f"ours {[_fmt(n) for n in ours[lo:at + 3]]} abc2midi {[_fmt(n) for n in theirs[lo:at + 3]]}"
    )
    return Result(ct.id, False, detail)


def run(tunes: Sequence[CorpusTune]) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="abc2midi-peer-") as d:
        return [compare(ct, d) for ct in tunes]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="compare only the first N tunes")
    ap.add_argument("--only", nargs="*", default=(), help="tune ids such as irish.abc#12")
    args = ap.parse_args(argv)
    if ABC2MIDI is None:
        print("abc2midi is not installed", file=sys.stderr)
        return 2
    tunes = list(corpus_tunes())
    if args.only:
        tunes = [t for t in tunes if t.id in set(args.only)]
    if args.limit:
        tunes = tunes[: args.limit]
    results = run(tunes)
    for r in results:
        if not r.equal:
            print(f"{r.id}: {r.detail}")
    print(report(results))
    return 0


def collection(tune_id: str) -> str:
    """The collection a tune id belongs to: irish.abc, ABC_original, ABC_cleaned or
    debian-examples."""
    return tune_id.split("/")[0] if "/" in tune_id else tune_id.split("#")[0]


def report(results: Sequence[Result]) -> str:
    """Equal tunes per collection and in all, then the unequal ones by the kind the
    fixture gives them (``unlisted`` for a difference the fixture does not explain)."""
    lines = []
    names = list(dict.fromkeys(collection(r.id) for r in results))
    for name in [*names, "all"]:
        rs = [r for r in results if name == "all" or collection(r.id) == name]
        eq = sum(r.equal for r in rs)
        lines.append(f"{name:>14}: {eq}/{len(rs)} equal = {100 * eq / max(1, len(rs)):.2f}%")
    fixture = ROOT / "tests" / "fixtures" / "abc2midi_playback_differences.json"
    listed: dict[str, str] = json.loads(fixture.read_text(encoding="utf-8"))["tunes"]
    kinds = Counter(listed.get(r.id, "unlisted") for r in results if not r.equal)
    lines.extend(f"{n:>5}  {kind}" for kind, n in kinds.most_common())
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())


def players_agree(text: str) -> tuple[bool, bool]:
    """Whether abc2midi, and whether abcjs, play the first tune of ``text`` as the engine
    does: the check behind each safe fix that brings the players to the engine's reading
    (``text`` is a whole file with no file header)."""
    from tests.playback import abcjs_peer

    tune = abcparse.parse(text).tunes[0]
    with tempfile.TemporaryDirectory() as work:
        midi = abc2midi_notes(text, work) == our_notes(tune)[0]
    played = abcjs_peer.run_abcjs([text])[0]
    return midi, abcjs_peer.their_notes(played)[0] == abcjs_peer.our_notes(tune)[0]


def needs_both_players(test: _F) -> _F:
    """Mark a test that runs abc2midi and abcjs (``peer``), skipped when either is missing."""
    import pytest

    from tests.playback import abcjs_peer

    skip = pytest.mark.skipif(ABC2MIDI is None or not abcjs_peer.available(),
                              reason="abc2midi or node with abcjs missing")
    marked: _F = pytest.mark.peer(skip(test))
    return marked
