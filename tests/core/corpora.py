"""Where the test corpora are, and the tunes they hold.

``corpus/irish.abc`` ships with the project (MIT). The Nottingham and Debian collections are
GPL and are read where they live, ``../shared/corpus`` beside the checkout (or the folder
named by ``ABCPARSE_SHARED_CORPUS``); tests that need them skip when they are absent.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

import abcparse

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_IRISH = ROOT / "corpus" / "irish.abc"
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))


def shared_files() -> list[Path]:
    """Every ABC file of the shared corpora: MIT Irish, Nottingham original and cleaned,
    Debian examples."""
    if not SHARED.is_dir():
        return []
    files = [SHARED / "mit-irish" / "irish.abc"]
    files += sorted((SHARED / "nottingham" / "ABC_original").glob("*.abc"))
    files += sorted((SHARED / "nottingham" / "ABC_cleaned").glob("*.abc"))
    files += sorted((SHARED / "debian-examples").glob("*/*.abc"))
    return [f for f in files if f.is_file()]


def all_files() -> list[Path]:
    """The shipped file and the shared ones, without a shared copy of the shipped file."""
    shipped = SHIPPED_IRISH.read_bytes()
    return [SHIPPED_IRISH, *(f for f in shared_files() if f.read_bytes() != shipped)]


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not shared_files(), reason=f"shared corpora not found at {SHARED}")


def file_id(path: Path) -> str:
    """A short test id: ``nottingham/ABC_original/jigs.abc``, ``shipped/irish.abc``."""
    if path == SHIPPED_IRISH:
        return "shipped/irish.abc"
    try:
        return str(path.relative_to(SHARED))
    except ValueError:
        return path.name


@functools.cache
def parsed(path: Path) -> abcparse.Tunebook:
    """Each corpus file parsed once per test session (the model is immutable)."""
    return abcparse.parse_file(path)


def tune_texts() -> list[str]:
    """The text of every tune of every corpus file (about 3,800 tunes)."""
    return [t.text for f in all_files() for t in parsed(f).tunes]
