"""The command-line contract (docs/cli.md): one test per row of its table.

Most commands run in this process through their ``main()`` (the same ``run_command`` as
the console scripts, so exit codes and messages are the user's), with standard input
replaced; what only a fresh process shows (``python -m abcparse``, the version, a strict
UTF-8 stream, TensorFlow's start-up noise) runs as a subprocess.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

import abcparse
from abcparse.cli.lint import main as lint_main
from abcparse.cli.main import build_parser
from abcparse.cli.main import main as abcparse_main

ROOT = Path(__file__).resolve().parents[2]
TUNE = "X:1\nT:One\nM:4/4\nL:1/8\nK:G\nGABc dedB|dedB dedB|c2ec B2dB|A4 G4|]\n"
TUNE2 = "X:2\nT:Two\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|]\n"
FINDING = "X:2\nT:Two\nM:4/4\nL:1/8\nK:D\n(DEFG ABcd|]\n"  # an unclosed slur
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """``cli("abc-lint", "x.abc")`` or ``cli("abcparse", "format", "-", stdin=b"...")``:
    the command's exit code and what it wrote, run in this process."""
    sigterm = signal.getsignal(signal.SIGTERM)

    def run(prog: str, *argv: str, stdin: bytes = b"", cwd: Path | None = None) -> Result:
        main = lint_main if prog == "abc-lint" else abcparse_main
        with monkeypatch.context() as m:
            m.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
            if cwd is not None:
                m.chdir(cwd)
            try:
                code = main(list(argv))
            except SystemExit as e:  # argparse
                code = e.code if isinstance(e.code, int) else 2
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return Result(code, out, err)

    yield run
    signal.signal(signal.SIGTERM, sigterm)


def process(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=300, check=False, env=env,
                          input=None if stdin is None else stdin.decode())


# Every command that reads ABC, as (prog, argv before the paths, argv after them).
READERS: dict[str, tuple[str, list[str], list[str]]] = {
    "abc-lint": ("abc-lint", [], []),
    "check": ("abcparse", ["check"], []),
    "format": ("abcparse", ["format"], []),
    "transpose": ("abcparse", ["transpose", "-s", "2"], []),
    "midi": ("abcparse", ["midi"], ["-o", "{tmp}/mid/"]),
    "corpus clean": ("abcparse", ["corpus", "clean", "-o", "{tmp}/split"], []),
    "corpus stats": ("abcparse", ["corpus", "stats"], []),
}


def reader(run: Run, name: str, tmp: Path, *paths: str, stdin: bytes = b"",
           extra: tuple[str, ...] = ()) -> Result:
    prog, before, after = READERS[name]
    argv = [a.replace("{tmp}", str(tmp)) for a in [*before, *extra, *paths, *after]]
    return run(prog, *argv, stdin=stdin)


def _tree(tmp: Path) -> Path:
    """in/a.abc (clean) and in/sub/B.ABC (upper case, an unclosed slur), in/notes.txt."""
    folder = tmp / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.abc").write_text(TUNE)
    (folder / "sub" / "B.ABC").write_text(FINDING)
    (folder / "notes.txt").write_text("not ABC\n")
    return folder


# --- Inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(READERS))
def test_row_inputs_files_and_folders_any_case(name: str, cli: Run, tmp_path: Path) -> None:
    """Row "files, folders": a folder gives every *.abc below it, *.ABC too, and not
    notes.txt; a file named is read as it is."""
    folder = _tree(tmp_path)
    r = reader(cli, name, tmp_path, str(folder))
    assert r.code in (0, 1), r.err
    checks: dict[str, Callable[[], bool]] = {
        "abc-lint": lambda: "B.ABC" in r.out,
        "check": lambda: "B.ABC" in r.out,
        "format": lambda: "2 left unchanged" in r.err or "1 file reformatted" in r.err,
        "transpose": lambda: "2 files transposed." in r.err,
        "midi": lambda: sorted(p.name for p in (tmp_path / "mid").iterdir())
        == ["B.mid", "a.mid"],
        "corpus clean": lambda: "read 2 tunes" in r.out,
        "corpus stats": lambda: "tunes: 2" in r.out and "notes.txt" not in r.out,
    }
    assert checks[name](), (r.out, r.err)
    one = reader(cli, name, tmp_path / "x", str(folder / "a.abc"))
    assert one.code == 0, one.err


