"""MIDI export writes text in any script and refuses, with one clear error, what a MIDI
file cannot hold (issue 12 item 5, issue 15).

``abcparse.midi`` is tested here against hand-made :class:`Performance` objects as well as
parsed tunes: it must be robust to whatever performance it is given, not only to what
:mod:`abcparse.events` produces today.
"""

from __future__ import annotations

import io
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mido
import pytest

import abcparse
from abcparse import midi
from abcparse.errors import AbcLimitError, AbcUsageError
from abcparse.events import (
    KeyChange,
    MeterChange,
    NoteEvent,
    Performance,
    TempoChange,
    Track,
    perform,
    signature_beat,
)
from abcparse.midi import MAX_TEXT_BYTES, MAX_TICKS, MAX_TRACKS, TICKS_PER_BEAT, midi_bytes

ROOT = Path(__file__).resolve().parents[2]


def note(
    onset: Fraction = Fraction(0), duration: Fraction = Fraction(1), **kw: object
) -> NoteEvent:
    values: dict[str, object] = {
        "pitch": 60, "onset": onset, "duration": duration, "onset_seconds": 0.0,
        "duration_seconds": 0.5, "velocity": 90, "voice": "1", "channel": 0,
    }
    values.update(kw)
    return NoteEvent(**values)  # type: ignore[arg-type]


def performance(
    notes: tuple[NoteEvent, ...] = (), *, tracks: tuple[Track, ...] | None = None,
    end: Fraction = Fraction(4), title: str | None = "t",
    tempos: tuple[TempoChange, ...] = (),
) -> Performance:
    return Performance(
        notes=notes or (note(),),
        tracks=tracks if tracks is not None else (Track("1", None, 0),),
        tempos=tempos,
        meters=(MeterChange(Fraction(0), 4, 4),),
        keys=(KeyChange(Fraction(0), 0, False),),
        end=end,
        end_seconds=2.0,
        title=title,
    )


def read(data: bytes) -> mido.MidiFile:
    return mido.MidiFile(file=io.BytesIO(data), charset="utf-8")


def tune(title: str, body: str = "CDEF|]") -> abcparse.Tune:
    return abcparse.parse(f"X:1\nT:{title}\nM:4/4\nL:1/4\nK:C\n{body}\n").tunes[0]


# --- text in any script ------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Tune … ♫", "さくら さくら", "Чёрный ворон", "Café"])
def test_titles_in_any_script_are_written_as_utf8(tmp_path: Path, title: str) -> None:
    out = tmp_path / "t.mid"
    abcparse.to_midi(tune(title), out)
    data = out.read_bytes()
    assert title.encode("utf-8") in data
    names = [m.name for m in read(data).tracks[0] if m.type == "track_name"]
    assert names == [title]


def test_voice_names_in_any_script() -> None:
    t = abcparse.parse(
        'X:1\nT:v\nM:4/4\nL:1/4\nV:1 name="ヴァイオリン"\nK:C\nV:1\nCDEF|]\n'
    ).tunes[0]
    names = [m.name for tr in read(midi_bytes(t)).tracks for m in tr if m.type == "track_name"]
    assert "ヴァイオリン" in names


def test_undecodable_bytes_in_a_title_become_question_marks() -> None:
    book = abcparse.api.parse_bytes(b"X:1\nT:Caf\xe9\nM:4/4\nL:1/4\nK:C\nCDEF|]\n")
    data = midi_bytes(book.tunes[0])
    assert b"Caf?" in data


def test_long_text_is_cut_at_a_character_boundary() -> None:
    data = midi_bytes(performance(title="♫" * 5000))
    name = next(m.name for m in read(data).tracks[0] if m.type == "track_name")
    assert 0 < len(name.encode()) <= MAX_TEXT_BYTES
    assert set(name) == {"♫"}


# --- the bytes stay what mido wrote --------------------------------------------------------


