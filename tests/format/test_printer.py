"""The canonical form, rule by rule (docs/format.md): what a user sees the formatter do.

Every example goes through :func:`abcparse.format_str`, so each one also passes the
safety checks (same music, idempotent, no new diagnostic) or the test fails.
"""

from __future__ import annotations

import pytest

import abcparse
from abcparse.format import (
    FormatOptions,
    canonical_key,
    canonical_length,
    canonical_meter,
    canonical_tempo,
    format_text,
)


def fmt(text: str, **options: object) -> str:
    out = abcparse.format_str(text, **options)
    assert abcparse.format_str(out, **options) == out  # idempotent, always
    return out


def body(text: str, **options: object) -> str:
    """The formatted body of a one-tune text whose header is X:1, T:t, K:C."""
    out = fmt("X:1\nT:t\nK:C\n" + text, **options)
    assert out.startswith("X:1\nT:t\nK:C\n")
    return out[len("X:1\nT:t\nK:C\n") :]


# --- header -------------------------------------------------------------------------


def test_header_fields_follow_the_recommended_order() -> None:
    src = "X:3\nL:1/8\nM:6/8\nR:jig\nT:The Title\nC:Trad\nS:somewhere\nZ:me\nK:D\nabc|\n"
    assert fmt(src) == (
        "X:3\nT:The Title\nC:Trad\nR:jig\nS:somewhere\nZ:me\nM:6/8\nL:1/8\nK:D\nabc|\n"
    )


def test_comments_move_with_the_field_below_them() -> None:
    src = "X:1\nT:t\n% about the meter\nM:3/4\nC:someone\nK:G\nG3|\n"
    assert fmt(src) == "X:1\nT:t\nC:someone\n% about the meter\nM:3/4\nK:G\nG3|\n"


def test_header_order_is_kept_when_moving_would_reorder_directives() -> None:
    src = "X:1\nT:t\n%%MIDI program 1\nM:3/4\n%%MIDI program 2\nC:someone\nK:G\nG3|\n"
    assert fmt(src) == src


def test_repeated_fields_keep_their_relative_order() -> None:
    src = "X:1\nT:First\nM:6/8\nT:Second\nN:one\nN:two\nK:G\nG3|\n"
    assert fmt(src) == "X:1\nT:First\nT:Second\nN:one\nN:two\nM:6/8\nK:G\nG3|\n"


def test_no_space_after_the_colon_and_value_normalized() -> None:
    src = "X: 01\nT:  Title  \nM: 6/8\nL: 2/16\nQ: 1/4 = 120\nK: G Major\nG3|\n"
    assert fmt(src) == "X:1\nT:Title\nM:6/8\nL:1/8\nQ:1/4=120\nK:G\nG3|\n"


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("G Major", "G"),
        ("G major", "G"),
        ("C Ionian", "C"),
        ("A Dorian", "ADor"),
        ("Em", "Em"),
        ("E minor", "Em"),
        ("E Aeolian", "Em"),
        ("D mix", "DMix"),
        ("Bb Lydian", "BbLyd"),
        ("F# Phrygian", "F#Phr"),
        ("B loc", "BLoc"),
        ("none", "none"),
        ("HP", "HP"),
        ("D exp ^f ^c", "D exp ^f ^c"),
        ("C^f^c^a", "C ^f ^c ^a"),
        ("G   clef=bass ", "G clef=bass"),
        ("clef=treble", "clef=treble"),
        # §4.6's short names are written in full, which abc2midi and abcjs read
        ("G t=8", "G transpose=8"),
        ("D m=c clef=alto", "D middle=c clef=alto"),
        ("not a key at all !", "not a key at all !"),
    ],
)
def test_key_values(value: str, canonical: str) -> None:
    assert canonical_key(value) == canonical


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ('1 t=-2 nm="Alto t=3"', '1 transpose=-2 name="Alto t=3"'),
        ('T nm="Tenor" snm="T." clef=treble', 'T name="Tenor" subname="T." clef=treble'),
        ("2 clef=bass", "2 clef=bass"),
    ],
)
def test_voice_values(value: str, canonical: str) -> None:
    from abcparse.format.printer import canonical_voice

    assert canonical_voice(value) == canonical


