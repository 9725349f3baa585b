"""Interpretation rules, one hand-written tune each: what a tune sounds like, note by note.

``notes(body)`` reads a one-voice tune (``L:1/4``, ``M:4/4``, ``K:C`` unless the text sets
them) and gives ``(pitch, onset, duration)`` with times in quarter-note beats, so every
expectation below can be checked by counting on the page.
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest

import abcparse
from abcparse.errors import AbcUsageError
from abcparse.events import (
    DRUM_CHANNEL,
    DYNAMICS,
    FERMATA_FACTOR,
    GRACE_LENGTH,
    STACCATO_FACTOR,
    VELOCITY_BEAT,
    VELOCITY_DOWNBEAT,
    VELOCITY_OFFBEAT,
    NoteEvent,
    perform,
    tune_events,
)
from abcparse.midi import midi_bytes

C4, D4, E4, F4, G4, A4, B4 = 60, 62, 64, 65, 67, 69, 71
C5 = 72


def tune(body: str, header: str = "") -> abcparse.Tune:
    head = "X:1\nT:t\n"
    for line in ("M:4/4", "L:1/4"):
        if line[:2] not in header:
            head += line + "\n"
    head += header
    if "K:" not in header:
        head += "K:C\n"
    book = abcparse.parse(head + body + "\n")
    assert len(book.tunes) == 1
    return book.tunes[0]


def notes(body: str, header: str = "", **options: object) -> list[tuple[int, F, F]]:
    return [(e.pitch, e.onset, e.duration) for e in tune_events(tune(body, header), **options)]  # type: ignore[arg-type]


def pitches(body: str, header: str = "") -> list[int]:
    return [p for p, _, _ in notes(body, header)]


def onsets(body: str, header: str = "") -> list[F]:
    return [o for _, o, _ in notes(body, header)]


# --- §3.1.14 key signatures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # C D E F G A B as heard in each key/mode (every mode of §3.1.14's table).
        ("C", [60, 62, 64, 65, 67, 69, 71]),
        ("G", [60, 62, 64, 66, 67, 69, 71]),
        ("D", [61, 62, 64, 66, 67, 69, 71]),
        ("F", [60, 62, 64, 65, 67, 69, 70]),
        ("Bb", [60, 62, 63, 65, 67, 69, 70]),
        ("C#", [61, 63, 65, 66, 68, 70, 72]),
        ("Cb", [59, 61, 63, 64, 66, 68, 70]),
        ("Am", [60, 62, 64, 65, 67, 69, 71]),
        ("Em", [60, 62, 64, 66, 67, 69, 71]),
        ("Dmin", [60, 62, 64, 65, 67, 69, 70]),
        ("ADor", [60, 62, 64, 66, 67, 69, 71]),
        ("GMix", [60, 62, 64, 65, 67, 69, 71]),
        ("DMix", [60, 62, 64, 66, 67, 69, 71]),
        ("EPhr", [60, 62, 64, 65, 67, 69, 71]),
        ("FLyd", [60, 62, 64, 65, 67, 69, 71]),
        ("BLoc", [60, 62, 64, 65, 67, 69, 71]),
        ("E phrygian", [60, 62, 64, 65, 67, 69, 71]),
        ("D Phr ^f", [60, 62, 63, 66, 67, 69, 70]),  # §3.1.14: two flats and one sharp
        ("D =c", [60, 62, 64, 66, 67, 69, 71]),  # D major with C natural
        ("D exp ^g", [60, 62, 64, 65, 68, 69, 71]),  # only G sharp
        ("none", [60, 62, 64, 65, 67, 69, 71]),
        ("Hp", [61, 62, 64, 66, 67, 69, 71]),  # pipes: F and C sharp, G natural
        ("HP", [61, 62, 64, 66, 67, 69, 71]),  # no signature printed, same scale played
    ],
)
def test_key_signature_every_mode(key: str, expected: list[int]) -> None:
    assert pitches("C D E F G A B", f"K:{key}\n") == expected


def test_key_signature_applies_in_every_octave() -> None:
    assert pitches("F, F f f'", "K:G\n") == [54, 66, 78, 90]


# --- §4.2 / §11.3 accidentals --------------------------------------------------------------


def test_accidental_holds_to_the_end_of_the_bar_then_resets() -> None:
    assert pitches("^F F =F F | F") == [66, 66, 65, 65, 65]


def test_accidental_holds_in_every_octave_by_default() -> None:
    # §11.3: %%propagate-accidentals defaults to "pitch" (every octave); abc2midi agrees.
    assert pitches("^F f F, z | f") == [66, 78, 54, 77]


def test_propagate_accidentals_octave_and_not() -> None:
    assert pitches("^F f F z", "%%propagate-accidentals octave\n") == [66, 77, 66]
    assert pitches("^F F z z", "%%propagate-accidentals not\n") == [66, 65]
    assert pitches("^F f F z", "I:propagate-accidentals octave\n") == [66, 77, 66]


NO_BAR_LINES = ("X:1\nT:t\nM:4/4\nL:1/4\nK:C\n_B B B2|\n%%MIDI nobarlines\n_B B B2|B ^c c2|\n"
                "%%MIDI barlines\n_B B B2|\n")


def test_midi_nobarlines_gives_an_accidental_to_its_note_alone_from_where_it_stands() -> None:
    """abc2midi's ``%%MIDI nobarlines`` (music written without bar lines, as music21's
    Josquin masses are) is §11.3's ``propagate-accidentals not``, and ``barlines`` its
    ``pitch``; the setting holds from where it is written, as abc2midi switches it, and
    so does a ``propagate-accidentals`` in the body (it had reached back to the tune's
    first note)."""
    t = abcparse.parse(NO_BAR_LINES).tunes[0]
    assert [e.pitch for e in tune_events(t)] == [70, 70, 70, 70, 71, 71, 71, 73, 72,
                                                 70, 70, 70]
    assert pitches("^F F|\n%%propagate-accidentals not\n^F F|") == [66, 66, 66, 65]
    assert pitches("^F F|\n[I:propagate-accidentals not] ^F F|") == [66, 66, 66, 65]
    assert pitches("^F F z z", "%%MIDI nobarlines\n") == [66, 65]


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
def test_midi_nobarlines_as_abc2midi_plays_it(tmp_path: Path) -> None:
    from tests.playback.peer import abc2midi_notes

    theirs = [p for _, p, _ in abc2midi_notes(NO_BAR_LINES, str(tmp_path))]
    assert theirs == [e.pitch for e in tune_events(abcparse.parse(NO_BAR_LINES).tunes[0])]


def test_accidental_overrides_key_signature_until_bar_line() -> None:
    assert pitches("=F F c2 | F", "K:D\n") == [65, 65, 73, 66]


def test_tie_carries_the_accidental_into_the_next_bar_for_the_tied_note_only() -> None:
    assert notes("z2 z ^F- | F F z2") == [(66, F(3), F(2)), (65, F(5), F(1))]


def test_grace_note_accidental_does_not_change_the_bar() -> None:
    assert pitches("{^F}G F z2", ) == [67, 65]


# --- §4.3 / §4.4 lengths and broken rhythm --------------------------------------------------


def test_lengths_multiply_the_unit_note_length() -> None:
    assert notes("C2 D/ E/2 F// G3/2", "L:1/8\n") == [
        (C4, F(0), F(1)),
        (D4, F(1), F(1, 4)),
        (E4, F(5, 4), F(1, 4)),
        (F4, F(3, 2), F(1, 8)),
        (G4, F(13, 8), F(3, 4)),
    ]


def test_default_unit_length_follows_the_meter() -> None:
    # §3.1.7: no L:, M:2/4 (below 0.75) → 1/16; M:6/8 → 1/8.
    t = abcparse.parse("X:1\nM:2/4\nK:C\nC D|\n").tunes[0]
    assert [e.duration for e in tune_events(t)] == [F(1, 4), F(1, 4)]
    t = abcparse.parse("X:1\nM:6/8\nK:C\nC D|\n").tunes[0]
    assert [e.duration for e in tune_events(t)] == [F(1, 2), F(1, 2)]


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("C>D", F(3, 4), F(1, 4)),
        ("C<D", F(1, 4), F(3, 4)),
        ("C>>D", F(7, 8), F(1, 8)),
        ("C<<D", F(1, 8), F(7, 8)),
        ("C>>>D", F(15, 16), F(1, 16)),
        ("C2>D2", F(3, 2), F(1, 2)),
    ],
)
def test_broken_rhythm(text: str, first: F, second: F) -> None:
    got = notes(text + " z3", "L:1/8\n")
    assert [d for _, _, d in got] == [first, second]
    assert got[1][1] == first


def test_broken_rhythm_passes_over_grace_notes() -> None:
    # §4.12: A<{g}A is A/2{g}A3/2.
    assert notes("A<{g}A", "L:1/8\n") == [(A4, F(0), F(1, 4)), (A4, F(1, 4), F(3, 4))]


# --- §4.13 tuplets -------------------------------------------------------------------------


def test_triplet_three_in_the_time_of_two() -> None:
    assert onsets("(3CDE F", "L:1/8\n") == [F(0), F(1, 3), F(2, 3), F(1)]


@pytest.mark.parametrize(
    ("meter", "p", "each"),
    [
        # Eighth notes (half a beat) p in the time of q.
        ("4/4", 2, F(3, 4)),  # (2: 2 in the time of 3
        ("4/4", 4, F(3, 8)),  # (4: 4 in the time of 3
        ("4/4", 5, F(1, 5)),  # (5 in simple time: in the time of 2
        ("6/8", 5, F(3, 10)),  # (5 in compound time: in the time of 3
        ("4/4", 6, F(1, 6)),  # (6: 6 in the time of 2
        ("6/8", 7, F(3, 14)),
        ("4/4", 9, F(1, 9)),
    ],
)
def test_tuplet_defaults(meter: str, p: int, each: F) -> None:
    body = f"({p}" + "C" * p
    got = notes(body, f"M:{meter}\nL:1/8\n")
    assert len(got) == p
    assert all(d == each for _, _, d in got)


def test_tuplet_p_q_r() -> None:
    # §4.13: (3:2:2 G4c2 — three in the time of two for the next two notes.
    assert notes("(3:2:2G4c2 D2", "L:1/8\n") == [
        (G4, F(0), F(4, 3)),
        (C5, F(4, 3), F(2, 3)),
        (D4, F(2), F(1)),
    ]
    assert notes("(3::2 CD E", "L:1/8\n")[2] == (E4, F(2, 3), F(1, 2))


def test_rests_count_in_tuplets() -> None:
    assert onsets("(3CzE F", "L:1/8\n") == [F(0), F(2, 3), F(1)]


# --- §4.12 grace notes ----------------------------------------------------------------------


def test_grace_notes_ignored_by_default() -> None:
    assert notes("{gf}C D") == [(C4, F(0), F(1)), (D4, F(1), F(1))]


def test_grace_notes_steal_time_from_their_note() -> None:
    t = tune("{gf}C D")
    events = tune_events(t, grace="steal")
    g = GRACE_LENGTH * 4
    assert [(e.pitch, e.onset, e.duration, e.grace) for e in events] == [
        (79, F(0), g, True),
        (77, g, g, True),
        (C4, 2 * g, 1 - 2 * g, False),
        (D4, F(1), F(1), False),
    ]


def test_grace_notes_take_at_most_half_the_note() -> None:
    events = tune_events(tune("{gfedc}C/4", "L:1/8\n"), grace="steal")
    main = [e for e in events if not e.grace]
    assert main[0].onset == main[0].duration == F(1, 16)


def test_unknown_grace_mode_is_a_usage_error() -> None:
    with pytest.raises(AbcUsageError):
        tune_events(tune("C"), grace="swing")


# --- §4.11 ties ----------------------------------------------------------------------------


def test_ties_join_notes_within_and_across_bar_lines() -> None:
    assert notes("C2- C D- | D4") == [(C4, F(0), F(3)), (D4, F(3), F(5))]


def test_tie_inside_a_chord_joins_only_that_note() -> None:
    assert notes("[C-E]2 [CG]2") == [
        (C4, F(0), F(4)),
        (E4, F(0), F(2)),
        (G4, F(2), F(2)),
    ]


def test_tie_after_a_chord_joins_every_note() -> None:
    assert notes("[CE]2- [CE]2") == [(C4, F(0), F(4)), (E4, F(0), F(4))]


def test_a_tied_unison_holds_both_notes() -> None:
    """``[AA]2-[AA]`` (a fiddle's open and stopped string on one pitch): each A is tied to
    an A of the next chord, as abc2midi plays it; a third A is struck anew."""
    assert notes("[AA]2- [AA] A [AA]2- [A]2") == [
        (A4, F(0), F(3)), (A4, F(0), F(3)), (A4, F(3), F(1)), (A4, F(4), F(4)), (A4, F(4), F(2)),
    ]


def test_tie_to_another_pitch_or_a_rest_is_dropped() -> None:
    assert notes("C- D C- z") == [(C4, F(0), F(1)), (D4, F(1), F(1)), (C4, F(2), F(1))]


def test_tie_follows_the_play_order_into_an_ending() -> None:
    # The tied G continues into both endings: 2 + 2 beats on each pass.
    got = notes("|: C2 G2- |1 G2 D2 :|2 G2 E2 |]")
    assert [(p, d) for p, _, d in got if p == G4] == [(G4, F(4)), (G4, F(4))]


# --- §4.17 chords ---------------------------------------------------------------------------


def test_chord_notes_sound_together_and_take_the_first_notes_time() -> None:
    assert notes("[CEG]2 [C2E] D") == [
        (C4, F(0), F(2)),
        (E4, F(0), F(2)),
        (G4, F(0), F(2)),
        (C4, F(2), F(2)),
        (E4, F(2), F(1)),
        (D4, F(4), F(1)),
    ]


def test_chord_lengths_inside_and_outside_multiply() -> None:
    # §4.17: [C2E2G2]3 is [CEG]6.
    assert notes("[C2E2G2]3", "L:1/8\n") == notes("[CEG]6", "L:1/8\n")
    assert notes("[CEG]6", "L:1/8\n")[0][2] == F(3)


def test_unison() -> None:
    assert notes("[DD]") == [(D4, F(0), F(1)), (D4, F(0), F(1))]


# --- §4.5 rests -----------------------------------------------------------------------------


def test_rests_take_time() -> None:
    assert onsets("C z D x/ E") == [F(0), F(2), F(7, 2)]


def test_multi_measure_rests_last_whole_bars() -> None:
    assert onsets("C4 | Z2 | D", "M:3/4\n")[1] == F(4) + F(6)
    assert onsets("C3 | Z | D", "M:3/4\n") == [F(0), F(6)]
    assert onsets("C2 | X2 | D", "M:2/4\n") == [F(0), F(6)]


# --- §4.8-§4.10 repeats and variant endings ------------------------------------------------

A, B, Cn, D, E = 69, 71, 60, 62, 64  # short names for the structure tests


def seq(body: str, header: str = "") -> list[int]:
    return pitches(body, "K:C\n" + header if "K:" not in header else header)


def test_simple_repeat() -> None:
    assert seq("C |: D E :| F") == [60, 62, 64, 62, 64, 65]


def test_double_colon_ends_one_section_and_starts_the_next() -> None:
    assert seq("|: C :: D :|") == [60, 60, 62, 62]
    assert seq("|: C :|: D :|") == [60, 60, 62, 62]


def test_first_and_second_endings() -> None:
    assert seq("|: C |1 D :|2 E |]") == [60, 62, 60, 64]
    assert seq("|: C [1 D :| [2 E |]") == [60, 62, 60, 64]
    assert seq("|: C |1 D E :|2 F G |] A") == [60, 62, 64, 60, 65, 67, 69]


def test_three_endings_and_lists() -> None:
    assert seq("|: C |1 D :|2 E :|3 F |]") == [60, 62, 60, 64, 60, 65]
    # At the end of the tune, endings for three passes make three passes (abcjs; abc2midi
    # adds a fourth with no ending).
    assert seq("|: C [1,3 D :| [2 E :|") == [60, 62, 60, 64, 60, 62]
    assert seq("|: C [1-2 D :| [3 E |]") == [60, 62, 60, 62, 60, 64]


def test_second_ending_closed_by_repeat_sign_goes_back_once_more() -> None:
    """The :| closing the last ending repeats as any :| does (§4.8); that third pass has
    no ending to take (§4.10), as abc2midi and abcjs both play it."""
    assert seq("|: C |1 D :|2 E :| F") == [60, 62, 60, 64, 60, 65]
    assert seq("|: C |1,2 D :|3 E | F") == [60, 62, 60, 62, 60, 64, 65]


def test_lone_first_ending_repeats_once() -> None:
    assert seq("|: C [1 D :| E |]") == [60, 62, 60, 64]


def test_unmatched_end_repeat_goes_back_to_the_start() -> None:
    # §4.8 recommendation; the first part of many folk tunes has no |:.
    assert seq("C D :| E F :|") == [60, 62, 60, 62, 64, 65, 64, 65]


def test_unmatched_end_repeat_after_endings_goes_back_to_where_they_ended() -> None:
    assert seq("C |1 D :|2 E |] F :|") == [60, 62, 60, 64, 65, 65]
    assert seq("|: C :| D || E :|") == [60, 60, 62, 64, 64]


def test_extra_colons_repeat_more_times() -> None:
    assert seq("|:: C ::| D") == [60, 60, 60, 62]


def test_unroll_repeats_false_plays_as_written() -> None:
    got = [p for p, _, _ in notes("|: C |1 D :|2 E |]", unroll_repeats=False)]
    assert got == [60, 62, 64]


# --- §3.1.9 parts -------------------------------------------------------------------------


def test_part_order_from_the_header() -> None:
    body = "P:A\nC D :|\nP:B\nE F |]"
    assert seq(body, "P:ABA\nK:C\n") == [60, 62, 60, 62, 64, 65, 60, 62, 60, 62]


def test_part_order_with_groups_and_an_introduction() -> None:
    body = "G |\nP:A\nC |\nP:B\nD |]"
    assert seq(body, "P:(AB)2B\nK:C\n") == [67, 60, 62, 60, 62, 62]


def test_a_part_named_n_times_with_n_endings_plays_its_endings_once() -> None:
    """§4.10's example: ``P:A4.B4`` and A written with endings [1 to [4 play A "4 times
    ... a different ending each time": four passes, not four times four (abc2midi)."""
    body = "P:A\nC |[1 D :|[2 E :|[3 F :|[4 G |]\nP:B\nc |]"
    assert seq(body, "P:A4.B2\nK:C\n") == [60, 62, 60, 64, 60, 65, 60, 67, 72, 72]
    # A part named twice with two endings keeps the usual reading: twice its two passes.
    body2 = "P:A\nC |[1 D :|[2 E |]"
    assert seq(body2, "P:AA\nK:C\n") == [60, 62, 60, 64] * 2
    # Named three times with four endings: the counts differ, three times its passes.
    assert seq(body, "P:A3\nK:C\n") == [60, 62, 60, 64, 60, 65, 60, 67] * 3


def test_parts_without_a_header_order_play_as_written() -> None:
    assert seq("P:A\nC :|\nP:B\nD :|") == [60, 60, 62, 62]


def test_inline_part_label_and_remarks_that_are_not_labels() -> None:
    assert seq("[P:A] C | [P:B] D |]", "P:BA\nK:C\n") == [62, 60]
    # "P:D.S." is a remark, not a part: the notes after it still belong to part A.
    assert seq("P:A\nC D\\\nP:D.S.\nE |]", "P:AA\nK:C\n") == [60, 62, 64, 60, 62, 64]


def test_part_labels_mark_every_voice_of_a_score() -> None:
    text = (
        "X:1\nT:parts\nM:2/4\nL:1/4\nP:BA\nK:C\n"
        "P:A\nV:1\nC D|\nV:2\nE F|\nP:B\nV:1\nG A|\nV:2\nB c|\n"
    )
    events = tune_events(abcparse.parse(text).tunes[0])
    by_voice = {v: [e.pitch for e in events if e.voice == v] for v in ("1", "2")}
    assert by_voice == {"1": [67, 69, 60, 62], "2": [71, 72, 64, 65]}


# --- inline fields -------------------------------------------------------------------------


def test_inline_key_change_affects_the_notes_written_after_it() -> None:
    assert seq("F [K:G] F | F |: [K:C] F [K:D] F :|") == [65, 66, 66, 65, 66, 65, 66]


def test_body_key_line() -> None:
    assert seq("F |\nK:D\nF c |") == [65, 66, 73]


def test_clef_only_key_field_keeps_the_signature() -> None:
    assert seq("F | [K:bass] F |", "K:G\n") == [66, 66]
    assert seq("F | [K:none] F |", "K:G\n") == [66, 65]


def test_inline_unit_length_and_meter() -> None:
    assert notes("C [L:1/8] D E [L:1/2] F") == [
        (C4, F(0), F(1)),
        (D4, F(1), F(1, 2)),
        (E4, F(3, 2), F(1, 2)),
        (F4, F(2), F(2)),
    ]
    t = tune("C4 | [M:3/4] (5CDEFG z |")
    got = [e.duration for e in tune_events(t)]
    assert got[1:] == [F(2, 5)] * 5  # (5 in 3/4 (simple time): in the time of 2


# --- §3.1.8 tempo ---------------------------------------------------------------------------


def test_default_tempo_is_a_quarter_note_at_120() -> None:
    events = tune_events(tune("C D E F"))
    assert [e.onset_seconds for e in events] == [0.0, 0.5, 1.0, 1.5]
    assert events[0].duration_seconds == 0.5


def test_tempo_counts_the_beat_it_names() -> None:
    events = tune_events(tune("C D E F", "Q:3/8=100\n"))  # 150 quarter notes per minute
    assert events[1].onset_seconds == pytest.approx(0.4)
    events = tune_events(tune("C2 D2", "Q:1/2=30\n"))
    assert events[1].onset_seconds == pytest.approx(2.0)


def test_inline_tempo_change_and_its_restoration_on_repeat() -> None:
    p = perform(tune("|: C [Q:1/4=60] D :| E", "Q:1/4=120\n"))
    secs = [round(e.onset_seconds, 6) for e in p.notes]
    # C 0.5 s, D 1 s, then the repeat restores 120 for C: 0, .5, 1.5, 2, 3.
    assert secs == [0.0, 0.5, 1.5, 2.0, 3.0]
    assert [(t.beat, t.qpm) for t in p.tempos] == [(0, 120.0), (1, 60.0), (2, 120.0), (3, 60.0)]
    assert p.end_seconds == pytest.approx(4.0)


def test_text_only_tempo_keeps_the_default() -> None:
    assert tune_events(tune("C D", 'Q:"Allegro"\n'))[1].onset_seconds == 0.5


def test_text_only_tempo_in_the_body_keeps_the_speed_in_force() -> None:
    """§3.1.8: ``[Q:"Slower"]`` is a label. The speed before it stays, in the rest of its
    line and in every segment after it (they used to fall back to 120)."""
    p = perform(tune('C D | [Q:"Slower"] E F |\nG A |]', "Q:1/4=60\n"))
    assert [(t.beat, t.qpm) for t in p.tempos] == [(0, 60.0)]
    assert p.end_seconds == pytest.approx(6.0)


# --- §4.14 decorations that change playing --------------------------------------------------


def test_staccato_shortens_and_fermata_lengthens() -> None:
    got = notes(".C !staccato!D HE !fermata!z F")
    assert got == [
        (C4, F(0), STACCATO_FACTOR),
        (D4, F(1), STACCATO_FACTOR),
        (E4, F(2), FERMATA_FACTOR),
        (F4, F(2) + 2 * FERMATA_FACTOR, F(1)),
    ]


def test_other_decorations_are_kept_but_do_not_change_the_sound() -> None:
    events = tune_events(tune("~C TD !trill!E !p!F"))
    assert [(e.onset, e.duration) for e in events] == [(F(i), F(1)) for i in range(4)]
    assert [e.decorations for e in events] == [("roll",), ("trill",), ("trill",), ("p",)]


# --- voices, overlays, transposition -----------------------------------------------------------


MULTI = """X:1
T:two voices
M:2/4
L:1/4
K:G
V:1 name="Upper"
B c | d2 |
V:2 clef=bass
G, A, | B,2 |
"""


def test_voices_become_tracks_on_their_own_channels() -> None:
    p = perform(abcparse.parse(MULTI).tunes[0])
    assert [(t.voice, t.name, t.channel) for t in p.tracks] == [("1", "Upper", 0), ("2", None, 1)]
    by_voice = {v: [(e.pitch, e.onset) for e in p.notes if e.voice == v] for v in ("1", "2")}
    assert by_voice["1"] == [(71, 0), (72, 1), (74, 2)]
    assert by_voice["2"] == [(55, 0), (57, 1), (59, 2)]
    assert {e.channel for e in p.notes if e.voice == "2"} == {1}


def test_voice_filter() -> None:
    t = abcparse.parse(MULTI).tunes[0]
    assert {e.voice for e in tune_events(t, voice="2")} == {"2"}
    with pytest.raises(AbcUsageError):
        tune_events(t, voice="9")


def test_overlay_is_a_voice_of_its_own_from_the_start_of_the_bar() -> None:
    p = perform(tune("C D E F & c d e f | G4 |"))
    assert [(t.voice, t.channel) for t in p.tracks] == [("1", 0), ("1&1", 1)]
    over = [(e.pitch, e.onset) for e in p.notes if e.voice == "1&1"]
    assert over == [(72, 0), (74, 1), (76, 2), (77, 3)]
    assert [(e.pitch, e.onset) for e in p.notes if e.voice == "1"][-1] == (G4, 4)


def test_transpose_and_octave_properties() -> None:
    assert pitches("C D", "K:C transpose=-2\n") == [58, 60]
    assert pitches("C D", "K:C octave=1\n") == [72, 74]
    assert pitches("C D", "K:C treble-8\n") == [48, 50]
    assert pitches("C | [K:transpose=3] C", "K:C\n") == [60, 63]
    t = abcparse.parse("X:1\nL:1/4\nK:C\nV:1 transpose=2\nC D|\nV:2 octave=-1\nC D|\n").tunes[0]
    by_voice = {v: [e.pitch for e in tune_events(t) if e.voice == v] for v in ("1", "2")}
    assert by_voice == {"1": [62, 64], "2": [48, 50]}


def test_midi_program_directives_per_voice() -> None:
    t = abcparse.parse(
        "X:1\nL:1/4\nK:C\n%%MIDI program 20\nV:1\nC|\nV:2\n%%MIDI program 73\nE|\n"
    ).tunes[0]
    assert [(tr.voice, tr.program) for tr in perform(t).tracks] == [("1", 20), ("2", 73)]


DRUMS = """X:1
T:drums
M:4/4
L:1/4
K:C
V:1
%%MIDI program 65 % alto sax: a comment after the number
c d e f|
V:drum
%%MIDI channel 10
^F,, ^F,, D,, ^F,,|
V:3
%%MIDI channel 2
C D E F|
V:4
G, A, B, C|
"""


def test_midi_channel_directive_puts_a_voice_on_the_drums() -> None:
    """abc2midi's ``%%MIDI channel 10`` plays a voice on General MIDI's drum kit; the
    voices without one take the channels nobody chose, never the drums."""
    p = perform(abcparse.parse(DRUMS).tunes[0])
    assert [(t.voice, t.channel, t.program) for t in p.tracks] == [
        ("1", 0, 65), ("drum", DRUM_CHANNEL, None), ("3", 1, None), ("4", 2, None)
    ]
    assert {e.channel for e in p.notes if e.voice == "drum"} == {DRUM_CHANNEL}


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
def test_drum_voice_channel_as_abc2midi_plays_it(tmp_path: Path) -> None:
    """The drum voice's notes are on channel 10 in abc2midi's file and in ours."""
    src = tmp_path / "drums.abc"
    src.write_text(DRUMS, encoding="utf-8")
    subprocess.run(["abc2midi", str(src), "-o", str(tmp_path / "theirs.mid")],
                   capture_output=True, check=False, timeout=60)
    t = abcparse.parse(DRUMS).tunes[0]
    (tmp_path / "ours.mid").write_bytes(midi_bytes(t))

    def drum_pitches(path: Path) -> list[int]:
        return sorted(
            m.note for tr in mido.MidiFile(path).tracks for m in tr
            if m.type == "note_on" and m.velocity > 0 and m.channel == DRUM_CHANNEL
        )

    assert drum_pitches(tmp_path / "ours.mid") == drum_pitches(tmp_path / "theirs.mid") == [
        38, 42, 42, 42  # D,, is the bass drum, ^F,, the closed hi-hat
    ]


def test_midi_voice_directive_of_the_standard() -> None:
    """§11.2 ``%%MIDI voice [ID] instrument=N [mute]``: instruments counted from 1; a
    muted voice keeps its (silent) track."""
    t = abcparse.parse(
        "X:1\nL:1/4\nK:C\nV:A\n%%MIDI voice instrument=59\nC D|\nV:B\n"
        "%%MIDI voice B instrument=74 mute\nE F|\n"
    ).tunes[0]
    p = perform(t)
    assert [(tr.voice, tr.program) for tr in p.tracks] == [("A", 58), ("B", 73)]
    assert {e.voice for e in p.notes} == {"A"}


def test_midi_directive_numbers_out_of_range_are_ignored() -> None:
    t = abcparse.parse(
        "X:1\nL:1/4\nK:C\nV:1\n%%MIDI channel 17\n%%MIDI program 128\n"
        f"%%MIDI program {'9' * 5000}\nC|\n"
    ).tunes[0]
    assert [(tr.channel, tr.program) for tr in perform(t).tracks] == [(0, None)]


@pytest.mark.parametrize(("header", "body", "expected"), [
    ("%%MIDI transpose 2\nK:C\n", "C D|", [62, 64]),  # in the header
    ("K:C\n%%MIDI transpose -12\n", "C D|", [48, 50]),
    ("K:C\n", "C D [I:MIDI transpose 3] E F|", [60, 62, 67, 68]),  # from where it stands
    ("K:C\n", "C D|\n%%MIDI transpose 5\nE F|", [60, 62, 69, 70]),
    ("K:C\n", "C D|\nI:MIDI transpose 4\nE F|", [60, 62, 68, 69]),  # §11.0.2's I: form
    ("%%MIDI transpose 2\nK:C transpose=3\n", "C D|", [63, 65]),  # the K: says later
    ("K:C\n", "C|\n%%MIDI transpose 999\nD|", [60, 62]),  # out of range: ignored
])
def test_midi_transpose_moves_the_sound_as_both_players_do(
    header: str, body: str, expected: list[int]
) -> None:
    """abc2midi's ``%%MIDI transpose N``, which abcjs follows too: the same setting as
    §4.6's ``transpose=``, from where it is written."""
    t = abcparse.parse(f"X:1\nT:t\nM:4/4\nL:1/4\n{header}{body}\n").tunes[0]
    assert [e.pitch for e in tune_events(t)] == expected


@pytest.mark.skipif(shutil.which("abc2midi") is None or shutil.which("node") is None,
                    reason="abc2midi or node missing")
def test_midi_transpose_as_both_players_play_it() -> None:
    from tests.playback import abcjs_peer, peer

    if not abcjs_peer.available():
        pytest.skip("abcjs is not installed (npm ci)")
    text = "X:1\nT:t\nM:4/4\nL:1/4\n%%MIDI transpose 2\nK:C\nC D|\n%%MIDI transpose -5\nE F|\n"
    assert peer.players_agree(text) == (True, True)


def test_midi_transpose_in_the_header_moves_every_voice_and_in_a_voice_that_voice() -> None:
    t = abcparse.parse(
        "X:1\nT:t\nL:1/4\n%%MIDI transpose 2\nK:C\nV:1\nC|\nV:2\n%%MIDI transpose 7\nC|\n"
    ).tunes[0]
    assert {e.voice: e.pitch for e in tune_events(t)} == {"1": 62, "2": 67}


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
def test_program_changes_where_written_as_abc2midi_plays_them(tmp_path: Path) -> None:
    """A program written in the middle of a voice changes the sound from the note after
    it, each time the played order gets there, and is not changed back on the repeat."""
    text = ("X:1\nT:t\nM:2/4\nL:1/4\n%%MIDI program 110\nK:C\n|:C D|\n%%MIDI program 74\n"
            "E F [I:MIDI program 20] G A:|\n")
    ours, theirs = _programs_heard(text, tmp_path)
    assert ours == theirs
    assert [g for _, _, g in ours] == [110, 110, 74, 74, 20, 20, 20, 20, 74, 74, 20, 20]


CHANNEL_PROGRAMS = """X:1
T:programs by channel
M:4/4
L:1/4
%%MIDI program 2 41
V:1
V:2
K:C
V:1
C4|D4|E4|
V:2
C,C, [I:MIDI program 1 30] D,D,|E,4|F,4|
"""


def test_midi_program_with_a_channel_sets_that_channels_voice() -> None:
    """abc2midi's ``%%MIDI program C N`` is program N on channel C, whichever voice plays
    there (abcjs reads C as the program: a fault of its own), from the time the voice
    that writes it gets there: voice 1 changes in the middle of its first note's bar, as
    voice 2 plays it. A program is applied to the voice that plays it, however it was
    read; ``perform(voice=...)`` keeps the change another voice sends."""
    t = abcparse.parse(CHANNEL_PROGRAMS).tunes[0]
    tracks = [(tr.voice, tr.channel, tr.program, tr.changes) for tr in perform(t).tracks]
    assert tracks == [("1", 0, None, ((F(2), 30),)), ("2", 1, 41, ())]
    assert [(tr.program, tr.changes) for tr in perform(t, voice="1").tracks] == [
        (None, ((F(2), 30),))]
    header_only = abcparse.parse(
        "X:1\nL:1/4\n%%MIDI program 2 41\nV:1\nV:2\nK:C\nV:1\nC|\nV:2\n"
        "%%MIDI program 1 30\nE|\n").tunes[0]
    assert [(tr.voice, tr.program) for tr in perform(header_only).tracks] == [
        ("1", 30), ("2", 41)]


def test_midi_program_channel_out_of_range_is_reported_and_ignored() -> None:
    text = "X:1\nL:1/4\nK:C\n%%MIDI program 17 30\nC|\n"
    assert [tr.program for tr in perform(abcparse.parse(text).tunes[0]).tracks] == [None]
    found = [d.message for d in abcparse.check(text) if "MIDI program" in d.message]
    assert found and "channel 17 is not 1-16" in found[0]


def _programs_heard(text: str, tmp_path: Path) -> tuple[list[tuple[int, int, int]], ...]:
    """(tick from the first note, pitch, program in force on its channel) of every
    note-on of our MIDI file of ``text`` and of abc2midi's, their tracks merged in time:
    a program change on a channel is heard by every track's notes there."""
    src = tmp_path / "tune.abc"
    src.write_text(text, encoding="utf-8")
    subprocess.run(["abc2midi", str(src), "-o", str(tmp_path / "theirs.mid")],
                   capture_output=True, check=False, timeout=60)
    (tmp_path / "ours.mid").write_bytes(midi_bytes(abcparse.parse(text).tunes[0]))
    heard = []
    for name in ("ours.mid", "theirs.mid"):
        program: dict[int, int] = {}
        notes: list[tuple[int, int, int]] = []
        now = 0
        mf = mido.MidiFile(tmp_path / name)
        for m in mido.merge_tracks(mf.tracks):
            now += m.time
            if m.type == "program_change":
                program[m.channel] = m.program
            elif m.type == "note_on" and m.velocity > 0:
                notes.append((now, m.note, program.get(m.channel, 0)))
        first = min(t for t, _, _ in notes)
        heard.append(sorted(((t - first) * 480 // mf.ticks_per_beat, p, g)
                            for t, p, g in notes))
    return tuple(heard)


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
def test_midi_program_with_a_channel_as_abc2midi_plays_it(tmp_path: Path) -> None:
    ours, theirs = _programs_heard(CHANNEL_PROGRAMS, tmp_path)
    assert ours == theirs
    assert [(p, g) for _, p, g in ours if p >= 60] == [(60, 0), (62, 30), (64, 30)]


def test_a_voice_without_notes_still_has_its_track() -> None:
    t = abcparse.parse("X:1\nL:1/4\nV:1\nV:2\nK:C\nV:1\nC D|\n").tunes[0]
    assert [tr.voice for tr in perform(t).tracks] == [v.id for v in t.voices] == ["1", "2"]


# --- velocities, API -----------------------------------------------------------------------------


def test_stress_pattern_velocities() -> None:
    events = tune_events(tune("C D E F G A", "M:6/8\nL:1/8\n"))
    assert [e.velocity for e in events] == [
        VELOCITY_DOWNBEAT, VELOCITY_OFFBEAT, VELOCITY_OFFBEAT,
        VELOCITY_BEAT, VELOCITY_OFFBEAT, VELOCITY_OFFBEAT,
    ]


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi is not installed")
@pytest.mark.parametrize("mark", ["!pp!", "!p!", "!mf!", "!f!", "!ff!"])
@pytest.mark.parametrize("written", ["|{mark} C", "{mark}| C", "{mark}H| C"])
def test_dynamics_set_the_velocity_as_abc2midi_does(mark: str, written: str,
                                                    tmp_path: Path) -> None:
    """After a dynamics mark, its level on the first beat of each bar, 10 less on the
    other beats, 25 less between them: abc2midi's numbers, compared with its file. A
    mark written before the bar line holds for the notes after it too, where a fermata
    there is the bar line's (§4.14)."""
    text = ("X:1\nT:t\nM:2/4\nL:1/8\nK:C\nC D E F" + written.format(mark=mark)
            + " D E F|G4|]\n")
    src = tmp_path / "dyn.abc"
    src.write_text(text, encoding="utf-8")
    subprocess.run(["abc2midi", str(src), "-o", str(tmp_path / "dyn.mid")],
                   capture_output=True, check=False, timeout=60)
    theirs = [m.velocity for tr in mido.MidiFile(tmp_path / "dyn.mid").tracks for m in tr
              if m.type == "note_on" and m.velocity > 0]
    ours = [e.velocity for e in tune_events(abcparse.parse(text).tunes[0])]
    assert ours[4:] == theirs[4:]
    level = DYNAMICS[mark.strip("!")]
    assert ours[4:] == [level, level - 25, level - 10, level - 25, level]


def test_tune_events_method_and_event_fields() -> None:
    t = tune("C D")
    events = t.events()
    assert events == tune_events(t)
    e = events[1]
    assert isinstance(e, NoteEvent)
    assert (e.pitch, e.onset, e.duration, e.end, e.voice, e.channel) == (62, 1, 1, 2, "1", 0)
    assert e.span.line == 6 and e.span.col == 3  # where D is written
    assert t.to_text()[e.span.start : e.span.end] == "D"


def test_events_are_in_time_order() -> None:
    t = abcparse.parse(MULTI).tunes[0]
    events = tune_events(t)
    assert [e.onset for e in events] == sorted(e.onset for e in events)


def test_a_tune_without_music_has_no_events() -> None:
    t = abcparse.parse("X:1\nT:empty\nK:C\n").tunes[0]
    assert tune_events(t) == []
    assert perform(t).end_seconds == 0.0