def _mido_reference(p: Performance, tpb: int = TICKS_PER_BEAT) -> bytes:
    """The file as mido's writer builds it (the implementation before issue 15), for ASCII
    text: the hand encoder must give the same bytes."""
    f = mido.MidiFile(type=1, ticks_per_beat=tpb)

    def track(events: list[tuple[int, mido.Message]], end: int) -> mido.MidiTrack:
        tr = mido.MidiTrack()
        now = 0
        for tick, msg in sorted(events, key=lambda e: e[0]):
            tr.append(msg.copy(time=tick - now))
            now = tick
        tr.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
        return tr

    end = round(p.end * tpb)
    majors = {0: "C", 1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#", -1: "F",
              -2: "Bb", -3: "Eb", -4: "Ab", -5: "Db", -6: "Gb", -7: "Cb"}
    minors = {0: "Am", 1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m",
              -1: "Dm", -2: "Gm", -3: "Cm", -4: "Fm", -5: "Bbm", -6: "Ebm", -7: "Abm"}
    conductor: list[tuple[int, mido.Message]] = []
    if p.title:
        conductor.append((0, mido.MetaMessage("track_name", name=p.title)))
    for m in p.meters:
        if m.denominator & (m.denominator - 1) == 0 and 0 < m.numerator < 256:
            conductor.append((round(m.beat * tpb), mido.MetaMessage(
                "time_signature", numerator=m.numerator, denominator=m.denominator,
                clocks_per_click=round(signature_beat(m.numerator, m.denominator) * 96),
                notated_32nd_notes_per_beat=8)))
    for k in p.keys:
        name = (minors if k.minor else majors)[k.fifths]
        conductor.append((round(k.beat * tpb), mido.MetaMessage("key_signature", key=name)))
    for c in p.tempos:
        conductor.append((round(c.beat * tpb), mido.MetaMessage(
            "set_tempo", tempo=max(1, min(0xFFFFFF, round(60_000_000 / c.qpm))))))
    f.tracks.append(track(conductor, end))
    raw = []
    for n in p.notes:
        on = round(n.onset * tpb)
        off = max(on + 1, round(n.end * tpb))
        raw.append((on, 1, n.channel, n.pitch, n.velocity, n.voice))
        raw.append((off, 0, n.channel, n.pitch, 0, n.voice))
    raw.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    sounding: dict[tuple[int, int], int] = {}
    holder: dict[tuple[int, int], str] = {}  # the voice whose note-on holds the key
    by_voice: dict[str, list[tuple[int, mido.Message]]] = {t.voice: [] for t in p.tracks}
    for tick, is_on, ch, pitch, vel, voice in raw:
        count = sounding.get((ch, pitch), 0)
        out = by_voice.setdefault(voice, [])
        if is_on:
            if count:
                by_voice[holder[(ch, pitch)]].append(
                    (tick, mido.Message("note_off", channel=ch, note=pitch)))
            out.append((tick, mido.Message("note_on", channel=ch, note=pitch, velocity=vel)))
            sounding[(ch, pitch)] = count + 1
            holder[(ch, pitch)] = voice
        elif count:
            sounding[(ch, pitch)] = count - 1
            if count == 1:
                by_voice[holder.pop((ch, pitch))].append(
                    (tick, mido.Message("note_off", channel=ch, note=pitch)))
    for t in p.tracks:
        msgs: list[tuple[int, mido.Message]] = [
            (0, mido.MetaMessage("track_name", name=t.name or f"V:{t.voice}"))
        ]
        if t.program is not None:
            msgs.append((0, mido.Message("program_change", channel=t.channel, program=t.program)))
        msgs.extend(by_voice.get(t.voice, ()))
        f.tracks.append(track(msgs, end))
    buf = io.BytesIO()
    f.save(file=buf)
    return buf.getvalue()


def test_ascii_files_are_byte_for_byte_what_mido_wrote() -> None:
    book = abcparse.parse_file(ROOT / "corpus" / "irish.abc")
    checked = 0
    for t in book.tunes[:60]:
        for grace in ("steal", "ignore"):
            p = perform(t, grace=grace)
            if not all(s.isascii() for s in [p.title or "", *(x.name or "" for x in p.tracks)]):
                continue
            assert midi_bytes(p) == _mido_reference(p), t.title
            checked += 1
    assert checked > 100


def test_unisons_and_overlays_share_a_key_as_before() -> None:
    t = abcparse.parse("X:1\nT:u\nM:4/4\nL:1/4\nK:C\n[CC]2 C2 & C4|]\n").tunes[0]
    p = perform(t)
    assert midi_bytes(p) == _mido_reference(p)


# --- sizes a MIDI file cannot hold ---------------------------------------------------------


def test_too_many_tracks_is_a_limit_error() -> None:
    tracks = tuple(Track(str(i), None, 0) for i in range(MAX_TRACKS))
    with pytest.raises(AbcLimitError, match="voices and overlays"):
        midi_bytes(performance(tracks=tracks))
    # One fewer fits (the conductor track is the other one).
    data = midi_bytes(performance(tracks=tracks[:-1]))
    assert int.from_bytes(data[10:12], "big") == MAX_TRACKS


@pytest.mark.parametrize(
    "end",
    [Fraction(MAX_TICKS, TICKS_PER_BEAT) + 1, Fraction(10**40), Fraction(3**20000, 2**20000)],
)
def test_a_tune_too_long_for_midi_is_a_limit_error(end: Fraction) -> None:
    with pytest.raises(AbcLimitError, match="quarter notes a MIDI file can hold") as info:
        midi_bytes(performance(end=end))
    assert len(str(info.value)) < 200


