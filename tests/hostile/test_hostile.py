"""The hostile corpus (tests/hostile/corpus.py, small sizes) through every command that
reads ABC: ``abc-lint``, ``abc-lint --fix``, ``abcparse format``, ``abcparse midi`` and
``abcparse transpose``. No exception may escape (the commands run in this process with
ABCPARSE_DEBUG=1, so a bug that the last-resort handler would turn into an "internal
error" line fails here with its traceback), and every exit code is 0, 1 or 2.

The full sizes, as separate processes with time and memory bars, are
benchmarks/hostile.py. A few inputs go through real subprocesses here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from abcparse.cli.lint import main as lint_main
from abcparse.cli.main import main as abcparse_main

from .corpus import INPUTS, write_corpus

COMMANDS: dict[str, tuple[Callable[[list[str]], int], list[str], bool]] = {
    # name: (main, argv with {file} and {out}, runs on a copy)
    "lint": (lint_main, ["{file}"], False),
    "lint-fix": (lint_main, ["--fix", "{file}"], True),
    "format": (abcparse_main, ["format", "{file}"], True),
    "midi": (abcparse_main, ["midi", "{file}", "-o", "{out}/"], False),
    "transpose": (abcparse_main, ["transpose", "-s", "2", "{file}"], True),
}

#: Bugs the hostile run found outside the command-line layer, each named where it is;
#: strict, so the mark must go when the bug is fixed.
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("hostile"), "small")


def _cases() -> list[object]:
    cases: list[object] = []
    for name, *_ in INPUTS:
        for command in COMMANDS:
            marks = []
            if (name, command) in KNOWN:
                marks.append(pytest.mark.xfail(reason=KNOWN[name, command], strict=True))
            cases.append(pytest.param(name, command, marks=marks, id=f"{name}-{command}"))
    return cases


@pytest.mark.parametrize(("name", "command"), _cases())
def test_no_exception_and_exit_code_0_1_2(
    name: str, command: str, corpus: dict[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    main, template, on_copy = COMMANDS[command]
    source = corpus[name]
    target = source
    if on_copy:
        target = tmp_path / source.name
        shutil.copyfile(source, target)
    argv = [a.replace("{file}", str(target)).replace("{out}", str(tmp_path / "out"))
            for a in template]
    monkeypatch.setenv("ABCPARSE_DEBUG", "1")  # a bug raises here instead of one line
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code if isinstance(e.code, int) else 2
    err = capsys.readouterr().err
    assert code in (0, 1, 2), err[-500:]
    assert "Traceback" not in err and "internal error" not in err, err[-500:]
    if code == 2:
        # Bad input is one clear line naming the file (or a warning), not silence.
        assert err.strip(), f"{name} {command}: exit 2 without a message"


@pytest.mark.parametrize("name", ["png", "charset_base64", "utf16_bom", "greater_2000"])
def test_real_processes(name: str, corpus: dict[str, Path], tmp_path: Path) -> None:
    """The same, as a user runs it: a fresh process, its standard error read back."""
    env = {k: v for k, v in os.environ.items() if k != "ABCPARSE_DEBUG"}
    copy = tmp_path / corpus[name].name
    shutil.copyfile(corpus[name], copy)
    for argv in (["abcparse.cli.lint", "--fix", str(copy)],
                 ["abcparse", "midi", str(corpus[name]), "-o", f"{tmp_path}/out/"]):
        r = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                           timeout=120, env=env, check=False)
        assert r.returncode in (0, 1, 2), r.stderr
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
