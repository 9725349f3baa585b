"""The cases that showed the music was read four ways (issue 12), now read once by the
music engine: the findings the validator missed are reported, and every written note is
played, as abcjs plays them."""

from __future__ import annotations

from fractions import Fraction

import pytest

import abcparse

HEAD = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"


def pitches(body: str, head: str = HEAD) -> list[int]:
    return [e.pitch for e in abcparse.parse(head + body + "\n").tunes[0].events()]


def codes(text: str, **kw: object) -> list[str]:
    return [d.code for d in abcparse.check(text, **kw)]  # type: ignore[arg-type]


def test_a_repeat_start_followed_by_another_is_never_closed() -> None:
    text = ("X:1\nT:t\nM:4/4\nL:1/8\nK:G\n|:GABc dedB|dedB dedB|\n"
            "|:GABc dedB|dedB dedB:|\n")
    found = abcparse.check(text)
    assert [(d.code, d.line) for d in found] == [("ABC305", 6)]


def test_a_lone_first_ending_does_not_hide_a_short_bar() -> None:
    text = "%abc-2.1\nX:1\nT:t\nM:6/8\nL:1/8\nK:D\nA|Bcd edc|G2 Bc|[1 dB\n"
    found = codes(text, mode="strict")
    assert "ABC301" in found and "ABC306" in found


def test_a_second_ending_with_no_repeat_is_played() -> None:
    assert pitches("C4 |2 G2F2 | D4 |]") == [60, 67, 65, 62]


def test_two_endings_with_no_repeat_sign_imply_one() -> None:
    assert pitches("C D E F|[1 G A B c||[2 c B A G||") == [
        60, 62, 64, 65, 67, 69, 71, 72, 60, 62, 64, 65, 72, 71, 69, 67]


def test_a_stray_digit_loses_no_note() -> None:
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert pitches("CDEF | 2 GABc | d4 |]", head) == [60, 62, 64, 65, 67, 69, 71, 72, 74]


def test_a_colon_at_the_start_of_a_line_loses_no_note() -> None:
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert pitches("ABcd efga|\n:bagf edcB|]", head) == [
        69, 71, 72, 74, 76, 77, 79, 81, 83, 81, 79, 77, 76, 74, 72, 71]


def test_a_repeat_end_opening_a_line_repeats() -> None:
    assert pitches("|:C D E F|\n:|G A B c|]") == [
        60, 62, 64, 65, 60, 62, 64, 65, 67, 69, 71, 72]


def test_one_accidental_rule_for_validator_and_playback() -> None:
    """§11.3 pitch (the default): ^c raises c' too, in every octave, for the rest of the
    bar; the tie carries it across the bar line (§4.11). The validator sees one pitch on
    both sides of the tie (no ABC321) and playback plays one note."""
    text = HEAD + "^c c'3- | c'4 |]\n"
    assert "ABC321" not in codes(text)
    events = abcparse.parse(text).tunes[0].events()
    assert [(e.pitch, e.duration) for e in events] == [(73, 1), (85, 7)]


def test_midi_of_a_title_in_any_script() -> None:
    tune = abcparse.parse("X:1\nT:\u66f2 \u266b\nK:C\nC|\n").tunes[0]
    from abcparse.midi import midi_bytes

    assert "\u66f2 \u266b".encode() in midi_bytes(tune)


