"""abcparse.check: inputs, modes, selection, suppression comments, crashing rules."""

from __future__ import annotations

import sys

import abcparse
from abcparse import Severity
from abcparse.validate import registry
from abcparse.validate.registry import rule

LOOSE_TUNE = "X:1\nT:t\nK:C\n(abc|\n"


def codes(text: str | bytes | abcparse.Tunebook, **kw: object) -> list[str]:
    return [d.code for d in abcparse.check(text, **kw)]  # type: ignore[arg-type]


def test_check_is_exported() -> None:
    assert "check" in abcparse.__all__
    assert abcparse.check is abcparse.validate.check


def test_text_bytes_and_tunebook_agree() -> None:
    book = abcparse.parse(LOOSE_TUNE)
    assert codes(LOOSE_TUNE) == codes(LOOSE_TUNE.encode()) == codes(book) == ["ABC310"]


def test_diagnostic_fields() -> None:
    (d,) = abcparse.check(LOOSE_TUNE)
    assert (d.code, d.line, d.col, d.end_line, d.end_col) == ("ABC310", 4, 1, 4, 2)
    assert d.severity is Severity.WARNING and d.rule == "slur-not-closed" and d.fix is None


def test_modes_follow_section_12() -> None:
    """§12: undeclared files are loose (warnings), %abc-2.1 files strict (errors)."""
    (loose,) = abcparse.check(LOOSE_TUNE)
    assert loose.severity is Severity.WARNING
    (strict,) = abcparse.check("%abc-2.1\n" + LOOSE_TUNE)
    assert strict.severity is Severity.ERROR
    (forced,) = abcparse.check(LOOSE_TUNE, mode="strict")
    assert forced.severity is Severity.ERROR
    # I:abc-version in one tune's header makes that tune strict (§3.1.17, §12).
    two = LOOSE_TUNE + "\nX:2\nT:u\nI:abc-version 2.1\nK:C\n(abc|\n"
    assert [d.severity for d in abcparse.check(two)] == [Severity.WARNING, Severity.ERROR]


def test_strict_only_rules() -> None:
    text = "X:1\nM:4/4\nT:late title\nK:C\nabcd|\n"
    assert "ABC203" not in codes(text)
    assert "ABC203" in codes(text, mode="strict")
    assert "ABC203" in codes("%abc-2.1\n" + text)


def test_tunebook_in_another_mode_is_read_again() -> None:
    text = "X:1\nT:t\nK:C\n\nabc|\n"  # the empty line splits the tune when strict (ABC209)
    book = abcparse.parse(text, mode="loose")
    (d,) = abcparse.check(book, mode="strict")
    assert d.code == "ABC209" and d.severity is Severity.ERROR


def test_select_and_ignore_prefixes() -> None:
    text = "X:1\nT:t\nY:x\nK:C\n(abc|\n"
    assert codes(text) == ["ABC207", "ABC310"]
    assert codes(text, select="ABC3") == ["ABC310"]
    assert codes(text, ignore=["ABC2"]) == ["ABC310"]
    # A prefix selects every rule under it, the opt-in ones too (as ABC4 selects the
    # style rules): the tune has no M:, so the playable profile's ABC212 reports it.
    assert codes(text, select="ABC2,ABC310") == ["ABC212", "ABC207", "ABC310"]
    assert codes(text, select="ABC207,ABC310") == ["ABC207", "ABC310"]
    assert codes("X:1\nT:t\nK:C\nA1 B|\n") == []
    assert codes("X:1\nT:t\nK:C\nA1 B|\n", extend_select="ABC4") == ["ABC403", "ABC402"]


def test_parser_codes_go_through_the_registry() -> None:
    """Every code the parser emits is registered, with the registry's name and severity."""
    d = abcparse.check("X:1\nT:t\nK:C\nab 3 c|\n")[0]
    assert (d.code, d.rule) == ("ABC101", "unexpected-character")
    for code in ("ABC001", "ABC002", "ABC003", "ABC004", "ABC101", "ABC102", "ABC106", "ABC204",
                 "ABC208", "ABC209", "ABC211", "ABC221", "ABC222", "ABC223", "ABC224", "ABC225",
                 "ABC226", "ABC227", "ABC228", "ABC312", "ABC313", "ABC314", "ABC315"):
        assert code in registry(), code


def test_a_repeat_sign_broken_over_a_line_end_is_named() -> None:
    """``G2:`` then ``|:d|`` on the next line: a hard-wrapped tunebook broke ``:|``; the
    stray ``:`` says so (no player reads it as a repeat), and only there."""
    (d,) = abcparse.check("X:1\nT:t\nK:C\nD|G2 A2:\n|:d e:|\n")
    assert d.code == "ABC101" and "a :| broken over the line end?" in d.message
    (d,) = abcparse.check("X:1\nT:t\nK:C\nD|G2 A2: B|\nc d|\n")
    assert d.code == "ABC101" and "broken over" not in d.message


def test_duplicates_collapse() -> None:
    """The parser and a bytes rule both find the NUL: one diagnostic remains."""
    found = abcparse.check(b"X:1\nT:a\x00\nK:C\nabc|\n")
    assert [d.code for d in found] == ["ABC002"]


