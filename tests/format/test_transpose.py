"""Transposition moves every pitch by exactly N semitones, and nothing else.

Checked against an independent reading of the typed model (tests/format/pitches.py, key
signatures and bar accidentals with :func:`abcparse.theory.midi_pitch`), and, with the
``peer`` marker, against abc2midi's notes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import abcparse
from abcparse.format import TransposeError, transpose_str
from tests.core.corpora import SHIPPED_IRISH, needs_shared, shared_files

from .pitches import voice_pitches


def moved(text: str, n: int) -> str:
    out = transpose_str(text, n)
    before = abcparse.parse(text).tunes
    after = abcparse.parse(out).tunes
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        pa, pb = voice_pitches(a), voice_pitches(b)
        assert pa.keys() == pb.keys()
        for vid in pa:
            assert pb[vid] == [p + n for p in pa[vid]], (a.title, vid)
    return out


def body(text: str, n: int, key: str = "C") -> str:
    out = moved(f"X:1\nT:t\nK:{key}\n{text}\n", n)
    return out.split("\n", 3)[2:][0] + "\n" + out.split("\n", 3)[3]


@pytest.mark.parametrize(
    ("key", "n", "new"),
    [
        ("C", 1, "Db"),  # 5 flats, not C# (7 sharps)
        ("C", -1, "B"),
        ("D", 1, "Eb"),
        ("G", 6, "Db"),  # C# would have 7 sharps
        ("F#", 0, "F#"),
        ("C", 6, "F#"),  # a tie (6 and 6): sharps going up
        ("C", -6, "Gb"),  # flats going down
        ("Am", 2, "Bm"),
        ("A Dorian", 3, "C Dorian"),  # the mode stays, as written
        ("E minor", -4, "C minor"),
        ("DMix", 12, "DMix"),
        ("Bb", -13, "A"),
    ],
)
def test_key_moves_with_the_fewest_accidentals(key: str, n: int, new: str) -> None:
    out = moved(f"X:1\nT:t\nK:{key}\nCDEF GABc|\n", n)
    assert out.splitlines()[2] == f"K:{new}"


def test_notes_follow_the_new_key() -> None:
    assert body("DEF ^G a2|", 2, key="D") == "K:E\nEFG ^A b2|\n"


def test_courtesy_and_needed_accidentals() -> None:
    # In C: ^F is F#; the f after it is sharp too (same letter, same bar, §11.3).
    assert body("C^F f F2|F|", 1) == "K:Db\nD=G g G2|G|\n"
    # A double sharp that would need a triple sharp moves to the next letter.
    assert body("^^F G|", 1, key="D") == "K:Eb\n^G A|\n"


def test_octaves_cross_correctly() -> None:
    assert body("B, b c'|", 1) == "K:Db\nC c' d'|\n"
    assert body("C, c|", -1) == "K:B\nB,, B|\n"


def test_chord_symbols_move() -> None:
    out = body('"Am7/G"A "C6/9"c "(F#m)"f "A/c+"a "N.C."z "^text"c|', 2)
    assert out == 'K:D\n"Bm7/A"B "D6/9"d "(G#m)"g "B/d+"b "N.C."z "^text"d|\n'


def test_alternate_and_slash_chords_move_and_text_stays() -> None:
    """§4.18: the alternate chord in parentheses and a chord after the slash move with
    the root; quoted text that is no chord ("Allegro.", "Coda", "D.C.") is left as
    written (it became "Bllegro.", "Doda", "E.C.")."""
    out = body('"G(Em)"G "C/Am"c "C7(b9)"c "Allegro."A "Coda"c "D.C. al Fine"d "Am to Fine"a|',
               2)
    assert out == ('K:D\n"A(F#m)"A "D/Bm"d "D7(b9)"d "Allegro."B "Coda"d "D.C. al Fine"e'
                   ' "Bm to Fine"b|\n')


def test_no_key_moved_by_octaves_keeps_its_spelling() -> None:
    """K:none up or down an octave: every note and chord keeps its letter and sign (up,
    B flat used to become A sharp, and "F#m" "Gbm" down)."""
    text = 'X:1\nT:t\nK:none\n"Bb"_B "F#m"^f "Db"_d|\n'
    assert moved(text, 12).splitlines()[3] == '"Bb"_b "F#m"^f\' "Db"_d\'|'
    assert moved(text, -12).splitlines()[3] == '"Bb"_B, "F#m"^F "Db"_D|'


def test_inline_and_body_keys_move() -> None:
    out = moved("X:1\nT:t\nK:G\nGAB [K:Em] e|\nK:D exp ^f\nf^c|\n", 2)
    assert out == "X:1\nT:t\nK:A\nABc [K:F#m] f|\nK:E exp ^f ^g ^c\ng^d|\n"


def test_an_explicit_key_signature_moves_letter_by_letter() -> None:
    """§3.1.14 exp: the accidentals are the whole signature, so the moved one holds every
    letter the new key alters (``exp ^g`` left F and C to be written on every note)."""
    out = moved("X:1\nT:t\nK:D exp ^f\nDEFG ABcd|\n", 2)
    assert out.splitlines()[2:] == ["K:E exp ^f ^g ^c", "EFGA Bcde|"]
    assert moved("X:1\nT:t\nK:D exp ^f\nDEFG ABcd|\n", 5).splitlines()[2] == "K:G exp"


def test_explicit_key_accidentals_glued_to_the_tonic() -> None:
    out = moved("X:1\nT:t\nK:C^f^c\nfcg|\n", 1)
    assert out.splitlines()[2] == "K:Db =g =d"


def test_k_none_keeps_its_field_and_spells_with_sharps_going_up() -> None:
    out = moved("X:1\nT:t\nK:none\nCEG B|\n", 1)
    # c after ^C in the same bar needs its natural sign (accidentals hold for the letter).
    assert out == "X:1\nT:t\nK:none\n^CF^G =c|\n"
    out = moved("X:1\nT:t\nK:none\nCEG B|\n", -1)
    assert out == "X:1\nT:t\nK:none\nB,_E_G _B|\n"


def test_k_none_keeps_the_kind_of_each_accidental() -> None:
    """With no key to follow, a flat note or chord stays flat and a sharp one sharp: a
    musician reads Db up a tone as Eb, not D#."""
    out = moved('X:1\nT:t\nK:none\n"Db"_D2 "F#m"^F2 =B|\n', 2)
    assert out == 'X:1\nT:t\nK:none\n"Eb"_E2 "G#m"^G2 ^c|\n'
    out = moved('X:1\nT:t\nK:none\n"C#"^C _B|\n', -1)
    assert out == 'X:1\nT:t\nK:none\n"C"=C =A|\n'


