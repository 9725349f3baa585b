"""The language features on any text, in process: hover, completion, definition,
outline, folding and the fixes answer (or answer nothing) for every position of real
tunes, broken tunes and text that is not ABC, and never raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytest.importorskip("lsprotocol")

from abcparse.lsp import features as ft
from abcparse.lsp.lint import Book
from abcparse.lsp.textdoc import TextDocument

ROOT = Path(__file__).resolve().parents[2]
IRISH = (ROOT / "corpus" / "irish.abc").read_text(encoding="utf-8")

TEXTS = [
    IRISH[:3000],
    "%abc-2.1\nU:W=!trill!\nI:linebreak $\n\nX:1\nT:t\nM:3/4\nL:1/8\nK:Gm\n"
    "P:A\n[V:1]W\"Am\"A2 {g}B2 (3cde|[CEG]2 z4|]\n[K:Dmix] !fermata!d6|]\nw:la la\n",
    "X:1\nT:broken\nK:\n!!!(((\"unclosed [C| {g |: :| [1 ]\n\n\nX:\nK:H\n~~~TTT\n",
    "def f(x):\n    return {'a': [1, 2, 3]}  # not ABC\n" * 5,
    "".join(chr(c) for c in range(0, 0x250)) + "\U0001f3b5\r\n\r\x0c\u2028X:1\rK:C\rA|\r",
    "",
]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_features_never_raise(text: str) -> None:
    rng = random.Random(len(text))
    doc = TextDocument("file:///tmp/x.abc", text, 1)
    book = Book(text, "auto")
    tunes = ft.Tunes("auto")
    settings = ft.LintSettings()
    ft.document_symbols(doc, book)
    ft.folding_ranges(doc, book)
    offsets = sorted({0, len(text), *(rng.randrange(len(text) + 1) for _ in range(40))})
    for off in offsets:
        found = ft.hover(doc, book, tunes, off, [])
        if found is not None:
            assert found[0] and found[1][0] <= found[1][1]
        ft.completion(doc, book, tunes, off)
        for a, b in ft.definition(book, tunes, off):
            assert 0 <= a <= b <= len(text)
        for code in ("ABC301", "ABC310", "ABC101"):
            ft.finding_fix(book, tunes, settings, off, code)
    assert isinstance(ft.format_document(doc, settings), list)
    assert isinstance(ft.format_range(doc, book, settings, 0, len(text) // 2), list)


def test_disable_comment_extends_an_existing_one() -> None:
    doc = TextDocument("u", "X:1\nK:C\nabc|ab|] % abc-lint: disable=ABC301\n")
    action = ft.disable_action(doc, 2, "ABC330", [])
    assert action is not None and action.edit is not None and action.edit.changes
    (edit,) = action.edit.changes["u"]
    assert edit.new_text == ",ABC330"
    assert ft.disable_action(doc, 2, "ABC301", []) is None  # already silenced
    blank = TextDocument("u", "X:1\nK:C\n\nabc|\n")
    assert ft.disable_action(blank, 2, "ABC209", []) is None  # a comment would end no tune


def test_text_edits_are_minimal() -> None:
    doc = TextDocument("u", "a\nb\nc\nd\n")
    (edit,) = ft._text_edits(doc, 0, doc.text, "a\nB\nc\nd\n")
    assert (edit.range.start.line, edit.range.end.line, edit.new_text) == (1, 2, "B\n")
