"""Field continuation (§3.3 ``+:``, and §10.1's outdated multi-line ``H:``, ABC213): a run of
continuation lines makes one field whose value, span and (for ``w:``) syllables are what the
lines say, however the run is interrupted. The run is merged once when it ends (a run of
80,000 lines used to be merged again at every line: quadratic; timed by
``benchmarks/scaling.py --shape continued``, never here)."""

from __future__ import annotations

import abcparse
from abcparse.model import Tune


def tune(text: str) -> Tune:
    return abcparse.parse(text).tunes[0]


def fields(t: Tune) -> list[tuple[str, str]]:
    return [(f.letter, f.value) for f in t.fields]


def test_header_run_across_comments_and_empty_continuations() -> None:
    t = tune("X:1\nT:one\n+:two\n% a comment\n+:\n+:  three  \nK:C\nabc|\n")
    assert fields(t)[:2] == [("X", "1"), ("T", "one two three")]
    assert t.header.titles == ("one two three",)
    title = t.fields[1]
    # The merged field spans from its letter to the end of its last continuation.
    assert (title.span.line, title.span.end_line) == (2, 6)
    assert t.text[title.span.start : title.span.end].rstrip().endswith("+:  three")
    assert not t.diagnostics


def test_a_long_run_is_one_field() -> None:
    n = 3000
    t = tune("X:1\nT:a\n" + "+:b\n" * n + "K:C\nabc|\n")
    assert t.header.titles == (" ".join(["a"] + ["b"] * n),)
    assert [f.letter for f in t.fields] == ["X", "T", "K"]


def test_lyrics_continuation_keeps_each_syllable_span() -> None:
    text = "X:1\nK:C\nabcd|\nw:a b\n+:c\n% between\n+: d\nW:after\n"
    t = tune(text)
    (line,) = t.voices[0].lyrics
    assert [s.text for s in line.syllables] == ["a", "b", "c", "d"]
    assert line.text == "a b c d"
    for s in line.syllables:
        assert text[s.span.start : s.span.end] == s.text
    assert (line.first_note, line.note_count) == (0, 4)
    # The field after the run is its own field, not part of the lyrics.
    assert fields(t)[-1] == ("W", "after")


def test_run_ends_at_music_and_the_next_lyrics_start_after_it() -> None:
    t = tune("X:1\nK:C\nab|\nw:x\n+:y\ncd|\nw:z\n")
    assert [[s.text for s in ln.syllables] for ln in t.voices[0].lyrics] == [["x", "y"], ["z"]]
    assert [f.value for f in t.fields if f.letter == "w"] == ["x y", "z"]


def test_continuation_after_music_is_reported() -> None:
    found = abcparse.check("X:1\nK:C\nw:x\nabc|\n+:late\n")
    assert [(d.code, d.span.line) for d in found if d.code == "ABC208"] == [("ABC208", 5)]


def test_outdated_history_lines_join_the_history() -> None:
    t = tune("X:1\nT:t\nH:it began\nin a town\n+:and more\nK:D\nabc|\n")
    assert ("H", "it began in a town and more") in fields(t)
    assert [d.code for d in t.diagnostics] == ["ABC213"]


def test_read_headers_merges_the_same_way() -> None:
    text = "X:1\nT:one\n+:two\nK:C\nabc|\n\nX:2\nT:three\n+:four\n+:five\nK:D\nd|\n"
    assert [h.titles for h in abcparse.read_headers(text)] == [("one two",), ("three four five",)]