def test_a_key_with_an_unknown_word_keeps_its_readable_start() -> None:
    """``K:Es`` (German for E flat) is not ABC: reported, and played as E major, as
    abc2midi and abcjs both play it (found on the Essen collection: F sharp, not F)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:Es\n"
    assert pitches("F G c d|]", head) == [66, 68, 73, 75]
    assert "ABC223" in codes(head + "F G c d|]\n")
    # In the body too: D major from [K:Dmaj7]; a key with no readable start (Hm)
    # changes nothing.
    assert pitches("F [K:Dmaj7] F c | [K:Hm] F c|]") == [65, 66, 73, 66, 73]


def test_the_fix_of_a_key_keeps_what_is_played() -> None:
    """The unsafe fix of ABC223 keeps the same readable start that is played, so the
    fixed tune sounds as the unfixed one does."""
    from abcparse.format.repair import fix_text

    text = "X:1\nT:t\nM:4/4\nL:1/4\nK:Bbs\nB e f c|]\n"
    fixed = fix_text(text, unsafe=True).text
    assert "K:Bb\n" in fixed
    before = [e.pitch for e in abcparse.parse(text).tunes[0].events()]
    after = [e.pitch for e in abcparse.parse(fixed).tunes[0].events()]
    assert before == after == [70, 75, 77, 72]


def durations(body: str, head: str = HEAD) -> list[tuple[int, float]]:
    return [(e.pitch, float(e.duration))
            for e in abcparse.parse(head + body + "\n").tunes[0].events()]


def test_a_decoration_before_a_bar_line_is_the_bar_lines() -> None:
    """§4.14: ``A4 H|`` puts the fermata over the bar line; the next bar's first note
    is not held (found on Ryan's Mammoth, where both players agree). A fermata on a
    note still holds it, and a ``y`` spacer takes the decoration written before it."""
    assert durations("A4 H|B4|]") == [(69, 4.0), (71, 4.0)]
    assert durations("A4 !fermata!|B4|]") == [(69, 4.0), (71, 4.0)]
    assert durations("A4 !fermata!y B4|]") == [(69, 4.0), (71, 4.0)]
    held = durations("A3 HA|B4|]")
    assert held[1][1] > 1.0 and held[2] == (71, 4.0)


def test_a_repeat_end_straight_after_a_thick_bar_repeats() -> None:
    """``|]:|`` is ``|]`` then ``:|`` (§4.8), as abc2midi and abcjs read it: the section
    is played twice, at the end of the tune or before more."""
    twice = [60, 62, 64, 65] * 2
    assert pitches("|:C D E F|]:|") == twice
    assert pitches("|:C D E F|]:|G4|]") == [*twice, 67]
    assert "ABC305" not in codes(HEAD + "|:C D E F|]:|\n")
    # The :| after an invisible bar line, with |: opening the next line (Ryan's Mammoth).
    assert pitches("C D E F [|] :|\n|: G A B c :|") == [
        *twice, 67, 69, 71, 72, 67, 69, 71, 72]


def test_a_start_repeat_before_an_empty_bar_starts_the_section() -> None:
    """``|:|`` is ``|:`` then ``|``, the longest bar line first, as both players read it;
    a start repeat with nothing before the next bar line (``|:|``, ``|: |``, ``|:[|``)
    still starts the section the next ``:|`` repeats (§4.8)."""
    for body in ("C D E F|:|G4:|", "C D E F|: |G4:|", "C D E F|:[|G4:|"):
        assert pitches(body) == [60, 62, 64, 65, 67, 67], body
        assert codes(HEAD + body + "\n") == []
    assert pitches("C D E F|G A B c|:|") == [60, 62, 64, 65, 67, 69, 71, 72]


def test_a_key_written_against_its_accidental() -> None:
    """``K:Dmix=c`` is D mixolydian with C natural, as both players read it (found on
    Ryan's Mammoth, where it was taken for a property named "Dmix" and the key was
    lost); a property after a space (``clef=bass``, ``m=c``) is still a property."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:D\n"
    assert pitches("c f c f|\nK:Dmix=c\nc f|\nK:Am=c\nc g|]", head) == [
        73, 78, 73, 78, 72, 78, 72, 79]
    key = abcparse.parse(head.replace("K:D", "K:D m=c clef=bass") + "c|]\n").tunes[0].header.key
    assert key is not None and key.tonic == "D" and key.accidentals == ()
    assert key.clef.name == "bass" and key.clef.middle is not None


def test_a_decoration_name_may_hold_a_colon() -> None:
    """``!fermat:a!`` is an (unknown) decoration, as both players read it, not two ABC
    2.0 line breaks around the notes f, e and a (found on Ryan's Mammoth, where --fix then
    wrote those letters out as notes)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    text = head + "C D E !fermat:a!z|F G A B|]\n"
    assert pitches("C D E !fermat:a!z|F G A B|]", head) == [60, 62, 64, 65, 67, 69, 71]
    assert codes(text) == ["ABC330"]


def test_a_tuplet_inside_a_tuplet_is_not_read() -> None:
    """§4.13 has no nested tuplets: ``(3(3CDE`` and ``(3C D (3EFG`` are read with the
    first mark alone, as abc2midi and abcjs play them (found in O'Neill's 1850 and in
    generated tunes); the inner mark is reported and its safe fix deletes it."""
    from abcparse.format.repair import fix_text

    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    for body in ("(3(3CDE F G|]", "(3C D (3EF G|]"):
        onsets = [e.onset for e in abcparse.parse(head + body + "\n").tunes[0].events()]
        assert [str(o) for o in onsets] == ["0", "2/3", "4/3", "2", "3"], body  # in beats
        assert codes(head + body + "\n") == ["ABC324"]
        fixed = fix_text(head + body + "\n").text
        assert fixed.count("(3") == 1 and codes(fixed) == []


def test_an_empty_decoration_keeps_the_notes_after_it() -> None:
    """``A!!Bc!4!e`` is A, an empty (unknown) decoration, B, c, the fingering !4! and e, as
    abc2midi and abcjs both play it (found in a tunebook of fingered Irish tunes); read as
    two ABC 2.0 line breaks, ``!Bc!`` became a decoration and B and c were lost."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert pitches("A!!Bc!4!e|]", head) == [69, 71, 72, 76]
    assert codes(head + "A!!Bc!4!e|]\n") == ["ABC330"]


def test_a_broken_rhythm_with_no_note_before_it_is_not_played() -> None:
    """§4.4: ``>`` pairs the notes on either side. With none before it (the start of the
    music, an overlay, straight after a tuplet mark) abc2midi and abcjs both play the next
    note as written (found by random differential tests); the sign is reported (ABC325)
    and its safe fix deletes it. Between two notes, across a chord symbol or a
    decoration, it still pairs them."""
    from abcparse.format.repair import fix_text

    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert durations(">B2 c2|]", head) == [(71, 2.0), (72, 2.0)]
    assert durations("A2 (3>cde f|]", head)[:2] == [(69, 2.0), (72, 2 / 3)]
    assert durations("A2 B2 & >e2 f2|]", head) == [(69, 2.0), (76, 2.0), (71, 2.0), (77, 2.0)]
    assert durations('A2 "G">B2|]', head) == [(69, 3.0), (71, 1.0)]
    text = head + ">B2 c2|A2 (3>cde|]\n"
    assert codes(text) == ["ABC325", "ABC325"]
    fixed = fix_text(text).text
    assert fixed.endswith("\nB2 c2|A2 (3cde|]\n")
    assert pitches(fixed[len(head):].strip(), head) == pitches(text[len(head):].strip(), head)


def test_a_broken_rhythm_right_after_a_bar_line_pairs_nothing() -> None:
    """``A|>B2``: the bar line stands between the note and the sign; abcjs and abc2midi
    both play B2 as written (abc2midi pairs only some lengths: ``A2|>B2``). The sign is
    reported (ABC325); written before the bar line it pairs the notes, as both play it."""
    head = "X:1\nT:t\nM:3/4\nL:1/8\nK:C\n"
    assert durations("A|>B2 c2|", head) == [(69, 0.5), (71, 1.0), (72, 1.0)]
    assert durations("A2|>B2 c2|", head) == [(69, 1.0), (71, 1.0), (72, 1.0)]
    assert durations("A2>|B2 c2|", head) == [(69, 1.5), (71, 0.5), (72, 1.0)]
    found = abcparse.check(head + "A|>B2 c2|A2>|B2 c2|]\n", select="ABC325")
    assert [(d.line, d.col) for d in found] == [(6, 3)]


def test_an_empty_repeated_section_repeats_nothing() -> None:
    """``B|: :|C``: the section between the signs is empty, so its repeat plays nothing
    and the music before ``|:`` is not repeated (§4.8), as both players read it; the two
    signs used to merge into one ``::`` that repeated G A B (found by random tunes).
    ``B|\n:|C`` (a ``:|`` that opens the next line) still ends the section before it."""
    assert pitches("G A B|: :|C D|") == [67, 69, 71, 60, 62]
    assert pitches("G A B|:\n:|C D|") == [67, 69, 71, 60, 62]
    assert pitches("G A B|\n:|C D|") == [67, 69, 71, 67, 69, 71, 60, 62]
    assert pitches("G A B|: ::C D:|") == [67, 69, 71, 60, 62, 60, 62]


def test_a_field_line_ending_with_a_backslash_still_sets_its_value() -> None:
    """``L:1/8\\`` between music lines joined by ``\\``: ABC 2.1 disallows ABC 2.0's
    field continuation (§10.3); the value is read without the backslash, as abc2midi and
    abcjs read it (it used to be unreadable, so the unit length stayed 1/4 and every
    later note was twice as long). The backslash is reported (ABC107) and its safe fix
    deletes it (found 17 times in a public collection, atrilcoral: ``K:D\\``)."""
    from abcparse.format.repair import fix_text

    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    body = "C D E F|\\\nL:1/8\\\nG2 A2 B2 c2|\\\nK:G\\\nf4 f4|]"
    assert durations(body, head) == [
        (60, 1), (62, 1), (64, 1), (65, 1), (67, 1), (69, 1), (71, 1), (72, 1), (78, 2),
        (78, 2)]
    text = head + body + "\n"
    assert [(d.code, d.line, d.col) for d in abcparse.check(text)] == [
        ("ABC107", 7, 6), ("ABC107", 9, 4)]
    fixed = fix_text(text).text
    assert fixed == head + "C D E F|\\\nL:1/8\nG2 A2 B2 c2|\\\nK:G\nf4 f4|]\n"
    assert durations(fixed[len(head):].strip(), head) == durations(body, head)


def test_an_ending_right_after_a_repeat_sign_that_also_starts_one_loses_no_note() -> None:
    """``[1 E4 :|:[2 F4|``: the ending after ``:|:`` (or ``::``) is the second ending of
    the section the sign closes, as both players read it; the sign's ``|:`` opens
    nothing. It used to open a new section whose ``[2`` was never reached, so F4 and
    every note after it were lost (found in a public collection, atrilcoral). The form
    findings read it the same way: no lone ending, no ending without a first."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    for sign in (":|:", "::"):
        body = f"|: C D E F|[1 E4 {sign}[2 F4|\nG A B c|]"
        assert pitches(body, head) == [60, 62, 64, 65, 64, 60, 62, 64, 65, 65, 67, 69, 71, 72]
        assert codes(head + body + "\n") == []


def test_a_line_that_starts_with_a_note_and_a_repeat_sign_is_music() -> None:
    """``e:|`` at the start of a line: a field by the letter of §3, but a-g are no field
    letters and abc2midi and abcjs both read a note and a repeat (found in Nottingham
    Music Database copies: the last note of a part on its own line). Read as music, so
    the e is played and the section repeats; reported (ABC108), the safe fix writes
    ``e :|``. ``G:`` (a field letter) stays a field, and one definition of a field line
    serves the grammar and the formatter."""
    from abcparse.format.repair import fix_text
    from abcparse.parser import line_parser
    from abcparse.split import FIELD_START_PATTERN, KEY_START_PATTERN

    terminals = line_parser().terminals
    assert terminals["FIELD_START"].pattern.value == FIELD_START_PATTERN
    assert terminals["KEY_START"].pattern.value == KEY_START_PATTERN
    text = HEAD + "|:C D E F|\ne:|\nG:group\nd::A B c d:|\n"
    assert pitches(text[len(HEAD):]) == [
        60, 62, 64, 65, 76, 60, 62, 64, 65, 76, 74, 74, 69, 71, 72, 74, 69, 71, 72, 74]
    found = abcparse.check(text, select="ABC108")
    assert [(d.code, d.line) for d in found] == [("ABC108", 7), ("ABC108", 9)]
    fixed = fix_text(text).text
    assert "\ne :|\n" in fixed and "\nd ::A B c d:|\n" in fixed
    assert pitches(fixed[len(HEAD):]) == pitches(text[len(HEAD):])


def test_an_ending_parted_from_its_bar_line_is_kept() -> None:
    """``:|`` ends a line and ``2 A4`` opens the next: abc2midi and abcjs read no ending
    there (the digit starts nothing), and neither does abcparse; but the safe fix of the
    unexpected character used to delete the digit, the author's ending. It keeps it now,
    and the finding says what it most likely is (found in a public collection, where
    deleting it moved abcjs away from the written endings)."""
    from abcparse.format.repair import fix_text

    text = HEAD + "|: C D E F|\n1 G4:|\n2 A4|]\n"
    found = abcparse.check(text)
    assert [(d.code, d.line) for d in found] == [("ABC101", 7), ("ABC101", 8)]
    assert "Write [2 for the ending" in found[1].message
    assert fix_text(text).text == text
    assert pitches(text[len(HEAD):]) == [60, 62, 64, 65, 67, 60, 62, 64, 65, 67, 69]
    # Writing both endings changes what is played (G4 no longer twice): unsafe only.
    unsafe = abcparse.repair(text, unsafe=True).text
    assert unsafe == HEAD + "|: C D E F|\n[1 G4:|\n[2 A4|]\n"
    assert pitches(unsafe[len(HEAD):]) == [60, 62, 64, 65, 67, 60, 62, 64, 65, 69]
    # An ending after it that lacks its first (the parted one) keeps its mark too.
    text = HEAD + "|: C D E F|\n1 G4:|2 A4|]\n"
    assert [d.code for d in abcparse.check(text)] == ["ABC101", "ABC303"]
    assert fix_text(text).text == text
    assert abcparse.repair(text, unsafe=True).text == HEAD + "|: C D E F|\n[1 G4:|2 A4|]\n"


def test_a_second_ending_parted_from_its_bar_line_after_a_written_first_is_written() -> None:
    """``|1 dcBA:|`` then ``2 GABc`` on the next line (40 times in the public collections
    tried): the second pass goes on after the first ending whether the digit is read as
    an ending or as nothing, so writing ``[2`` keeps the music (for abcparse, abc2midi and
    abcjs alike) and gives the tune back its ending: a safe fix. With no first ending
    written, a lone ``[2`` would be read three ways by the players: the digit stays."""
    from abcparse.format.repair import fix_text

    text = HEAD + "|:GABc|1 dcBA:|\n2 GABc|d4|]\n"
    fixed = fix_text(text).text
    assert fixed == HEAD + "|:GABc|1 dcBA:|\n[2 GABc|d4|]\n"
    assert pitches(fixed[len(HEAD):]) == pitches(text[len(HEAD):])
    assert not abcparse.check(fixed)
    lone = HEAD + "|:GABc|dcBA:|\n2 GABc|d4|]\n"
    assert fix_text(lone).text == lone
    # A chord's length is no ending: the digit is still alone.
    chord = HEAD + "|:GABc|[CEG]2 dc:|\n2 GABc|d4|]\n"
    assert fix_text(chord).text == chord


def test_an_ending_number_spaced_from_its_bar_line_is_kept() -> None:
    """``:| 2`` (§4.9 calls the space illegal; a Swedish tunebook writes it): the digit is
    read as no ending, as both players read it, and it used to be deleted as a stray
    character by the safe fix, losing the author's ending. It is an ending parted from
    its bar line, as after a line wrap: written ``[2`` where the first ending is, kept
    where it stands alone; not in a field or lyrics line."""
    from abcparse.format.repair import fix_text

    text = HEAD + "|:GABc|1 dcBA:| 2 GABc|d4|]\n"
    found = {d.code: d for d in abcparse.check(text)}
    assert set(found) == {"ABC101", "ABC306"}  # [1 has no ending after it, as read
    assert "an ending parted from its bar line?" in found["ABC101"].message
    fixed = fix_text(text).text
    assert fixed == HEAD + "|:GABc|1 dcBA:| [2 GABc|d4|]\n"
    assert pitches(fixed[len(HEAD):]) == pitches(text[len(HEAD):])
    lone = HEAD + "|:GABc|dcBA:| 2 GABc|d4|]\n"
    assert fix_text(lone).text == lone
    assert pitches(lone[len(HEAD):]) == pitches("|:GABc|dcBA:| GABc|d4|]")
    # A length after a note is a stray length still, deleted whole.
    assert fix_text(HEAD + "GA 2 Bc|]\n").text == HEAD + "GA Bc|]\n"


def test_an_indented_field_line_is_a_field() -> None:
    """`` L:1/16`` and ``  K:G``: by the letter of §3 not fields (a field line begins with
    its letter), so they were read as music: the letter, a stray colon, and ``K:G``
    played a G that nobody wrote, while the unit length change was lost. abc2midi and
    abcjs both read them as fields, and so does abcparse now (found in an outside
    collection); the indentation is reported (ABC109) and its safe fix deletes it,
    which changes nothing that is played. In the header too, and ``  K:`` ends it."""
    from abcparse.format.repair import fix_text

    text = HEAD + "C D E F|\n L:1/16\n c4 d4 e4 f4|\n  K:G\n\tF2 F2|]\n"
    found = abcparse.check(text)
    assert [(d.code, d.line, d.col) for d in found] == [("ABC109", 7, 1), ("ABC109", 9, 1)]
    tune = abcparse.parse(text).tunes[0]
    notes = [e for e in tune.voices[0].elements if isinstance(e, abcparse.Note)]
    assert [(n.letter, n.length) for n in notes][4:] == [
        ("C", 4), ("D", 4), ("E", 4), ("F", 4), ("F", 2), ("F", 2)]
    assert pitches(text[len(HEAD):]) == [60, 62, 64, 65, 72, 74, 76, 77, 66, 66]
    fixed = fix_text(text).text
    assert fixed == HEAD + "C D E F|\nL:1/16\n c4 d4 e4 f4|\nK:G\n\tF2 F2|]\n"
    assert abcparse.check(fixed) == []
    assert pitches(fixed[len(HEAD):]) == pitches(text[len(HEAD):])
    # In the header: an indented field is read, and an indented K: ends the header.
    head = "X:1\n T:Indented title\nM:4/4\n L:1/8\n K:D\nF2 F2|]\n"
    tune = abcparse.parse(head).tunes[0]
    assert tune.header.title == "Indented title"
    assert [n.length for n in tune.voices[0].elements if isinstance(n, abcparse.Note)] == [2, 2]
    assert [h.title for h in abcparse.read_headers(head)] == ["Indented title"]
    # An indented note letter with a repeat sign is a wrapped line's last note, music for
    # both players (`` B::``), as it is unindented for a lower-case letter (``e:|``).
    text = HEAD + "|:C D E F|\n B::\nG A B c:|\n"
    assert pitches(text[len(HEAD):]) == [60, 62, 64, 65, 71] * 2 + [67, 69, 71, 72] * 2


def test_a_repeat_start_added_after_an_ending_is_written_before_the_next_section() -> None:
    """ABC302's safe fix marks where a repeated section starts. After a second ending
    closed by ``:|`` it wrote ``::``, which abc2midi reads as another pass of the section
    before; ``|:`` before the next section's first note says only where it starts, and
    abc2midi then plays the engine's reading (found in an outside tunebook, where ``::``
    made abc2midi differ)."""
    from abcparse.format.repair import fix_text

    head = "%abc-2.1\nX:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    text = head + "|:C D E F|1 G4:|2 A4:|\nc d e f|1 g4:|2 a4||\n"
    assert [d.code for d in abcparse.check(text)] == ["ABC302"]
    fixed = fix_text(text).text
    assert fixed == head + "|:C D E F|1 G4:|2 A4:|\n|:c d e f|1 g4:|2 a4||\n"
    assert pitches(fixed[len(head):], head) == pitches(text[len(head):], head)


def test_a_mark_between_a_note_and_its_broken_rhythm_is_moved_after_the_sign() -> None:
    """``G.>F``: the staccato written before ``>`` is the F's (§4.14), and the sign still
    pairs G and F (§4.4), as abc2midi plays it; abcjs drops the rhythm. ABC326 reports
    each such mark (decorations, chord symbols, annotations, a slur's ``(``) and its safe
    fix moves it after the sign, where all readers agree, without changing the music
    (found in outside collections: ``.G.>F``)."""
    from abcparse.format.repair import fix_text

    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    body = 'G.>F A B|G!trill! >F A B|G"Am"(>F) A B|G>.F A B|G{a}>F A B|]'
    text = head + body + "\n"
    found = abcparse.check(text)
    assert [(d.code, d.col) for d in found] == [
        ("ABC326", 2), ("ABC326", 11), ("ABC326", 27), ("ABC326", 50)]
    assert durations(body, head)[:2] == [(67, 1.5), (65, 0.25)]  # staccato F
    fixed = fix_text(text).text
    assert fixed == head + 'G>.F A B|G >!trill!F A B|G>"Am"(F) A B|G>.F A B|G>{a}F A B|]\n'
    assert codes(fixed) == []
    assert durations(fixed[len(head):].strip(), head) == durations(body, head)


def test_a_broken_rhythm_before_a_repeat_sign_is_played_whole() -> None:
    """``G2>|:f2`` lengthens the G and shortens the f, as abc2midi and abcjs both play it;
    the f used to keep its length, so the tune gained time (found in a Pittsburgh session
    tunebook)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert durations("G2>|:f2 g2 a2 b2:|", head)[:2] == [(67, 3.0), (77, 1.0)]
    assert durations("|:A2 B2 c2 d2>:|e2 f2 g2 a2|]", head)[7:9] == [(74, 3.0), (76, 1.0)]


def test_a_decoration_name_may_hold_spaces() -> None:
    """``!D.C. al fine!`` is one (unknown) decoration for abc2midi and abcjs; read as two
    ABC 2.0 line breaks around text, its letters became the notes D, C, a, f, e (found
    in a Bulgarian dance tunebook). A line's closing 2.0 ``!`` is still a line break."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert pitches("c d e f|!D.C. al fine!|]", head) == [72, 74, 76, 77]
    assert codes(head + "c d e f|!D.C. al fine!|]\n") == ["ABC330"]
    assert pitches("c d e f|!\ng a b c|]", head) == [72, 74, 76, 77, 79, 81, 83, 72]


def test_an_empty_second_ending_before_a_start_repeat() -> None:
    """``|: A |1 B :|2 |: c d :|``: the second ending is empty and ``c d`` a section of
    its own, played twice, as abc2midi and abcjs both play it; the ending used to be
    read onto the next section, whose first pass then skipped it (found in a Scottish
    tunebook, where a whole bar was lost)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    for ending in (":|2 ", ":|[2 ", ":| [2 "):
        body = f"|: A |1 B {ending}|: c d :|"
        assert pitches(body, head) == [69, 71, 69, 72, 74, 72, 74], body
    assert codes(head + "|: A B C D|1 B A G F:|2 |: c d e f:|\n") == []


def test_the_repeat_closing_endings_for_two_passes_goes_back_again() -> None:
    """``|: A B |1,2 c d :| e f``: the ``:|`` of the ending for passes 1 and 2 goes back
    each time it is reached, so a third pass with no ending leads on to ``e f``, as
    abc2midi and abcjs both play it (found in two Danish and Scottish tunebooks)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert pitches("|: A B |1,2 c d :| e f |]", head) == [69, 71, 72, 74] * 2 + [69, 71, 76, 77]
    assert pitches("|: A |1 B :| c|]", head) == [69, 71, 69, 72]


def test_a_first_ending_closed_by_a_double_bar_implies_its_repeat() -> None:
    """``|: A B |1 c d ||2 e f :| g``: no pass reached the second ending, so ``e f`` was
    never played (found in two tunebooks). The ``||`` is read as the ``:|`` it stands
    for, as in a group with no ``:|`` at all, and reported (ABC306; its safe fix writes
    ``:||``). abc2midi and abcjs run on from ``c d`` into ``e f`` instead."""
    from abcparse.format.repair import fix_text

    head = "X:1\nT:t\nM:2/4\nL:1/4\nK:C\n"
    body = "|: A B |1 c d ||2 e f :| g2|]"
    assert pitches(body, head) == [69, 71, 72, 74, 69, 71, 76, 77, 69, 71, 79]
    assert codes(head + body + "\n") == ["ABC306"]
    fixed = fix_text(head + body + "\n").text
    assert ":||2" in fixed and pitches(fixed[len(head):].strip(), head) == pitches(body, head)


def test_endings_that_no_pass_selects_are_played_as_written() -> None:
    """``F |2 C d3|2 A C|]``: no ``[1`` and no ``:|``, so no pass of a repeat selects
    either ending; every written note is played (issue 12: loose reading loses no
    notes), as a lone ``|2`` is, and ABC303 reports the endings (found by random
    tunes; abc2midi and abcjs play the last ending only)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    assert pitches("F |2 C d3|2 A C|]", head) == [65, 60, 74, 69, 60]
    assert pitches("A|[1 B||[2 C||D|]", head) == [69, 71, 69, 60, 62]  # [1 still repeats


def test_an_ending_run_on_into_the_next_sections_endings_is_as_long_as_the_first() -> None:
    """A second ending that nothing closes, running on into a B part whose ``|:`` was
    left out (many tunebooks, e.g. "The 30 Year Jig" in an outside Irish collection):
    it is read as long as the first ending, and the bars after it start the section
    the B part's ``:|`` repeats. abc2midi runs the ending on into the B part and then
    never plays the B part's first ending (B c here); every note is played here, in
    the order the page means. Only an ending closed by a double bar line implies a
    repeat, so neither ending here adds one."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    body = "|: A B |1 c d :|2 e f | g a |1 B c :|2 d e || C D|]"
    assert pitches(body, head) == [69, 71, 72, 74, 69, 71, 76, 77,
                                   79, 81, 71, 72, 79, 81, 74, 76, 60, 62]


def test_a_tuplet_counts_its_notes_on_across_a_repeat_sign() -> None:
    """``A2 (3Bc|:d e2 f2:|``: the d after ``|:`` is the tuplet's third note, on both
    passes, and ``(3AB|1c`` takes the first ending's c, as abc2midi and abcjs both play
    them (§4.13 counts notes; found by random tunes). The tuplet used to stop at the
    repeat sign, reported as too short (ABC320)."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    d = durations("A2 (3Bc|:d e2 f2:|", head)
    assert [x for _, x in d] == [2.0, 2 / 3, 2 / 3, 2 / 3, 2.0, 2.0, 2 / 3, 2.0, 2.0]
    assert "ABC320" not in codes(head + "A2 (3Bc|:d e2 f2:|\n")


def test_endings_naming_more_than_two_passes_end_the_section_after_the_last() -> None:
    """``|: S |1,3 A :|2,4 B :|`` at the end of a tune is played four times, S A S B S A
    S B, and then the tune ends, as abc2midi and abcjs both play it (six tunes of five
    outside tunebooks); a fifth pass of S alone used to end the tune mid-phrase. With
    music after the group, and for a first and second ending, the closing ``:|`` still
    goes back once more (§4.8), as both players play ``|1 A :|2 B :| C``."""
    s, a, b, c = [69, 71], [60, 62], [64, 65], [67, 69]
    assert pitches("|: A B |1,3 C D :|2,4 E F :|") == (s + a + s + b) * 2
    assert pitches("|: A B |1,2,3 C D :||4 E F :|") == (s + a) * 3 + s + b
    assert pitches("|: A B |1,3 C D :|2 E F :|") == s + a + s + b + s + a
    assert pitches("|: A B |1 C D :|2 E F :|3 G A :| B c") == (
        s + a + s + b + s + c + s + [71, 72]
    )
    assert pitches("|: A B |1 C D :|2 E F :| G A") == s + a + s + b + s + c
    assert pitches("|: A B |1 C D :|2 E F :|") == s + a + s + b + s
    # The end of a part is the end too: part A of P:AB plays twice, then B.
    head = "X:1\nT:t\nM:4/4\nL:1/4\nP:AB\nK:C\n"
    body = "P:A\n|: A B |1,3 C D :|2,4 E F :|\nP:B\nG A|]"
    assert pitches(body, head) == (s + a + s + b) * 2 + c


def test_a_tex_command_line_is_skipped() -> None:
    r"""``\bigskip`` on a line of its own: a TeX command of ABC 1.x (abc2mtex), which
    both players skip; abcparse played its b and g (found in an outside collection,
    between the parts of tunes). Skipped now, reported (ABC110), and the safe fix makes
    it a comment; in the header it no longer ends the header before K:."""
    from abcparse.format.repair import fix_text

    text = HEAD + "C D E F|\n\\bigskip\nG A B c|\n\\vfill\\eject\nc4|]\n"
    assert [(d.code, d.line) for d in abcparse.check(text)] == [("ABC110", 7), ("ABC110", 9)]
    assert pitches(text[len(HEAD):]) == [60, 62, 64, 65, 67, 69, 71, 72, 72]
    fixed = fix_text(text).text
    assert "\n%\\bigskip\n" in fixed and "\n%\\vfill\\eject\n" in fixed
    assert abcparse.check(fixed) == []
    assert pitches(fixed[len(HEAD):]) == pitches(text[len(HEAD):])
    assert "\n\\bigskip\n" in abcparse.format_str(text)  # the formatter keeps the line
    header = "X:1\nT:t\n\\large\nK:D\nF2|]\n"
    assert [h.key.tonic for h in abcparse.read_headers(header)] == ["D"]
    assert [d.code for d in abcparse.check(header)] == ["ABC110"]


def test_an_ending_no_pass_could_select_is_played_as_written() -> None:
    # Two first endings and no :| : an implied repeat would skip the second on pass 2;
    # abc2midi and abcjs both play every bar once (found by random differential tunes).
    assert pitches("G E [1|[1 g C||_E") == [67, 64, 79, 60, 63]
    assert "ABC306" in codes(HEAD + "G E [1|[1 g C||_E\n")


def test_an_ending_closed_at_once_by_the_next_bar_line_is_empty() -> None:
    # "::|1" then "||" on the next line: the ending is empty, the music after the || is
    # in no ending and plays (it was skipped on the repeat), as both players play it.
    assert pitches("[1 g e G::|1\n||^B ^g|E =e") == [79, 76, 67, 72, 80, 64, 76]
    assert pitches("G2 :|1||B2|]") == [67, 67, 71]
    # "|[1:||" then "[2": the empty ending is the [1 written before the :||, not the bar's
    # later [2, so the repeat goes back and the [2 plays on pass 2, as abcjs plays it.
    assert pitches("_c\n|[1:||-[2F d3^g|") == [71, 71, 65, 74, 80]


def test_an_ending_that_opens_a_section_starts_a_new_group() -> None:
    # "|2 E |: |1 D :|": the |: starts a new section, so the lone [2 before it is not one
    # of its endings, and is played as written, as both players play it.
    assert pitches("F|2 E|: |1 D G :|") == [65, 64, 62, 67]


def lengths(body: str, head: str = HEAD) -> list[tuple[int, object]]:
    return [(e.pitch, e.duration)
            for e in abcparse.parse(head + body + "\n").tunes[0].events()]


def test_a_tie_written_after_the_broken_rhythm_sign_ties_the_note_before_it() -> None:
    """``c>-c`` (a tunebook's barndance, written so throughout): the tie stands after the
    sign, where §4.11 wants it against the note (``c->c``). Read as that tie, as abc2midi
    and abcjs both play it; strict reading reports where it is written (ABC323), and the
    safe fix writes ``c->c``."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert lengths("c>-c e c B A B c|", head) == lengths("c->c e c B A B c|", head)
    assert lengths("c>-c e2 c4|", head)[0] == (72, 1)
    assert codes(head + "c>-c e c B A B c|\n", mode="strict") == ["ABC323"]
    fixed = abcparse.repair(head + "c>-c e c B A B c|\n", target="strict").text
    assert "c->c" in fixed
    # After a repeat sign the tie has no note before it in played order (ABC322).
    assert "ABC322" in codes(head + "c>|:-c e c B A B c:|\n")


def test_an_ending_numbered_for_a_pass_that_never_comes_is_the_next_pass() -> None:
    """``|1 ... :|3`` (or ``:|12`` for ``:|2``, in a tunebook's "Lark in the Morning"): one
    ``:|`` makes two passes, so no pass 3 comes. The [3 is played on pass 2, as abcjs
    plays it: the repeat is kept and every written note is played (abcparse used to drop
    the repeat; abc2midi plays no ending on pass 2 and never plays g a b). ABC316 reports
    it, and its safe fix writes [2."""
    head = "X:1\nT:t\nM:3/4\nL:1/4\nK:C\n"
    both = [69, 71, 72, 74, 76, 77, 69, 71, 72, 79, 81, 83]
    for number in ("3", "12"):
        body = f"A B c |1 d e f :|{number} g a b||"
        assert pitches(body, head) == both
        assert codes(head + body + "\n") == ["ABC316"]
        fixed = abcparse.repair(head + body + "\n", warnings=True).text
        assert "A B c |1 d e f :|2 g a b||" in fixed
        assert pitches(fixed.split("K:C\n", 1)[1], head) == both
    # Numbers in order, or passes counted by a part played three times, are as written.
    assert pitches("|:A B c |1 d e f :|2 g a b:|3 c3|]", head) == [
        *both, 69, 71, 72, 72]
    assert "ABC316" not in codes(head + "|:A B c |1 d e f :|2 g a b:|3 c3|]\n")


def test_a_tie_written_after_an_ending_mark_ties_into_that_ending() -> None:
    """``d3 |1 -d`` (a tunebook's "Si Bheag Si Mhor"): the tie stands after the ending
    mark, where §4.11 wants it against the d3. Read as a tie into the first ending from
    the note played before it, as both players play the first pass; the second ending,
    which the tie is not written in, strikes its d3 again (as abcjs plays it). Strict
    reading reports it (ABC323), with no safe fix: ``d3- |1`` would tie into both."""
    head = "X:1\nT:t\nM:3/4\nL:1/4\nK:C\n"
    body = "|:A B c | d3 |1 -d e f :|2 d3 |]"
    assert lengths(body, head) == [
        (69, 1), (71, 1), (72, 1), (74, 4), (76, 1), (77, 1),
        (69, 1), (71, 1), (72, 1), (74, 3), (74, 3)]
    text = head + body + "\n"
    assert codes(text, mode="strict") == ["ABC323"]
    assert codes(text) == []
    assert abcparse.repair(text, target="strict").text == text
    # A tie on both sides of the mark is one tie.
    assert lengths("|:A B c | d3-|1-d e f :|2 d3 |]", head)[3] == (74, 4)


def test_a_decoration_written_before_a_bar_line_is_the_bar_lines() -> None:
    """``G2 | H| D2`` (a tunebook's ``G2 ||`` then ``H|: !p!D``): the fermata stands over
    the bar line (§4.14: decorations apply to notes, rests, groups and bar lines), as in
    ``G2 H| D2``; it used to lengthen the D, which both players play as written."""
    head = "X:1\nT:t\nM:C\nL:1/8\nK:C\n"
    for body in ("G2 | H| D2 F2 |", "G2 H| D2 F2 |", "H| D2 F2|", "G2 || H|: D2 F2 :|"):
        got = lengths(body, head)
        assert (62, 1) in got and (62, 2) not in got, body
    assert (62, 2) in lengths("G2 | HD2 F2 |", head)


def test_a_colon_before_a_thick_bar_is_a_bar_line_that_repeats_nothing() -> None:
    """``f2 H:]`` (Kerr's Merry Melodies): §4.8 asks parsers to accept any bar line made of
    ``| [ ] :``; ``:]`` was read as a stray colon and a stray ``]``, so the accidental ran
    on past it and the fermata lengthened the next note. Read as abc2midi and abcjs play
    it: a thick bar line without a repeat (ABC112, whose safe fix writes ``|]``); ``::]``
    stays ``::`` and a stray ``]``, a repeat in all three."""
    head = "X:1\nT:t\nM:C\nL:1/8\nK:C\n"
    assert lengths("^F2 F2 H:] F2 G2|", head) == [(66, 1), (66, 1), (65, 1), (67, 1)]
    assert pitches("|: C D :] E F", head) == [60, 62, 64, 65]
    text = head + "C2 H:] D2 E2|\n"
    assert codes(text) == ["ABC112"]
    fixed = abcparse.repair(text).text
    assert "C2 H|] D2 E2|" in fixed and codes(fixed) == []
    assert pitches("|: C D ::] E F", head) == [60, 62, 60, 62, 64, 65]


def test_repeat_dots_beside_a_thick_bar_are_reported_and_mended() -> None:
    """``|]: ... :|`` (two outside tunebooks, one with ``|1``/``:|2`` after it, so the
    repeat was meant): §4.8 accepts the shape without giving it a meaning. abcparse reads
    the dots as beside a thin bar; abc2midi and abcjs ignore dots beside ``[`` or ``]``.
    ABC113 reports it and the safe fix writes ``|]|:`` / ``:|[|``, which all three play
    as abcparse read the original (checked against both players in the outside round)."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert pitches("A B c d |]: C D E F :| G2 |", head) == [
        69, 71, 72, 74, 60, 62, 64, 65, 60, 62, 64, 65, 67]
    assert pitches("|: A B :[| c d :|", head) == [69, 71, 69, 71, 72, 74, 72, 74]
    text = head + "A B c d |]: C D E F :| G2 |\n|: A B :[| c d :|\n"
    assert codes(text) == ["ABC113", "ABC113"]
    assert codes(text, mode="strict").count("ABC113") == 2  # errors there
    fixed = abcparse.repair(text).text
    assert fixed == head + "A B c d |]|: C D E F :| G2 |\n|: A B :|[| c d :|\n"
    assert codes(fixed) == []
    # Dots beside a thin bar, and ``:]`` (ABC112), are not this finding.
    assert codes(head + "|: A B :|] c d [|: e f :|\n") == []


def test_dots_after_a_lone_thick_bar_start_a_repeat_not_a_chord() -> None:
    """``[:`` is one of §4.8's liberal bar shapes (a thick bar, then dots); no chord starts
    with a colon. It was read as an unclosed chord (ABC101), so ``GABc`` sounded at once,
    as abc2midi plays it. It is read as ``[|:`` now, reported by ABC113, and the safe fix
    writes ``[|:``, which both players repeat as abcparse read the original."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert lengths("C2 D2 [: G2 A2 :| c2 d2 |]", head) == [
        (60, 1), (62, 1), (67, 1), (69, 1), (67, 1), (69, 1), (72, 1), (74, 1)]
    # After ``:]`` (ABC112, a thick bar that repeats nothing) and with two colons too.
    assert pitches("C D :][: G A :| c |]", head) == [60, 62, 67, 69, 67, 69, 72]
    text = head + "C D [: G A :| c d |]\n"
    assert codes(text) == ["ABC113"]
    fixed = abcparse.repair(text).text
    assert fixed == head + "C D [|: G A :| c d |]\n"
    assert codes(fixed) == []
    assert pitches("C D [|: G A :| c d |]", head) == pitches("C D [: G A :| c d |]", head)


def test_a_long_annotation_or_inline_field_is_read_whole() -> None:
    """A tunebook's notes on a song in a ``"_..."`` annotation of 300-500 characters: the
    quoted string was limited to 256 characters, so its ``"`` was a stray character and
    the notes up to the bar line were lost (both players play them; §4.19 sets no
    length). The same for an inline field's value (§3.2)."""
    head = "X:1\nT:t\nM:2/4\nL:1/8\nK:D\n"
    words = "Note text here. " * 40
    for body in (f'"_{words}" F2 ED | D4 |]', f"F2 ED [r:{words}] | D4 |]"):
        assert pitches(body, head) == [66, 64, 62, 62], body[:20]
        assert codes(head + body + "\n") == [], body[:20]


def test_unclosed_strings_on_one_line_cost_linear_time() -> None:
    """A line of ``"\\"\\"\\"...`` (a quote, then escaped quotes that never close) or of
    ``[r:[r:...``: each opening scans to the end of the line and fails. After the first
    failure the rest of the line is read without trying again, so the work grows with the
    line, not its square (measured in scanner calls, not seconds)."""
    from abcparse import parser

    calls: list[int] = []
    original = parser._OnceALine.match

    def counting(self: parser._OnceALine, text: str, pos: int) -> object:
        m = original(self, text, pos)
        if self.memo[1] == pos:  # this call scanned (and failed)
            calls.append(pos)
        return m

    head = "X:1\nT:t\nL:1/8\nK:C\n"
    parser._OnceALine.match = counting  # type: ignore[method-assign]
    try:
        for unit in ('\\"', "[r:"):
            calls.clear()
            opening = '"' if unit == '\\"' else ""
            text = head + "C" + opening + unit * 2000 + "\nD E|\n"
            tune = abcparse.parse(text).tunes[0]
            assert len(calls) <= 2, (unit, len(calls))
            assert [e.pitch for e in tune.events()][-2:] == [62, 64]
    finally:
        parser._OnceALine.match = original  # type: ignore[method-assign]


def test_the_file_headers_settings_are_every_tunes_defaults() -> None:
    """§2.2.2: the file header sets default values for the tunes in the file, and a tune's
    own settings override them. ``%%propagate-accidentals`` (§11.3) and ``%%MIDI
    transpose`` written there were ignored (abcjs follows the second; abc2midi neither)."""
    tune = "X:1\nT:t\nL:1/4\nK:C\n^F F|\n"
    for setting, pitches_heard in (("%%propagate-accidentals not", [66, 65]),
                                   ("I:propagate-accidentals not", [66, 65]),
                                   ("%%MIDI transpose 2", [68, 68]),
                                   ("I:MIDI transpose 2", [68, 68]),
                                   ("%%MIDI program 40", [66, 66])):
        book = abcparse.parse(f"{setting}\n\n{tune}\nX:2\nT:u\nL:1/4\n"
                              "%%MIDI transpose 0\n%%propagate-accidentals pitch\nK:C\n^F F|\n")
        first, second = ([e.pitch for e in t.events()] for t in book.tunes)
        assert first == pitches_heard, setting
        assert second == [66, 66], setting  # the tune's own settings win
    # Alone, a tune starts from nothing: the file header is not in its text.
    assert [e.pitch for e in abcparse.parse(tune).tunes[0].events()] == [66, 66]


def test_an_empty_first_ending_keeps_the_second_endings_number() -> None:
    """``|1:|2 B:|``: the first ending is empty (§4.10), and the bar after it is the
    second ending, not a bar outside the group: the last ``:|`` goes back to the section,
    as both players play it (it replayed B, the ending)."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert pitches("|:c|1:|2 B:|e||", head) == [72, 72, 71, 72, 76]
    assert pitches("|:c|1 z:|2 B:|e||", head) == [72, 72, 71, 72, 76]


def test_a_tie_reaches_one_note_of_a_chord() -> None:
    """§4.11 ties two notes: ``^a-|[aa]`` carries the sharp to one ``a`` of the chord;
    the other is natural, the bar line having ended the accidental (§4.2), as both
    players play it."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"
    assert pitches("^a-|[aa]", head) == [82, 81]
    assert pitches("[^a-a]|[aa]", head) == [82, 82, 81]
    # A grace note of the letter before the tied note does not take the tie from it.
    tune = abcparse.parse(head + "^a-|{a}a b\n").tunes[0]
    assert [(e.pitch, e.duration) for e in tune.events()] == [(82, 1), (83, Fraction(1, 2))]


def test_a_multi_measure_rest_in_free_meter_lasts_whole_notes() -> None:
    """§4.5's ``Z``/``X`` count measures, which free meter (§3.1.6: no M:, or M:none)
    does not have; a measure is read as a whole note, as both players read it."""
    for head in ("X:1\nT:t\nL:1/8\nK:C\n", "X:1\nT:t\nM:none\nL:1/8\nK:C\n"):
        tune = abcparse.parse(head + "c Z2 =e\n").tunes[0]
        assert [e.onset for e in tune.events()] == [0, Fraction(17, 2)]  # quarter notes


def test_a_plus_decoration_may_hold_spaces() -> None:
    """§12.1.2 ``+name+`` is ``!name!`` under ``I:decoration +``: ``+D.C. al fine+`` is
    one decoration, as ``!D.C. al fine!`` is, not six stray letters played as notes (both
    players read it so); ``+E3 c3 +`` is still the obsolete chord (§12.1.3)."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nI:decoration +\nK:C\n"
    assert pitches("D2+D.C. al fine+B2|", head) == [62, 71]
    assert pitches("D2 +E3 c3 + B2|", head) == [62, 64, 72, 71]


def test_a_tie_holds_across_a_change_of_transposition() -> None:
    """§4.11 ties two written notes of one pitch: ``F-[I:MIDI transpose 2]F`` holds the
    F, as both players play it, instead of sounding a G after it (and ABC321 called the
    tie one between different pitches)."""
    text = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\nF-[I:MIDI transpose 2]F G|\n"
    tune = abcparse.parse(text).tunes[0]
    assert [(e.pitch, e.duration) for e in tune.events()] == [
        (65, Fraction(1)), (69, Fraction(1, 2))]
    assert "ABC321" not in codes(text)


def test_a_bar_holding_only_an_overlay_ends_at_its_bar_line() -> None:
    """§7.4: an overlay lasts to the bar line. ``A|&|B3|`` has a bar holding only ``&``;
    it was carried into the next bar, whose B3 then went onto the overlay while the main
    voice stood still, so every later note came 3/8 early (both players play B3 in the
    main voice)."""
    head = "X:1\nT:t\nM:3/8\nL:1/8\nK:C\n"
    tune = abcparse.parse(head + "A|&|B3|b|c3|d\n").tunes[0]
    assert [(e.pitch, e.onset) for e in tune.events()] == [
        (69, 0), (71, Fraction(1, 2)), (83, 2), (72, Fraction(5, 2)), (74, 4)]


def _voices(text: str) -> dict[str, list[tuple[int, Fraction]]]:
    from abcparse.events import tune_events

    out: dict[str, list[tuple[int, Fraction]]] = {}
    for e in tune_events(abcparse.parse(text).tunes[0], grace="ignore"):
        out.setdefault(e.voice, []).append((e.pitch, e.onset))
    return out


def test_a_body_voice_field_changes_the_voice_from_where_it_is_written() -> None:
    """§7.1: voice properties "may be also set or changed in the tune body". A body
    ``[V:2 octave=1]`` then ``[V:2 octave=0]`` used to apply the last to the whole voice;
    both players change the octave where each is written (found by a multi-voice round
    against abc2midi and abcjs). The same for ``clef=`` and ``transpose=``, and a header
    ``V:`` is what the voice starts with."""
    head = "X:1\nL:1/4\nM:4/4\nK:C\n"
    got = _voices(head + "[V:1] CDEF|\n[V:2 octave=1] CDEF|\n[V:1] CDEF|\n"
                  "[V:2 octave=0] CDEF|\n")
    assert [p for p, _ in got["2"]] == [72, 74, 76, 77, 60, 62, 64, 65]
    got = _voices("X:1\nL:1/4\nM:4/4\nV:1 clef=treble-8\nK:C\n[V:1] CDEF|\n"
                  "[V:1 clef=treble] CDEF|\n")
    assert [p for p, _ in got["1"]] == [48, 50, 52, 53, 60, 62, 64, 65]
    got = _voices(head + "V:1\nCDEF|\nV:1 transpose=3\nCDEF|\n")
    assert [p for p, _ in got["1"]] == [60, 62, 64, 65, 63, 65, 67, 68]
    tune = abcparse.parse(head + "V:1\nCDEF|\nV:1 transpose=3\nCDEF|\n").tunes[0]
    assert tune.voices[0].clef.transpose == 3  # the model still gathers every V:


def test_an_overlay_is_a_voice_of_its_own_for_accidentals() -> None:
    """§7.4: the notes after ``&`` are "a temporary voice": ``^F G F G & F2 F2`` plays
    the overlay's Fs natural, as both players do; the main voice's sharp used to carry
    into it."""
    got = _voices(HEAD + "^F G F G & F2 F2 |\n")
    assert [p for p, _ in got["1"]] == [66, 67, 66, 67]
    assert [p for p, _ in got["1&1"]] == [65, 65]


def test_a_multi_measure_rest_counts_its_own_voices_measures() -> None:
    """§7.3: a meter written in one voice is that voice's. ``Z`` in voice 2, after
    ``[M:3/4]`` in voice 1, rests one 4/4 bar (voice 2's own meter), as both players
    play it; it used to take the meter last written anywhere in the text. Its model
    length says the same."""
    text = "X:1\nL:1/4\nM:4/4\nK:C\n[V:1] [M:3/4] C D E | C D E |\n[V:2] Z | C D E F |\n"
    got = _voices(text)
    assert got["2"][0] == (60, Fraction(4))
    assert got["1"][3] == (60, Fraction(3))
    rest = abcparse.parse(text).tunes[0].voices[1].bars[0].elements[0]
    assert isinstance(rest, abcparse.Rest) and rest.length == 4
    text = "X:1\nL:1/4\nM:4/4\nK:C\n[V:1] [L:1/8] CDEF GABc |\n[V:2] Z | C D E F |\n"
    assert _voices(text)["2"][0] == (60, Fraction(4))


def test_a_tie_reaches_the_next_note_of_its_own_overlay_layer() -> None:
    """§4.11 with §7.4 (an overlay is "a temporary voice"): ``^F4- & C4|F4|`` holds the
    main voice's F sharp over the bar line (the overlay's C was taking the tie, so the F
    was struck again, natural, with a false ABC321), and ``C4 & ^F4-|F4|`` leaves the
    main voice's F natural; an overlay's tie goes on in the next bar's overlay. As both
    players play them (a multi-voice probe round)."""
    assert _voices(HEAD + "^F4- & C4|F4|\n")["1"] == [(66, Fraction(0))]
    got = _voices(HEAD + "C4 & ^F4-|F4|\n")
    assert got["1"] == [(60, Fraction(0)), (65, Fraction(4))]
    assert got["1&1"] == [(66, Fraction(0))]
    got = _voices(HEAD + "c4 & A2 ^F2-|c4 & F2 A2|\n")
    assert got["1&1"] == [(69, Fraction(0)), (66, Fraction(2)), (69, Fraction(6))]
    assert "ABC321" not in codes(HEAD + "^F4- & C4|F4|\n")


def test_a_midi_transpose_field_before_the_first_voice_moves_every_voice() -> None:
    """``[I:MIDI transpose 2]`` (or ``I:MIDI transpose 2``) before the first ``V:`` of
    the body moves every voice, as ``%%MIDI transpose 2`` there does and as both players
    read either form (§3.1.17); it moved the first voice only. After a ``V:`` it moves
    that voice from where it stands."""
    for line in ("[I:MIDI transpose 2]", "I:MIDI transpose 2", "%%MIDI transpose 2"):
        got = _voices(HEAD + line + "\n[V:1]C4|[V:2]c4|\n")
        assert (got["1"], got["2"]) == ([(62, 0)], [(74, 0)]), line
    got = _voices(HEAD + "[V:1]C4|[V:2]c4|\n[V:1][I:MIDI transpose 2] C4|[V:2]c4|\n")
    assert [p for p, _ in got["1"]] == [60, 62] and [p for p, _ in got["2"]] == [72, 72]


def test_part_labels_in_a_score_written_voice_after_voice() -> None:
    """§7: a score written voice after voice plays "exactly the same" as interleaved.
    With each voice carrying its own ``P:A``/``P:B``, the second voice's intro took the
    first voice's last label (part B) and was played there, after part A; it is the
    intro, as in the interleaved layout (and as abcjs plays it)."""
    head = "X:1\nM:4/4\nL:1/4\nP:AB\nK:C\n"
    blocks = head + "V:1\nE4|\nP:A\nCDEF|\nP:B\nGABc|\nV:2\ne4|\nP:A\nc4|\nP:B\ng4|\n"
    interleaved = (head + "V:1\nE4|\nV:2\ne4|\nP:A\nV:1\nCDEF|\nV:2\nc4|\nP:B\nV:1\n"
                   "GABc|\nV:2\ng4|\n")
    assert _voices(blocks) == _voices(interleaved)
    assert [p for p, _ in _voices(blocks)["2"]] == [76, 72, 79]


def test_the_slur_written_for_a_tie_ends_at_the_note_the_tie_reaches() -> None:
    """ABC321's safe fix writes a tie between different pitches as a slur, ending at the
    note the engine ties to: the next of the tie's overlay layer, not the next written.
    Where another layer's music stands between, no slur can say it: the finding stays."""
    from abcparse.format.repair import fix_text

    assert fix_text(HEAD + "B-c d2|]\n").text == HEAD + "(Bc) d2|]\n"
    for body in ("C D E F & c d- | d2 G2 & g4|]\n", "A B c- & C4|d4|]\n"):
        assert fix_text(HEAD + body).text == HEAD + body, body
        assert "ABC321" in codes(HEAD + body)


def test_a_key_written_in_an_overlay_is_the_overlays() -> None:
    """§7.4, "a temporary voice": ``F G A B & [K:D] F4 | F G A B & F4 |`` plays the
    overlay's first F sharp and every later F natural, as both players do (the key used
    to carry into the main voice's next bar); a key set in the bar's first layer holds in
    its overlay too."""
    head = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n"
    got = _voices(head + "F G A B & [K:D] F4 | F G A B & F4 | F4 |\n")
    assert [p for p, _ in got["1"]] == [65, 67, 69, 71, 65, 67, 69, 71, 65]
    assert [p for p, _ in got["1&1"]] == [66, 65]
    got = _voices(head + "F G A B & F4 | [K:D] F G A B & F4 | F4 |\n")
    assert [p for p, _ in got["1"]][-1] == 66 and [p for p, _ in got["1&1"]] == [65, 66]


def test_history_lines_without_a_field_are_history_not_music() -> None:
    """§10.1's outdated ``H:`` runs on over the lines after it until the next field (the
    standard's own example): those lines were read as music before ``K:`` (ABC204, an
    error in strict reading), so ``continues here`` sounded c e e e. abc2midi and abcjs
    read them as history. Read so, with the deprecation warning §10 asks for (ABC213) in
    both readings, and a safe fix that writes ``+:``."""
    text = ("X:1\nT:t\nH:this history\ncontinues here % a comment\nM:4/4\nL:1/8\nK:C\n"
            "CDEF GABc|\n")
    tune = abcparse.parse(text).tunes[0]
    assert [e.pitch for e in tune.events()] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert tune.header.fields[2].value == "this history continues here"
    assert codes(text) == ["ABC213"] and codes(text, mode="strict") == ["ABC213"]
    fixed = abcparse.repair(text, warnings=True).text
    assert "H:this history\n+:continues here % a comment\n" in fixed and codes(fixed) == []
    # Without a K: after it, the line is music before K: as before (a fragment).
    assert codes("X:1\nT:t\nH:a history\nCDEF|\n")[:1] == ["ABC204"]


def test_outdated_tempo_counts_unit_notes_per_minute() -> None:
    """§10.1: ``Q:C=120`` and ``Q:120`` both mean 120 unit note lengths a minute; the
    first was unreadable (ABC224, an error in strict reading) and played at the default
    tempo. abc2midi plays ``Q:C=120`` under ``L:1/8`` at 60 quarter notes a minute, as
    read now; ``C2=`` counts notes of two units. Strict reading warns (ABC214, §10)."""
    head = "X:1\nT:t\nM:4/4\nL:1/8\nQ:{}\nK:C\n"
    for q, seconds in (("C=120", 0.5), ("120", 0.5), ("C2=120", 0.25), ("1/4=120", 0.25)):
        events = abcparse.parse(head.format(q) + "CD|\n").tunes[0].events()
        assert [e.onset_seconds for e in events] == [0, seconds], q
    assert codes(head.format("C=120") + "CD|\n", mode="strict") == ["ABC214"]
    assert codes(head.format("C=120") + "CD|\n") == []
    assert codes(head.format("1/8=120") + "CD|\n", mode="strict") == []


def test_a_long_outdated_history_is_read_in_linear_time(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """Each history line asked whether a K: line follows, a search to the end of the
    tune: 20,000 lines took 37 s. The answer serves the lines after it (counted in
    searches, not seconds)."""
    import abcparse.build as build

    searches = []

    class Counting:
        def search(self, text: str, pos: int) -> object:
            searches.append(pos)
            return real.search(text, pos)

    real = build._KEY_LINE
    monkeypatch.setattr(build, "_KEY_LINE", Counting())
    text = "X:1\nT:t\nH:h\n" + "more history\n" * 2000 + "K:C\nCD|\n"
    tune = abcparse.parse(text).tunes[0]
    assert [e.pitch for e in tune.events()] == [60, 62]
    assert len(searches) == 1


def test_a_repeat_end_after_a_double_bar_says_what_is_played() -> None:
    """A ``:|`` with no ``|:`` and only a ``||`` before it: §4.8 lets players go back to
    the tune start or to the double bar. Playback goes to the start, as abc2midi and
    abcjs do (found in an outside tunebook), so the strict finding names both readings
    and says which is played, and its safe fix writes ``|:`` there: the music stays."""
    body = "CDEF | GABc ||\ncBAG | FEDC :|\n"
    first = [60, 62, 64, 65, 67, 69, 71, 72, 72, 71, 69, 67, 65, 64, 62, 60]
    assert pitches(body) == first * 2
    text = "%abc-2.1\n" + HEAD + body
    (found,) = [d for d in abcparse.check(text) if d.code == "ABC302"]
    assert "tune start or to the double bar ||" in found.message
    assert "played from the tune start" in found.message
    fixed = abcparse.repair(text, warnings=True).text
    assert fixed == "%abc-2.1\n" + HEAD + "|:" + body
    assert pitches(fixed[len("%abc-2.1\n" + HEAD):]) == first * 2
    assert "ABC302" not in codes(fixed, mode="strict")
    # After an earlier :|, the double bar is where the section starts again.
    assert pitches("C4 :| D4 || E4 :|") == [60, 60, 62, 64, 64]
    (after,) = [d for d in abcparse.check("%abc-2.1\n" + HEAD + "C4 :| D4 || E4 :|\n")
                if d.code == "ABC302"]
    assert "recommends going back to the double bar ||" in after.message


def test_a_repeat_end_after_a_double_bar_in_a_part_goes_back_to_the_part() -> None:
    """In a ``P:`` part, a ``:|`` with no ``|:`` goes back to the part's start (§3.1.9),
    and ABC302 says so; its fix places no ``|:`` there (it would go at the tune start)."""
    text = ("%abc-2.1\nX:1\nT:t\nP:AB\nM:4/4\nL:1/4\nK:C\nP:A\n|:CDEF:|\nP:B\n"
            "GABc||\ncBAG:|\n")
    b = [67, 69, 71, 72, 72, 71, 69, 67]
    assert [e.pitch for e in abcparse.parse(text).tunes[0].events()] == [
        60, 62, 64, 65, 60, 62, 64, 65, *b, *b]
    (found,) = [d for d in abcparse.check(text) if d.code == "ABC302"]
    assert "played from the start of the part;" in found.message
    assert abcparse.repair(text, warnings=True).text == text