@pytest.mark.parametrize("name", list(READERS))
def test_row_inputs_standard_input(name: str, cli: Run, tmp_path: Path) -> None:
    """Row "-": standard input is read like a file."""
    r = reader(cli, name, tmp_path, "-", stdin=TUNE.encode())
    assert r.code == 0, r.err
    checks: dict[str, Callable[[], bool]] = {
        "abc-lint": lambda: r.err == "All checks passed!\n",
        "check": lambda: r.err == "All checks passed!\n",
        "format": lambda: r.out.startswith("X:1\n"),
        "transpose": lambda: "K:A\n" in r.out,
        "midi": lambda: (tmp_path / "mid" / "stdin.mid").is_file(),
        "corpus clean": lambda: "read 1 tunes" in r.out,
        "corpus stats": lambda: "files: -\n" in r.out and "tunes: 1" in r.out,
    }
    assert checks[name](), (r.out, r.err)


NOTHING = ["empty folder", "folder without ABC", "empty standard input",
           "blank standard input"]


@pytest.mark.parametrize("case", [*NOTHING, "--exclude '*'"])
@pytest.mark.parametrize("name", list(READERS))
def test_row_nothing_read_is_a_warning_and_exit_2(
    name: str, case: str, cli: Run, tmp_path: Path
) -> None:
    """Row "nothing read": a warning on standard error and exit 2, nothing written."""
    if case == "--exclude '*'" and name not in ("abc-lint", "check"):
        pytest.skip("--exclude is abc-lint's option")
    folder = tmp_path / "f"
    folder.mkdir()
    stdin = b""
    paths = [str(folder)]
    extra: tuple[str, ...] = ()
    if case == "folder without ABC":
        (folder / "notes.txt").write_text("X:1\nK:C\nC|\n")
    elif case == "--exclude '*'":
        (folder / "a.abc").write_text(TUNE)
        extra = ("--exclude", "*")
    elif case.endswith("standard input"):
        paths = ["-"]
        stdin = b"" if case.startswith("empty") else b"\n  \n"
    r = reader(cli, name, tmp_path, *paths, stdin=stdin, extra=extra)
    assert r.code == 2, (r.out, r.err)
    assert "warning:" in r.err and "nothing was read" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert r.out == ""
    assert not (tmp_path / "split").exists() and not (tmp_path / "mid").exists()


@pytest.mark.parametrize("content", ["", "% only a comment\n"], ids=["empty", "no tune"])
@pytest.mark.parametrize("name", list(READERS))
def test_row_a_file_with_no_tune(name: str, content: str, cli: Run, tmp_path: Path) -> None:
    """Row "nothing read": a file that holds no tune was read. Checking and rewriting it
    find nothing to do (exit 0); the commands that make something from tunes say that
    it holds none (exit 2) and write nothing."""
    f = tmp_path / "t.abc"
    f.write_text(content)
    r = reader(cli, name, tmp_path, str(f))
    makes = name in ("midi", "corpus clean", "corpus stats")
    assert r.code == (2 if makes else 0), (r.out, r.err)
    if makes:
        assert "no tune (no X: field)" in r.err and len(r.err.strip().splitlines()) == 1
        assert not (tmp_path / "split").exists() and not (tmp_path / "mid").exists()
    assert f.read_text() == content


@pytest.mark.parametrize("name", list(READERS))
def test_row_missing_path_is_one_line_exit_2(name: str, cli: Run, tmp_path: Path) -> None:
    r = reader(cli, name, tmp_path, str(tmp_path / "missing.abc"))
    assert r.code == 2
    assert "missing.abc" in r.err and "no such file" in r.err, r.err