def test_percussion_and_pipes_keep_their_pitches() -> None:
    drums = "X:1\nT:t\nK:C clef=perc\nCDEF|\n"
    assert transpose_str(drums, 3) == drums
    pipes = "X:1\nT:t\nK:Hp\nGABc|\n"
    assert transpose_str(pipes, 3) == pipes


def test_a_pipes_key_left_at_its_pitch_is_reported_where_it_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The user asked for every note to move: music kept at its pitch by design is a
    warning with its place, the rest of the book is transposed, and the exit code is 0."""
    from abcparse.cli.main import main

    book = tmp_path / "book.abc"
    book.write_text("X:1\nT:a\nK:HP\nABcd|\n\nX:2\nT:b\nK:D\nde|[K:Hp]AB|\n",
                    encoding="utf-8")
    assert main(["transpose", "-s", "2", str(book)]) == 0
    captured = capsys.readouterr().err
    assert f"{book}:3:3: warning: K:HP: Highland pipes" in captured
    assert f"{book}:9:4: warning: K:Hp: Highland pipes" in captured
    assert "2 Highland pipes keys kept their pitches" in captured
    assert book.read_text(encoding="utf-8") == (
        "X:1\nT:a\nK:HP\nABcd|\n\nX:2\nT:b\nK:E\nef|[K:Hp]AB|\n")
    found: list[tuple[int, int, str]] = []
    transpose_str("X:1\nT:t\nK:Hp\nGABc|\n", 3, notice=lambda *a: found.append(a))
    assert [(line, col) for line, col, _ in found] == [(3, 3)]
    transpose_str("X:1\nT:t\nK:C clef=perc\nCDEF|\n", 3, notice=lambda *a: found.append(a))
    assert len(found) == 1  # a drum part has no pitch to keep: nothing to say


def test_chord_symbols_of_a_symbol_line_move_with_the_music() -> None:
    """§4.15: an s: line's chord symbols are chords of the music above it."""
    text = 'X:1\nT:t\nK:G\nABcd|\ns:"Am" * "D7/F#" * !fine! "^text"\n'
    assert transpose_str(text, 2) == (
        'X:1\nT:t\nK:A\nBcde|\ns:"Bm" * "E7/G#" * !fine! "^text"\n')


def test_a_drum_voice_keeps_its_pitches_under_a_moved_key() -> None:
    src = "X:1\nT:t\nK:Am\nV:1\nABc|\nV:drum\n%%MIDI channel 10\nF^F F|\n"
    out = transpose_str(src, -1)
    assert out == "X:1\nT:t\nK:G#m\nV:1\nGAB|\nV:drum\n%%MIDI channel 10\n=F^F F|\n"
    book = abcparse.parse(out)
    assert voice_pitches(book.tunes[0])["drum"] == [65, 66, 66]


def test_voices_declared_before_the_key_take_the_header_key() -> None:
    """The standard's Canzonetta (§13.4) declares ``V:1`` ... ``V:4`` before ``K:Eb``.
    The header key reached only the last voice declared in full: the others read their
    notes as if in C, so ``e`` (E flat) moved up 3 was written ``^^f`` and the transposer's
    own check refused the tune."""
    src = "X:1\nT:t\nL:1/4\nV:1\nV:3\nK:Eb\n[V:1] _de|\n[V:3] Bc|\n"
    assert moved(src, 3).endswith("K:F#\n[V:1] =ef|\n[V:3] cd|\n")


