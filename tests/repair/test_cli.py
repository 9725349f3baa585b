"""``abc-lint --fix`` through a real subprocess: safe fixes only (the music kept, each
checked by the music engine), ``--unsafe-fixes`` for the rest with every tune whose music
changed listed, ``--reformat`` to format too; every repair listed, atomic writes;
``--fix --diff`` shows the change and writes nothing; and a repaired tune (the
generator's use) passes ``abc-lint --strict`` with exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import abcparse
from tests.repair.mutate import mutated_tunes

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "broken" / "broken.abc"


def lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "abcparse.cli.lint", "--no-config", *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env, timeout=300,
        check=False,
    )


def music(text: str) -> list[object]:
    """Every tune's notes as the music engine plays them (what a safe fix keeps)."""
    return [[(n.pitch, n.onset, n.duration) for n in t.events(grace="steal")]
            for t in abcparse.parse(text).tunes]


def test_fix_applies_safe_fixes_only_and_keeps_the_music(tmp_path: Path) -> None:
    f = tmp_path / "broken.abc"
    f.write_bytes(BROKEN.read_bytes())
    original = BROKEN.read_text(encoding="utf-8")
    before = abcparse.check(original)
    r = lint("--fix", str(f), cwd=tmp_path)
    assert "Traceback" not in r.stderr
    # path:line:col: fixed CODE: why, at the place in the file as it was.
    assert f"{f}:8:5: fixed ABC101: deleted '3'" in r.stderr
    assert "(unsafe)" not in r.stderr
    assert f"{f}:146:18: fixed ABC301" not in r.stderr  # a bar's notes: unsafe to change
    text = f.read_text(encoding="utf-8")
    assert text != original
    assert music(text) == music(original)
    assert len(abcparse.check(text)) < len(before)
    assert any(d.code == "ABC301" for d in abcparse.check(text))
    # A second --fix finds nothing more to do.
    r2 = lint("--fix", str(f), cwd=tmp_path)
    assert ": fixed ABC" not in r2.stderr and f.read_text(encoding="utf-8") == text
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".abcparse-tmp")]


def test_a_lone_first_ending_closed_by_a_repeat_gets_its_second_ending(tmp_path: Path
                                                                        ) -> None:
    """ABC306's safe fix of a lone first ending that ``:|`` closes writes the next ending's
    mark after it (deleting the mark, as it used to, would play the ending twice and was
    withdrawn every time): the music is unchanged and nothing is left to report."""
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:t\nL:1/4\nK:C\n|:abc|1 d:|\nefg|]\n")
    r = lint("--fix", str(f), cwd=tmp_path)
    assert f"{f}:5:12: fixed ABC306:" in r.stderr and "withdrawn" not in r.stderr, r.stderr
    assert f.read_text() == "X:1\nT:t\nL:1/4\nK:C\n|:abc|1 d:|[2\nefg|]\n"
    assert r.returncode == 0


@pytest.mark.parametrize("last", [":|", ":|]", ":| % end", ":|\n%%comment"])
def test_a_lone_first_ending_that_ends_the_tune_is_reported_not_fixed(tmp_path: Path,
                                                                     last: str) -> None:
    """Where nothing follows the ``:|``, the empty ending the fix would write is the last
    thing in the tune, and abcjs 6.7.2 then plays nothing at all (a TypeError in its repeat
    expansion): no fix is offered, the text is kept and the finding stays."""
    f = tmp_path / "t.abc"
    text = f"X:1\nT:t\nL:1/4\nK:C\n|:abc|1 d{last}\n"
    f.write_text(text)
    r = lint("--fix", str(f), cwd=tmp_path)
    assert f.read_text() == text
    assert "ABC306" in r.stdout and "fixed" not in r.stderr, (r.stdout, r.stderr)
    assert r.returncode == 1


@pytest.mark.parametrize("diff", [False, True])
def test_a_fix_of_several_edits_is_listed_once(tmp_path: Path, diff: bool) -> None:
    """``B2-c2`` becomes ``(B2c2)``: three edits, one fix, one line on standard error
    (``--diff`` and the in-place fix list the same way)."""
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:t\nL:1/8\nK:D\nB2-c2 d4|\n")
    r = lint("--fix", *(["--diff"] if diff else []), str(f), cwd=tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if "ABC321" in ln]
    assert len(lines) == 1 and lines[0].startswith(f"{f}:5:1: "), r.stderr