def test_a_short_transpose_is_written_so_that_the_players_transpose_too() -> None:
    """``K:G t=8`` (§4.6): abcparse plays it 8 semitones up, abc2midi and abcjs ignore
    ``t=``; formatted, it reads ``transpose=8``, the same music for abcparse."""
    src = "X:1\nT:t\nL:1/8\nK:G t=8\nV:1 t=-2\ndef|[K:G t=2]def|\n"
    out = fmt(src)
    assert "K:G transpose=8\nV:1 transpose=-2\n" in out and "[K:G transpose=2]" in out
    assert [e.pitch for e in abcparse.parse(out).tunes[0].events()] == [
        e.pitch for e in abcparse.parse(src).tunes[0].events()]


@pytest.mark.parametrize(
    ("value", "canonical"),
    [(" 6/8", "6/8"), ("C", "C"), ("C|", "C|"), ("none", "none"), ("2+3+2/8", "(2+3+2)/8"),
     ("4 / 4", "4/4"), ("x/y", "x/y")],
)
def test_meter_values(value: str, canonical: str) -> None:
    assert canonical_meter(value) == canonical


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("1/8", "1/8"), (" 2/16", "1/8"), ("1", "1/1"), ("1/3", "1/3")],
)
def test_unit_length_values(value: str, canonical: str) -> None:
    assert canonical_length(value) == canonical


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("1/4=120", "1/4=120"),
        ("1/4 = 120", "1/4=120"),
        ("2/8=60", "1/4=60"),
        ('"Allegro"  1/4=120', '"Allegro" 1/4=120'),
        ('1/4 3/8=40 "lento"', '1/4 3/8=40 "lento"'),
        ("120", "120"),  # deprecated bare number: kept (abc2midi reads it differently)
        ("C=120", "C=120"),  # unreadable: only stripped
    ],
)
def test_tempo_values(value: str, canonical: str) -> None:
    assert canonical_tempo(value) == canonical


def test_renumber() -> None:
    src = "X:7\nT:a\nK:C\nC|\n\nX:7\nT:b\nK:C\nD|\n\nX:100\nT:c\nK:C\nE|\n"
    out = fmt(src, renumber=True)
    assert [line for line in out.splitlines() if line.startswith("X:")] == ["X:1", "X:2", "X:3"]
    assert fmt(src).count("X:7") == 2


# --- body ---------------------------------------------------------------------------


def test_note_lengths_in_shortest_form() -> None:
    assert body("A/2 B1 c// d2/4 e4/2 f3/2 g/8 z1 x2/2 Z1 [CE]1 [CE]2/4|\n") == (
        "A/ B c/4 d/ e2 f3/2 g/8 z x Z [CE] [CE]/|\n"
    )


def test_octave_marks_are_simplified() -> None:
    assert body("c, C' c'' C,,'|\n") == "C c c'' C,|\n"


def test_spaces_between_notes_keep_the_beams() -> None:
    assert body("AB  c\td|e f|\n") == "AB c d|e f|\n"


def test_no_spaces_beside_bar_lines_by_default() -> None:
    assert body("| A B |: c d :| e f || g |]\n") == "|A B|:c d:|e f||g|]\n"


def test_bar_spacing_space() -> None:
    assert body("|A B|:c d:|e f||g|]\n", bar_spacing="space") == "| A B |: c d :| e f || g |]\n"


def test_bar_spacing_keep() -> None:
    assert body("| A B|c  d |\n", bar_spacing="keep") == "| A B|c d |\n"


def test_spaces_that_keep_two_tokens_apart_stay() -> None:
    # `|: :|` written together would read `|::|`; `. |` would be the dotted bar `.|`.
    assert body("ab|: :|cd . |e\n") == "ab|: :|cd . |e\n"


@pytest.mark.parametrize("line", ["A :|B c|", "g ::B c|", "I :: ::", "T :|C D|"])
def test_a_music_line_never_becomes_a_field_line(line: str) -> None:
    # `A:|` at a line start is the field A: (§3), so a one-letter note or decoration
    # symbol keeps its space before the bar line; the music is read the same way again.
    assert body(line + "\n") == line + "\n"
    assert body(line.replace(" ", "  ", 1) + "\n") == line + "\n"


def test_variant_endings_stick_to_their_bar_line() -> None:
    assert body("|:abc |1 d :| [2 e |]\n") == "|:abc|1d:|[2e|]\n"
    assert body("abc [2 e|]\n") == "abc [2e|]\n"


def test_tie_is_written_against_its_note() -> None:
    assert body("d3 -d e [CE] -[CE]|\n") == "d3- d e [CE]- [CE]|\n"


