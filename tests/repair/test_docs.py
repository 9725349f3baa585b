"""The examples users read run: the ```pycon blocks of docs/repair.md (one session per
page, as in tests/core/test_docs.py) and the docstring examples of the repair modules."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import abcparse.format.fixers
import abcparse.format.repair

PAGE = Path(__file__).resolve().parents[2] / "docs" / "repair.md"
FENCE = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def test_examples_of_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]
    assert len(blocks) >= 3
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {}
    report: list[str] = []
    for source, line in blocks:
        test = parser.get_doctest(source, globs, f"{PAGE.name}:{line}", str(PAGE), line)
        runner.run(test, out=report.append, clear_globs=False)
        globs.update(test.globs)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("module", [abcparse.format.repair])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


def test_every_fixer_is_in_the_table_of_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index("## The repairs") : text.index("## Files")]
    listed: set[str] = set()
    for row in table.splitlines():
        first = row.split("|")[1] if row.startswith("|") else ""
        for a, b in re.findall(r"ABC(\d{3})(?:-ABC(\d{3}))?", first):
            listed.update(f"ABC{n:03d}" for n in range(int(a), int(b or a) + 1))
    assert set(abcparse.format.fixers.FIXERS) <= listed, set(abcparse.format.fixers.FIXERS) - listed
