"""Non-ABC input is refused and never rewritten (issue 13, item 6).

``abcparse format`` (in place, ``--check``, ``--diff``, standard input), ``abcparse
transpose`` and ``abc-lint --fix`` (with ``--unsafe-fixes``, ``--reformat``, ``--diff``)
each call :func:`abcparse.source.refuse_non_abc` before they read a file into the
formatter or the repair engine. Each kind the rule names (docs/format.md, "What is not
ABC") is built here in a temporary folder, run through every command, and must come out
byte-identical, with exit status 2 and one line that says why; the near misses a real
tunebook has (a stray NUL, Latin-1 letters, a UTF-8 BOM, a file header alone, an empty
file) must still be read as ABC.
"""

from __future__ import annotations

import codecs
import io
import os
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from abcparse.cli.lint import main as lint_main
from abcparse.cli.main import main as abcparse_main
from abcparse.errors import AbcDecodeError
from abcparse.source import SNIFF_BYTES, not_abc, not_abc_stream, refuse_non_abc

TUNE = "X:1\nT:Tune\nM: 4/4\nK: G major\nGABc dedB|dedB dedB|\n"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("tune.abc", TUNE)  # a zipped tunebook is still not a tunebook
    return out.getvalue()


def _elf() -> bytes:
    # An ELF64 header (little-endian, x86-64, executable), padded as a linker pads it.
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    rest = struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    return ident + rest + bytes(200) + b"/lib64/ld-linux-x86-64.so.2\x00" + bytes(100)


def _random() -> bytes:
    return random.Random(13).randbytes(5000)


def _mostly_undecodable() -> bytes:
    # ABC-looking lines, but most bytes are not UTF-8 and no charset is declared.
    return b"X:1\nT:" + bytes(range(0x80, 0x100)) * 8 + b"\nK:C\nC|\n"


# kind -> (bytes, words the one-line reason must hold)
KINDS: dict[str, tuple[bytes, str]] = {
    "png": (_png(), "a PNG image"),
    "zip": (_zip(), "a zip archive"),
    "elf": (_elf(), "an ELF executable"),
    "random": (_random(), "binary data"),
    "utf16": (TUNE.encode("utf-16"), "UTF-16 text (byte order mark FF FE)"),
    "utf16be": (codecs.BOM_UTF16_BE + TUNE.encode("utf-16-be"), "UTF-16 text"),
    "utf32": (TUNE.encode("utf-32"), "UTF-32 text (byte order mark FF FE 00 00)"),
    "utf32be": (codecs.BOM_UTF32_BE + TUNE.encode("utf-32-be"), "UTF-32 text"),
    "utf16-no-bom": (TUNE.encode("utf-16-le"), "without a byte order mark"),
    "undecodable": (_mostly_undecodable(), "not valid UTF-8"),
    "prose": (b"Shopping list\n\neggs, milk\nbread\n", "no line of it is ABC"),
    "one-line-blob": (b"QUJDREVGR0g" * 400, "no line of it is ABC"),
}

