"""MIDI files (``abcparse.to_midi``) and the ``abcparse midi`` / ``abcparse play`` commands.

Files are read back with mido, the way any other program would see them; the commands run
in a real subprocess.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import wave
from fractions import Fraction
from pathlib import Path

import mido
import pytest

import abcparse
from abcparse.errors import AbcIOError, AbcUsageError
from abcparse.events import perform
from abcparse.midi import TICKS_PER_BEAT, midi_bytes

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))
VOICES = SHARED / "debian-examples" / "abcm2ps" / "voices.abc"  # X:5 is a SATB score


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "abcparse.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def notes_of(track: mido.MidiTrack) -> list[tuple[int, int, int]]:
    """(onset tick, pitch, length in ticks) of every note of a track; fails on a note-off
    without its note-on and on a note left sounding."""
    now = 0
    on: dict[tuple[int, int], int] = {}
    out = []
    for msg in track:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            assert (msg.channel, msg.note) not in on, f"{msg.note} started twice at {now}"
            on[(msg.channel, msg.note)] = now
        elif msg.type in ("note_on", "note_off"):
            start = on.pop((msg.channel, msg.note))
            out.append((start, msg.note, now - start))
    assert not on, f"notes never stopped: {on}"
    return sorted(out)


def meta(track: mido.MidiTrack, kind: str) -> list[tuple[int, mido.MetaMessage]]:
    now = 0
    found = []
    for msg in track:
        now += msg.time
        if msg.type == kind:
            found.append((now, msg))
    return found


DUET = (FIXTURES / "duet.abc").read_text(encoding="utf-8")


def test_to_midi_writes_a_type_1_file_with_a_track_per_voice(tmp_path: Path) -> None:
    tune = abcparse.parse(DUET).tunes[0]
    out = tmp_path / "duet.mid"
    performance = abcparse.to_midi(tune, out)
    midi = mido.MidiFile(out)
    assert midi.type == 1
    assert midi.ticks_per_beat == TICKS_PER_BEAT
    assert len(midi.tracks) == 3  # conductor + soprano + bass
    conductor, soprano, bass = midi.tracks
    assert soprano.name == "Soprano" and bass.name == "Bass"
    assert [(t, m.tempo) for t, m in meta(conductor, "set_tempo")] == [(0, 666_667)]  # Q:1/4=90
    ts = meta(conductor, "time_signature")
    assert [(t, m.numerator, m.denominator) for t, m in ts] == [(0, 2, 4)]
    assert [(t, m.key) for t, m in meta(conductor, "key_signature")] == [(0, "F")]
    assert conductor.name == "Duet"
    programs = [m.program for m in soprano if m.type == "program_change"]
    assert programs == [73]
    q = TICKS_PER_BEAT
    assert notes_of(soprano) == [(0, 72, q), (q, 69, q), (2 * q, 65, 2 * q)]
    assert notes_of(bass) == [(0, 53, q), (q, 48, q), (2 * q, 41, 2 * q)]
    assert {m.channel for m in soprano if m.type == "note_on"} == {0}
    assert {m.channel for m in bass if m.type == "note_on"} == {1}
    assert midi.length == pytest.approx(performance.end_seconds) == pytest.approx(8 / 3)


def test_meta_events_follow_inline_changes(tmp_path: Path) -> None:
    tune = abcparse.parse(
        "X:1\nT:changes\nM:4/4\nL:1/4\nQ:1/4=120\nK:Em\n"
        "E F G A | [K:ADor][M:3/4][Q:1/4=60] A B c |]\n"
    ).tunes[0]
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    conductor = midi.tracks[0]
    q = TICKS_PER_BEAT
    assert [(t, m.key) for t, m in meta(conductor, "key_signature")] == [(0, "Em"), (4 * q, "G")]
    sigs = [(t, m.numerator, m.denominator) for t, m in meta(conductor, "time_signature")]
    assert sigs == [(0, 4, 4), (4 * q, 3, 4)]
    tempos = [(t, m.tempo) for t, m in meta(conductor, "set_tempo")]
    assert tempos == [(0, 500_000), (4 * q, 1_000_000)]
    assert midi.length == pytest.approx(2.0 + 3.0)


@pytest.mark.parametrize("body", [
    "[V:S] ABc def|]\n[V:A] FGA dcB|]\n",  # voices named only inline
    "P:A\nV:S\nABc def|]\nV:A\nFGA dcB|]\n",  # a part label before the first V:
    "%%MIDI channel 10\n[V:S] ABc def|]\n[V:A] FGA dcB|]\n",  # "the first voice's"
])
def test_no_silent_voice_before_the_first_named_one(body: str) -> None:
    """What stands before the first V: or [V:] and is not music (nothing, a part label)
    makes no voice: the tune has the voices it names (§7). A silent first track used to
    take channel 0, and the meter and key of the file (the conductor track copies the
    first voice's), and a %%MIDI channel meant for the first voice."""
    tune = abcparse.parse("X:1\nT:t\nM:6/8\nL:1/8\nK:D\n" + body).tunes[0]
    assert [v.id for v in tune.voices] == ["S", "A"]
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    conductor, first, second = midi.tracks
    assert [(m.numerator, m.denominator) for _, m in meta(conductor, "time_signature")] == [
        (6, 8)]
    assert [m.key for _, m in meta(conductor, "key_signature")] == ["D"]
    drums = body.startswith("%%MIDI channel 10")
    assert {m.channel for m in first if m.type == "note_on"} == {9 if drums else 0}
    assert notes_of(first)[0][1] == 69 and notes_of(second)[0][1] == 66


def test_midi_directives_after_a_header_voice_are_that_voices() -> None:
    """§7.1 declares voices in the header with their properties: a %%MIDI program or
    channel after a header V: is that voice's, as abc2midi reads it (every voice used to
    take the last one); before any V: it is every voice's."""
    tune = abcparse.parse(
        "X:1\nM:4/4\nL:1/4\n%%MIDI program 20\nV:1\n%%MIDI program 73\n%%MIDI channel 3\n"
        "V:2\nI:MIDI program 41\nV:3\nK:G\n"
        "[V:1] GABc|]\n[V:2] DEFG|]\n[V:3] G,A,B,C|]\n"
    ).tunes[0]
    tracks = mido.MidiFile(file=io.BytesIO(midi_bytes(tune))).tracks[1:]
    assert [[m.program for m in t if m.type == "program_change"][-1] for t in tracks] == [
        73, 41, 20]
    channels = [{m.channel for m in t if m.type == "note_on"} for t in tracks]
    assert channels[0] == {2} and channels[1] != {2} and channels[2] != {2}


@pytest.mark.parametrize(("meter", "clocks"), [
    ("4/4", 24), ("3/4", 24), ("C", 24), ("C|", 48), ("2/2", 48), ("3/8", 12),
    ("6/8", 36), ("9/8", 36), ("12/8", 36), ("6/4", 72),
])
def test_time_signature_clicks_once_a_beat(meter: str, clocks: int) -> None:
    """The metronome click of a time signature is the beat the stresses count: a dotted
    quarter in 6/8 (36 MIDI clocks, the SMF specification's own example), a half note
    in cut time; it used to be a quarter note (24) for every meter."""
    tune = abcparse.parse(f"X:1\nM:{meter}\nL:1/8\nK:C\nCDEF|\n").tunes[0]
    conductor = mido.MidiFile(file=io.BytesIO(midi_bytes(tune))).tracks[0]
    assert [m.clocks_per_click for _, m in meta(conductor, "time_signature")] == [clocks]


def test_repeated_and_unison_notes_never_hang(tmp_path: Path) -> None:
    tune = abcparse.parse("X:1\nL:1/4\nK:C\nC C [CC] [C2E] C |]\n").tunes[0]
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    played = notes_of(midi.tracks[1])  # asserts every note-on is matched
    assert [t for t, _, _ in played][:2] == [0, TICKS_PER_BEAT]


def test_voices_sharing_a_channel_pair_their_notes_in_their_own_tracks() -> None:
    """Two voices on one channel: a restarted key is released in the track that struck
    it, so each track read alone pairs its ons and offs (the release used to land in
    whichever voice's track ended the key: stuck notes and stray note-offs)."""
    tune = abcparse.parse(
        "X:1\nM:4/4\nL:1/4\nK:C\nV:1\n%%MIDI channel 1\nC4|E2 G2|]\n"
        "V:2\n%%MIDI channel 1\nC2 D2|E4|]\n"
    ).tunes[0]
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    first, second = (notes_of(t) for t in midi.tracks[1:])  # each asserts its pairing
    assert [p for _, p, _ in first] == [60, 64, 67]
    assert [p for _, p, _ in second] == [60, 62, 64]


def test_grace_notes_are_played_by_default_and_can_be_left_out() -> None:
    tune = abcparse.parse("X:1\nL:1/4\nK:C\n{g}C D |]\n").tunes[0]
    with_graces = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    without = mido.MidiFile(file=io.BytesIO(midi_bytes(tune, grace="ignore")))
    assert [p for _, p, _ in notes_of(with_graces.tracks[1])] == [79, 60, 62]
    assert [p for _, p, _ in notes_of(without.tracks[1])] == [60, 62]


def test_to_midi_into_a_missing_folder_is_an_io_error(tmp_path: Path) -> None:
    # Atomicity itself is tested once, for every writer, in tests/format/test_fileio.py.
    tune = abcparse.parse("X:1\nK:C\nCDE|\n").tunes[0]
    with pytest.raises(AbcIOError, match="does not exist"):
        abcparse.to_midi(tune, tmp_path / "nope" / "x.mid")
    assert list(tmp_path.iterdir()) == []


# --- abcparse midi --------------------------------------------------------------------------


@pytest.mark.skipif(not VOICES.is_file(), reason=f"Debian examples not found at {VOICES}")
def test_cli_midi_on_a_multi_voice_debian_example(tmp_path: Path) -> None:
    out = tmp_path / "satb.mid"
    done = run_cli("midi", str(VOICES), "--tune", "5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert f"X:5 -> {out}" in done.stdout
    tune = next(t for t in abcparse.parse_file(VOICES).tunes if t.reference == 5)
    midi = mido.MidiFile(out)
    assert len(tune.voices) == 4
    assert len(midi.tracks) == 1 + len(tune.voices)
    assert [t.name for t in midi.tracks[1:]] == [v.name or f"V:{v.id}" for v in tune.voices]
    for track in midi.tracks[1:]:
        assert notes_of(track)  # every voice has notes, none left hanging
    assert midi.length == pytest.approx(perform(tune).end_seconds, rel=1e-3)


def test_cli_midi_one_file_per_tune_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    done = run_cli("midi", str(FIXTURES / "book.abc"), "-o", str(folder) + "/")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["book-1.mid", "book-2-2.mid", "book-2.mid"]
    # The repeated X:2 keeps file order: the first setting is book-2.mid.
    second = mido.MidiFile(folder / "book-2.mid")
    assert [m.numerator for m in second.tracks[0] if m.type == "time_signature"] == [6]


def test_cli_midi_pattern_and_tune_choice(tmp_path: Path) -> None:
    done = run_cli("midi", str(FIXTURES / "book.abc"), "-o", str(tmp_path / "{X}_{title}.mid"))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "1_First_Tune.mid", "2_Second_Tune.mid", "2_Second_Tune_another_setting.mid",
    ]
    single = tmp_path / "one.mid"
    done = run_cli("midi", str(FIXTURES / "book.abc"), "--tune", "1", "-o", str(single))
    assert done.returncode == 0, done.stderr
    first = mido.MidiFile(single)
    assert len(notes_of(first.tracks[1])) == 2 * 9  # |: 9 notes :| played twice


def test_cli_midi_reads_standard_input(tmp_path: Path) -> None:
    """``abcparse generate | abcparse midi - -o out/``: stdin is read like a file; with no
    file name to put the output next to, -o is required."""
    book = (FIXTURES / "book.abc").read_bytes()
    folder = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "abcparse.cli.main", "midi", "-", "-o", str(folder) + "/"],
        input=book, capture_output=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "stdin-1.mid", "stdin-2-2.mid", "stdin-2.mid",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "abcparse.cli.main", "midi", "-"],
        input=book, capture_output=True, timeout=300, check=False,
    )
    assert done.returncode == 2 and b"-o" in done.stderr and b"Traceback" not in done.stderr


