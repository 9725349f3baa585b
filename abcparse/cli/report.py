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


def fix_safety(code: str, tried: frozenset[str] = frozenset()) -> str | None:
    """"safe" or "unsafe" when a fixer is registered for ``code`` (its declared safety,
    abcparse.format.fixers.FIX_SAFETY), else None.

    ``tried``: the kinds of fix that ``abc-lint --fix`` has just run on the files
    reported (``{"safe"}``, with ``--unsafe-fixes`` both). A finding of those kinds that
    is still there is one the fix could not make (the fixer declined, or the music
    engine withdrew it): it is not offered again, as ruff marks only what ``--fix``
    would still change."""
    try:
        from ..format.fixers import FIX_SAFETY
    except ImportError:  # pragma: no cover - the formatter is part of the package
        return None
    safe = FIX_SAFETY.get(code)
    kind = None if safe is None else "safe" if safe else "unsafe"
    return None if kind in tried else kind


_FIX_MARKS = {"safe": " [*]", "unsafe": " [unsafe fix]", None: ""}


def _concise_line(path: str, d: Diagnostic, tried: frozenset[str] = frozenset()) -> str:
    """``path:line:col: CODE message``, then ``[*]`` when ``abc-lint --fix`` has a safe
    fix for it, ``[unsafe fix]`` when only ``--unsafe-fixes`` has one (``tried``: see
    :func:`fix_safety`)."""
    mark = _FIX_MARKS[fix_safety(d.code, tried)]
    return f"{path}:{d.line}:{d.col}: {d.code} {d.message}{mark}\n"


def _concise(r: FileReport, tried: frozenset[str] = frozenset()) -> str:
    return "".join(_concise_line(r.path, d, tried) for d in r.diagnostics)


def _full(r: FileReport, tried: frozenset[str] = frozenset()) -> str:
    out: list[str] = []
    for d in r.diagnostics:
        mark = _FIX_MARKS[fix_safety(d.code, tried)]
        out.append(f"{r.path}:{d.line}:{d.col}: {d.code} [{d.severity.value}] {d.message}"
                   f"{mark}\n")
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


def diagnostic_json(path: str, d: Diagnostic, tried: frozenset[str] = frozenset()
                    ) -> dict[str, Any]:
    """One finding in the documented JSON schema (docs/validator.md); ``tried``: see
    :func:`fix_safety`."""
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
        "fixable": fix_safety(d.code, tried),
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


def sarif_result(path: str, d: Diagnostic, index: dict[str, int],
                 tried: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One finding as a SARIF result (``index``: rule code → its index in the log;
    ``tried``: see :func:`fix_safety`)."""
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": _SARIF_LEVEL[d.severity],
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path.replace("\\", "/")},
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
    fixable = fix_safety(d.code, tried)
    if fixable is not None:
        result["properties"] = {"fixable": fixable}
    return result


def sarif_rule_index() -> dict[str, int]:
    from ..validate import registry

    return {code: i for i, code in enumerate(registry())}


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
    results = [sarif_result(rep.path, d, index) for rep in reports for d in rep.diagnostics]
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


def statistics_text(counts: Counter[tuple[str, str]], fmt: str) -> str:
    """``--statistics``: the count of each code, most frequent first, as a table
    (``  12  ABC301  bar-duration``) or, with ``--format json``, as a JSON list of
    ``{"code", "name", "count"}`` (what a script reads)."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        return json.dumps([{"code": code, "name": rule, "count": n}
                           for (code, rule), n in rows], indent=2) + "\n"
    width = len(str(max(counts.values()))) if counts else 0
    return "".join(f"{n:>{width}}  {code}  {rule}\n" for (code, rule), n in rows)


def summary(reports: list[FileReport]) -> str:
    """One line for standard error: "Found 3 problems (2 errors, 1 warning) in 1 file.",
    and how many of them ``--fix`` (and ``--unsafe-fixes``) can fix."""
    diags = [d for r in reports for d in r.diagnostics]
    files = sum(1 for r in reports if r.diagnostics)
    return _summary(Counter(d.severity for d in diags),
                    Counter(fix_safety(d.code) for d in diags), files)


