"""The parser lists at most ``MAX_FINDINGS_PER_CODE`` findings of one code per tune
(issue 15): a tune of ``[A[A[A...`` made a finding per two characters, more memory than
its music. Past the limit the next finding is listed with the count of those not listed;
the music is built whole all the same, and ``--fix`` reaches the rest on its next rounds.
"""

from __future__ import annotations

from pathlib import Path

import abcparse
from abcparse.cli.lint import main as lint_main
from abcparse.limits import MAX_FINDINGS_PER_CODE
from abcparse.model import Chord

HEAD = "X:1\nT:open chords\nL:1/8\nK:C\n"


def _findings(tune: abcparse.Tune, code: str) -> list[abcparse.Diagnostic]:
    return [d for d in tune.diagnostics if d.code == code]


def _chords(tune: abcparse.Tune) -> int:
    return sum(isinstance(e, Chord) for v in tune.voices for b in v.bars for e in b.elements)


def test_past_the_limit_the_next_finding_counts_the_rest() -> None:
    extra = 500
    tune = abcparse.parse(HEAD + "[A" * (MAX_FINDINGS_PER_CODE + extra) + "\n").tunes[0]
    found = _findings(tune, "ABC312")
    assert len(found) == MAX_FINDINGS_PER_CODE + 1
    # Listed in order: the first of those past the limit, at its own place.
    assert [d.span.col for d in found] == [1 + 2 * i for i in range(MAX_FINDINGS_PER_CODE + 1)]
    assert f"and {extra - 1} more ABC312 in this tune, not listed" in found[-1].message
    assert all("not listed" not in d.message for d in found[:-1])
    assert _chords(tune) == MAX_FINDINGS_PER_CODE + extra  # every chord is still there


def test_at_and_just_past_the_limit_nothing_is_counted_away() -> None:
    for n in (MAX_FINDINGS_PER_CODE, MAX_FINDINGS_PER_CODE + 1):
        tune = abcparse.parse(HEAD + "[A" * n + "\n").tunes[0]
        found = _findings(tune, "ABC312")
        assert len(found) == n
        assert all("not listed" not in d.message for d in found)


def test_each_code_and_each_tune_has_its_own_count() -> None:
    n = MAX_FINDINGS_PER_CODE
    body = "A]B}" * n + "\n"
    book = abcparse.parse(HEAD + body + "\n" + HEAD.replace("X:1", "X:2") + "[A" * n + "\n" + body)
    first, second = book.tunes
    assert len(_findings(first, "ABC313")) == len(_findings(first, "ABC315")) == n
    assert len(_findings(second, "ABC312")) == len(_findings(second, "ABC313")) == n
    assert not any("not listed" in d.message for d in book.diagnostics)


def test_unsafe_fixes_reach_the_findings_not_listed(tmp_path: Path) -> None:
    path = tmp_path / "open.abc"
    path.write_text(HEAD + "[A" * (MAX_FINDINGS_PER_CODE + 300) + "\n", encoding="utf-8")
    assert lint_main(["--fix", "--unsafe-fixes", "-q", str(path)]) == 0
    tune = abcparse.parse_file(path).tunes[0]
    assert not tune.diagnostics
    assert _chords(tune) == MAX_FINDINGS_PER_CODE + 300