@pytest.mark.parametrize("name", [*READERS, "abc-lint --fix"])
def test_row_not_abc_input_is_refused(name: str, cli: Run, tmp_path: Path) -> None:
    """Row "bad input": a file that is not ABC text is one line naming it, exit 2."""
    png = tmp_path / "picture.abc"
    png.write_bytes(PNG)
    if name == "abc-lint --fix":
        r = cli("abc-lint", "--fix", str(png))
    else:
        r = reader(cli, name, tmp_path, str(png))
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert any("picture.abc: not an ABC file: a PNG image" in ln for ln in lines), r.err
    assert png.read_bytes() == PNG
    assert not (tmp_path / "split").exists()


@pytest.mark.parametrize("name", ["abc-lint", "format", "transpose", "midi"])
def test_row_bad_input_does_not_stop_the_others(name: str, cli: Run, tmp_path: Path) -> None:
    """Row "bad input": the other files of the run are still processed (midi used to
    stop at the first bad one and write nothing)."""
    (tmp_path / "picture.abc").write_bytes(PNG)
    good = tmp_path / "good.abc"
    good.write_text(TUNE)
    r = reader(cli, name, tmp_path, str(tmp_path / "picture.abc"), str(tmp_path / "nosuch.abc"),
               str(good))
    assert r.code == 2, (r.out, r.err)
    assert "picture.abc: not an ABC file" in r.err and "nosuch.abc: no such file" in r.err
    if name == "midi":
        assert (tmp_path / "mid" / "good.mid").is_file()
    elif name == "transpose":
        assert "K:A" in good.read_text()


def test_row_bad_input_does_not_stop_the_check_after_a_fix(cli: Run, tmp_path: Path) -> None:
    """Row "bad input": ``abc-lint --fix`` with a file it refuses still checks the others
    and reports what is left in them, with the summary (it used to stop after fixing),
    and each refused file is named once."""
    (tmp_path / "picture.abc").write_bytes(PNG)
    good = tmp_path / "good.abc"
    good.write_text("%abc-2.1\nX:1\nT:t\nM:4/4\nL:1/4\nK:C\nabcd|abc|d4|]\n")  # a short bar
    r = cli("abc-lint", "--fix", str(tmp_path / "picture.abc"), str(tmp_path / "nosuch.abc"),
            str(good))
    assert r.code == 2, (r.out, r.err)
    assert r.err.count("picture.abc: not an ABC file") == 1, r.err
    assert r.err.count("nosuch.abc: no such file") == 1, r.err
    assert "good.abc:7:6: ABC301" in r.out and "Found 1 problem" in r.err, (r.out, r.err)


def test_row_inputs_a_file_is_read_once(cli: Run, tmp_path: Path) -> None:
    """Row "inputs": a file named twice, or through a folder and a link, is read once:
    transpose (which rewrites it) moves it by the interval once, not two or three times."""
    folder = tmp_path / "in"
    folder.mkdir()
    f = folder / "a.abc"
    f.write_text(TUNE)
    (folder / "b.abc").symlink_to("a.abc")
    r = cli("abcparse", "transpose", "-s", "2", str(folder), str(f), str(f))
    assert r.code == 0, r.err
    assert "K:A" in f.read_text() and "1 file transposed" in r.err


