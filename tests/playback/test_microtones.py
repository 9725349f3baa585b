"""Microtonal accidentals (``^/c``, ``_/e``, ``^3/4c``): an extension of abcm2ps, abc2midi
and abcjs that ABC 2.1 does not have (§4.2). abcparse reads them as both players play
them: n/d of a semitone from the natural note, replacing the key signature, held for the
bar like an accidental and carried by a tie; ABC114 reports them, and MIDI export bends
the note. They used to be a stray character (ABC101, an error) before a plain note."""

from __future__ import annotations

import io
import tempfile
from fractions import Fraction

import mido
import pytest

import abcparse
from abcparse.events import perform
from abcparse.midi import midi_bytes

from . import abcjs_peer, peer

HEAD = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"


def sounds(body: str, head: str = HEAD) -> list[Fraction]:
    """The sounding pitch of each note, in semitones, cents included."""
    tune = abcparse.parse(head + body + "\n").tunes[0]
    return [n.pitch + Fraction(n.cents, 100) for n in perform(tune).notes]


def test_a_microtone_is_a_fraction_of_a_semitone_from_the_natural_note() -> None:
    assert sounds("_/e ^/c ^3/4c _3/2e ^4/c") == [
        Fraction(151, 2), Fraction(145, 2), Fraction(291, 4), Fraction(149, 2), 74]


def test_a_microtone_holds_for_the_bar_and_replaces_the_key_signature() -> None:
    # K:Bb flattens e and B; _/e is a quarter tone below E natural, and the next e keeps
    # it until =e or the bar line (both players play it so).
    assert sounds("_/e e B ^/B =e e | e", "X:1\nT:t\nL:1/8\nK:Bb\n") == [
        Fraction(151, 2), Fraction(151, 2), 70, Fraction(143, 2), 76, 76, 75]


def test_a_tie_carries_a_microtone_and_a_chord_holds_several() -> None:
    tune = abcparse.parse(HEAD + "_/e4- e4|[_/e^/c]8|\n").tunes[0]
    notes = perform(tune).notes
    assert [(n.pitch, n.cents, n.duration) for n in notes] == [
        (75, 50, 4), (72, 50, 4), (75, 50, 4)]


def test_midi_export_bends_the_note_and_releases_the_bend() -> None:
    tune = abcparse.parse(HEAD + "c _/e e =e|\n").tunes[0]
    track = mido.MidiFile(file=io.BytesIO(midi_bytes(tune))).tracks[1]
    heard = [(m.type, getattr(m, "note", None), getattr(m, "pitch", None))
             for m in track if m.type in ("note_on", "pitchwheel") and
             (m.type == "pitchwheel" or m.velocity > 0)]
    # 2048 of 8192 is a quarter of the two-semitone bend range: 50 cents.
    assert heard == [("note_on", 72, None), ("pitchwheel", None, 2048), ("note_on", 75, None),
                     ("note_on", 75, None), ("pitchwheel", None, 0), ("note_on", 76, None)]


def test_microtones_are_reported_not_errors_of_loose_reading() -> None:
    text = HEAD + "d _/e ^3/4c|\n"
    found = abcparse.check(text)
    assert [(d.code, d.col, d.severity.value) for d in found] == [
        ("ABC114", 3, "warning"), ("ABC114", 7, "warning")]
    assert "a quarter tone down" in found[0].message
    assert {d.severity.value for d in abcparse.check("%abc-2.1\n" + text)} == {"error"}


def test_a_doubled_sign_before_a_microtone_is_a_stray_character() -> None:
    # ^^/c is no accidental of any reader: both players play ^/c after dropping one ^.
    tune = abcparse.parse(HEAD + "^^/c|\n").tunes[0]
    assert [d.code for d in tune.diagnostics] == ["ABC101"]
    assert sounds("^^/c") == [Fraction(145, 2)]


@pytest.mark.parametrize("semitones", [-5, -1, 1, 2, 3, 12])
def test_transposing_moves_every_microtone_by_exactly_the_interval(semitones: int) -> None:
    from abcparse.format.transpose import transpose_text

    body = "d _/e g ^/f _/e e c2|^3/4c _3/2e [_/e^/c]2 z4|"
    moved = transpose_text(HEAD + body + "\n", semitones)
    before = sounds(body)
    after = [n.pitch + Fraction(n.cents, 100)
             for n in perform(abcparse.parse(moved).tunes[0]).notes]
    assert after == [p + semitones for p in before]
    # Quarter tones stay quarter tones (^/ _/), which abcjs reads too.
    assert "^/" in moved or "_/" in moved


def test_a_quarter_tone_is_spelled_off_the_nearest_natural() -> None:
    """_/B down a semitone is a quarter tone above A: ^/A, the microtone abcjs reads,
    not _3/2B (abcjs plays that a quarter tone off)."""
    from abcparse.format.transpose import transpose_text

    moved = transpose_text("X:1\nT:t\nL:1/8\nK:G\n_/B2 ^/c2 B2 c2|]\n", -1)
    # K:Gb: the later B2 and c2 keep the bar's microtones, now on A and c.
    assert moved.endswith("K:Gb\n^/A2 _/c2 A2 c2|]\n"), moved


def test_formatting_keeps_microtones_as_written() -> None:
    text = HEAD + "d _/e ^3/4c|\n"
    assert abcparse.format_str(text) == text


@pytest.mark.peer
@pytest.mark.skipif(peer.ABC2MIDI is None, reason="abc2midi is not installed")
@pytest.mark.skipif(not abcjs_peer.available(), reason="node or node_modules/abcjs missing")
def test_both_players_hear_the_microtones_abcparse_hears() -> None:
    text = HEAD + "d _/e g ^/f _e c2|_/e e =e e [_/e^/c]2 _/e2-|e2 c6|]\n"
    tune = abcparse.parse(text).tunes[0]
    ours = peer.our_notes(tune)[0]
    with tempfile.TemporaryDirectory() as work:
        theirs = peer.abc2midi_notes(peer.peer_input("", text), work)
    assert [(o, p) for o, p, _ in theirs] == [(o, p) for o, p, _ in ours]
    assert any(type(p) is Fraction for _, p, _ in ours)
    played = abcjs_peer.run_abcjs([text])[0]
    assert abcjs_peer.their_notes(played)[0] == abcjs_peer.our_notes(tune)[0]
