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


@pytest.mark.parametrize("page", ["validator.md", "repair.md"])
def test_fixer_tables_are_the_registry(page: str) -> None:
    """docs/validator.md and docs/repair.md hold, for each fixer, its code, what it
    changes and whether it is safe, generated from the registry."""
    from abcparse.format.fixers import FIX_SAFETY, FIXERS, fixer_table

    text = (PAGE.parent / page).read_text(encoding="utf-8")
    start = text.index("-->\n", text.index("<!-- fixer-table")) + 4
    table = text[start : text.index("<!-- end fixer-table -->")]
    assert table == fixer_table(), (
        f"regenerate with: python -c 'from abcparse.format.fixers import"
        f" update_fixer_table as u; u(\"docs/{page}\")'")
    rows = [r.split(" | ") for r in table.splitlines()[2:]]
    assert {r[0].strip("| ") for r in rows} == set(FIXERS)
    for r in rows:
        assert r[-1].strip(" |") == ("safe" if FIX_SAFETY[r[0].strip("| ")] else "unsafe")