@pytest.mark.parametrize("name", ["abc-lint", "format", "transpose", "midi"])
def test_row_inputs_a_pipe_in_a_folder_is_reported_not_opened(name: str, cli: Run,
                                                              tmp_path: Path) -> None:
    """Row "inputs": a named pipe called *.abc in a folder is one line, not a hang."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.abc").write_text(TUNE)
    os.mkfifo(folder / "pipe.abc")
    r = reader(cli, name, tmp_path, str(folder))
    assert r.code == 2 and "pipe.abc: not a regular file" in r.err, (r.out, r.err)


def test_row_output_fix_of_standard_input_is_standard_output(cli: Run) -> None:
    """Row "-o": ``abc-lint --fix -`` writes the fixed text to standard output (it was
    refused), what it fixed and the findings left to standard error; ``--diff -`` the
    diff."""
    text = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\nabcd|!\nabc|abcd|abcd|]\n"
    r = cli("abc-lint", "--fix", "-", stdin=text.encode())
    assert r.code == 1, r.err
    assert r.out == text.replace("|!\n", "|\n")
    assert "-:6:6: fixed ABC103" in r.err and "-:7:1: ABC301" in r.err
    r = cli("abc-lint", "--diff", "-", stdin=text.encode())
    assert r.code == 1 and "-abcd|!\n+abcd|\n" in r.out


def test_row_output_never_overwrites_an_input(cli: Run, tmp_path: Path) -> None:
    """Row "-o": midi refuses an output that is one of its inputs, and a pattern field
    with a format spec, before anything is written."""
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    r = cli("abcparse", "midi", "-o", str(f), str(f))
    assert r.code == 2 and "that is an input file" in r.err
    assert f.read_text() == TUNE
    r = cli("abcparse", "midi", "-o", str(tmp_path / "{X:0300}.mid"), str(f))
    assert r.code == 2 and "bad pattern ({X:0300} is not one of the fields)" in r.err
    # generate's --train corpus (read for its similarity check) is an input too; and a
    # --midi folder that cannot be made is found before any tune is written.
    r = cli("abcparse", "generate", "-n", "1", "--seed", "1", "--train", str(f), "-o", str(f))
    assert r.code == 2 and "is the --train corpus; nothing written" in r.err
    assert f.read_text() == TUNE
    r = cli("abcparse", "generate", "-n", "1", "--midi", str(f / "sub"))
    assert r.code == 2 and "--midi" in r.err and r.out == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["abc-lint", "--select", ""], "--select names no rule code"),
        (["abc-lint", "--jobs", "9" * 20], "--jobs must be 0 (one per CPU) to 256"),
        (["abc-lint", "--statistics", "--format", "sarif"], "--statistics prints a table"),
        (["abcparse", "format", "-j", "100000"], "--jobs must be 0 (one per CPU) to 256"),
        # Modifiers of --fix and --diff, alone: they would change nothing, silently.
        (["abc-lint", "--unsafe-fixes"], "--unsafe-fixes works with --fix or --diff"),
        (["abc-lint", "--reformat"], "--reformat works with --fix or --diff"),
        # A name for standard input when standard input is not read.
        (["abc-lint", "--stdin-filename", "x.abc"], "names standard input, which is not"),
    ],
    ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else None,
)
def test_row_option_values_of_the_linter_are_checked(argv: list[str], says: str, cli: Run,
                                                     tmp_path: Path) -> None:
    """Row "validated values": an empty selection (an unset variable in a CI line) would
    turn every rule off and pass; a huge --jobs would start that many processes."""
    f = tmp_path / "t.abc"
    f.write_text(FINDING)
    r = cli(argv[0], *argv[1:], str(f))
    assert r.code == 2 and says in r.err, (r.out, r.err)


def test_row_stdin_filename_alone_reads_standard_input(cli: Run) -> None:
    """Row "validated values": ``--stdin-filename NAME`` with no path reads standard input
    under that name (as ruff does), the way an editor pipes a buffer in."""
    r = cli("abc-lint", "--stdin-filename", "buffer.abc", stdin=FINDING.encode())
    assert r.code == 1 and r.out.startswith("buffer.abc:"), (r.out, r.err)


def test_row_config_that_is_not_toml_is_an_error(cli: Run, tmp_path: Path) -> None:
    """Row "validated values": a [tool.abc-lint] table in a pyproject.toml that is not
    valid TOML is an error, not silently skipped (the defaults, or a folder above's
    settings, would apply instead)."""
    (tmp_path / "pyproject.toml").write_text('[tool.abc-lint]\nselect = "ABC2\n')
    (tmp_path / "t.abc").write_text(FINDING)
    r = cli("abc-lint", "t.abc", cwd=tmp_path)
    assert r.code == 2 and "pyproject.toml: not valid TOML" in r.err


def test_row_corpus_clean_leaves_out_its_output_folder(cli: Run, tmp_path: Path) -> None:
    """Row "corpus clean": a second run with -o inside its input folder does not read the
    first run's splits back in as tunes."""
    folder = tmp_path / "tunes"
    folder.mkdir()
    (folder / "a.abc").write_text(TUNE + "\n" + TUNE2)
    out = folder / "split"
    first = cli("abcparse", "corpus", "clean", "-o", str(out), str(folder))
    assert first.code == 0, first.err
    again = cli("abcparse", "corpus", "clean", "-o", str(out), str(folder))
    assert again.code == 0, again.err
    assert "left out: it is in the output folder" in again.err
    assert again.out == first.out