def test_leading_and_trailing_white_space_go() -> None:
    assert body("   abc d |   \n") == "abc d|\n"


def test_end_of_line_comment_gets_one_space() -> None:
    assert body("abc|%c1\nabc|     % c2   \n") == "abc| %c1\nabc| % c2\n"


def test_comment_lines_and_directives_are_kept() -> None:
    src = "X:1\nT:t\nK:C\n% a comment   \n%%MIDI program 40\nabc|\n"
    assert fmt(src) == "X:1\nT:t\nK:C\n% a comment\n%%MIDI program 40\nabc|\n"


def test_begin_end_blocks_keep_their_empty_lines() -> None:
    src = "X:1\nT:t\nK:C\nabc|\n%%begintext\nfirst paragraph  \n\nsecond\n%%endtext\ndef|\n"
    assert fmt(src) == src.replace("paragraph  ", "paragraph")


def test_inline_fields_are_normalized() -> None:
    assert body("abc [K: G Major] d [M: 3/4] e [L:2/16]f|\n") == "abc [K:G] d [M:3/4] e [L:1/8]f|\n"


def test_body_fields_are_normalized() -> None:
    assert body("abc|\nK: A Dorian\nM: 3/4\nabc|\n") == "abc|\nK:ADor\nM:3/4\nabc|\n"


def test_lyrics_keep_their_alignment() -> None:
    src = "X:1\nT:t\nK:C\nC D E F|\nw:   do re mi fa   \n"
    assert fmt(src) == "X:1\nT:t\nK:C\nC D E F|\nw:   do re mi fa\n"


def test_tuplets() -> None:
    assert body("(3abc (3::abc (3:2:3abc (3::3abc|\n") == "(3abc (3abc (3:2:3abc (3::3abc|\n"


# --- decorations --------------------------------------------------------------------


def test_decorations_short_by_default() -> None:
    assert body("!trill!A !roll!B !fermata!c !staccato!d !mf!e +accent+f|\n") == (
        "TA ~B Hc .d !mf!e Lf|\n"
    )


def test_decorations_long() -> None:
    assert body("TA ~B Hc .d !mf!e +accent+f|\n", decorations="long") == (
        "!trill!A !roll!B !fermata!c !staccato!d !mf!e !accent!f|\n"
    )


def test_decorations_keep_only_fixes_the_delimiter() -> None:
    assert body("TA !roll!B +accent+f|\n", decorations="keep") == "TA !roll!B !accent!f|\n"


def test_shorthand_only_right_before_what_it_decorates() -> None:
    # abc2midi does not attach `T C` to the note; `!trill! C` it does. A shorthand
    # already written stays one.
    assert body("!trill! C !staccato!(DE) !fermata!| T D\n") == (
        "!trill! C !staccato!(DE) !fermata!|T D\n"
    )


def test_user_symbols_follow_u_fields() -> None:
    src = "X:1\nT:t\nU:T=!upbow!\nK:C\n!trill!A !upbow!B TC|\n"
    # T means upbow here, so trill has no shorthand; upbow's standard one is u.
    assert fmt(src) == "X:1\nT:t\nU:T=!upbow!\nK:C\n!trill!A uB uC|\n"
    assert fmt(src, decorations="long") == (
        "X:1\nT:t\nU:T=!upbow!\nK:C\n!trill!A !upbow!B !upbow!C|\n"
    )


def test_plus_dialect_under_i_decoration_plus() -> None:
    src = "X:1\nT:t\nI:decoration +\nK:C\n!mf!A +trill+B|\n"
    assert fmt(src) == "X:1\nT:t\nI:decoration +\nK:C\n+mf+A TB|\n"


def test_obsolete_plus_chords_are_left_alone() -> None:
    assert body("+CE+2 +GB+|\n") == "+CE+2 +GB+|\n"


# --- line breaks, versions, files ---------------------------------------------------


def test_abc20_bang_line_breaks_become_line_ends() -> None:
    assert body("abc|def|!\nabc|! def|\n") == "abc|def|\nabc|\ndef|\n"


def test_bang_line_breaks_stay_under_i_linebreak_bang() -> None:
    src = "X:1\nT:t\nI:linebreak !\nK:C\nabc|def|!\n"
    assert fmt(src) == src


