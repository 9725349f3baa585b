"""abc-lint --fix/--diff on a file past FIX_WHOLE_LIMIT repairs and formats it a tune
at a time (abcparse.rewrite.fix_stream); below the limit it is repaired whole, as before.
On tunes whose repairs stay within the tune, both give the same file and diff."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

import abcparse
from abcparse.cli import check as check_cli
from abcparse.cli.lint import build_parser
from tests.core.corpora import SHIPPED_IRISH


def _run(argv: list[str]) -> tuple[str, str, int]:
    args = build_parser().parse_args(["--no-config", *argv])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = check_cli.run(args, out=out)
    return out.getvalue(), err.getvalue(), status


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """60 Irish tunes (2.0 line breaks, unclosed repeats: repairs within each tune),
    with a file header."""
    tunes = abcparse.parse_file(SHIPPED_IRISH).tunes[:60]
    path = tmp_path / "book.abc"
    path.write_text("% my tunes\nL:1/8\n\n" + "\n".join(t.text for t in tunes),
                    encoding="utf-8")
    return path


def test_streamed_fix_is_the_whole_file_fix(book: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.abc"
    copy.write_bytes(book.read_bytes())
    whole_diff = _run(["--diff", str(book)])
    whole = _run(["--fix", "--exit-zero", str(book)])
    monkeypatch.setattr(check_cli, "FIX_WHOLE_LIMIT", 0)
    streamed_diff = _run(["--diff", str(copy)])
    streamed = _run(["--fix", "--exit-zero", str(copy)])
    assert streamed_diff[0] == whole_diff[0].replace(str(book), str(copy))
    assert streamed_diff[0].startswith(f"--- a/{copy}")
    assert copy.read_bytes() == book.read_bytes()
    assert streamed[1].replace(str(copy), str(book)) == whole[1]
    assert "fixed ABC103" in whole[1]


def test_streamed_fix_leaves_a_clean_file_alone(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clean.abc"
    text = "X:1\nT:Clean\nM:4/4\nL:1/8\nK:G\nGABc d2e2|]\n"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(check_cli, "FIX_WHOLE_LIMIT", 0)
    before = path.stat().st_mtime_ns
    out, _, status = _run(["--diff", str(path)])
    assert (out, status) == ("", 0)
    _run(["--fix", str(path)])
    assert path.read_text(encoding="utf-8") == text and path.stat().st_mtime_ns == before


def test_streamed_fix_reads_fields_above_a_later_tune_as_free_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with no file header: the fields above a later tune's X: are free text
    (§2.2.2), so moving M:2/4 into that tune (ABC202) would halve its notes; the safe
    fix is withdrawn a segment at a time too, as when the file is repaired whole (the
    segment, read after the empty line that opens it, gets repair's later-part
    context)."""
    text = "X:1\nT:a\nK:C\nC2|\n\nM:2/4\nX:2\nT:b\nK:C\nC D E|\n"
    path = tmp_path / "book.abc"
    path.write_text(text, encoding="utf-8")
    whole = _run(["--fix", "--exit-zero", str(path)])
    assert path.read_text(encoding="utf-8") == text
    monkeypatch.setattr(check_cli, "FIX_WHOLE_LIMIT", 0)
    streamed = _run(["--fix", "--exit-zero", str(path)])
    assert path.read_text(encoding="utf-8") == text
    assert "not fixed ABC202" in streamed[1]
    assert streamed[1] == whole[1]