@pytest.mark.parametrize("content", [PNG, b"", b"  \n\n", b"% only a comment\n"],
                         ids=["binary", "empty", "blank", "no tune"])
def test_row_corpus_clean_refuses_binary_and_empty_files(
    content: bytes, cli: Run, tmp_path: Path
) -> None:
    """Row "corpus clean on a binary or empty file": exit 2, no splits written."""
    f = tmp_path / "in.abc"
    f.write_bytes(content)
    r = cli("abcparse", "corpus", "clean", "-o", str(tmp_path / "split"), str(f))
    assert r.code == 2 and "in.abc" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert not (tmp_path / "split").exists()


# --- Exit codes -----------------------------------------------------------------------


def test_row_exit_codes_0_1_2(cli: Run, tmp_path: Path) -> None:
    clean, found = tmp_path / "clean.abc", tmp_path / "found.abc"
    clean.write_text(TUNE)
    found.write_text(FINDING)
    assert cli("abc-lint", str(clean)).code == 0
    assert cli("abc-lint", str(found)).code == 1
    assert cli("abc-lint", "--exit-zero", str(found)).code == 0
    messy = tmp_path / "messy.abc"
    messy.write_text("X:1\nK:G\nGABc  dedB|\n")
    assert cli("abcparse", "format", "--check", str(messy)).code == 1
    assert cli("abcparse", "format", "--check", str(clean)).code == 0
    assert cli("abc-lint", "--select", "NOPE1", str(clean)).code == 2


SUBCOMMANDS = ["check", "format", "transpose", "midi", "play", "corpus clean",
               "corpus stats", "lsp", "train", "sample", "generate", "evaluate"]


@pytest.mark.parametrize("command", ["abc-lint", *SUBCOMMANDS])
def test_row_usage_error_exit_2(command: str, cli: Run) -> None:
    """Row "usage error": an unknown option is exit 2 and an "error:" line, for every
    command."""
    if command == "abc-lint":
        r = cli("abc-lint", "--no-such-option")
    else:
        r = cli("abcparse", *command.split(), "--no-such-option")
    assert r.code == 2
    last = r.err.strip().splitlines()[-1]
    assert "error: " in last and ("--no-such-option" in last or "required" in last), r.err
    # The command's own usage, not the top-level one (argparse's default for a subcommand).
    assert r.err.startswith("usage: " + ("abc-lint" if command == "abc-lint"
                                         else f"abcparse {command}")), r.err


# --- Options --------------------------------------------------------------------------


