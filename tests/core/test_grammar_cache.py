"""The parser tables are cached in the user's cache folder (``abcparse.parser._lark``):
a second start loads them instead of building them; a damaged cache file is rebuilt; a
folder that another user could write is never read (the file is a pickle)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from abcparse.grammar import read as grammar_text

from abcparse import parser
from abcparse.fileio import user_cache_folder


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ABCPARSE_NO_CACHE", raising=False)
    return tmp_path


def _files(home: Path) -> list[Path]:
    return sorted((home / "abcparse" / "grammar").glob("*.lark"))


def _meter_parser() -> object:
    return parser._lark(grammar_text("fields.lark"), ["meter_value"], strict=False)


def test_tables_are_saved_then_loaded(cache_home: Path) -> None:
    built = _meter_parser()
    files = _files(cache_home)
    assert len(files) == 1
    loaded = _meter_parser()
    assert loaded is not built
    for text in ("6/8", "C|", "(2+3)/8", "none"):
        assert loaded.parse(text) == built.parse(text)  # type: ignore[attr-defined]
    assert _files(cache_home) == files


def test_damaged_cache_is_rebuilt(cache_home: Path) -> None:
    _meter_parser()
    (path,) = _files(cache_home)
    path.write_bytes(b"not a pickle at all")
    again = _meter_parser()
    assert str(again.parse("3/4").children)  # type: ignore[attr-defined]
    assert path.read_bytes() != b"not a pickle at all"


def test_each_grammar_and_start_has_its_own_file(cache_home: Path) -> None:
    _meter_parser()
    parser._lark(grammar_text("fields.lark"), ["key_value"], strict=False)
    assert len(_files(cache_home)) == 2


def test_strict_build_is_never_cached(cache_home: Path) -> None:
    parser._lark(grammar_text("fields.lark"), ["length_value"], strict=True)
    assert _files(cache_home) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_folder_others_can_write_is_not_used(cache_home: Path) -> None:
    folder = cache_home / "abcparse"
    folder.mkdir()
    folder.chmod(0o777)
    assert user_cache_folder("grammar") is None
    _meter_parser()  # still parses, without a cache
    assert not (folder / "grammar").exists()


def test_cache_can_be_turned_off(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABCPARSE_NO_CACHE", "1")
    _meter_parser()
    assert not (cache_home / "abcparse").exists()


def test_unwritable_cache_still_parses(cache_home: Path) -> None:
    (cache_home / "abcparse").write_text("a file where the folder should be")
    assert user_cache_folder("grammar") is None
    assert _meter_parser().parse("2/4")  # type: ignore[attr-defined]
