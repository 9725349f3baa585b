"""Where a tunebook is cut into tunes (§2.2.1): ``split._cuts`` finds each ``X:`` after an
empty line by a literal search; it must give exactly what the rule says, written here as
the regular expression it replaced (any line end: LF, CRLF or a lone CR)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.split import _cuts

# An empty line (spaces and tabs only, at the start of the text or after a line end that
# is not the CR of a CRLF), then its line end, then X: -- the cut is at the X:.
RULE = re.compile(r"(?:\A|(?<=\n)|(?<=\r)(?!\n))[ \t]*(?:\r\n|\r|\n)(?=X:)")

PIECES = st.sampled_from(["X:", "\n", "\r", "\r\n", " ", "\t", "a", "X", ":", "K:C"])


@settings(max_examples=2000)
@given(st.lists(PIECES, max_size=16).map("".join))
def test_cuts_follow_the_rule(text: str) -> None:
    assert _cuts(text) == [m.end() for m in RULE.finditer(text)]


def test_tunes_after_empty_lines_of_each_line_end() -> None:
    for eol in ("\n", "\r\n", "\r"):
        text = eol.join(["X:1", "T:a", "K:C", "abc|", " \t", "X:2", "T:b", "K:C", "def|", ""])
        assert [h.title for h in abcparse.read_headers(text)] == ["a", "b"]
