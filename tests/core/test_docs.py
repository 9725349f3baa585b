"""The examples of docs/api.md run and print what the page says they print.

Examples live in ```pycon fences; each fence is a doctest, and the fences of one page share
their names (as in a Python session), so a later example may use what an earlier one made.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "api.md"]
FENCE = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_examples(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    blocks = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]
    assert blocks, f"{page.name} has no examples"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, object] = {}
    report: list[str] = []  # doctest swaps sys.stdout while it runs: collect, then show
    for source, line in blocks:
        test = parser.get_doctest(source, globs, f"{page.name}:{line}", str(page), line)
        runner.run(test, out=report.append, clear_globs=False)
        globs.update(test.globs)  # DocTest works on a copy; pass its names on
    assert runner.failures == 0, "".join(report)