def test_cli_midi_refuses_one_file_for_several_tunes(tmp_path: Path) -> None:
    done = run_cli("midi", str(FIXTURES / "book.abc"), "-o", str(tmp_path / "all.mid"))
    assert done.returncode == 2
    assert "holds 3 tunes" in done.stderr and "--tune" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_midi_usage_and_io_errors(tmp_path: Path) -> None:
    done = run_cli("midi", str(tmp_path / "missing.abc"))
    assert done.returncode == 2 and "no such file" in done.stderr
    done = run_cli("midi", str(FIXTURES / "book.abc"), "--tune", "9", "-o", str(tmp_path / "x.mid"))
    assert done.returncode == 2 and "no tune X:9" in done.stderr
    done = run_cli("midi", str(FIXTURES / "duet.abc"), "-o", str(tmp_path / "no" / "x.mid"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    for d in (done,):
        assert "Traceback" not in d.stderr


def test_cli_midi_reports_errors_with_position_and_still_writes(tmp_path: Path) -> None:
    out = tmp_path / "broken.mid"
    done = run_cli("midi", str(FIXTURES / "broken.abc"), "-o", str(out))
    assert done.returncode == 1
    assert f"{FIXTURES / 'broken.abc'}:6:5: ABC101" in done.stderr
    # Loose reading skips only the unreadable character: every written note is played.
    assert [p for _, p, _ in notes_of(mido.MidiFile(out).tracks[1])] == [60, 62, 64, 65]



def test_cli_midi_grades_findings_as_abc_lint_does(tmp_path: Path) -> None:
    # ["Coda" (ABC111) and an unreadable P: (ABC225) are warnings in loose reading: the
    # file converts with exit 0, as abc-lint passes it with warnings only. Declared 2.1,
    # the same findings are errors in both commands.
    body = 'X:1\nT:t\nP:"AAB"\nM:3/4\nL:1/8\nK:D\n|: A dc | d2 z :|["Coda" zag | d6 |]\n'
    loose = tmp_path / "loose.abc"
    loose.write_text(body)
    done = run_cli("midi", str(loose), "-o", str(tmp_path / "loose.mid"))
    assert done.returncode == 0, done.stderr
    assert "ABC111" not in done.stderr and (tmp_path / "loose.mid").exists()
    strict = tmp_path / "strict.abc"
    strict.write_text("%abc-2.1\n" + body)
    done = run_cli("midi", str(strict), "-o", str(tmp_path / "strict.mid"))
    assert done.returncode == 1
    assert f"{strict}:8:18: ABC111" in done.stderr and f"{strict}:4:3: ABC225" in done.stderr

# --- abcparse play --------------------------------------------------------------------------

HAS_SYNTH = shutil.which("timidity") is not None


@pytest.mark.peer
@pytest.mark.skipif(not HAS_SYNTH, reason="timidity is not installed")
def test_cli_play_writes_a_wav_as_long_as_the_tune(tmp_path: Path) -> None:
    source = VOICES if VOICES.is_file() else FIXTURES / "book.abc"
    number = "5" if VOICES.is_file() else "1"
    out = tmp_path / "tune.wav"
    done = run_cli("play", str(source), "--tune", number, "-o", str(out), "--synth", "timidity")
    assert done.returncode == 0, done.stderr
    tune = next(t for t in abcparse.parse_file(source).tunes if str(t.reference) == number)
    expected = perform(tune, grace="steal").end_seconds
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getsampwidth() == 2
    assert seconds == pytest.approx(expected, rel=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tune.wav"]  # no temporary left


LONG_TUNE = "X:1\nT:Long\nM:4/4\nL:1/8\nQ:1/4=120\nK:C\n" + "CDEF GABc|CDEF GABc|\n" * 400


@pytest.mark.peer
@pytest.mark.skipif(not HAS_SYNTH, reason="timidity is not installed")
def test_cli_play_refuses_a_tune_longer_than_max_minutes(tmp_path: Path) -> None:
    """800 bars at 120 a quarter last 26.7 minutes: over --max-minutes 10, not rendered."""
    source = tmp_path / "long.abc"
    source.write_text(LONG_TUNE, encoding="utf-8")
    done = run_cli("play", str(source), "-o", str(tmp_path / "out") + "/",
                   "--synth", "timidity", "--max-minutes", "10")
    assert done.returncode == 1, done.stderr
    assert "would play for 27 minutes, more than --max-minutes 10" in done.stderr
    assert not list((tmp_path / "out").iterdir())


@pytest.mark.peer
@pytest.mark.skipif(not HAS_SYNTH, reason="timidity is not installed")
def test_cli_play_stopped_by_sigterm_leaves_no_file(tmp_path: Path) -> None:
    """SIGTERM in the middle of rendering: exit 143, the synthesizer stopped, and neither
    the WAV nor the temporary MIDI and WAV files are left behind."""
    source = tmp_path / "long.abc"
    source.write_text(LONG_TUNE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "abcparse.cli.main", "play", str(source), "-o",
         str(out / "long.wav"), "--synth", "timidity"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.suffix == ".wav" for p in out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the synthesizer's temporary WAV exists
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_cli_play_without_a_synthesizer_says_what_to_install(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    out = tmp_path / "x.wav"
    done = run_cli("play", str(FIXTURES / "duet.abc"), "-o", str(out), env=env)
    assert done.returncode == 2
    assert "timidity" in done.stderr and "fluidsynth" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_midi_ticks_are_exact_for_tuplets() -> None:
    tune = abcparse.parse("X:1\nL:1/8\nK:C\n(3CDE (5CDEFG |]\n").tunes[0]
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(tune)))
    onsets = [t for t, _, _ in notes_of(midi.tracks[1])]
    q = TICKS_PER_BEAT
    expected = [Fraction(i, 3) for i in range(3)] + [1 + Fraction(i, 5) for i in range(5)]
    assert onsets == [round(e * q) for e in expected]
    assert all(float(e * q).is_integer() for e in expected)  # 960 divides 3 and 5


FAKE_FLUIDSYNTH = """#!{python}
# Stands in for fluidsynth: writes 5 s of a loud tone where -F says, like a synthesizer
# that keeps ringing long after the music.
import math, struct, sys, wave
args = sys.argv[1:]
out = args[args.index("-F") + 1]
assert args[-2].endswith(".sf2") and args[-1].endswith(".mid"), args
rate = 8000
with wave.open(out, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(b"".join(
        struct.pack("<h", int(12000 * math.sin(i / 5))) for i in range(5 * rate)))
"""


def test_cli_play_through_fluidsynth_cuts_the_ringing_tail(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "fluidsynth"
    fake.write_text(FAKE_FLUIDSYNTH.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    font = tmp_path / "gm.sf2"
    font.write_bytes(b"RIFF")
    out = tmp_path / "duet.wav"
    env = dict(os.environ, PATH=str(bin_dir))
    done = run_cli("play", str(FIXTURES / "duet.abc"), "-o", str(out),
                   "--soundfont", str(font), env=env)
    assert done.returncode == 0, done.stderr
    assert "[fluidsynth]" in done.stdout
    music = perform(abcparse.parse(DUET).tunes[0]).end_seconds  # 8/3 s at Q:1/4=90
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
        w.setpos(w.getnframes() - 1)
        last = int.from_bytes(w.readframes(1), "little", signed=True)
    assert seconds == pytest.approx(music + 0.5, abs=0.01)  # the tail is capped
    assert abs(last) < 1000  # faded out, no click


def test_find_synth_needs_a_soundfont_for_fluidsynth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from abcparse.cli import midi as cli_midi

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "fluidsynth"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("ABCPARSE_SOUNDFONT", raising=False)
    monkeypatch.setattr(cli_midi, "SOUNDFONTS", ())
    with pytest.raises(AbcUsageError, match="SoundFont"):
        cli_midi.find_synth("fluidsynth")
    with pytest.raises(AbcUsageError, match="timidity"):
        cli_midi.find_synth("auto")  # fluidsynth without a font, no timidity
    font = tmp_path / "gm.sf2"
    font.write_bytes(b"RIFF")
    monkeypatch.setenv("ABCPARSE_SOUNDFONT", str(font))
    name, cmd = cli_midi.find_synth("auto")
    assert name == "fluidsynth" and str(font) in cmd and "{out}" in cmd and "{in}" in cmd
    with pytest.raises(AbcUsageError, match="timidity is not installed"):
        cli_midi.find_synth("timidity")
