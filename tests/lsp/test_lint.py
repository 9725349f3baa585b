"""The server's incremental check (abcparse.lsp.lint) against abc-lint: after any
sequence of edits, the diagnostics equal ``abcparse.check`` of the whole text, and an
edit inside one tune re-checks only the windows around it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import abcparse
from abcparse.lsp.lint import Book, Linter
from abcparse.lsp.textdoc import TextDocument
from abcparse.validate.check import select_rules

ROOT = Path(__file__).resolve().parents[2]
IRISH = (ROOT / "corpus" / "irish.abc").read_text(encoding="utf-8")

# What edits insert: notes, bar lines, line ends and empty lines (which split or join
# tunes), new tunes, a duplicate X:, suppression comments, a %%begin block, a version
# line, decorations, an unclosed slur.
PIECES = ["", "a", "|", "\n", "\n\n", "X:5\n", "\nX:9\nT:New\nK:G\nABc|\n", "(", "z2",
          "% abc-lint: disable=ABC301\n", "!trill!", "%%begintext\nfree\n%%endtext\n",
          "%abc-2.1\n", "K:", "\r\n", "X:1\n"]


# A tune written straight after the text before it, or an X: line alone: with no empty
# line, each joins what follows it to a tune.
JOINING = ["\nX:7\nT:Joined\nK:D\nd|", "X:8\n", "\nX:9\nT:New\nK:G\nABc|\n"]


def key(diags: list[abcparse.Diagnostic]) -> list[tuple[object, ...]]:
    return [(d.code, d.span, d.message, d.severity, d.rule) for d in diags]


@pytest.mark.parametrize("mode", ["auto", "strict", "loose"])
@pytest.mark.parametrize(("seed", "joined"), [(1, False), (2, False), (19, True), (28, True)],
                         ids=["parted-1", "parted-2", "joined-19", "joined-28"])
def test_random_edits_agree_with_check(mode: str, seed: int, joined: bool) -> None:
    """``joined``: the tunes follow each other with no empty line between, so edits
    join and part tunes (ABC211 comes and goes on pieces whose text is unchanged)."""
    rng = random.Random(seed)
    start = rng.randrange(0, len(IRISH) - 20_000)
    start = IRISH.index("\nX:", start) + 1
    text = ("%abc\nI:linebreak $\n\n" if seed == 2 else "") + IRISH[start : start + 9_000]
    if joined:
        text = "\n".join(t.strip("\n") for t in text.split("\n\n")) + "\n"
    book = Book(text, mode)
    linter = Linter(mode, select_rules())
    assert key(linter.check(book)) == key(abcparse.check(text, mode=mode))
    for _ in range(30 if joined else 18):
        a = rng.randrange(len(text) + 1)
        b = min(len(text), a + rng.choice([0, 0, 1, 2, 5, 40]))
        new = rng.choice(PIECES + JOINING if joined else PIECES)
        text = text[:a] + new + text[b:]
        book.edit(a, b, new)
        assert book.text == text
        assert "".join(s.text for s in book.segments) == text
        assert key(linter.check(book)) == key(abcparse.check(text, mode=mode)), (a, b, new)


def test_selection_is_applied() -> None:
    text = IRISH[:20_000] + "\nX:99\nT:Short\nM:2/4\nL:1/8\nK:C\nabcd|abc|abcd|]\n"
    linter = Linter("auto", select_rules(select="ABC3"))
    got = linter.check(Book(text, "auto"))
    assert got and all(d.code.startswith("ABC3") for d in got)
    assert key(got) == key(abcparse.check(text, select="ABC3"))


def _check_then_edit_a_middle_tune(text: str) -> tuple[Linter, Book, int]:
    """Check ``text``, then type a note into a bar of a tune in its middle and check
    again, comparing both results with abc-lint's; the linter, the book and how many
    windows the first check had."""
    book = Book(text, "auto")
    linter = Linter("auto", select_rules())
    assert key(linter.check(book)) == key(abcparse.check(text))
    windows = linter.stats.windows
    assert linter.stats.checked == windows  # the first check reads every tune
    middle = text.index("\nX:", len(text) // 2) + 1
    at = text.index("|", text.index("\nK:", middle) + 3)
    book.edit(at, at, "a")
    text = text[:at] + "a" + text[at:]
    assert key(linter.check(book)) == key(abcparse.check(text))
    return linter, book, windows


def test_an_edit_in_one_tune_rechecks_only_its_windows() -> None:
    linter, book, windows = _check_then_edit_a_middle_tune(IRISH[:60_000])
    # The edited tune's window and its neighbours' (which look across the empty lines),
    # and the first window (it reads the whole text's line ends); the windows before
    # the edit are not even visited: the check resumes from the last one's checkpoint.
    assert linter.stats.checked <= 4
    assert linter.stats.resumed_at > windows // 3
    assert book.full_splits == 1  # the pieces around the edit were split, not the text


def test_tunes_not_parted_by_empty_lines_are_still_checked_one_by_one() -> None:
    """A book whose tunes follow each other with no empty line (scraped and generated
    collections): it was one piece, so an edit re-split the whole text and every
    window was checked again (10 s per keystroke on 1.6 MB)."""
    tunes = [t.strip("\n") for t in IRISH[:60_000].split("\n\n") if t.startswith("X:")]
    linter, book, windows = _check_then_edit_a_middle_tune("\n".join(tunes) + "\n")
    assert windows >= len(tunes) > 100
    assert linter.stats.checked <= 4
    assert book.full_splits == 1


def test_a_stale_check_stops_and_keeps_what_it_learned() -> None:
    from abcparse.lsp.lint import Stale

    text = IRISH[:30_000]
    book = Book(text, "auto")
    linter = Linter("auto", select_rules())
    calls = iter(range(1_000_000))
    with pytest.raises(Stale):
        linter.check(book, stale=lambda: next(calls) >= 10)
    linter.check(book)
    first = linter.stats.checked
    assert first < linter.stats.windows  # the windows checked before the stop are kept


def test_text_document_positions() -> None:
    doc = TextDocument("u", "ab\r\nc\U0001f3b5d\rx\n", encoding="utf-16")
    assert doc.starts == [0, 4, 8, 10]
    assert doc.offset_at(1, 3) == 6  # after the astral character (two UTF-16 units)
    assert doc.position_at(7) == (1, 4)
    assert doc.offset_at(1, 99) == 7  # past the end of the line: its end
    assert doc.offset_at(99, 0) == len(doc.text)
    doc.replace(2, 4, "")  # join the lines
    assert doc.starts == [0, 6, 8] and doc.text.startswith("abc")
    doc8 = TextDocument("u", "é\U0001f3b5x", encoding="utf-8")
    assert doc8.position_at(2) == (0, 6) and doc8.offset_at(0, 6) == 2