def test_a_note_beyond_the_limit_names_its_place() -> None:
    span = abcparse.Span(7, 3, 7, 4, 50, 51)
    late = note(onset=Fraction(MAX_TICKS), span=span)
    with pytest.raises(AbcLimitError, match=r"line 7, column 3"):
        midi_bytes(performance((late,)))


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"pitch": 128}, "pitch"),
        ({"pitch": -1}, "pitch"),
        ({"channel": 16}, "channel"),
        ({"velocity": 300}, "velocity"),
        ({"onset": Fraction(-1)}, "before the start"),
    ],
)
def test_notes_midi_cannot_hold_are_limit_errors(kw: dict[str, object], what: str) -> None:
    with pytest.raises(AbcLimitError, match=what):
        midi_bytes(performance((note(**kw),)))  # type: ignore[arg-type]


def test_event_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(midi, "MAX_EVENTS", 10)
    notes = tuple(note(onset=Fraction(i)) for i in range(10))
    with pytest.raises(AbcLimitError, match="MIDI events"):
        midi_bytes(performance(notes, end=Fraction(10)))


@pytest.mark.parametrize("qpm", [0.0, -5.0, float("nan"), float("inf"), 1e-320])
def test_odd_tempos_are_written_or_skipped_never_raise(qpm: float) -> None:
    data = midi_bytes(performance(tempos=(TempoChange(Fraction(0), qpm, 0.0),)))
    tempos = [m.tempo for m in read(data).tracks[0] if m.type == "set_tempo"]
    assert all(1 <= t <= 0xFFFFFF for t in tempos)


@pytest.mark.parametrize("tpb", [0, -1, 0x8000, True])
def test_ticks_per_beat_is_checked(tpb: int) -> None:
    with pytest.raises(AbcUsageError):
        midi_bytes(performance(), ticks_per_beat=tpb)


def test_limit_errors_are_abc_errors_and_value_errors() -> None:
    assert issubclass(AbcLimitError, abcparse.AbcError)
    assert issubclass(AbcLimitError, ValueError)


# --- the command ---------------------------------------------------------------------------


def test_midi_command_skips_a_tune_too_long_and_writes_the_others(tmp_path: Path) -> None:
    src = tmp_path / "book.abc"
    src.write_text(
        "X:1\nT:Too long\nM:4/4\nL:1/1\nK:C\nC99999|\n\n"
        "X:2\nT:Fine ♫\nM:4/4\nL:1/4\nK:C\nCDEF|]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "abcparse", "midi", str(src), "-o", f"{out}/"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert f"{src}:1:1: X:1 not written:" in run.stderr
    assert "MIDI file can hold" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["book-2.mid"]


def test_midi_command_huge_reference_number(tmp_path: Path) -> None:
    src = tmp_path / "big.abc"
    src.write_text("X:" + "9" * 5000 + "\nT:t\nM:4/4\nL:1/4\nK:C\nCDEF|]\n")
    run = subprocess.run(
        [sys.executable, "-m", "abcparse", "midi", str(src), "-o", str(tmp_path / "o.mid")],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    assert (tmp_path / "o.mid").exists()


@pytest.mark.parametrize("value", ["9" * 5000, "-1", "²", "x"])
def test_midi_command_tune_option_is_checked(tmp_path: Path, value: str) -> None:
    src = tmp_path / "t.abc"
    src.write_text("X:1\nT:t\nM:4/4\nL:1/4\nK:C\nCDEF|]\n")
    run = subprocess.run(
        [sys.executable, "-m", "abcparse", "midi", str(src), "--tune", value],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert len(run.stderr) < 600


def test_absurd_values_in_a_hand_made_performance_are_limit_errors_or_skipped() -> None:
    with pytest.raises(AbcLimitError, match="thousands of digits"):
        midi_bytes(performance((note(pitch=10**5000),)))
    p = performance()
    odd = Performance(
        notes=p.notes, tracks=(Track(7, 12345, 0),),  # type: ignore[arg-type]
        tempos=(TempoChange(Fraction(0), "fast", 0.0),),  # type: ignore[arg-type]
        meters=(MeterChange(Fraction(0), 4, 2**300),),
        keys=(KeyChange(Fraction(0), float("nan"), False),),  # type: ignore[arg-type]
        end=p.end, end_seconds=p.end_seconds, title=99,  # type: ignore[arg-type]
    )
    assert read(midi_bytes(odd)).tracks[1][0].name == "12345"