def _summary(by: Counter[Severity], fixable: Counter[str | None], files: int) -> str:
    n = sum(by.values())
    if not n:
        return ""
    parts = []
    for sev, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                      (Severity.INFO, "note")):
        if by[sev]:
            parts.append(f"{by[sev]} {word}{'s' if by[sev] != 1 else ''}")
    line = (f"Found {n} problem{'s' if n != 1 else ''} ({', '.join(parts)}) in {files}"
            f" file{'s' if files != 1 else ''}.\n")
    safe, unsafe = fixable["safe"], fixable["unsafe"]
    if safe:
        line += f"[*] {safe} fixable with --fix"
        line += f" ({unsafe} more with --fix --unsafe-fixes).\n" if unsafe else ".\n"
    elif unsafe:
        line += f"No safe fixes ({unsafe} with --fix --unsafe-fixes).\n"
    return line


# ---------------------------------------------------------------------------------------
# Streaming: the same output, one finding at a time


class StreamReport:
    """Writes the output of :func:`render` (and :func:`statistics`, :func:`summary`)
    as findings come, file after file, so a run over a big collection never holds its
    findings: the bytes written equal ``render(fmt, reports)`` for the same findings
    (tests/validate/test_report.py checks every format).

    Call :meth:`add` for each finding in order (with the text of its line for the
    "full" format) and :meth:`close` once at the end.
    """

    def __init__(self, fmt: str, out: Any, statistics: bool = False,
                 tried: frozenset[str] = frozenset()) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.fmt = fmt
        self.out = out
        self.statistics = statistics
        self.tried = tried  # the kinds of fix --fix has just made (see fix_safety)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.severities: Counter[Severity] = Counter()
        self.fixable: Counter[str | None] = Counter()
        self.total = 0
        self.files = 0
        self._last_path: str | None = None
        self._sarif: tuple[str, str, str] | None = None  # head, indent, tail
        self._index: dict[str, int] = {}

    def add(self, path: str, d: Diagnostic, line: str | None = None) -> None:
        if path != self._last_path:
            self._last_path = path
            self.files += 1
        self.total += 1
        self.severities[d.severity] += 1
        self.fixable[fix_safety(d.code, self.tried)] += 1
        if self.statistics:
            self.counts[(d.code, d.rule)] += 1
            return
        fmt = self.fmt
        if fmt == "concise":
            self.out.write(_concise_line(path, d, self.tried))
        elif fmt == "full":
            lines = {d.line: line} if line is not None else {}
            self.out.write(_full(FileReport(path, [d], lines), self.tried))
        elif fmt == "github":
            self.out.write(_github(FileReport(path, [d])))
        elif fmt == "json":
            item = json.dumps([diagnostic_json(path, d, self.tried)], indent=2,
                              ensure_ascii=False)[2:-2]
            self.out.write(("[\n" if self.total == 1 else ",\n") + item)
        else:
            if self._sarif is None:
                self._sarif = _sarif_frame()
                self._index = sarif_rule_index()
                self.out.write(self._sarif[0])
            else:
                self.out.write(",\n")
            pad = self._sarif[1]
            text = json.dumps(sarif_result(path, d, self._index, self.tried), indent=2,
                              ensure_ascii=False)
            self.out.write(pad + text.replace("\n", "\n" + pad))

    def close(self) -> None:
        """The end of the output: the close of a JSON list or SARIF log, or the table
        of ``--statistics``."""
        if self.statistics:
            self.out.write(statistics_text(self.counts, self.fmt))
            return
        if self.fmt == "json":
            self.out.write("\n]\n" if self.total else "[]\n")
        elif self.fmt == "sarif":
            if self._sarif is None:
                self.out.write(json.dumps(to_sarif([]), indent=2, ensure_ascii=False) + "\n")
            else:
                self.out.write("\n" + self._sarif[2])

    def summary(self) -> str:
        """:func:`summary` of what was added."""
        return _summary(self.severities, self.fixable, self.files)


_MARK = "@@abc-lint results@@"


def _sarif_frame() -> tuple[str, str, str]:
    """The SARIF log around its results: the text before the first result (ending with
    the line end after ``"results": [``), the indentation of a result, and the text
    after the last result (from the line of its closing bracket)."""
    log = to_sarif([])
    log["runs"][0]["results"] = [_MARK]
    text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    at = text.index(json.dumps(_MARK))
    line_start = text.rindex("\n", 0, at) + 1
    line_end = text.index("\n", at) + 1
    return text[:line_start], text[line_start:at], text[line_end:]
