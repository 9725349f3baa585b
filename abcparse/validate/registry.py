"""The rule registry: every diagnostic code, its name, its severity per mode, its text.

A rule is a function decorated with :func:`rule`. It takes a context (one tune, or the
whole file) and yields :class:`Finding` objects; the registry turns them into
:class:`~abcparse.diagnostics.Diagnostic` objects with the code, rule name and the severity
that the rule's table gives for the mode the tune is read in (ABC 2.1 §12: strict for
files and tunes declared 2.1 or later, loose otherwise).

Codes the parser emits while it reads (ABC001, ABC101, ABC312 ...) are registered too,
with ``source="parser"`` and a function that finds nothing itself: the registry is the one
place that documents every code (``abc-lint --explain CODE``) and decides its severity, so
a parser diagnostic goes through the same table as a validator one.

Each rule's docstring holds the rule's explanation and its examples: fenced ``abc``
blocks after a ``Passes:`` line must not produce the code, blocks after ``Fails:`` must.
``tests/validate/test_rule_examples.py`` runs them all, so the documentation cannot drift
from the behaviour. A fence written ``abc-bytes`` holds Python escapes (``\\x00``,
``\\r\\n``) and is checked as bytes, for the byte-level rules; its last line end is not
part of it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from ..diagnostics import Diagnostic, Fix, Severity, Span

FAMILIES = {
    "0": "bytes and encoding",
    "1": "syntax",
    "2": "file and header structure",
    "3": "music",
    "4": "style",
    "9": "internal",
}


class Finding(NamedTuple):
    """What a rule reports: the registry adds code, severity and rule name."""

    message: str
    span: Span
    fix: Fix | None = None


RuleFunc = Callable[[Any], Iterable[Finding]]


@dataclass(frozen=True)
class Example:
    """One ABC example from a rule's docstring."""

    text: str | bytes
    passes: bool


@dataclass(frozen=True)
class Rule:
    """A registered rule.

    ``strict`` / ``loose`` are the severities in each mode; ``None`` means the rule does
    not apply in that mode (for example "T: must be second" is a strict-only rule).
    ``scope`` is "tune" (called once per tune) or "file" (once per file). ``source`` is
    "validator" for rules that look for problems themselves, "parser" for codes the parser
    emits, "formatter" for codes the formatter emits. ``default`` is False for the style
    rules, which run only when selected.
    """

    code: str
    name: str
    func: RuleFunc = field(repr=False, compare=False)
    strict: Severity | None = Severity.ERROR
    loose: Severity | None = Severity.WARNING
    scope: str = "tune"
    source: str = "validator"
    default: bool = True
    section: str = ""

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[3], "other")

    def severity(self, strict: bool) -> Severity | None:
        return self.strict if strict else self.loose

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        """The first line of the docstring: the one-line description in the code table."""
        return self.doc.split("\n", 1)[0].strip()

    def explanation(self) -> str:
        """The rule's text for ``--explain``: its docstring with a heading."""
        sev = f"strict: {_sev(self.strict)}, loose: {_sev(self.loose)}"
        extra = "" if self.default else "; off unless selected"
        where = f" ({self.section})" if self.section else ""
        head = f"{self.code} {self.name}{where}\n{sev}{extra}; found by the {self.source}\n"
        return head + "\n" + self.doc + "\n"

    def examples(self) -> list[Example]:
        return parse_examples(self.doc)

    def report(self, findings: Iterable[Finding]) -> Iterator[tuple[Rule, Finding]]:
        for f in findings:
            yield self, f


def _sev(s: Severity | None) -> str:
    return s.value if s is not None else "off"


_REGISTRY: dict[str, Rule] = {}
_SORTED: dict[str, Rule] = {}  # _REGISTRY in code order, rebuilt after a registration
_CODE_RE = re.compile(r"^ABC[0-9]{3}$")


#: Named selections of rules that are off by default, for a purpose: ``playable`` adds the
#: checks of what abc2midi and abcjs warn about and the standard leaves open (a meter
#: left out, bars that do not add up once the repeats are played). ``abc-lint --profile``.
PROFILES: dict[str, tuple[str, ...]] = {"playable": ("ABC212", "ABC307")}


