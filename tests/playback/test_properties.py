"""Properties of playback on any tune body, however broken: it never raises, every note
is a real MIDI note that starts at or after 0 and lasts, notes come in time order, seconds
grow with beats, and the MIDI file reads back with every note stopped."""

from __future__ import annotations

import io

import mido
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.events import perform
from abcparse.midi import midi_bytes

TOKENS = [
    *"ABCDEFGabcdefgzxZX", "^", "_", "=", ",", "'", "/", "2", "3", "4", " ", "|", "||", "|]",
    "|:", ":|", "::", "|1", ":|2", "[1", "[2", "[1,3", "[", "]", "{", "}", "(", ")", "-",
    ">", "<", "(3", "(3:2:2", "(5", ".", "~", "H", "T", "!fermata!", "!trill!", "&",
    "[K:D]", "[K:Am]", "[K:bass]", "[M:3/4]", "[L:1/16]", "[Q:1/4=90]", "[P:A]", "[P:B]",
    "\nP:A\n", "\nP:B\n", "\nV:2\n", "\nV:1\n", "\nK:F\n", '"Am"', "\n",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    meter=st.sampled_from(["4/4", "6/8", "C|", "3/4", "none"]),
    parts=st.sampled_from(["", "P:AB\n", "P:(AB)2A\n"]),
    grace=st.sampled_from(["ignore", "steal"]),
    unroll=st.booleans(),
)
def test_playback_never_fails(body: str, meter: str, parts: str, grace: str, unroll: bool) -> None:
    text = f"X:1\nT:p\nM:{meter}\nL:1/8\n{parts}K:G\n{body}\n"
    tune = abcparse.parse(text).tunes[0]
    p = perform(tune, grace=grace, unroll_repeats=unroll)
    onsets = [n.onset for n in p.notes]
    assert onsets == sorted(onsets)
    for n in p.notes:
        assert 0 <= n.pitch <= 127
        assert n.onset >= 0 and n.duration > 0
        assert n.end <= p.end
        assert n.duration_seconds > 0 and n.onset_seconds >= 0
    last = max((n.onset_seconds + n.duration_seconds for n in p.notes), default=0)
    assert p.end_seconds >= last - 1e-9
    # Merged in time, the tracks never start a key that sounds or stop one that does not.
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(p)))
    sounding: set[tuple[int, int]] = set()
    for msg in mido.merge_tracks(midi.tracks[1:]):
        key = (getattr(msg, "channel", -1), getattr(msg, "note", -1))
        if msg.type == "note_on" and msg.velocity:
            assert key not in sounding
            sounding.add(key)
        elif msg.type in ("note_on", "note_off"):
            assert key in sounding
            sounding.discard(key)
    assert not sounding


FORM_TOKENS = [t for t in TOKENS if "P:" not in t and "V:" not in t] + [
    "|2", "[3", "|1,2", ":|]", ":||", "|::", "::|", "[|", "\n||", "\n|:", "\n:|", "|1|",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(st.sampled_from(FORM_TOKENS), max_size=40).map("".join))
def test_every_written_note_is_played(body: str) -> None:
    """Issue 12: loose reading loses no notes. However the repeats, endings and bar lines
    are written (no ``P:`` order, which may leave a part out on purpose), every segment of
    music is in the played order at least once: an ending that no pass of its repeat can
    select is played as written rather than skipped (``|: |2 B :|2 C``, ``[1|[1 B||``)."""
    from abcparse.music import played_order, timeline

    tune = abcparse.parse(f"X:1\nT:p\nM:4/4\nL:1/8\nK:G\n{body}\n").tunes[0]
    for vt in timeline(tune).voices:
        played = set(played_order(vt.segments, None))
        for k, seg in enumerate(vt.segments):
            if seg.first_item < seg.end_item:
                assert k in played, (k, body)