def test_target_21_declares_the_version() -> None:
    src = "X:1\nT:t\nK:C\nabc|!\n"
    assert fmt(src, target="2.1") == "%abc-2.1\n\nX:1\nT:t\nK:C\nabc|\n"
    assert fmt("%abc-2.0\n\n" + src, target="2.1").startswith("%abc-2.1\n\nX:1\n")
    with_header = "%%pagewidth 20cm\n\n" + src
    assert fmt(with_header, target="2.1").startswith("%abc-2.1\n%%pagewidth 20cm\n\nX:1\n")


def test_one_empty_line_between_tunes_and_none_at_the_ends() -> None:
    src = "\n\nX:1\nT:a\nK:C\nC|\n\n\n\nX:2\nT:b\nK:C\nD|\n\n\n"
    assert fmt(src) == "X:1\nT:a\nK:C\nC|\n\nX:2\nT:b\nK:C\nD|\n"


def test_tunes_written_without_an_empty_line_get_one() -> None:
    src = "X:1\nT:a\nK:C\nC|\nX:2\nT:b\nK:C\nD|\n"
    out = fmt(src)
    assert out == "X:1\nT:a\nK:C\nC|\n\nX:2\nT:b\nK:C\nD|\n"
    assert "ABC211" not in {d.code for d in abcparse.parse(out).diagnostics}


def test_empty_line_inside_a_tune_is_removed() -> None:
    # Loose reading joins such a tune (ABC209); the formatter writes it joined.
    src = "X:1\nT:a\nK:C\n\nabc|\n"
    out = fmt(src)
    assert out == "X:1\nT:a\nK:C\nabc|\n"
    assert "ABC209" in {d.code for d in abcparse.parse(src).diagnostics}


def test_free_text_and_file_header_are_kept() -> None:
    src = (
        "%abc-2.1\n%%pagewidth 20cm   \nI:abc-charset utf-8\n\n"
        "Some words\nabout  the tunes.  \n\nX:1\nT:a\nK:C\nC|\n"
    )
    assert fmt(src) == src.replace("20cm   ", "20cm").replace("tunes.  ", "tunes.")


def test_comment_right_above_x_stays_with_the_tune() -> None:
    src = "X:1\nT:a\nK:C\nC|\n\n% the next one\nX:2\nT:b\nK:C\nD|\n"
    assert fmt(src) == src


@pytest.mark.parametrize(
    ("text", "ending", "expected"),
    [
        ("X:1\r\nT:a\r\nK:C\r\nC|\r\n", "keep", "X:1\r\nT:a\r\nK:C\r\nC|\r\n"),
        ("X:1\r\nT:a\r\nK:C\r\nC|\r\n", "lf", "X:1\nT:a\nK:C\nC|\n"),
        ("X:1\nT:a\nK:C\nC|\n", "crlf", "X:1\r\nT:a\r\nK:C\r\nC|\r\n"),
        ("X:1\r\nT:a\r\nK:C\nC|\r\n", "keep", "X:1\r\nT:a\r\nK:C\r\nC|\r\n"),  # mixed
        ("X:1\rT:a\rK:C\rC|", "keep", "X:1\rT:a\rK:C\rC|\r"),
    ],
)
def test_line_endings(text: str, ending: str, expected: str) -> None:
    assert fmt(text, line_ending=ending) == expected


def test_empty_and_blank_text() -> None:
    assert fmt("") == ""
    assert fmt("\n\n  \n") == ""


def test_text_the_parser_cannot_read_is_kept_as_written() -> None:
    # `$` aside, a stray character makes the parser skip to the next bar line (ABC101).
    src = "X:1\nT:t\nK:C\nab  c ^ de  |f  g|\n"
    assert fmt(src) == "X:1\nT:t\nK:C\nab  c ^ de  |f  g|\n"


def test_format_text_reports_no_change() -> None:
    canonical = "X:1\nT:a\nK:C\nC|\n"
    result = format_text(canonical)
    assert result.ok and not result.changed and result.text == canonical
    assert all(c.ok for c in result.checks)


def test_options_are_validated() -> None:
    with pytest.raises(abcparse.AbcUsageError, match="line-ending"):
        FormatOptions(line_ending="cr")
    with pytest.raises(abcparse.AbcUsageError, match="unknown format option"):
        FormatOptions.from_mapping({"line-endings": "lf"})
    with pytest.raises(abcparse.AbcUsageError):
        abcparse.format_str("X:1\nK:C\nC|\n", decorations="fancy")
