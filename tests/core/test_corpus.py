"""Every tune of the shipped and shared corpora: parsed without an exception, given back
exactly (text and bytes), its lossless tree re-joining to its text, and the fast LALR
driver agreeing with Lark's own parser on every tree (a differential test).

About 3,800 tunes; the whole module runs in a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lark
import pytest

from abcparse.parser import LineParser, ParseFailure, line_parser

from .corpora import all_files, file_id, needs_shared, parsed, shared_files

FILES = all_files()


@pytest.mark.parametrize("path", FILES, ids=[file_id(f) for f in FILES])
def test_round_trip(path: Path) -> None:
    """to_text() is the decoded input and source.to_bytes() the file's bytes; each
    tune's text is the file's text at the tune's span."""
    book = parsed(path)
    assert book.source is not None
    assert book.to_text() == book.source.text
    assert book.source.to_bytes() == path.read_bytes()
    text = book.to_text()
    for tune in book.tunes:
        assert text[tune.span.start : tune.span.end] == tune.to_text()


@pytest.mark.parametrize("path", FILES, ids=[file_id(f) for f in FILES])
def test_tunes_found(path: Path) -> None:
    """As many tunes as the file has X: lines outside %%begin...%%end blocks (the
    corpora have no tune without X:)."""
    text = parsed(path).to_text()
    without_blocks = re.sub(r"(?ms)^%%begin.*?^%%end[^\n]*", "", text)
    assert len(parsed(path).tunes) == len(re.findall(r"(?m)^X:", without_blocks))


def _tree(text: str) -> tuple[str, Any]:
    parser = line_parser()
    try:
        return "tune", parser.parse(text, "tune")
    except ParseFailure:
        return "lines", parser.parse(text, "lines")


def _leaves(tree: Any) -> list[str]:
    out: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, lark.Tree):
            stack.extend(reversed(node.children))
        else:
            out.append(node.group())
    return out


@pytest.mark.parametrize("path", FILES, ids=[file_id(f) for f in FILES])
def test_lossless_tree(path: Path) -> None:
    """Joining the leaves of a tune's tree gives back the tune's text, character for
    character (nothing is %ignore'd)."""
    for tune in parsed(path).tunes:
        _, tree = _tree(tune.text)
        assert "".join(_leaves(tree)) == tune.text, f"X:{tune.reference} {tune.title}"


def _shape(node: Any) -> Any:
    """A tree as nested tuples, the same for both drivers: rule name and children, or
    terminal name, text and offset."""
    if isinstance(node, lark.Tree):
        return (str(node.data), tuple(_shape(c) for c in node.children))
    if isinstance(node, lark.Token):
        return (node.type, str(node), node.start_pos)
    return (node.lastgroup, node.group(), node.start())


def _both(parser: LineParser, text: str, start: str) -> tuple[Any, Any]:
    try:
        fast: Any = _shape(parser.parse(text, start))
    except ParseFailure:
        fast = "rejected"
    try:
        reference: Any = _shape(parser.reference_parse(text, start))
    except lark.exceptions.LarkError:
        reference = "rejected"
    return fast, reference


@pytest.mark.parametrize("path", FILES, ids=[file_id(f) for f in FILES])
def test_fast_driver_matches_lark(path: Path) -> None:
    """The table-driven loop and Lark's LALR parser give the same tree (or both reject
    the text) for every tune, from both start symbols the builder uses."""
    parser = line_parser()
    for tune in parsed(path).tunes:
        for start in ("tune", "lines"):
            fast, reference = _both(parser, tune.text, start)
            assert fast == reference, f"X:{tune.reference} {tune.title} from {start!r}"


@needs_shared()
def test_corpus_sizes() -> None:
    """The shared corpora hold what their README says (so a missing file cannot silently
    shrink the tests above)."""
    counts: dict[str, int] = {}
    for f in shared_files():
        key = file_id(f).split("/")[0] + ("/" + f.parent.name if "nottingham" in str(f) else "")
        counts[key] = counts.get(key, 0) + len(parsed(f).tunes)
    assert counts["mit-irish"] == 804
    assert counts["nottingham/ABC_original"] == 1037
    assert counts["nottingham/ABC_cleaned"] == 1034
    assert counts["debian-examples"] >= 79
