"""Differential playback against abcjs 6.7.2, the second outside player beside abc2midi.

abcjs is a JavaScript library (``package.json`` at the repository root pins it; ``npm ci``
installs it into ``node_modules/``). ``abcjs_play.js`` runs it headless in Node on a whole
batch of tunes in one process (a Node start per tune would cost minutes on the corpus) and
returns, for each, the notes of ``tune.setUpAudio({chordsOff: true})`` (whole notes,
repeats and endings played) and the parser's warnings.

What is compared, and why:

- The played order: the sorted sequence of (onset, pitch) of every note, onsets in quarter
  notes. That is what issue 12 asks of both players, and it is what a listener hears as
  "the tune". Durations are compared separately and only reported
  (:attr:`Comparison.durations_differ`): abcjs shortens nothing for staccato (it adds a
  gap instead) and ignores fermatas, abcparse follows abc2midi on both (``docs/playback.md``).
- Grace notes are left out on both sides: ours with ``grace="ignore"``, abcjs's by taking
  them out of its parsed tune before it plays (abcjs would play them in the first half of
  the main note, starting the main note half its length late; abc2midi's ``-NGRA`` is the
  same switch).
- Ornaments (trill, mordents, turn, roll: ``T``, ``~``) are taken out of abcjs's parsed
  tune too: it plays them as runs of 1/32 notes; ABC 2.1 §4.14 gives them no playback and
  abcparse plays the written note.
- Tempo changes in the body are taken out of abcjs's parsed tune: abcjs measures time in
  whole notes *at the first tempo* (after ``Q:1/4=180`` ... ``Q:1/4=135`` every note is
  4/3 as long in its units); without them its times are written whole notes, like our
  beats.
- Tolerance: abcjs rounds each duration to 1e-6 of a whole note; onsets equal within
  :data:`TOLERANCE` quarter notes count as equal.
- abcjs reads a file header's ``%%`` directives only (its tunebook splitter drops the rest),
  and ends a tune at its first empty line: each tune is given to it with its file header,
  as abc2midi gets it.

Known faults of abcjs found this way are recorded, with the section of the standard that
decides, in ``tests/fixtures/abcjs_playback_differences.json``; they are never copied into
abcparse. ``python -m tests.playback.players`` compares the whole corpus with both players;
``python -m tests.playback.abcjs_peer`` with abcjs only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from abcparse.events import DRUM_CHANNEL, NoteEvent, tune_events
from abcparse.model import Tune

from .peer import ROOT, CorpusTune, Pitch, sounding

NODE = shutil.which("node")
SCRIPT = Path(__file__).resolve().with_name("abcjs_play.js")
ABCJS = ROOT / "node_modules" / "abcjs"
FIXTURE = ROOT / "tests" / "fixtures" / "abcjs_playback_differences.json"
TOLERANCE = Fraction(1, 480)  # quarter notes: far above abcjs's 1e-6 whole-note rounding
TPQ = 960  # onsets are quantised to 1/960 quarter note for sorting (triplets fall on ticks)
DRUMS = 128  # abcjs's instrument number for its drum track
BATCH_TIMEOUT = 120.0  # seconds for one Node process; a hang costs at most this, once

Note = tuple[int, Pitch]  # onset in ticks of 1/960 quarter note, sounding pitch (MIDI)


def available() -> bool:
    """Whether Node and the pinned abcjs are installed (the tests skip otherwise)."""
    return NODE is not None and (ABCJS / "package.json").is_file()


def abcjs_version() -> str:
    data: dict[str, str] = json.loads((ABCJS / "package.json").read_text(encoding="utf-8"))
    return data["version"]


@dataclass(frozen=True)
class Played:
    """What abcjs made of one text: its notes (start and duration in whole notes, as it
    computed them; ``style`` "" for a written note), its warnings, the error it raised, if
    any, and what it printed to the console. ``tunes`` is how many tunes abcjs found in
    the text (only the first is played)."""

    id: str
    tunes: int = 0
    warnings: tuple[str, ...] = ()
    notes: tuple[tuple[float, Pitch, float, str], ...] = ()
    error: str | None = None
    log: tuple[str, ...] = ()  # what abcjs printed to the console while on this text


def _decode(line: str, fallback_id: str) -> Played:
    data = json.loads(line)
    # A note without a pitch, start or duration (abcjs writes NaN, which JSON carries as
    # null) sounds nothing: abcjs makes them for %%MIDI gchord patterns with chordsOff,
    # and on some broken input.
    notes = tuple(
        (float(n[0]), sounding(int(n[1]), n[4] if len(n) > 4 else 0), float(n[2]), str(n[3]))
        for track in data.get("tracks", ())
        if track.get("instrument") != DRUMS
        for n in track["notes"]
        if n[0] is not None and n[1] is not None and n[2] is not None
    )
    return Played(
        id=str(data.get("id", fallback_id)),
        tunes=int(data.get("tunes", 0)),
        warnings=tuple(data.get("warnings", ())),
        notes=notes,
        error=data.get("error"),
        log=tuple(data.get("log", ())),
    )


def run_abcjs(
    texts: Sequence[str],
    ids: Sequence[str] | None = None,
    *,
    parse_only: bool = False,
    keep_graces: bool = False,
    keep_ornaments: bool = False,
    timeout: float = BATCH_TIMEOUT,
) -> list[Played]:
    """Play (or with ``parse_only`` only parse) every text with abcjs, in one Node process.

    The result has one :class:`Played` per text, in order. If abcjs throws on a text, that
    text's ``error`` says so and the others are unaffected. If Node hangs or dies, the
    lines it wrote are kept, the text it was on gets an ``error``, and a new process takes
    the rest, so one pathological tune costs one timeout, not the batch.
    """
    if not available():
        raise RuntimeError("node or node_modules/abcjs is missing: run `npm ci`")
    assert NODE is not None
    names = [str(i) for i in range(len(texts))] if ids is None else [str(i) for i in ids]
    if len(names) != len(texts):
        raise ValueError("ids and texts differ in length")
    args = [NODE, str(SCRIPT)]
    if parse_only:
        args.append("--parse-only")
    if keep_graces:
        args.append("--keep-graces")
    if keep_ornaments:
        args.append("--keep-ornaments")
    out: list[Played] = []
    while len(out) < len(texts):
        todo = range(len(out), len(texts))
        payload = "".join(
            json.dumps({"id": names[i], "abc": texts[i]}, ensure_ascii=False) + "\n" for i in todo
        )
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # A file that is not UTF-8 is read with its bad bytes as surrogates (as
            # peer.py): they go to Node as those bytes, which it reads as U+FFFD.
            errors="surrogateescape",
            cwd=ROOT,
        )
        try:
            stdout, stderr = proc.communicate(payload, timeout=timeout)
            failure = f"node exited with status {proc.returncode}: {stderr.strip()[-500:]}"
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            failure = f"abcjs did not finish within {timeout:.0f} s"
        # split("\n"), not splitlines(): JSON strings may hold U+2028 or U+0085.
        lines = [line for line in stdout.split("\n") if line.strip()]
        for i, line in zip(todo, lines, strict=False):
            out.append(_decode(line, names[i]))
        if len(out) < len(texts):
            # The text abcjs was on when Node stopped: recorded, then the rest goes on.
            out.append(Played(names[len(out)], error=failure))
    return out


def parse_warnings(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """abcjs's warnings for each text (parsing only; every tune in a text): issue 14's
    "parses in abcjs with no warning" is ``not parse_warnings([t])[0]``. An error abcjs
    raised counts as a warning."""
    return [
        (*p.warnings, f"error: {p.error}") if p.error else p.warnings
        for p in run_abcjs(texts, parse_only=True)
    ]


def abcjs_input(header_text: str, tune_text: str) -> str:
    """The text abcjs gets for a tune of a file: the file header, an empty line, the tune
    (abcjs itself keeps only the header's ``%%`` lines, as it would reading the file)."""
    head = header_text
    if head.strip():
        return head.rstrip("\r\n") + "\n\n" + tune_text
    return tune_text


def our_notes(tune: Tune) -> tuple[list[Note], dict[Note, Fraction]]:
    """Our sorted (onset, pitch) in ticks, and each note's duration in quarter notes."""
    # A drum voice (%%MIDI channel 10) is not in either player's note tracks.
    events: list[NoteEvent] = [
        e for e in tune_events(tune, grace="ignore") if e.channel != DRUM_CHANNEL
    ]
    notes: list[Note] = []
    durations: dict[Note, Fraction] = {}
    for e in events:
        n = (round(e.onset * TPQ), sounding(e.pitch, e.cents))
        notes.append(n)
        durations[n] = e.duration
    notes.sort()
    return notes, durations


def their_notes(played: Played) -> tuple[list[Note], dict[Note, float]]:
    """abcjs's sorted (onset, pitch) in ticks (whole notes * 4 * 960), and durations in
    quarter notes. Notes abcjs adds (``style`` grace or decoration) would only be here if
    the batch kept them; they are left out like ours."""
    notes: list[Note] = []
    durations: dict[Note, float] = {}
    for start, pitch, duration, style in played.notes:
        if style:
            continue
        n = (round(start * 4 * TPQ), pitch)
        notes.append(n)
        durations[n] = duration * 4
    notes.sort()
    return notes, durations


def first_difference(a: Sequence[Note], b: Sequence[Note]) -> int | None:
    """Index of the first note whose onset (beyond :data:`TOLERANCE`) or pitch differs;
    ``None`` when the sequences are equal."""
    tol = TOLERANCE * TPQ
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x[1] != y[1] or abs(x[0] - y[0]) > tol:
            return i
    if len(a) != len(b):
        return min(len(a), len(b))
    return None


@dataclass(frozen=True)
class Comparison:
    """One tune against abcjs: ``equal`` is the verdict on (onset, pitch);
    ``durations_differ`` counts notes that start alike but sound for different lengths
    (information only: staccato, fermata); ``detail`` shows the first difference."""

    id: str
    equal: bool
    detail: str = ""
    durations_differ: int = 0
    warnings: tuple[str, ...] = field(default=(), compare=False)


def _fmt(n: Note) -> str:
    return f"{n[1]}@{Fraction(n[0], TPQ)}"


def compare_notes(tune_id: str, tune: Tune, played: Played) -> Comparison:
    """Our played order against abcjs's (see the module docstring)."""
    if played.error:
        return Comparison(tune_id, False, f"abcjs failed: {played.error}", 0, played.warnings)
    try:
        ours, our_len = our_notes(tune)
    except Exception as exc:  # a crash of ours is a finding, not the end
        return Comparison(tune_id, False, f"abcparse failed: {exc!r}", 0, played.warnings)
    theirs, their_len = their_notes(played)
    at = first_difference(ours, theirs)
    if at is None:
        differ = sum(
            1
            for n, m in zip(ours, theirs, strict=True)
            if abs(float(our_len[n]) - their_len[m]) > float(TOLERANCE)
        )
        return Comparison(tune_id, True, "", differ, played.warnings)
    if not theirs:  # e.g. after a file header, abcjs reads a tune with an indented X: as none
        return Comparison(tune_id, False, f"abcjs played no notes (ours: {len(ours)})", 0,
                          played.warnings)
    lo = max(0, at - 2)
    detail = (
        f"first difference at note {at} of {len(ours)} (abcjs: {len(theirs)}); "
        f"ours {[_fmt(n) for n in ours[lo:at + 3]]} abcjs {[_fmt(n) for n in theirs[lo:at + 3]]}"
    )
    return Comparison(tune_id, False, detail, 0, played.warnings)


def compare_corpus(tunes: Sequence[CorpusTune]) -> list[Comparison]:
    """Every tune against abcjs (one Node process for all of them)."""
    played = run_abcjs(
        [abcjs_input(ct.header_text, ct.tune.text) for ct in tunes], [ct.id for ct in tunes]
    )
    return [compare_notes(ct.id, ct.tune, p) for ct, p in zip(tunes, played, strict=True)]


def compare_text(text: str) -> Comparison:
    """One tune given as text (the first tune of it) against abcjs: for hand-written tests."""
    import abcparse

    tune = abcparse.parse(text).tunes[0]
    return compare_notes("text", tune, run_abcjs([text])[0])


def known() -> dict[str, object]:
    """The differences file: kinds (with their sections) and the tunes listed under them."""
    data: dict[str, object] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def main(argv: Sequence[str] | None = None) -> int:
    from . import players

    ap = argparse.ArgumentParser(description="Compare the corpus's playback with abcjs only.")
    ap.add_argument("--only", nargs="*", default=(), help="tune ids such as irish.abc#12")
    args = ap.parse_args(argv)
    if not available():
        print("node or node_modules/abcjs is missing: run `npm ci`", file=sys.stderr)
        return 2
    tunes = players.all_tunes(args.only)
    results = compare_corpus(tunes)
    listed = players.listed_kinds()
    for r in results:
        if not r.equal:
            print(f"{r.id} [{listed.get(r.id, 'unlisted')}]: {r.detail}")
    eq = sum(r.equal for r in results)
    share = 100 * eq / max(1, len(results))
    print(f"abcjs {abcjs_version()}: {eq}/{len(results)} equal = {share:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
