"""The corpus reader is abcparse.iter_tunes (issue 16): the chunks of the core's split,
one tune at a time, including after a ``%%begin`` block that is never closed."""

from __future__ import annotations

import json
from pathlib import Path

import abcparse
from abcparse.corpus import clean
from abcparse.corpus.reader import SourceFile
from abcparse.split import split


def test_an_unclosed_block_does_not_swallow_the_tunes_after_it(tmp_path: Path) -> None:
    """An unclosed %%begin is an ordinary line (the grammar's DIRECTIVE_BLOCK needs its
    %%end): the tunes after it are tunes, cut one at a time. The reader used to stay
    "in the block" to the end of the file and hold all the rest as one piece."""
    text = ("X:1\nT:a\nK:C\nC|\n%%begintext\n\nX:2\nT:b\nK:D\nD|\n\nX:3\nT:c\nK:E\nE|\n")
    path = tmp_path / "open.abc"
    path.write_text(text, encoding="utf-8")
    sf = SourceFile(path)
    got = [(t.text, t.line) for t in sf.tunes_iter()]
    chunks, _ = split(text, loose=True)
    assert got == [(c.text, c.line) for c in chunks if c.kind == "tune"]
    assert [t.title for t in abcparse.parse(text).tunes] == ["a", "b", "c"]
    assert sf.tunes == 3 and len(sf.sha256) == 64 and sf.bytes_read == len(text)


def test_manifest_stays_utf8_with_undecodable_bytes(tmp_path: Path) -> None:
    """A title read from bytes that are not UTF-8 holds lone surrogates: the manifest
    escapes them (it used to stop with UnicodeEncodeError)."""
    path = tmp_path / "bad.abc"
    path.write_bytes(b"X:1\nT:Caf\xe9\nK:C\nCDEF|\n")
    report = clean([path], tmp_path / "out", repair=False)
    data = (tmp_path / "out" / "manifest.json").read_bytes()
    manifest = json.loads(data.decode("utf-8"))
    assert report.dropped == 1
    assert manifest["dropped"][0]["title"] == "Caf\udce9"
