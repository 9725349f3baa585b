"""The examples users read run: docstrings of abcparse.format and the Python blocks of
docs/format.md."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import abcparse
import abcparse.format
import abcparse.format.transpose

DOC = Path(__file__).resolve().parents[2] / "docs" / "format.md"


@pytest.mark.parametrize("module", [abcparse.format, abcparse.format.transpose])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


def test_python_blocks_of_the_guide() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {"abcparse": abcparse}, f"format.md[{i}]", str(DOC), 0)
        runner.run(test)
    assert runner.failures == 0
