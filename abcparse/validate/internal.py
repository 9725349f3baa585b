"""ABC9xx: internal problems: a rule that crashed, a formatting that failed its checks.

These codes are never about the ABC itself. They are registered so that ``--explain``
describes them and their severity is set in one place.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Severity
from .context import TuneContext
from .registry import Finding, rule


@rule("ABC901", "rule-crashed", strict=Severity.WARNING, loose=Severity.WARNING,
      source="validator")
def rule_crashed(ctx: TuneContext) -> Iterator[Finding]:
    """A validator rule raised an exception on this tune.

    That is a bug in abcparse, not in the tune: the other rules still ran, and the
    message names the rule and the exception. Please report it with the tune.
    """
    return iter(())


@rule("ABC902", "format-not-idempotent", strict=Severity.ERROR, loose=Severity.ERROR,
      source="formatter")
def format_not_idempotent(ctx: TuneContext) -> Iterator[Finding]:
    """Formatting the formatted tune changed it again.

    The formatter refuses to write such a result (the file is left as it was). A bug in
    the formatter; please report it with the tune.
    """
    return iter(())


@rule("ABC903", "format-changed-music", strict=Severity.ERROR, loose=Severity.ERROR,
      source="formatter")
def format_changed_music(ctx: TuneContext) -> Iterator[Finding]:
    """Formatting would change the music, not only its layout.

    The formatter compares the parsed music before and after (spans aside) and refuses
    to write a result that differs. A bug in the formatter; please report it.
    """
    return iter(())


@rule("ABC904", "format-added-diagnostic", strict=Severity.ERROR, loose=Severity.ERROR,
      source="formatter")
def format_added_diagnostic(ctx: TuneContext) -> Iterator[Finding]:
    """The formatted tune has a problem the original did not have.

    The formatter checks its result and refuses to write one that the validator finds
    new problems in. A bug in the formatter; please report it.
    """
    return iter(())
