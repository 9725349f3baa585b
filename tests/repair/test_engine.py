"""The repair engine's contract: what ``abcparse.repair`` promises whatever the input.

- a valid tune comes back unchanged (same text, no edits, the same ``Tune``);
- the result is valid in the target mode, and repairing it again changes nothing;
- the edit list tells the whole story: replaying the edits round by round on the input
  gives the result, round-1 edits sit where ``old`` is in the input, and
  ``input_span`` always lands inside the input;
- it never raises (Hypothesis, on ABC-like text and on any text), and no fixer crashes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abcparse
from abcparse import Diagnostic, Severity
from abcparse.errors import AbcUsageError
from abcparse.format.repair import Edit, RepairResult, repair_text

VALID = "X:1\nT:Valid\nM:6/8\nL:1/8\nK:D\ndAF dAF|GBd gfe|dAF dAF|E3 D3|]\n"
BROKEN = "X:1\nT:Broken\nM:6/8\nL:1/8\nK:D\n(dAF dA|GBd gfe+|[dAF dAF|E3- D3|]\n"


def replay(original: str, edits: tuple[Edit, ...]) -> str:
    """Apply the edits round by round; the edits of a round are listed in text order, so
    applying them from the last to the first keeps every offset right."""
    text = original
    rounds = sorted({e.round for e in edits})
    for rnd in rounds:
        batch = [e for e in edits if e.round == rnd]
        assert [e.start for e in batch] == sorted(e.start for e in batch)
        for e in reversed(batch):
            assert text[e.start : e.end] == e.old, (rnd, e)
            text = text[: e.start] + e.new + text[e.end :]
    return text


def check_contract(text: str, r: RepairResult, target: str = "strict") -> None:
    assert r.original == text
    assert replay(text, r.edits) == r.text
    for e in r.edits:
        if e.round == 1:
            assert text[e.start : e.end] == e.old
        start, end = r.input_span(e)
        assert 0 <= start <= end <= len(text)
        assert e.code.startswith("ABC") and e.why
    assert r.valid == (not any(d.severity is Severity.ERROR for d in r.after))
    assert not r.failures, r.failures


def test_valid_tune_is_the_identity() -> None:
    r = abcparse.repair(VALID, unsafe=True)
    assert r.text == VALID and r.edits == () and r.valid and not r.changed
    assert r.rounds == 0
    tune = abcparse.parse(VALID).tunes[0]
    r = abcparse.repair(tune, unsafe=True)
    assert r.tune is tune and r.edits == ()


def test_broken_tune_is_repaired_and_says_how() -> None:
    r = abcparse.repair(BROKEN, unsafe=True)
    check_contract(BROKEN, r)
    assert r.valid and r.changed
    assert {d.code for d in r.before} >= {"ABC310", "ABC312"}
    assert not [d for d in r.after if d.severity is Severity.ERROR]
    assert isinstance(r.tune, abcparse.Tune) and r.tune.title == "Broken"
    # The result is a fixed point.
    again = abcparse.repair(r.text, unsafe=True)
    assert again.text == r.text and again.edits == ()


def test_later_rounds_map_back_to_the_input() -> None:
    text = "T:no number\nM:4/4\nK:C\nabc d|\n"  # X: first, then T: in a later round
    r = abcparse.repair(text, unsafe=True)
    check_contract(text, r)
    assert max(e.round for e in r.edits) >= 1
    assert r.text.startswith("X:1\nT:no number\n")


@pytest.mark.parametrize("target", ["strict", "loose", "auto"])
def test_targets(target: str) -> None:
    r = abcparse.repair(BROKEN, target=target, unsafe=True)
    check_contract(BROKEN, r, target)
    assert r.valid and r.target == target
    assert not [d for d in abcparse.check(r.text, mode=target)
                if d.severity is Severity.ERROR]


def test_loose_target_leaves_what_loose_reading_accepts() -> None:
    text = "X:1\nT:t\nK:C\nabcd|!\ndcba|]\n"  # the 2.0 line break: a warning when loose
    assert abcparse.repair(text, target="loose", unsafe=True).edits == ()
    repaired = abcparse.repair(text, target="strict", unsafe=True).text
    assert repaired == "X:1\nT:t\nK:C\nabcd|\ndcba|]\n"
    assert abcparse.repair(text, target="loose", warnings=True, unsafe=True).edits


def test_warnings_only_on_request() -> None:
    text = "X:1\nT:t\nK:C\n!wiggle!c2 d2|\n"  # ABC330 is a warning in both modes
    assert abcparse.repair(text, unsafe=True).edits == ()
    r = abcparse.repair(text, warnings=True, unsafe=True)
    assert r.text == "X:1\nT:t\nK:C\nc2 d2|\n" and r.after == ()


def test_select_and_ignore() -> None:
    text = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\nc2d2 e2f2|g2f2 e4 A|c2d2 e2f2|]\n(ab c|\n"
    r = abcparse.repair(text, ignore="ABC301", unsafe=True)
    assert "e4 A|" in r.text and "(ab" not in r.text
    r = abcparse.repair(text, select="ABC301", unsafe=True)
    assert "e4|" in r.text and "(ab" in r.text


def test_header_is_context_and_stays_out_of_reach() -> None:
    header = "%abc-2.1\nM:3/4\nL:1/8\n"
    tune = "X:1\nT:t\nK:C\nabcdef|abcd|abcdef|]\n"
    r = abcparse.repair(tune, header=header, unsafe=True)
    assert r.text == "X:1\nT:t\nK:C\nabcdef|abcdz2|abcdef|]\n"
    # Without the header the meter is free: nothing to repair.
    assert abcparse.repair(tune, unsafe=True).edits == ()
    for e in r.edits:
        assert 0 <= e.start <= e.end <= len(tune)


def test_text_without_a_tune_becomes_one() -> None:
    r = abcparse.repair("", unsafe=True)
    assert r.text == "X:1\nT:Untitled\nK:C\n" and r.valid
    r = abcparse.repair("abc def|\n", unsafe=True)
    assert r.text == "X:1\nT:Untitled\nK:C\nabc def|\n"


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(AbcUsageError):
        abcparse.repair(VALID, target="2.1", unsafe=True)
    with pytest.raises(AbcUsageError):
        abcparse.repair(b"X:1\n", unsafe=True)  # type: ignore[arg-type]


def test_whole_file() -> None:
    text = ("%abc-2.1\nM:4/4\nSome words.\n\n"
            "X:1\nT:a\nK:C\nabcd|(ab|\n\n"
            "X:1\nT:b\nK:C\nabcd|dcba|\n\n"
            "X:3\nT:c\nK:C\nabcd|dcba|]\n")
    r = repair_text(text, unsafe=True)
    assert r.valid and r.changed and not r.failures
    assert "%Some words." in r.text
    assert "\nX:1\nT:a\n" in r.text and "\nX:4\nT:b\n" in r.text  # duplicate renumbered
    assert r.text.endswith("X:3\nT:c\nK:C\nabcd|dcba|]\n")  # untouched tune, same text
    lines = text.splitlines()
    for line, col, e in r.changes():
        assert 1 <= line <= len(lines) and col >= 1 and e.why
    assert repair_text(r.text, unsafe=True).edits == ()


ABC_CHARS = st.sampled_from([
    *"abcdefgABCDEFGzZxX|:[]()!+-^_=,'/0123456789<>{}\"%&@#*;?~.\n \t",
    "X:1\n", "T:t\n", "K:C\n", "M:6/8\n", "L:1/8\n", "K:G\n", "V:1\n", "w:la la\n",
    "|:", ":|", "[1", "[2", "(3", "!trill!", "+trill+", '"Am"', "\n\n",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ABC_CHARS, max_size=40).map("".join))
def test_never_raises_and_always_valid_on_abc_like_text(body: str) -> None:
    for text in (body, "X:1\nT:t\nK:C\n" + body):
        r = abcparse.repair(text, unsafe=True)
        check_contract(text, r)
        assert r.valid


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_never_raises_on_any_text(text: str) -> None:
    r = abcparse.repair(text, target="loose", warnings=True, unsafe=True)
    check_contract(text, r, "loose")
    assert r.valid
    f = repair_text(text, target="strict", unsafe=True)
    assert not f.failures and f.valid


def test_fields_above_a_later_tune_are_free_text_to_the_guard() -> None:
    """Fields written above a later tune's X: (ABC202) are free text in the whole file
    (§2.2.2: only the file's first block is the file header), so moving M:2/4 into the
    tune would change its default unit length and every note's length: the safe fix is
    withdrawn. Read alone, the tune's part took those fields for a file header, and the
    guard saw no change."""
    from abcparse.format.repair import fix_text

    text = "X:1\nT:a\nK:C\nC2|\n\nM:2/4\nX:2\nT:b\nK:C\nC D E|\n"
    r = fix_text(text)
    assert r.text == text
    assert [w.code for _, _, w in r.repair.withdrawn()] == ["ABC202"]
    # With a file header the part was always read after it: the same answer.
    headed = "I:linebreak $\n\n" + text
    assert fix_text(headed).text == headed


def test_fixes_that_would_end_the_tune_together_apply_in_one_round() -> None:
    """An ABC 2.0 line break ``!`` (ABC103) and the stray ``/`` after it (ABC101): each
    fix alone keeps the music, together they would leave an empty line that ends the
    tune. The guard used to withdraw both, report each twice, then apply ABC103 anyway,
    so the report said 'fixed' and 'not fixed' of the same place (an outside tunebook).
    A deletion now takes a line it would leave empty with it, so both apply in one
    round, nothing is withdrawn, and the music is the same."""
    from abcparse.format.repair import fix_text

    text = ("X:1\nT:t\nM:4/4\nL:1/8\nK:Em\nE2G2FED2|E8:|!/\n|: E2GGE2G\n2|FED2D4|E4:|!\n")
    r = fix_text(text)
    withdrawn = [(line, col, w.code) for line, col, w in r.repair.withdrawn()]
    fixed = {(e.start, e.code) for e in r.repair.edits}
    assert withdrawn == []
    assert {code for _, code in fixed} == {"ABC103", "ABC101"}
    assert "\n\n" not in r.text.rstrip("\n")
    from abcparse.events import perform

    def played(t: str) -> list[tuple[object, int]]:
        return [(n.onset, n.pitch) for n in perform(abcparse.parse(t).tunes[0]).notes]

    assert played(r.text) == played(text) and played(text)


def test_a_fix_withdrawn_in_two_rounds_is_reported_once(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """A safe fix that changes the music is withdrawn; after the stray ``3`` before it is
    deleted, the next round offers it again at a moved offset. Both the API and the file
    report say it once (``abc-lint --fix`` printed every such line twice). No shipped
    fixer is withdrawn on the corpora any more, so a faulty one stands in: it deletes the
    reserved ``?`` and the note after it."""
    from abcparse.format import fixers
    from abcparse.format.repair import fix_text

    def faulty(ctx: fixers.FixContext, d: Diagnostic) -> list[fixers.Edit]:
        return [ctx.edit(d.span.start, d.span.start + 3, "", d.code, "deleted (§8.1)")]

    monkeypatch.setitem(fixers.FIXERS, "ABC331", faulty)
    text = "X:1\nT:t\nL:1/8\nK:C\nA3 3 B ? c2|\n"
    r = fix_text(text)
    assert [(line, col, w.code) for line, col, w in r.repair.withdrawn()] == [
        (5, 8, "ABC331")]
    assert [w.code for w in abcparse.repair(text, warnings=True).withdrawn] == ["ABC331"]


def test_a_stray_character_moved_to_a_line_of_its_own_takes_the_line_with_it() -> None:
    """``K:Ador?``: the unsafe key fix moves the ``?`` to a line of its own, and deleting
    it there used to leave an empty line, which ended the tune and dropped every note
    after it (107 notes of an outside tunebook). The emptied line goes too."""
    from abcparse.events import perform
    from abcparse.format.repair import fix_text

    text = ("X:9\nT:Rakish Paddy\nM:4/4\nL:1/8\nK:D\nK:Ador?\n"
            "|:c4 c2 AB|cBAG Ec c2|Add^c defe| dcAG FGAB:|\n")
    r = fix_text(text, unsafe=True)
    assert "K:Ador\n|:c4" in r.text
    (tune,) = abcparse.parse(r.text).tunes
    (before,) = abcparse.parse(text).tunes
    assert len(perform(tune).notes) == len(perform(before).notes) == 54  # 27, repeated
