"""Where a tunebook is cut into tunes (§2.2.1): ``split._x_lines`` finds each line after
the first that starts ``X:``, and whether an empty line comes before it, by a literal
search; ``split._has_empty_line`` says whether an empty line lies in a stretch. They must
give exactly what the rules say, written here as regular expressions (any line end: LF,
CRLF or a lone CR)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.split import _OTHER_BREAKS, _has_empty_line, _x_lines, has_other_breaks

# An empty line (spaces and tabs only, at the start of the text or after a line end that
# is not the CR of a CRLF), then its line end, then X: -- the cut is at the X:.
RULE = re.compile(r"(?:\A|(?<=\n)|(?<=\r)(?!\n))[ \t]*(?:\r\n|\r|\n)(?=X:)")
# A line starting X: (not the text's first).
X_LINE = re.compile(r"(?:(?<=\n)|(?<=\r)(?!\n))X:")
EMPTY = re.compile(r"(?:\A|(?<=\n)|(?<=\r)(?!\n))[ \t]*(?:\r\n|\r|\n)")

PIECES = st.sampled_from(["X:", "\n", "\r", "\r\n", " ", "\t", "a", "X", ":", "K:C"])


@settings(max_examples=2000)
@given(st.lists(PIECES, max_size=16).map("".join))
def test_cuts_follow_the_rule(text: str) -> None:
    after_empty = {m.end() for m in RULE.finditer(text)}
    assert _x_lines(text) == [(m.start(), m.start() in after_empty)
                              for m in X_LINE.finditer(text)]


@settings(max_examples=2000)
@given(st.lists(PIECES, max_size=16).map("".join), st.integers(0, 20), st.integers(0, 20))
def test_empty_lines_follow_the_rule(text: str, a: int, b: int) -> None:
    """Whether a line that starts in [start, end) is empty, ``start`` being the text's
    start or an X: line's and ``end`` an X: line's or the text's end (where the splitter
    asks: never inside a line end)."""
    starts = [0, *(m.start() for m in X_LINE.finditer(text))]
    start = starts[a % len(starts)]
    ends = [e for e in [*starts, len(text)] if e >= start]
    end = ends[b % len(ends)]
    assert _has_empty_line(text, start, end) == any(
        start <= m.start() < end and m.end() <= end for m in EMPTY.finditer(text))


@settings(max_examples=2000)
@given(st.text(st.sampled_from("a \n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\xe9"), max_size=12))
def test_other_breaks_are_found_in_ascii_and_other_text(text: str) -> None:
    """The literal search of ASCII text finds what the pattern finds."""
    assert has_other_breaks(text) == (_OTHER_BREAKS.search(text) is not None)


def test_tunes_after_empty_lines_of_each_line_end() -> None:
    for eol in ("\n", "\r\n", "\r"):
        text = eol.join(["X:1", "T:a", "K:C", "abc|", " \t", "X:2", "T:b", "K:C", "def|", ""])
        assert [h.title for h in abcparse.read_headers(text)] == ["a", "b"]