def _options(*path: str) -> set[str]:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if hasattr(a, "choices") and a.choices
                   and name in a.choices)
        parser = sub.choices[name]  # type: ignore[index]
    return {s for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize("command", ["midi", "play", "corpus clean", "generate", "train"])
def test_row_output_is_dash_o_and_dash_dash_output(command: str) -> None:
    """Row "-o/--output": every command that writes files names them so."""
    options = _options(*command.split())
    assert {"-o", "--output"} <= options, sorted(options)


QUIET = {
    "abc-lint": ["abc-lint", "-q", "{f}"],
    "check": ["abcparse", "check", "-q", "{f}"],
    "format": ["abcparse", "format", "-q", "{f}"],
    "transpose": ["abcparse", "transpose", "-q", "-s", "2", "{f}"],
    "midi": ["abcparse", "midi", "-q", "{f}", "-o", "{tmp}/m/"],
    "corpus clean": ["abcparse", "corpus", "clean", "-q", "-o", "{tmp}/s", "{f}"],
}


@pytest.mark.parametrize("command", list(QUIET))
def test_row_quiet_and_one_line_summary(command: str, cli: Run, tmp_path: Path) -> None:
    """Rows "-q/--quiet" and "one-line summary": a successful run ends with one summary
    line on standard error (corpus clean: its report on standard output); -q leaves only
    what was asked for."""
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    argv = [a.replace("{f}", str(f)).replace("{tmp}", str(tmp_path)) for a in QUIET[command]]
    quiet = cli(*argv)
    assert quiet.code == 0 and quiet.err == "", quiet.err
    assert quiet.out == "" or command == "format", quiet.out
    f.write_text(TUNE)
    loud = cli(*[a for a in argv if a != "-q"])
    assert loud.code == 0
    if command == "corpus clean":
        assert loud.out.startswith("read 1 tunes") and loud.err == ""
    else:
        # The last line is the summary; any line before it names a file it changed.
        *before, last = loud.err.strip().splitlines()
        assert last.endswith((".", "!")) and len(before) <= 1, loud.err
        assert all(str(f) in line for line in before), loud.err
    if command in ("abc-lint", "check"):
        assert loud.err == "All checks passed!\n"


def test_row_format_json(cli: Run, tmp_path: Path) -> None:
    """Row "--format json": the JSON spelling everywhere, and nothing else on standard
    output; --json stays as a hidden alias where it was."""
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    assert json.loads(cli("abc-lint", "--format", "json", str(f)).out) == []
    found = tmp_path / "f.abc"
    found.write_text(FINDING)
    stats_lint = cli("abc-lint", "--statistics", "--format", "json", str(found)).out
    assert json.loads(stats_lint) == [{"code": "ABC310", "name": "slur-not-closed", "count": 1}]
    stats = cli("abcparse", "corpus", "stats", "--format", "json", str(f))
    assert json.loads(stats.out)["tunes"] == 1
    assert cli("abcparse", "corpus", "stats", "--json", str(f)).out == stats.out
    for command in (["corpus", "stats"], ["evaluate"]):
        options = _options(*command)
        assert "--format" in options and "--json" in options
        help_text = cli("abcparse", *command, "--help").out
        assert "--format" in help_text and "--json" not in help_text
    args = build_parser().parse_args(["evaluate", "--json"])
    assert args.fmt == "json"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["corpus", "clean", "--meters", "7/x"], "--meters: '7/x' is not a meter"),
        (["corpus", "clean", "--keys", "Hq"], "--keys: 'Hq' is not a key"),
        (["corpus", "clean", "--split", "50,50"], "--split"),
        (["corpus", "clean", "--min-bars", "-1"], "--min-bars"),
        (["play", "--soundfont", "nosuch.sf2"], "--soundfont: nosuch.sf2: no such file"),
        (["midi", "--tune", "1x"], "--tune"),
        (["transpose", "-s", "x"], "-s/--semitones"),
        (["generate", "--seed", "-1"], "--seed"),
        (["generate", "--temperature", "nan"], "--temperature"),
        (["sample", "-n", "9" * 5000], "-n"),
    ],
    ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else None,
)
def test_row_option_values_are_checked(argv: list[str], says: str, cli: Run,
                                       tmp_path: Path) -> None:
    """Row "validated values": a bad value is exit 2 with an error line naming the option,
    before anything is read or written (corpus clean does not drop every tune)."""
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    extra = ["-o", str(tmp_path / "split")] if argv[:2] == ["corpus", "clean"] else []
    r = cli("abcparse", *argv, *extra, str(f))
    assert r.code == 2, (r.out, r.err)
    last = r.err.strip().splitlines()[-1]
    assert says in last and len(last) < 400, r.err
    assert not (tmp_path / "split").exists()