def test_unsafe_fixes_repair_everything_and_say_which_tunes_changed(tmp_path: Path) -> None:
    f = tmp_path / "broken.abc"
    f.write_bytes(BROKEN.read_bytes())
    r = lint("--fix", "--unsafe-fixes", str(f), cwd=tmp_path)
    assert "Traceback" not in r.stderr
    fixed = [ln for ln in r.stderr.splitlines() if ": fixed ABC" in ln]
    assert len(fixed) >= 40
    assert f"{f}:146:18: fixed ABC301 (unsafe):" in r.stderr
    assert "unsafe fixes changed the music of this tune" in r.stderr
    text = f.read_text(encoding="utf-8")
    errors = [d for d in abcparse.check(text) if d.severity is abcparse.Severity.ERROR]
    assert errors == []
    again = lint(str(f), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    r2 = lint("--fix", "--unsafe-fixes", str(f), cwd=tmp_path)
    assert ": fixed ABC" not in r2.stderr and f.read_text(encoding="utf-8") == text


def test_fix_changes_only_what_it_fixes(tmp_path: Path) -> None:
    """--fix is not the formatter: an unusual but valid spelling stays."""
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:t\nK:G Major\nA/2B1c// (d|]\n")
    lint("--fix", str(f), cwd=tmp_path)
    assert f.read_text() == "X:1\nT:t\nK:G Major\nA/2B1c// d|]\n"


def test_fix_diff_writes_nothing(tmp_path: Path) -> None:
    f = tmp_path / "broken.abc"
    f.write_bytes(BROKEN.read_bytes())
    before = f.stat().st_mtime_ns
    r = lint("--fix", "--diff", "--unsafe-fixes", str(f), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.startswith(f"--- a/{f}\t(original)\n")
    assert "-abc 3 d|\n+abc d|\n" in r.stdout
    assert ": would fix ABC101:" in r.stderr and ": fixed " not in r.stderr
    assert f.read_bytes() == BROKEN.read_bytes() and f.stat().st_mtime_ns == before


def test_fix_diff_is_a_patch_for_names_with_spaces_and_no_last_line_end(tmp_path: Path
                                                                          ) -> None:
    """``patch -p1`` reads the diff: a name with spaces ends at a tab, as in GNU diff's
    file lines, and a last line with no line end is marked (without the mark the next
    line of the diff, here the next file's header, ran on after it)."""
    for name in ("a b.abc", "c.abc"):
        (tmp_path / name).write_text("X:1\nT:a\nK:D\n+trill+abc|", encoding="utf-8")
    r = lint("--diff", "a b.abc", "c.abc", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    hunk = ("@@ -1,4 +1,4 @@\n X:1\n T:a\n K:D\n-+trill+abc|\n\\ No newline at end of file\n"
            "+!trill!abc|\n\\ No newline at end of file\n")
    assert r.stdout == "".join(
        f"--- a/{name}\t(original)\n+++ b/{name}\t(fixed)\n{hunk}" for name in ("a b.abc", "c.abc"))


def test_fix_keeps_the_formatters_work_and_the_encoding(tmp_path: Path) -> None:
    f = tmp_path / "t.abc"
    f.write_bytes("X:1\r\nT:Caf\u00e9\r\nK:G Major\r\nA/2B1c// (d|]\r\n".encode())
    r = lint("--fix", "--reformat", str(f), cwd=tmp_path)
    assert ": fixed ABC310:" in r.stderr
    assert f.read_bytes() == "X:1\r\nT:Caf\u00e9\r\nK:G\r\nA/Bc/4 d|]\r\n".encode()


def test_ignored_codes_are_not_repaired(tmp_path: Path) -> None:
    f = tmp_path / "t.abc"
    f.write_text("X:1\nT:t\nK:C\n(ab c|\n")
    r = lint("--fix", "--ignore", "ABC310", str(f), cwd=tmp_path)
    assert ": fixed" not in r.stderr and "(ab c|" in f.read_text()


def test_repaired_tunes_pass_strict_lint(tmp_path: Path) -> None:
    """The generator's loop: a sampled tune that is not valid is repaired, with its
    warnings, and must then pass ``abc-lint --strict``."""
    for i, text in enumerate(mutated_tunes(30, seed=5)):
        r = abcparse.repair(text, target="strict", warnings=True, unsafe=True)
        (tmp_path / f"t{i:02d}.abc").write_text(r.text, encoding="utf-8")
    out = lint("--strict", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_not_lost(tmp_path: Path) -> None:
    """ABC001's unsafe fix: a Latin-1 title in a UTF-8 file (``T:Caf\\xe9``) becomes
    ``T:Café`` in UTF-8; the last resort used to replace the line by ``T:Untitled``."""
    f = tmp_path / "t.abc"
    f.write_bytes(b"X:1\nT:Caf\xe9 \xe0 la cr\xe8me\nC:Ren\xe9 \x93A\x94\nK:C\nabc|\n")
    safe = lint("--fix", str(f), cwd=tmp_path)
    assert "ABC001" in safe.stdout and "[unsafe fix]" in safe.stdout
    r = lint("--fix", "--unsafe-fixes", str(f), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f.read_bytes() == "X:1\nT:Café à la crème\nC:René “A”\nK:C\nabc|\n".encode()
