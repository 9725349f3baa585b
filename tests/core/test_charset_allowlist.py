"""A declared charset is used only when it is a text charset on the allow-list (§3.1.17).

Python's codec registry also holds codecs that are no character set (base64, zlib, rot13,
idna ...) or that an ASCII ``I:abc-charset`` line cannot be written in (UTF-16/32); every
reader used to crash on them. Now each is reported as ABC004 and the file is read as
UTF-8, and every allowed charset gives the file's bytes back exactly.
"""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.api import parse_bytes
from abcparse.source import TEXT_CHARSETS, decode

# Every codec name the reliability review found crashing a reader, and a few more of the
# same kind.
NOT_TEXT = [
    "utf-32",
    "utf_16_be",
    "utf-16",
    "base64",
    "hex",
    "rot13",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "undefined",
    "idna",
    "punycode",
    "unicode_escape",
    "raw_unicode_escape",
    "utf-7",
    "iso2022_jp",
    "utf-8-sig",
]

# An odd number of bytes (UTF-16 fails), a bad \x (unicode_escape fails), non-ASCII bytes.
BODY = b"\n\nX:1\nT:Bad \\x escape \xe9\xff\nM:4/4\nL:1/4\nK:C\nCDEF|]\n"


def hostile(declaration: str, name: str) -> bytes:
    return f"{declaration} {name}".encode() + BODY


@pytest.mark.parametrize("name", NOT_TEXT)
@pytest.mark.parametrize("declaration", ["I:abc-charset", "%%abc-charset"])
def test_non_text_codec_is_reported_and_read_as_utf8(declaration: str, name: str) -> None:
    data = hostile(declaration, name)
    book = parse_bytes(data)
    found = [d for d in book.diagnostics if d.code == "ABC004"]
    assert len(found) == 1, book.diagnostics
    assert name in found[0].message and "UTF-8" in found[0].message
    assert (found[0].line, found[0].col) == (1, len(declaration) + 2)
    assert book.source is not None and book.source.encoding == "utf-8"
    assert book.source.to_bytes() == data
    assert book.tunes[0].title.startswith("Bad")
    # The other readers take the same path.
    abcparse.check(data)
    abcparse.format_str(book.to_text())


def test_unknown_and_unsupported_names_are_told_apart() -> None:
    unknown = parse_bytes(hostile("I:abc-charset", "klingon-1")).diagnostics
    unsupported = parse_bytes(hostile("I:abc-charset", "base64")).diagnostics
    assert any("unknown charset" in d.message for d in unknown)
    assert any("unsupported charset" in d.message for d in unsupported)


def test_a_long_name_is_not_quoted_whole() -> None:
    name = "x" * 100_000
    diags = parse_bytes(hostile("I:abc-charset", name)).diagnostics
    found = [d for d in diags if d.code == "ABC004"]
    assert found and all(len(d.message) < 300 for d in found)


@pytest.mark.parametrize(
    "name",
    [f"iso-8859-{n}" for n in range(1, 11)] + ["us-ascii", "utf-8", "UTF-8", "latin1", "cp1252"],
)
def test_the_standards_charsets_are_allowed(name: str) -> None:
    source, diags = decode(hostile("I:abc-charset", name).replace(b"\xe9\xff", b""))
    assert not [d for d in diags if d.code == "ABC004"]
    assert source.encoding == codecs.lookup(name).name


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(TEXT_CHARSETS)), st.binary(max_size=64))
def test_every_allowed_charset_gives_the_bytes_back(name: str, tail: bytes) -> None:
    data = f"I:abc-charset {name}\n\nX:1\nT:".encode() + tail
    source, _ = decode(data)
    assert source.to_bytes() == data


@pytest.mark.parametrize("name", ["base64", "utf-16", "zlib"])
def test_lint_and_format_commands_exit_cleanly(tmp_path: Path, name: str) -> None:
    path = tmp_path / "t.abc"
    path.write_bytes(hostile("%%abc-charset", name))
    for argv in (
        [sys.executable, "-m", "abcparse.cli.lint", str(path)],
        [sys.executable, "-c", "from abcparse.cli.main import main; main()", "format", "--check",
         str(path)],
    ):
        run = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert run.returncode in (0, 1), run.stderr
        assert "Traceback" not in run.stderr
