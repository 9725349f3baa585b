"""Output formats of ``abc-lint``: concise, full, json, sarif, github.

Every format takes the same input, a list of :class:`FileReport` (a path, the file's
diagnostics, and the source lines the "full" format quotes), so the formats cannot
disagree about what was found. The JSON schema is documented in docs/validator.md
("JSON output") and checked by tests/validate/test_report.py.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..diagnostics import Diagnostic, Fix, Severity, Span

FORMATS = ("concise", "full", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://abcnotation.com/wiki/abc:standard:v2.1"


@dataclass
class FileReport:
    """What was found in one file (or standard input)."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # line number → text, for "full"
    tunes: int = 0
    error: str | None = None  # the file could not be read (exit status 2)


# ---------------------------------------------------------------------------------------
# Transport between processes: plain tuples pickle everywhere and fast.


def pack(d: Diagnostic) -> tuple[Any, ...]:
    fix = (d.fix.start, d.fix.end, d.fix.replacement, d.fix.description) if d.fix else None
    return (d.code, d.message, tuple(d.span), d.severity.value, d.rule, fix)


def unpack(t: tuple[Any, ...]) -> Diagnostic:
    code, message, span, severity, rule, fix = t
    return Diagnostic(
        code, message, Span(*span), Severity(severity), rule, Fix(*fix) if fix else None
    )


# ---------------------------------------------------------------------------------------


def render(fmt: str, reports: list[FileReport]) -> str:
    """The whole output of one run in format ``fmt``."""
    if fmt == "concise":
        return "".join(_concise(r) for r in reports)
    if fmt == "full":
        return "".join(_full(r) for r in reports)
    if fmt == "json":
        return json.dumps(to_json(reports), indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        return json.dumps(to_sarif(reports), indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(_github(r) for r in reports)
    raise ValueError(f"unknown format {fmt!r}")


def _concise(r: FileReport) -> str:
    return "".join(f"{r.path}:{d.line}:{d.col}: {d.code} {d.message}\n" for d in r.diagnostics)


def _full(r: FileReport) -> str:
    out: list[str] = []
    for d in r.diagnostics:
        out.append(f"{r.path}:{d.line}:{d.col}: {d.code} [{d.severity.value}] {d.message}\n")
        text = r.lines.get(d.line)
        if text is not None:
            num = str(d.line)
            pad = " " * len(num)
            shown = text.expandtabs(1)
            width = (
                d.end_col - d.col if d.end_line == d.line and d.end_col > d.col else 1
            )
            width = max(1, min(width, len(shown) - d.col + 1)) if len(shown) >= d.col else 1
            out.append(f" {pad} |\n")
            out.append(f" {num} | {shown}\n")
            out.append(f" {pad} | {' ' * (d.col - 1)}{'^' * width}\n")
        if d.fix is not None and d.fix.description:
            out.append(f"   = fix: {d.fix.description}\n")
        out.append("\n")
    return "".join(out)


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github(r: FileReport) -> str:
    out = []
    path = _gh_escape(r.path, True)
    for d in r.diagnostics:
        out.append(
            f"::{_GH_LEVEL[d.severity]} file={path},line={d.line},col={d.col},"
            f"endLine={d.end_line},endColumn={d.end_col},title={d.code}::"
            f"{_gh_escape(d.code + ' ' + d.message)}\n"
        )
    return "".join(out)


def diagnostic_json(path: str, d: Diagnostic) -> dict[str, Any]:
    """One finding in the documented JSON schema (docs/validator.md)."""
    return {
        "path": path,
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "line": d.line,
        "col": d.col,
        "end_line": d.end_line,
        "end_col": d.end_col,
        "rule": d.rule,
        "fix": None
        if d.fix is None
        else {
            "start": d.fix.start,
            "end": d.fix.end,
            "replacement": d.fix.replacement,
            "description": d.fix.description,
        },
    }


def to_json(reports: Iterable[FileReport]) -> list[dict[str, Any]]:
    return [diagnostic_json(r.path, d) for r in reports for d in r.diagnostics]


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def to_sarif(reports: list[FileReport]) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, the registry's rules, one result per finding."""
    from ..validate import registry

    rules = registry()
    index = {code: i for i, code in enumerate(rules)}
    driver_rules = []
    for code, r in rules.items():
        sev = r.strict or r.loose or Severity.INFO
        driver_rules.append(
            {
                "id": code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.doc},
                "help": {"text": r.explanation()},
                "defaultConfiguration": {"level": _SARIF_LEVEL[sev], "enabled": r.default},
                "properties": {"family": r.family, "source": r.source},
            }
        )
    results = []
    for rep in reports:
        uri = rep.path.replace("\\", "/")
        for d in rep.diagnostics:
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {
                                "startLine": d.line,
                                "startColumn": d.col,
                                "endLine": max(d.end_line, d.line),
                                "endColumn": d.end_col
                                if (d.end_line, d.end_col) >= (d.line, d.col)
                                else d.col,
                            },
                        }
                    }
                ],
            }
            if d.code in index:
                result["ruleIndex"] = index[d.code]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "abc-lint",
                        "semanticVersion": __version__,
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": driver_rules,
                    }
                },
                "results": results,
            }
        ],
    }


def statistics(reports: Iterable[FileReport]) -> str:
    """Counts per code, most frequent first: ``  12  ABC301  bar-duration``."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in reports:
        for d in r.diagnostics:
            counts[(d.code, d.rule)] += 1
    if not counts:
        return ""
    width = len(str(max(counts.values())))
    lines = [
        f"{n:>{width}}  {code}  {rule}\n"
        for (code, rule), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "".join(lines)


def summary(reports: list[FileReport]) -> str:
    """One line for standard error: "Found 3 problems (2 errors, 1 warning) in 1 file."."""
    diags = [d for r in reports for d in r.diagnostics]
    if not diags:
        return ""
    by = Counter(d.severity for d in diags)
    parts = []
    for sev, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                      (Severity.INFO, "note")):
        if by[sev]:
            parts.append(f"{by[sev]} {word}{'s' if by[sev] != 1 else ''}")
    files = sum(1 for r in reports if r.diagnostics)
    n = len(diags)
    return (
        f"Found {n} problem{'s' if n != 1 else ''} ({', '.join(parts)}) in {files}"
        f" file{'s' if files != 1 else ''}.\n"
    )
