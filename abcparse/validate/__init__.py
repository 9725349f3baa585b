"""The validator: a rule registry with stable codes and strict/loose severities (§12).

>>> import abcparse
>>> diags = abcparse.check("X:1\\nT:t\\nK:C\\n(abc|\\n")
>>> [(d.code, d.line, d.col, d.severity.value) for d in diags]
[('ABC310', 4, 1, 'warning')]

Rules live in one module per family: :mod:`.bytes` (ABC0xx), :mod:`.syntax` (ABC1xx),
:mod:`.structure` (ABC2xx), :mod:`.music` (ABC3xx), :mod:`.style` (ABC4xx) and
:mod:`.internal` (ABC9xx). :func:`registry` lists them all; :func:`explain` gives the
text ``abc-lint --explain`` prints.
"""

from __future__ import annotations

from .check import check, check_book, select_rules
from .registry import Finding, Rule, find_rule, get_rule, registry, rule


def explain(code: str) -> str | None:
    """The explanation of a rule, by code or name; None if there is no such rule."""
    r = find_rule(code)
    return r.explanation() if r is not None else None


__all__ = [
    "Finding",
    "Rule",
    "check",
    "check_book",
    "explain",
    "find_rule",
    "get_rule",
    "registry",
    "rule",
    "select_rules",
]
