"""Every rule's docstring examples pass and fail as their docstring says.

The examples are the rules' documentation (``abc-lint --explain``): running them keeps
the two from drifting apart. A "Passes:" example must not produce the rule's code, a
"Fails:" example must.
"""

from __future__ import annotations

import pytest

import abcparse
from abcparse.validate import registry
from abcparse.validate.registry import Rule

RULES = list(registry().values())
# Codes with no failing example, and why: ABC9xx are internal (a crashing rule, a
# formatter refusing its own output) and cannot be produced by ABC text.
NO_FAILING_EXAMPLE = {"ABC901", "ABC902", "ABC903", "ABC904"}


def _cases() -> list[tuple[str, int, Rule]]:
    out = []
    for r in RULES:
        for i, _ in enumerate(r.examples()):
            out.append((r.code, i, r))
    return out


def _id(v: object) -> str:
    return "" if isinstance(v, Rule) else str(v)


@pytest.mark.parametrize(("code", "i", "rule"), _cases(), ids=_id)
def test_example(code: str, i: int, rule: Rule) -> None:
    ex = rule.examples()[i]
    found = abcparse.check(ex.text, select=[code])
    codes = [d.code for d in found]
    if ex.passes:
        assert code not in codes, f"passing example {i} of {code} produced {found}"
    else:
        assert code in codes, f"failing example {i} of {code} produced only {found}"
        # The parser's other complaints are fine; an internal error never is.
        assert "ABC901" not in codes


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_has_examples(rule: Rule) -> None:
    examples = rule.examples()
    if rule.code in NO_FAILING_EXAMPLE:
        return
    assert any(not e.passes for e in examples), f"{rule.code} has no failing example"
    assert any(e.passes for e in examples), f"{rule.code} has no passing example"


def test_examples_do_not_crash_other_rules() -> None:
    """Every example, checked with every rule (style included), crashes none."""
    for r in RULES:
        for ex in r.examples():
            found = abcparse.check(ex.text, select="ALL")
            assert not [d for d in found if d.code == "ABC901"], (r.code, ex.text, found)