def test_row_unexpected_exception_is_one_line(cli: Run, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Row "never a traceback": a bug still reaches the user as one line, exit 2;
    ABCPARSE_DEBUG=1 shows the traceback."""
    from abcparse.cli import check

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(check, "lint_events", broken)
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    r = cli("abc-lint", str(f))
    assert r.code == 2
    assert r.err.startswith("abc-lint: internal error (RuntimeError: boom)")
    assert len(r.err.strip().splitlines()) == 1
    monkeypatch.setenv("ABCPARSE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        lint_main([str(f)])


def test_row_undecodable_bytes_on_a_strict_utf8_stream(tmp_path: Path) -> None:
    """Row "never a traceback": messages quoting undecodable bytes on a strict UTF-8
    standard output/error are written with \\udcXX escapes; JSON stays valid."""
    f = tmp_path / "r.abc"
    f.write_bytes(b"X:1\nT:Caf\xe9\nK:C\n!\xe9!a|\n")  # Latin-1 in a UTF-8 file
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    r = process("-m", "abcparse.cli.lint", "--format", "json", str(f), env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-800:]
    assert any("\\udce9" in json.dumps(d) for d in json.loads(r.stdout)), r.stdout
    r = process("-m", "abcparse.cli.lint", str(f), env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-800:]
    assert "!\\udce9!" in r.stdout


# --- The generator's commands -----------------------------------------------------------


def test_row_generate_output_quiet_verbose(cli: Run, tmp_path: Path) -> None:
    """Rows "-o/--output", "-q" and "quiet unless -v" for generate: -o writes the file;
    by default one counts line on standard error, -q none, -v the validator's report too."""
    out = tmp_path / "g.abc"
    r = cli("abcparse", "generate", "-n", "1", "--seed", "2", "-o", str(out))
    assert r.code == 0 and "\nX:1\n" in out.read_text() and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "accepted" in r.err, r.err
    out.unlink()
    r = cli("abcparse", "generate", "-n", "1", "--seed", "2", "-q", "--output", str(out))
    assert r.code == 0 and r.err == "" and "\nX:1\n" in out.read_text()
    r = cli("abcparse", "generate", "-n", "1", "--seed", "2", "-v")
    assert r.code == 0 and "\nX:1\n" in r.out
    assert len(r.err.strip().splitlines()) > 1, r.err


def test_row_train_quiet_unless_verbose(cli: Run) -> None:
    """Row "train quiet unless -v": the real (tiny) training run, whose standard error is
    its one summary line and nothing of TensorFlow's start-up, is
    tests/generator/test_cli_args.py::test_train_is_quiet_unless_verbose (not repeated
    here: it takes TensorFlow's import). Here: -v is the only way to the noise, and -o,
    --output and --out name the model folder."""
    from abcparse.generator import cli as gen_cli

    parser = build_parser()
    base = ["train", "--train", "t.abc", "--valid", "v.abc"]
    for spelling in ("-o", "--output", "--out"):
        args = parser.parse_args([*base, spelling, "m"])
        assert str(args.out) == "m" and args.verbose is False
    assert parser.parse_args([*base, "-o", "m", "-v"]).verbose is True
    help_text = cli("abcparse", "train", "--help").out
    assert "-v, --verbose" in help_text and "hidden by default" in help_text
    assert gen_cli.import_tensorflow.__doc__ and "unless ``verbose``" in (
        gen_cli.import_tensorflow.__doc__)


def test_row_evaluate_default_test_corpus_is_not_relative_to_cwd(
    cli: Run, tmp_path: Path
) -> None:
    """Row "evaluate's default test corpus": the checkout's corpus/test.abc wherever the
    command runs from; without one (an installed wheel) --test is asked for."""
    from abcparse.generator import cli as gen_cli

    r = cli("abcparse", "evaluate", "-n", "0", "--format", "json", cwd=tmp_path)
    assert r.code == 0, r.err
    assert Path(json.loads(r.out)["test"]) == ROOT / "corpus" / "test.abc"
    saved = gen_cli.DEFAULT_TEST
    try:
        gen_cli.DEFAULT_TEST = tmp_path / "none" / "test.abc"
        r = cli("abcparse", "evaluate", "-n", "0", cwd=tmp_path)
    finally:
        gen_cli.DEFAULT_TEST = saved
    assert r.code == 2 and "--test" in r.err and len(r.err.strip().splitlines()) == 1
    # A test corpus with no tune printed a perfect 0.0000 bits/char (NaN in its JSON),
    # exit 0: nothing read is row 3's warning and exit 2.
    empty = tmp_path / "empty.abc"
    empty.write_text("% only a comment\n")
    r = cli("abcparse", "evaluate", "-n", "0", "--test", str(empty), "--format", "json")
    assert r.code == 2 and "nothing was read" in r.err and r.out == ""


# --- The program ------------------------------------------------------------------------


def test_row_python_dash_m_abcparse(tmp_path: Path) -> None:
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    r = process("-m", "abcparse", "check", str(f), cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "All checks passed!\n")
    r = process("-m", "abcparse", cwd=tmp_path)
    assert r.returncode == 2 and "usage: abcparse" in r.stderr


def test_row_one_version_source(cli: Run) -> None:
    version = abcparse.__version__
    assert metadata.version("abcparse") == version
    assert cli("abcparse", "--version").out == f"abcparse {version}\n"
    assert cli("abc-lint", "--version").out == f"abc-lint {version}\n"
    r = process("-m", "abcparse", "--version")
    assert r.stdout == f"abcparse {version}\n"
    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{version}"' not in text  # read from the package, not written twice


def test_row_cache_folder(tmp_path: Path) -> None:
    f = tmp_path / "t.abc"
    f.write_text(TUNE)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("ABCPARSE_NO_CACHE", None)
    for _ in range(2):  # builds and saves the tables, then loads them
        r = process("-m", "abcparse", "check", str(f), env=env)
        assert (r.returncode, r.stderr) == (0, "All checks passed!\n")
    saved = list((tmp_path / "cache" / "abcparse" / "grammar").glob("*.lark"))
    assert saved and all(p.stat().st_mode & 0o022 == 0 for p in saved)
    off = {**env, "XDG_CACHE_HOME": str(tmp_path / "off"), "ABCPARSE_NO_CACHE": "1"}
    r = process("-m", "abcparse", "check", str(f), env=off)
    assert r.returncode == 0 and not (tmp_path / "off").exists()


def test_docs_table_names_a_test_per_row() -> None:
    """docs/cli.md: every row of the table names tests of this module that exist, and
    every ``test_row_`` test here is named by a row."""
    import re

    rows = [line for line in (ROOT / "docs" / "cli.md").read_text().splitlines()
            if re.match(r"\| \d+ \|", line)]
    assert len(rows) >= 18
    named: set[str] = set()
    for row in rows:
        tests = re.findall(r"`((?:tests/\S+::)?test_\w+)`", row.rsplit("|", 2)[1])
        assert tests, row
        named.update(tests)
    here = {name for name in globals() if name.startswith("test_row_")}
    for elsewhere in [n for n in named if "::" in n]:
        path, name = elsewhere.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(), elsewhere
    named = {n for n in named if "::" not in n}
    assert named == here, (named ^ here)
