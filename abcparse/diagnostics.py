"""Positions and diagnostics shared by the parser, the validator and the formatter.

Codes are stable and never reused (README, "Rule codes"): ABC0xx bytes and encoding,
ABC1xx syntax, ABC2xx file and header structure, ABC3xx music, ABC4xx style, ABC9xx
internal. The parser emits some of them while it reads (undecodable bytes, stray
characters, unclosed brackets, field values it cannot read); the validator owns the
registry that describes every code and sets its severity per mode.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple


class Span(NamedTuple):
    """Where a node or a problem is: 1-based line and column (code points), end exclusive,
    and 0-based offsets into the whole text. A NamedTuple because the parser makes one per
    element and a tuple is the cheapest immutable record in CPython."""

    line: int
    col: int
    end_line: int
    end_col: int
    start: int
    end: int


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Fix:
    """A text edit that resolves a diagnostic: replace ``text[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in ABC text."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    rule: str = ""
    fix: Fix | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def col(self) -> int:
        return self.span.col

    @property
    def end_line(self) -> int:
        return self.span.end_line

    @property
    def end_col(self) -> int:
        return self.span.end_col

    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.start, self.span.end, self.code)

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.code} {self.message}"
