"""External oracle: abc2midi plays the same notes before and after formatting.

For every tune, abc2midi (abcMIDI; it shares no code with abcparse) writes a MIDI file of
the tune as it was and as formatted; the notes (channel, pitch, onset and duration in
seconds, read with mido) must be the same. The full corpus is ``slow``; a sample runs by
default. Both report the share of tunes that agree. A tune that differs must be one of
the documented cases below (docs/format.md, "What abc2midi hears differently").
"""

from __future__ import annotations

from pathlib import Path

import pytest

import abcparse
from abcparse.format import format_text, transpose_str
from tests.core.corpora import SHIPPED_IRISH, all_files, needs_shared, shared_files

from .oracle import ABC2MIDI, Note, abc2midi_notes, compare, tune_files

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(ABC2MIDI is None, reason="abc2midi (abcmidi) is not installed"),
]

# (file, title): why abc2midi hears the formatted tune differently.
DOCUMENTED = {
    # An empty line between header and music: abc2midi ends the tune there and plays
    # nothing; loose reading (ABC209) joins the tune and the formatter writes it joined.
    ("irish.abc", "Father Dollard's"),
    ("irish.abc", "Providence"),
    # K: C^f^c^a: abc2midi ignores key accidentals glued to the tonic; the parser (and
    # the formatted K:C ^f ^c ^a) applies them.
    ("baym_rebin.abc", "Baym Rebin's Sude"),
}


def _check(files: list[Path], limit: int | None = None) -> tuple[int, int, list[tuple[str, str]]]:
    same = total = 0
    odd: list[tuple[str, str]] = []
    for path in files:
        text = abcparse.parse_file(path).to_text()
        if limit is not None:
            text = "\n\n".join(text.split("\n\n")[:limit])
        out = format_text(text).text
        titles = [t.title or "" for t in abcparse.parse(text).tunes]
        for i, ok, why in compare(text, out):
            total += 1
            if ok:
                same += 1
            else:
                odd.append((path.name, titles[i] if i >= 0 else why))
    return same, total, odd


def test_sample_plays_the_same() -> None:
    files = [SHIPPED_IRISH, *[f for f in shared_files() if "debian" in str(f)]]
    # 45 blocks of each file: at least 40 tunes even when only the shipped file is there
    # (a block is not always a tune).
    same, total, odd = _check(files, limit=45)
    print(f"\nabc2midi agrees on {same}/{total} sampled tunes ({same / total:.1%})")
    assert total >= 40
    assert set(odd) <= DOCUMENTED, odd


@needs_shared()
@pytest.mark.slow
def test_whole_corpus_plays_the_same() -> None:
    same, total, odd = _check(all_files())
    print(f"\nabc2midi agrees on {same}/{total} corpus tunes ({same / total:.2%});"
          f" documented differences: {sorted(set(odd))}")
    assert set(odd) <= DOCUMENTED, odd


def _shifted(notes: list[Note], n: int) -> list[Note]:
    """The notes moved by n semitones, drums (MIDI channel 10) aside."""
    return sorted((c, p + (0 if c == 9 else n), t, d) for c, p, t, d in notes)


@pytest.mark.parametrize("n", [-3, 2, 5])
def test_transposition_moves_every_note_abc2midi_plays(n: int) -> None:
    text = SHIPPED_IRISH.read_text(encoding="utf-8")
    sample = "\n\n".join(text.split("\n\n")[1::40])
    before = tune_files(sample)
    after = tune_files(transpose_str(sample, n))
    agree = 0
    for a, b in zip(before, after, strict=True):
        na, nb = abc2midi_notes(a), abc2midi_notes(b)
        assert na is not None and nb is not None
        agree += _shifted(na, n) == nb
    print(f"\nabc2midi: {agree}/{len(before)} transposed tunes moved by exactly {n}")
    assert agree == len(before)


@needs_shared()
def test_transposition_keeps_drums_where_they_are() -> None:
    path = next(f for f in shared_files() if f.name == "boys.abc")
    text = path.read_text(encoding="utf-8")
    (a,), (b,) = tune_files(text), tune_files(transpose_str(text, 3))
    na, nb = abc2midi_notes(a), abc2midi_notes(b)
    assert na is not None and nb is not None
    assert _shifted(na, 3) == nb
    assert any(c == 9 for c, *_ in na)  # the drums really are on channel 10

