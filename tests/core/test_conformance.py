"""The conformance suite: one small fixture per section of ABC 2.1, each with the model it
must give as a hand-checked golden JSON file (see tests/fixtures/conformance/README.md).

A failure here means the parser's model of a standard construct changed. If the change is
intended, regenerate with ``python -m tests.core.golden --update NAME`` and check the diff
against the standard section the fixture is named after before committing it.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import abcparse

from .golden import BYTE_FIXTURES, FIXTURES, book_data, dumps, fixtures, golden_path

FIXTURE_FILES = fixtures()

# Every section the suite must cover: §2 file structure, every subsection of §3 and §4,
# §5 lyrics, §7 voices, §12 dialects (plus §6, §8 and §11 extras). A fixture covers a
# section when its name starts with "s<section>_".
REQUIRED_SECTIONS = [
    "2.1",
    "2.2",
    "2.2.5",
    "2.2.6",
    *(f"3.1.{n}" for n in range(1, 19)),
    "3.2",
    "3.3",
    *(f"4.{n}" for n in range(1, 21)),
    "5",
    "7",
    "12.1.1",
    "12.1.2",
    "12.2",
    "12.3",
]


def test_every_section_has_a_fixture() -> None:
    names = [f.name for f in FIXTURE_FILES]
    missing = [s for s in REQUIRED_SECTIONS if not any(n.startswith(f"s{s}_") for n in names)]
    assert not missing, f"sections without a conformance fixture: {missing}"


def test_every_fixture_has_a_golden() -> None:
    lacking = [f.name for f in FIXTURE_FILES if not golden_path(f).exists()]
    orphans = [g.name for g in FIXTURES.glob("*.json") if not g.with_suffix(".abc").exists()]
    assert not lacking and not orphans, f"without golden: {lacking}; golden alone: {orphans}"


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=[f.stem for f in FIXTURE_FILES])
def test_golden(fixture: Path) -> None:
    """parse_file(fixture) gives exactly the model in the golden JSON."""
    expected_text = golden_path(fixture).read_text(encoding="utf-8")
    expected = json.loads(expected_text)
    actual = book_data(abcparse.parse_file(fixture))
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected_text.splitlines(keepends=True),
                dumps(actual).splitlines(keepends=True),
                "golden",
                "parser",
            )
        )
        lines = diff.splitlines()
        shown = "\n".join(lines[:80]) + (
            f"\n... {len(lines) - 80} more lines" if len(lines) > 80 else ""
        )
        pytest.fail(f"{fixture.name}: the model differs from the golden:\n{shown}")


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=[f.stem for f in FIXTURE_FILES])
def test_fixture_round_trip(fixture: Path) -> None:
    """The tunebook gives back the text, and its source the bytes, of the fixture."""
    data = fixture.read_bytes()
    book = abcparse.parse_file(fixture)
    assert book.source is not None
    assert book.source.to_bytes() == data
    assert book.to_text() == book.source.text
    text = book.to_text()
    for tune in book.tunes:  # each tune's text is the file's text at the tune's span
        assert text[tune.span.start : tune.span.end] == tune.to_text()


@pytest.mark.parametrize("name", sorted(BYTE_FIXTURES))
def test_fixture_bytes(name: str) -> None:
    """The byte-exact §2 fixtures are on disk as golden.py writes them: a checkout that
    converted line ends or stripped the BOM would make the encoding tests meaningless."""
    assert (FIXTURES / name).read_bytes() == BYTE_FIXTURES[name]


def test_golden_files_are_canonical() -> None:
    """Goldens are in the printer's own format, so regenerating one shows a real diff."""
    bad = [
        g.name
        for g in sorted(FIXTURES.glob("*.json"))
        if dumps(json.loads(g.read_text(encoding="utf-8"))) != g.read_text(encoding="utf-8")
    ]
    assert not bad, f"not in canonical form (rewrite with --update): {bad}"


def test_regeneration_command_dry_run() -> None:
    """The documented command runs from the checkout and, with no --update, changes
    nothing and reports every golden up to date."""
    root = FIXTURES.parents[2]
    before = {g.name: g.read_bytes() for g in FIXTURES.glob("*.json")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.core.golden", "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"0 of {len(FIXTURE_FILES)} goldens differ" in done.stdout
    assert {g.name: g.read_bytes() for g in FIXTURES.glob("*.json")} == before