def test_crashing_rule_becomes_abc901() -> None:
    registry_module = sys.modules["abcparse.validate.registry"]

    def crash(ctx: object) -> list[object]:
        """A rule that raises, to test that check() survives it."""
        raise ZeroDivisionError("boom")

    rule("ABC399", "always-crashes", strict=Severity.ERROR, loose=Severity.ERROR)(crash)
    try:
        found = abcparse.check(LOOSE_TUNE, select=["ABC399", "ABC9", "ABC310"])
        assert [d.code for d in found] == ["ABC901", "ABC310"]
        assert "ABC399" in found[0].message and "ZeroDivisionError: boom" in found[0].message
        assert found[0].severity is Severity.WARNING
    finally:
        registry_module.unregister("ABC399")  # type: ignore[attr-defined]
    assert "ABC399" not in registry()


# ---------------------------------------------------------------------------------------
# Suppression comments (docs/validator.md, "Suppressing findings")

BODY = "abc d2|(ab|\n"


def test_suppress_on_the_line() -> None:
    assert codes("X:1\nT:t\nK:C\n" + "abc d2|(ab| % abc-lint: disable=ABC310\n") == []
    assert codes("X:1\nT:t\nK:C\n" + "abc d2|(ab| % abc-lint: disable=ABC311\n") == ["ABC310"]
    assert codes("X:1\nT:t\nK:C\n" + "abc d2|(ab| % abc-lint: disable=ABC3\n") == []


def test_suppress_next_line_in_body() -> None:
    text = "X:1\nT:t\nK:C\n% abc-lint: disable=ABC310\n" + BODY + "(ab|\n"
    found = abcparse.check(text)
    assert [(d.code, d.line) for d in found] == [("ABC310", 6)]


def test_suppress_whole_tune_from_header_or_above_x() -> None:
    in_header = "X:1\nT:t\n% abc-lint: disable=ABC310\nK:C\n" + BODY + "(ab|\n"
    assert codes(in_header) == []
    above = "% abc-lint: disable=ABC310\nX:1\nT:t\nK:C\n" + BODY
    other = "\nX:2\nT:u\nK:C\n" + BODY
    assert [d.line for d in abcparse.check(above + other)] == [10]


def test_suppress_whole_file_from_file_header() -> None:
    head = "% abc-lint: disable=ABC310\nM:4/4\n\n"
    text = head + "X:1\nT:t\nK:C\n" + BODY + "\nX:2\nT:u\nK:C\n" + BODY
    assert codes(text) == []


def test_suppress_all() -> None:
    assert codes("X:1\nT:t\nK:C\n(abc)) % abc-lint: disable=all\n") == []


def test_deprecated_fields_are_a_strict_warning() -> None:
    """§10.1 deprecates A: and E:; §10 asks for a warning under strict reading only. They
    are fields of the standard (not ABC207's unknown letters)."""
    text = "X:1\nT:t\nA:Donegal\nE:3\nK:C\nabc|\n"
    assert codes(text, mode="strict") == ["ABC215", "ABC215"]
    assert codes(text, mode="loose") == []


def test_a_decoration_whose_closing_bang_is_missing_is_named_as_such() -> None:
    """``!trill B``: read as the ABC 2.0 line break (§12.1.1), and the finding says that
    the closing ``!`` of ``!trill!`` was most likely forgotten, with its place; a plain
    ABC 2.0 line break gets no such hint."""
    (found,) = [d for d in abcparse.check("X:1\nT:t\nK:C\nA !trill B c|\n") if d.code == "ABC103"]
    assert "At 4:3 !trill is more likely the decoration !trill!" in found.message
    (plain,) = [d for d in abcparse.check("X:1\nT:t\nK:C\nabc|!\ndef|\n") if d.code == "ABC103"]
    assert "closing ! missing" not in plain.message


def test_a_slur_open_before_the_first_ending_may_close_in_each_ending() -> None:
    """§4.10 plays one ending a pass, so ``(c|1 d) e f:|2 d) e f`` closes the slur opened
    before the endings once in each (a TheSession setting writes ``Bfc(d |1 d)fec ...
    :|2 d)fec``): no ABC311 there, and no safe fix deleting the second ``)``. A ``)`` that
    closes nothing is still reported."""
    head = "X:1\nT:t\nM:3/4\nL:1/4\nK:C\n"
    for body in ("|:A B (c|1 d) e f:|2 d) e f|]\n", "|:A B (c|1 d) e f:|\n[2 d) e f|]\n",
                 "|:A B (c|1 d e f:|2 d) e f|]\n"):
        assert "ABC311" not in codes(head + body), body
        assert abcparse.repair(head + body, warnings=True).text == head + body
    assert "ABC311" in codes(head + "|:A B c|1 d e f:|2 d) e f|]\n")
    assert "ABC311" in codes(head + "|:A B (c|1 d) e f:|2 d) e) f|]\n")


def test_field_value_messages_name_the_end_of_the_value() -> None:
    """A field value with more after its end says so in words, not in Lark's name for
    the end of its input (``<END-OF-FILE>``), nor as the end of the tune."""
    text = "X:1\nT:t\nM:4/4 2/2\nL:1/8 x\nK:C\nabc|\n"
    found = {d.code: d.message for d in abcparse.check(text)}
    assert found["ABC221"] == (
        "M:4/4 2/2 cannot be read: '2' where the end of the value was expected")
    assert found["ABC222"].startswith("L:1/8 x cannot be read: 'x' where the end of the value")
    assert not any("END" in m or "the tune" in m for m in found.values())