def test_chord_symbols_with_unicode_signs_move_and_keep_their_style() -> None:
    """§4.18 asks software to read the Unicode signs in chord symbols too: ``"B♭"`` up a
    semitone came out ``"B#♭"`` (the root moved, the sign left behind)."""
    out = transpose_str('X:1\nT:t\nK:F\n"B♭"B2 "C♯m7/G♯"c2|"Bb"B2 "E♮"c2|\n', 1)
    assert out.endswith('K:F#\n"B"B2 "Dm7/A"c2|"B"B2 "E♯"c2|\n')
    out = transpose_str('X:1\nT:t\nK:C\n"G"G2 "E♭"E2|\n', -1)
    assert out.endswith('K:B\n"F#"F2 "D"D2|\n')


def test_an_indented_field_line_is_a_field_for_the_formatter_and_the_transposer() -> None:
    """`` K:D`` in a tune body (ABC109: read as a field, as abc2midi reads it): the
    formatter and the transposer took the space for the field's letter. The formatter
    wrote `` :D`` (its safety check then left the tune unformatted), the transposer left
    the key unmoved and refused the tune. The formatter now writes ``K:D``, the
    transposer moves it."""
    src = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n K:D\nDEFG ABcd|\n"
    assert abcparse.format_str(src).endswith("|\nK:D\nDEFG ABcd|\n")
    assert moved(src, 2).endswith("K:A\nABcd efec|\n K:E\nEFGA Bcde|\n")


def test_history_lines_of_the_outdated_h_field_are_text_not_notes() -> None:
    """§10.1's outdated multi-line ``H:`` (ABC213): the lines after it up to the next
    field are history text. The transposer moved their letters as notes ("continues
    here" became "dontinu^fs hfrf"), a change to the words its own check cannot see."""
    src = ("X:1\nT:t\nH:this history\ncontinues here\n% a comment\nand here\nM:4/4\n"
           "L:1/8\nK:C\nCDEF GABc|\nH:x\nCD|\n")
    out = moved(src, 2)
    assert out == src.replace("K:C\nCDEF GABc|\nH:x\nCD|", "K:D\nDEFG ABcd|\nH:x\nDE|")


def test_everything_else_is_kept_byte_for_byte() -> None:
    src = "% head\n\nX:1\nT:t  \nK:C % the key\n  CD  E|  % bars\n\nfree text C D E\n"
    assert transpose_str(src, 2) == src.replace("K:C", "K:D").replace("CD  E|", "DE  F|")


def test_zero_is_the_identity() -> None:
    src = "X:1\nT:t\nK:G Major\n^F=F|\n"
    assert transpose_str(src, 0) == src


def test_unreadable_key_is_refused_where_it_is() -> None:
    with pytest.raises(TransposeError, match=r"^line 3, column 3 \(X:1\): K:G exp") as e:
        transpose_str("X:1\nT:t\nK:G exp ^F ^F, clef=C\nabc|\n", 1)
    assert (e.value.line, e.value.col, e.value.tune) == (3, 3, "X:1")


def test_the_command_names_file_line_and_column(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from abcparse.cli.main import main

    book = tmp_path / "book.abc"
    text = "X:1\nT:a\nK:G\nGAB|\n\nX:2\nT:b\nK:C\nC D|c'''' d|\n"
    book.write_text(text, encoding="utf-8")
    assert main(["transpose", "--semitones", "10", str(book)]) == 1
    err = capsys.readouterr().err
    assert f"{book}:9:5: c'''' moved by +10 semitones" in err and "(X:2)" in err
    assert book.read_text(encoding="utf-8") == text  # nothing written


@pytest.mark.parametrize("n", [8, -61])
def test_a_note_beyond_the_midi_range_is_refused_by_name(n: int) -> None:
    """C (60) and c'''' (120) moved past MIDI 0-127: said plainly, not as a failed check."""
    src = "X:1\nT:t\nK:C\nCc''''|\n"
    with pytest.raises(TransposeError, match=r"outside the range 0-127"):
        transpose_str(src, n)
    assert transpose_str(src, 7).endswith("K:G\nGg''''|\n")


def _tunes_without_percussion(text: str) -> str:
    keep = [t.text for t in abcparse.parse(text).tunes
            if not re.search(r"perc|channel\s+10|K:\s*H[Pp]", t.text)]
    return "\n".join(keep)


@pytest.mark.parametrize("n", [-5, 1, 7])
def test_shipped_corpus_sample(n: int) -> None:
    text = SHIPPED_IRISH.read_text(encoding="utf-8")
    sample = "\n\n".join(text.split("\n\n")[::20])  # every 20th tune: ~40 tunes
    moved(sample, n)


@needs_shared()
@pytest.mark.slow
@pytest.mark.parametrize("n", [-7, -1, 2, 6])
def test_whole_corpus(n: int) -> None:
    for f in shared_files():
        text = _tunes_without_percussion(abcparse.parse_file(f).to_text())
        try:
            moved(text, n)
        except TransposeError as e:
            assert "cannot be read" in str(e), (f, e)
