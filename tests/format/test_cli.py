"""``abcparse format`` and ``abcparse transpose`` through a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSY = "X: 1\nT:x\nK: G Major\nA/2B1 |c|\n"
CANONICAL = "X:1\nT:x\nK:G\nA/B|c|\n"


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "abcparse.cli.main", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        timeout=120,
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def test_in_place(tmp_path: Path) -> None:
    f = write(tmp_path / "a.abc", MESSY)
    r = run("format", "a.abc", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f.read_text() == CANONICAL
    assert b"reformatted a.abc" in r.stderr
    r = run("format", "a.abc", cwd=tmp_path)
    assert r.returncode == 0 and b"1 left unchanged" in r.stderr


def test_check_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    f = write(tmp_path / "a.abc", MESSY)
    before = f.stat()
    r = run("format", "--check", "a.abc", cwd=tmp_path)
    assert r.returncode == 1
    assert b"would reformat a.abc" in r.stderr
    assert f.read_text() == MESSY
    assert f.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(tmp_path)) == ["a.abc"]
    write(f, CANONICAL)
    assert run("format", "--check", "a.abc", cwd=tmp_path).returncode == 0


def test_diff_prints_and_writes_nothing(tmp_path: Path) -> None:
    f = write(tmp_path / "a.abc", MESSY)
    r = run("format", "--diff", "a.abc", cwd=tmp_path)
    assert r.returncode == 0
    out = r.stdout.decode()
    assert out.startswith("--- a.abc\t(original)\n+++ a.abc\t(formatted)\n")
    assert "-K: G Major\n" in out and "+K:G\n" in out
    assert f.read_text() == MESSY


def test_stdin_to_stdout(tmp_path: Path) -> None:
    r = run("format", "-", cwd=tmp_path, stdin=MESSY.encode())
    assert r.returncode == 0
    assert r.stdout.decode() == CANONICAL


def test_folders_are_walked(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "a.abc", MESSY)
    write(tmp_path / "sub" / "notes.txt", MESSY)
    r = run("format", ".", cwd=tmp_path)
    assert r.returncode == 0
    assert (tmp_path / "sub" / "a.abc").read_text() == CANONICAL
    assert (tmp_path / "sub" / "notes.txt").read_text() == MESSY


def test_io_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "a.abc", MESSY)
    r = run("format", "missing.abc", "a.abc", cwd=tmp_path)
    assert r.returncode == 2
    err = r.stderr.decode().splitlines()
    assert "abcparse format: missing.abc: no such file" in err
    assert b"Traceback" not in r.stderr
    assert (tmp_path / "a.abc").read_text() == CANONICAL  # the others still done


def test_encoding_bom_and_line_ends_survive(tmp_path: Path) -> None:
    f = tmp_path / "latin.abc"
    f.write_bytes(b"\xef\xbb\xbfX:1\r\nT:Caf\xc3\xa9   \r\nK:C\r\nC|\r\n")
    assert run("format", "latin.abc", cwd=tmp_path).returncode == 0
    assert f.read_bytes() == b"\xef\xbb\xbfX:1\r\nT:Caf\xc3\xa9\r\nK:C\r\nC|\r\n"
    g = tmp_path / "iso.abc"
    g.write_bytes(b"I:abc-charset iso-8859-1\n\nX:1\nT:Caf\xe9  \nK:C\nC|\n")
    assert run("format", "iso.abc", cwd=tmp_path).returncode == 0
    assert g.read_bytes() == b"I:abc-charset iso-8859-1\n\nX:1\nT:Caf\xe9\nK:C\nC|\n"
    # Bytes that are not UTF-8 (ABC001) pass through untouched, in the diff too.
    h = tmp_path / "bad.abc"
    h.write_bytes(b"X:1\nT:Caf\xe9  \nK:C\nC1|\n")
    r = run("format", "--diff", "bad.abc", cwd=tmp_path)
    assert r.returncode == 0 and b"+T:Caf\xe9\n" in r.stdout
    assert run("format", "bad.abc", cwd=tmp_path).returncode == 0
    assert h.read_bytes() == b"X:1\nT:Caf\xe9\nK:C\nC|\n"


def test_options_on_the_command_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.abc", "X:5\nT:x\nK:C\n~A|c|!\n")
    r = run("format", "--line-ending", "crlf", "--renumber", "--decorations", "long",
            "--bar-spacing", "space", "--target", "2.1", "a.abc", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f.read_bytes() == b"%abc-2.1\r\n\r\nX:1\r\nT:x\r\nK:C\r\n!roll!A | c |\r\n"


def test_options_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the project root: the search stops here
    (tmp_path / "pyproject.toml").write_text(
        '[tool.abcparse.format]\nline-ending = "crlf"\nbar-spacing = "space"\n'
    )
    (tmp_path / "tunes").mkdir()
    f = write(tmp_path / "tunes" / "a.abc", "X:1\nT:x\nK:C\nA|c|\n")
    assert run("format", "tunes/a.abc", cwd=tmp_path).returncode == 0
    assert f.read_bytes() == b"X:1\r\nT:x\r\nK:C\r\nA | c |\r\n"
    # The command line wins over the file.
    assert run("format", "--line-ending", "lf", "tunes/a.abc", cwd=tmp_path).returncode == 0
    assert f.read_bytes() == b"X:1\nT:x\nK:C\nA | c |\n"


def test_bad_pyproject_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.abcparse.format]\nline-endings = "lf"\n')
    write(tmp_path / "a.abc", MESSY)
    r = run("format", "a.abc", cwd=tmp_path)
    assert r.returncode == 2
    assert b"unknown format option 'line-endings'" in r.stderr
    assert (tmp_path / "a.abc").read_text() == MESSY


def test_transpose_in_place_and_stdout(tmp_path: Path) -> None:
    f = write(tmp_path / "a.abc", 'X:1\nT:x\nK:D\n"D"DEF ^G|"Am7/G"a2|\n')
    r = run("transpose", "--semitones", "-2", "a.abc", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f.read_text() == 'X:1\nT:x\nK:C\n"C"CDE ^F|"Gm7/F"g2|\n'
    r = run("transpose", "-s", "2", "-", cwd=tmp_path, stdin=f.read_bytes())
    assert r.stdout.decode() == 'X:1\nT:x\nK:D\n"D"DEF ^G|"Am7/G"a2|\n'


def test_transpose_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    text = "X:1\nT:x\nK:G exp ^F ^F, clef=C\nabc|\n"
    f = write(tmp_path / "a.abc", text)
    r = run("transpose", "-s", "1", "a.abc", cwd=tmp_path)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.startswith("a.abc:3:3: K:G exp ^F ^F, clef=C cannot be read")
    assert "(X:1); nothing written" in err
    assert f.read_text() == text


@pytest.mark.parametrize(
    "args", [["format"], ["transpose", "a.abc"], ["format", "--line-ending", "cr", "a"]]
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    assert run(*args, cwd=tmp_path).returncode == 2
