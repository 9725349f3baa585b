"""A ``P:`` order is bounded twice (issue 15): the order itself (ABC225 past
``build.MAX_PARTS`` parts, flat or grouped), and what it plays (AbcLimitError past
``form.MAX_PLAYED_SEGMENTS`` bars in a voice, before any note is laid out). Found by a
hostile input: ``P:`` with 200,000 letters over a 100-bar part took `abcparse midi` and
`abc-lint --fix` past a minute, building every note of every pass before the MIDI size
check refused it.

Each consumer says so in its own way: MIDI export refuses the tune with one message, the
validator checks the bars as written, and ``--fix`` withdraws the safe fixes it cannot
check against the music.
"""

from __future__ import annotations

import pytest

import abcparse
from abcparse.build import MAX_PARTS
from abcparse.errors import AbcLimitError
from abcparse.events import MAX_PLAYED_ITEMS, perform
from abcparse.format.repair import fix_text
from abcparse.music.form import MAX_PLAYED_SEGMENTS


def _tune(parts: str, bars: int, extra: str = "") -> str:
    body = "ABCDEFGA|" * bars
    return (f"X:1\nT:parts\nM:4/4\nL:1/8\nP:{parts}\nK:C\n"
            f"P:A\n{body}{extra}\nP:B\n{body}\n")


@pytest.mark.parametrize("parts", ["A" * (MAX_PARTS + 1), "(AB)5001", "AB" * 5000 + "(AB)2"])
def test_a_part_order_over_the_limit_is_a_finding(parts: str) -> None:
    tune = abcparse.parse(_tune(parts, 2)).tunes[0]
    found = [d for d in tune.diagnostics if d.code == "ABC225"]
    assert found and "too long" in found[0].message
    assert len(found[0].message) < 200  # the value is not echoed whole
    assert tune.parts is None  # played as written


def test_a_part_order_at_the_limit_is_read() -> None:
    tune = abcparse.parse(_tune("AB" * (MAX_PARTS // 2), 1)).tunes[0]
    assert not [d for d in tune.diagnostics if d.code == "ABC225"]
    assert tune.parts is not None and len(tune.parts) == MAX_PARTS


def test_playing_beyond_the_limit_is_refused_before_the_notes_are_laid_out() -> None:
    bars = MAX_PLAYED_SEGMENTS // 4000 + 1  # 4,000 parts of this many bars: over the limit
    tune = abcparse.parse(_tune("AB" * 2000, bars)).tunes[0]
    with pytest.raises(AbcLimitError, match="P: order plays more than"):
        perform(tune)
    # Written order stays playable.
    assert len(perform(tune, unroll_repeats=False).notes) == 2 * 8 * bars


def test_the_validator_checks_the_bars_as_written_then() -> None:
    bars = MAX_PLAYED_SEGMENTS // 4000 + 1
    text = _tune("AB" * 2000, bars, extra="ABC|")  # one short bar at the end of part A
    found = [d for d in abcparse.check(text) if d.code == "ABC301"]
    assert len(found) == 1


def test_fix_withdraws_what_it_cannot_check_against_the_music() -> None:
    bars = MAX_PLAYED_SEGMENTS // 4000 + 1
    text = _tune("AB" * 2000, bars, extra="AB#CDEFGA|")  # ABC331: a safe deletion
    result = fix_text(text)
    assert result.text == text
    reasons = [w.reason for _, _, w in result.repair.withdrawn()]
    assert reasons and all("not checked" in r and "P: order" in r for r in reasons)


def test_the_limit_counts_every_voice_together() -> None:
    # 100 voices, each well within its own limit, together far beyond what a tune plays.
    body = "".join(f"[V:{i}][P:A]ABCDEFGA|[P:B]ABCDEFGA|\n" for i in range(100))
    text = f"X:1\nT:voices\nM:4/4\nL:1/8\nP:{'AB' * (MAX_PARTS // 2)}\nK:C\n{body}"
    tune = abcparse.parse(text).tunes[0]
    assert len(tune.voices) == 100
    assert 100 * MAX_PARTS * 8 > MAX_PLAYED_ITEMS
    with pytest.raises(AbcLimitError, match="plays more than"):
        perform(tune)
    assert len(perform(tune, voice="1").notes) == MAX_PARTS * 8  # one voice alone plays