def rule(
    code: str,
    name: str,
    *,
    strict: Severity | None = Severity.ERROR,
    loose: Severity | None = Severity.WARNING,
    scope: str = "tune",
    source: str = "validator",
    default: bool = True,
    section: str = "",
) -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function as the rule for ``code``.

    >>> from abcparse.validate.registry import rule, get_rule
    >>> get_rule("ABC301").name
    'bar-duration'
    """
    if not _CODE_RE.match(code):
        raise ValueError(f"rule code must look like ABC123, not {code!r}")
    if scope not in ("tune", "file"):
        raise ValueError(f"scope must be 'tune' or 'file', not {scope!r}")

    def register(func: RuleFunc) -> RuleFunc:
        if code in _REGISTRY and _REGISTRY[code].func is not func:
            raise ValueError(f"{code} is registered twice ({_REGISTRY[code].name}, {name})")
        if not (func.__doc__ or "").strip():
            raise ValueError(f"rule {code} {name} needs a docstring that explains it")
        _REGISTRY[code] = Rule(code, name, func, strict, loose, scope, source, default, section)
        _SORTED.clear()
        return func

    return register


def unregister(code: str) -> None:
    """Remove a rule (for tests and plugins that register temporary rules)."""
    _REGISTRY.pop(code, None)
    _SORTED.clear()


def registry() -> dict[str, Rule]:
    """Every registered rule by code, in code order (a new dict each call)."""
    _load()
    if not _SORTED:
        _SORTED.update(sorted(_REGISTRY.items()))
    return dict(_SORTED)


def get_rule(code: str) -> Rule | None:
    _load()
    return _REGISTRY.get(code.upper())


def graded(diagnostics: Iterable[Diagnostic], strict: bool) -> list[Diagnostic]:
    """Diagnostics the parser made, with the severity the registry gives each code in the
    mode (``strict``), as ``abc-lint`` reports them; a code the mode turns off is left
    out. The parser writes its own provisional severity (error for a syntax finding);
    a command that prints the diagnostics of :func:`abcparse.parse` (``abcparse midi``)
    grades them here, so an ABC 2.0 habit that ``abc-lint`` calls a warning in loose
    reading is not an error there."""
    _load()
    out = []
    for d in diagnostics:
        r = _REGISTRY.get(d.code)
        sev = d.severity if r is None else r.severity(strict)
        if sev is None:
            continue
        out.append(d if sev is d.severity else replace(d, severity=sev))
    return out


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by code (``ABC301``, ``abc301``) or by name (``bar-duration``)."""
    _load()
    found = _REGISTRY.get(code_or_name.upper())
    if found is not None:
        return found
    for r in _REGISTRY.values():
        if r.name == code_or_name:
            return r
    return None


_LOADED: list[bool] = []


def _load() -> None:
    # Importing the family modules registers their rules (decorators run at import).
    if _LOADED:
        return
    _LOADED.append(True)
    from . import bytes as _b  # noqa: F401
    from . import internal as _i  # noqa: F401
    from . import music as _m  # noqa: F401
    from . import structure as _st  # noqa: F401
    from . import style as _sy  # noqa: F401
    from . import syntax as _sx  # noqa: F401


_FENCE_RE = re.compile(r"^```(abc|abc-bytes)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_HEAD_RE = re.compile(r"^(Passes|Fails):[ \t]*$", re.M)


def parse_examples(doc: str) -> list[Example]:
    """The fenced examples of a docstring, each marked passing or failing by the nearest
    ``Passes:`` / ``Fails:`` line above it."""
    heads = [(m.start(), m.group(1) == "Passes") for m in _HEAD_RE.finditer(doc)]
    out: list[Example] = []
    for m in _FENCE_RE.finditer(doc):
        before = [passes for pos, passes in heads if pos < m.start()]
        if not before:
            continue
        body = m.group(2)
        text: str | bytes = body
        if m.group(1) == "abc-bytes":
            # Line ends matter here (CRLF examples): the block's own last newline is not
            # part of the example; write \n where one is meant.
            body = body[:-1] if body.endswith("\n") else body
            # unicode_escape reads other bytes as Latin-1, so encoding back to Latin-1
            # gives the escapes as bytes and leaves UTF-8 text as it was.
            text = body.encode("utf-8").decode("unicode_escape").encode("latin-1")
        out.append(Example(text, before[-1]))
    return out


def code_table() -> str:
    """The table of every code, one line each, as docs/validator.md shows it (a test keeps
    the two equal)."""
    lines = [
        "| code | name | strict | loose | what it finds |",
        "|---|---|---|---|---|",
    ]
    for code, r in registry().items():
        default = "" if r.default else " (off unless selected)"
        summary = r.summary.replace("|", "\\|")
        lines.append(
            f"| {code} | {r.name} | {_sev(r.strict)} | {_sev(r.loose)} | {summary}{default} |"
        )
    return "\n".join(lines) + "\n"


def update_code_table(path: str) -> bool:
    """Rewrite the code table of ``path`` (between its code-table markers); True if it
    changed."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("-->\n", text.index("<!-- code-table")) + 4
    end = text.index("<!-- end code-table -->")
    new = text[:start] + code_table() + text[end:]
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return new != text
