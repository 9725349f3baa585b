"""The plugin's subcommands: registration, output, and one-line errors with exit code 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from abcparse.generator import cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="abcparse")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def run(argv: list[str]) -> int:
    args = make_parser().parse_args(argv)
    return int(args.func(args))


def test_register_adds_subcommands_with_handlers() -> None:
    p = make_parser()
    t = p.parse_args(["train", "--train", "a", "--valid", "b", "--out", "o", "--epochs", "3",
                      "--seed", "2", "--config", "{}", "--resume", "--max-minutes", "1.5",
                      "--augment"])
    assert t.func is cli.train_command and t.augment is True and t.max_minutes == 1.5
    s = p.parse_args(["sample", "--model", "m", "-n", "4", "--top-k", "5", "--top-p", "0.9",
                      "--temperature", "0.8", "--prime", "X:1\\n", "--max-chars", "99"])
    assert s.func is cli.sample_command and s.n == 4 and s.top_k == 5


def test_sample_prints_tunes_deterministically(
    random_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sample", "--model", str(random_model_dir), "-n", "3", "--seed", "5",
            "--max-chars", "200"]
    assert run(argv) == 0
    first = capsys.readouterr().out
    assert run(argv) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("X:1\n")


@pytest.mark.parametrize("damage", ["missing", "weights", "manifest"])
def test_bad_model_folder_is_one_line_and_exit_2(
    random_model_dir: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    folder = random_model_dir
    if damage == "missing":
        folder = folder / "nope"
    elif damage == "weights":
        (folder / "weights.npz").write_bytes(b"not a zip")
    else:
        (folder / "manifest.json").write_text("{")
    assert run(["sample", "--model", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("abcparse: error:")
    assert "Traceback" not in err


def test_train_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                corpus_files: tuple[Path, Path]) -> None:
    tr, va = corpus_files
    assert run(["train", "--train", str(tmp_path / "no.abc"), "--valid", str(va),
                "--out", str(tmp_path / "m")]) == 2
    assert "no.abc: file not found" in capsys.readouterr().err
    assert run(["train", "--train", str(tr), "--valid", str(va), "--out", str(tmp_path / "m"),
                "--config", '{"lstm_units": "big"}']) == 2
    assert capsys.readouterr().err.startswith("abcparse: error: --config")


def test_importing_cli_does_not_import_tensorflow(run_python: Callable[..., Any]) -> None:
    res = run_python("import abcparse.generator.cli\nprint('tensorflow' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("command", "absent"),
    [("generate", "rapidfuzz"), ("evaluate", "rapidfuzz"), ("sample", "numpy")],
)
def test_missing_extra_is_one_line_with_what_to_install(
    command: str, absent: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A user who installed only the core gets told to install the extra: exit 2, no
    traceback (the command must not import the missing module first)."""
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == absent else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert run([command, "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and absent in err
    assert "pip install 'abcparse[generate]'" in err and "Traceback" not in err