# Tunebooks that look odd and are still ABC.
NEAR_MISSES: dict[str, bytes] = {
    "stray-nul": TUNE.replace("dedB|", "ded\x00B|", 1).encode(),
    "latin-1": ("X:1\nT:Gavotte de la Reine (é à ç)\nK: C\nCDEF|\n").encode("latin-1"),
    "utf-8-bom": codecs.BOM_UTF8 + TUNE.encode(),
    "declared-latin-1": ("I:abc-charset iso-8859-1\n\nX:1\nT:" + "é" * 300
                         + "\nK:C\nC|\n").encode("latin-1"),
    "file-header-only": b"%%pagewidth 21cm\nI:linebreak $\n",
    "empty": b"",
    "white-space": b"\n \n\t\n",
    "dos-end-of-file": TUNE.encode() + b"\x1a",
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_rule_names_each_kind(kind: str) -> None:
    data, why = KINDS[kind]
    reason = not_abc(data)
    assert reason is not None and why in reason
    assert "\n" not in reason


@pytest.mark.parametrize("kind", NEAR_MISSES)
def test_near_misses_are_abc(kind: str) -> None:
    assert not_abc(NEAR_MISSES[kind]) is None


def test_a_head_without_abc_reads_on_to_the_first_abc_line() -> None:
    """A long preface of prose (past the sampled head) before the tunes is ABC; the
    stream is left where it was."""
    data = b"A preface in prose, about the tunes.\n" * (SNIFF_BYTES // 20) + TUNE.encode()
    f = io.BytesIO(data)
    assert not_abc_stream(f) is None and f.tell() == 0
    assert not_abc(data[:SNIFF_BYTES]) == "no tune, no field and no comment: no line of it is ABC"


def test_refuse_non_abc_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cover.abc"
    path.write_bytes(KINDS["png"][0])
    with pytest.raises(AbcDecodeError) as e:
        refuse_non_abc(path)
    assert str(e.value) == f"{path}: not an ABC file: a PNG image; left unchanged"
    refuse_non_abc(_write(tmp_path, "ok.abc", TUNE.encode()))  # ABC: no error


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


COMMANDS: list[tuple[str, list[str]]] = [
    ("format", ["format"]),
    ("format --check", ["format", "--check"]),
    ("format --diff", ["format", "--diff"]),
    ("format --jobs 2", ["format", "--jobs", "2"]),
    ("transpose", ["transpose", "-s", "2"]),
    ("abc-lint --fix", ["--fix"]),
    ("abc-lint --fix --unsafe-fixes", ["--fix", "--unsafe-fixes"]),
    ("abc-lint --fix --reformat", ["--fix", "--reformat"]),
    ("abc-lint --diff --unsafe-fixes", ["--diff", "--unsafe-fixes"]),
]


def _run(argv: list[str], path: Path) -> int:
    if argv[0] in ("format", "transpose"):
        return abcparse_main([*argv, str(path)])
    return lint_main(["--no-config", *argv, str(path)])


@pytest.mark.parametrize("kind", KINDS)
def test_every_command_refuses_and_leaves_the_bytes(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, why = KINDS[kind]
    path = _write(tmp_path, f"{kind}.abc", data)
    for label, argv in COMMANDS:
        assert _run(argv, path) == 2, label
        assert path.read_bytes() == data, label
        captured = capsys.readouterr()
        reasons = [ln for ln in captured.err.splitlines() if "not an ABC file" in ln]
        assert len(reasons) == 1 and why in reasons[0] and str(path) in reasons[0], label
        assert captured.out == "", label  # no diff, no text
        assert "Traceback" not in captured.err
    assert sorted(os.listdir(tmp_path)) == [f"{kind}.abc"]  # no temporary file left


@pytest.mark.parametrize("kind", ["stray-nul", "latin-1", "utf-8-bom", "dos-end-of-file"])
def test_near_misses_are_still_formatted_and_fixed(kind: str, tmp_path: Path) -> None:
    data = NEAR_MISSES[kind]
    path = _write(tmp_path, "book.abc", data)
    assert abcparse_main(["format", "-q", str(path)]) in (0, 1)
    assert path.read_bytes() != data  # "M: 4/4" or "dedB|" spacing: the formatter ran
    path.write_bytes(data)
    assert lint_main(["--no-config", "--fix", str(path)]) in (0, 1)


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "a.abc", KINDS["utf16"][0])
    good = _write(tmp_path, "b.abc", TUNE.encode())
    assert abcparse_main(["format", str(tmp_path)]) == 2
    assert bad.read_bytes() == KINDS["utf16"][0]
    assert good.read_text(encoding="utf-8") != TUNE
    err = capsys.readouterr().err
    assert "1 file reformatted, 1 not ABC (left unchanged)." in err


def test_standard_input_and_a_real_process(tmp_path: Path) -> None:
    """As a user runs them: no traceback, exit 2, the reason on one line, nothing on
    standard output."""
    data = KINDS["zip"][0]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    run = subprocess.run([sys.executable, "-m", "abcparse", "format", "-"], input=data,
                         capture_output=True, env=env, timeout=120, check=False)
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode().splitlines()[0] == (
        "abcparse format: <stdin>: not an ABC file: a zip archive (or a file built on one:"
        " .mxl, .docx, .odt); left unchanged")
    path = _write(tmp_path, "tunes.abc", KINDS["elf"][0])
    run = subprocess.run([sys.executable, "-m", "abcparse.cli.lint", "--no-config", "--fix",
                          "--unsafe-fixes", str(path)], capture_output=True, env=env,
                         timeout=120, check=False)
    assert run.returncode == 2
    assert run.stderr.decode().strip() == (
        f"abc-lint: {path}: not an ABC file: an ELF executable or library; left unchanged")
    assert path.read_bytes() == KINDS["elf"][0]
