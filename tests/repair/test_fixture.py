"""Must show (issue 4): the broken-tune fixture file, one broken tune per kind of error
abc-lint finds, comes out valid, tune by tune and as a whole file, without a crash and
without the last resort (every error there has a fixer that repairs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

import abcparse
from abcparse import Severity
from abcparse.format.repair import repair_text

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken" / "broken.abc"
LAST_RESORT = ("no repair could fix", "no smaller edit", "no repair made")


def tunes() -> list[abcparse.Tune]:
    return list(abcparse.parse_file(BROKEN).tunes)


@pytest.mark.parametrize("target", ["strict", "loose"])
def test_every_tune_alone(target: str) -> None:
    for tune in tunes():
        r = abcparse.repair(tune, target=target, warnings=True, unsafe=True)
        assert r.valid and not r.failures, (tune.title, r.after)
        assert not [d for d in r.after if d.severity is not Severity.INFO], tune.title
        assert not [e for e in r.edits if any(w in e.why for w in LAST_RESORT)], (
            tune.title, r.edits)


@pytest.mark.parametrize("target", ["auto", "strict", "loose"])
def test_the_whole_file(target: str) -> None:
    text = BROKEN.read_text(encoding="utf-8")
    r = repair_text(text, target=target, unsafe=True)
    print(f"\n{target}: {len(r.before)} findings before, {len(r.edits)} edits,"
          f" {len(r.after)} findings after")
    assert r.valid and not r.failures
    assert not [d for d in abcparse.check(r.text, mode=target)
                if d.severity is Severity.ERROR]
    assert repair_text(r.text, target=target, unsafe=True).edits == ()
    # Each error code of the fixture was repaired by its own fixer.
    fixed = {e.code for e in r.edits}
    for d in r.before:
        if d.severity is Severity.ERROR:
            assert d.code in fixed, d


def test_whole_file_with_warnings_leaves_only_what_has_no_fixer() -> None:
    r = repair_text(BROKEN.read_text(encoding="utf-8"), warnings=True, unsafe=True)
    assert r.valid
    assert {d.code for d in r.after} <= {"ABC004"}, r.after
