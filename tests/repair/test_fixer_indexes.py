"""The indexes that keep ``--fix`` linear agree with the plain definitions they replace.

A fixer is asked once per finding; on a long line with thousands of findings, anything
that rescans the line or the tune per finding is quadratic (issue 15: a 200 KB line of
stray ``]`` took over a minute to fix). The fast forms below are checked here against the
slow definitions, on many small random cases; their speed is measured by
``benchmarks/scaling.py --op fix`` and ``benchmarks/hostile.py``, not asserted here.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from abcparse.format.fixers import _ODD_LETTERS, Edit, _Intervals, _QuoteScores
from abcparse.format.repair import _ByStart, _conflict, _self_conflicting
from abcparse.theory import CHORD_NAME_RE


def _line_score(line: str) -> int:
    """The definition: every part of the line split at its quotes, the odd ones quoted."""
    parts = line.split('"')
    if len(parts) % 2 == 0:
        return -1000
    score = 0
    for k, part in enumerate(parts):
        if k % 2:
            if "|" in part or len(part) > 30:
                score -= 3
            elif CHORD_NAME_RE.fullmatch(part) or part[:1] in ("^", "_", "<", ">", "@"):
                score += 2
        else:
            score -= sum(1 for c in part if c in _ODD_LETTERS)
    return score


_LINE_CHARS = st.sampled_from(list('"|ABCDEFGabcm7#b^_<>@ IJKhijz/2'))


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE_CHARS, max_size=45).map("".join))
def test_quote_scores_equal_rescoring_the_edited_line(line: str) -> None:
    scores = _QuoteScores(line)
    for at in range(len(line) + 1):
        assert scores.added(at) == _line_score(line[:at] + '"' + line[at:])
        if at < len(line) and line[at] == '"':
            assert scores.deleted(at) == _line_score(line[:at] + line[at + 1 :])


def test_quote_scores_on_a_lost_closing_quote() -> None:
    line = '"C"A"G"B "Am abc'
    scores = _QuoteScores(line)
    at = line.index("Am") + 2
    assert scores.added(at) == _line_score(line[:at] + '"' + line[at:]) > 0


_EDITS = st.lists(
    st.tuples(st.integers(0, 12), st.sampled_from([0, 0, 1, 2, 3, 5])).map(
        lambda p: Edit(p[0], p[0] + p[1], "", "x", "ABC101", "test")),
    min_size=2, max_size=7)


@settings(max_examples=600, deadline=None)
@given(_EDITS)
def test_a_group_conflicts_with_itself_as_the_pairwise_test_says(group: list[Edit]) -> None:
    pairwise = any(_conflict(a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    assert _self_conflicting(group) == pairwise


_SPANS = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8)), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_SPANS, st.integers(-1, 40))
def test_intervals_find_what_a_scan_finds_in_order(spans: list[tuple[int, int]],
                                                   pos: int) -> None:
    items = [(s, s + n, k) for k, (s, n) in enumerate(spans)]
    assert _Intervals(items).at(pos) == [k for s, e, k in items if s <= pos < e]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=60), st.integers(-1, 42))
def test_edits_by_start_keep_text_order_across_chunks(starts: list[int], pos: int) -> None:
    placed = _ByStart()
    placed.CHUNK = 2  # tiny chunks, so that splits happen
    edits = [Edit(s, s, "", str(k), "ABC101", "test") for k, s in enumerate(starts)]
    for e in edits:
        placed.insert(e)
    in_order = sorted(edits, key=lambda e: e.start)  # stable: equal starts as they came
    assert [e for chunk in placed.chunks for e in chunk] == in_order
    assert list(placed.before(pos)) == [e for e in reversed(in_order) if e.start < pos]
    assert list(placed.from_(pos)) == [e for e in in_order if e.start >= pos]
