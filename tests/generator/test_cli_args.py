"""Option values of train, sample, generate and evaluate are checked where they are read
(issue 15): out of range, ``nan``/``inf`` or thousands of digits is a one-line usage error
and exit 2, never an exception from NumPy or TensorFlow; ``train`` is quiet and its summary
is true."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from abcparse.generator import cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="abcparse")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        make_parser().parse_args(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and len(last) < 200
    return last


BAD = [
    (["generate", "--seed", "-1"], "--seed"),
    (["generate", "--seed", str(2**32)], "--seed"),
    (["generate", "--seed", "9" * 5000], "--seed"),
    (["generate", "--seed", "1.5"], "--seed"),
    (["generate", "--temperature", "nan"], "--temperature"),
    (["generate", "--temperature", "inf"], "--temperature"),
    (["generate", "--temperature", "-0.1"], "--temperature"),
    (["generate", "--temperature", "1" * 5000], "--temperature"),
    (["generate", "--top-p", "0"], "--top-p"),
    (["generate", "--top-p", "nan"], "--top-p"),
    (["generate", "--top-k", "-1"], "--top-k"),
    (["generate", "--similarity", "1.5"], "--similarity"),
    (["generate", "--max-chars", "0"], "--max-chars"),
    (["generate", "-n", "-1"], "-n"),
    (["generate", "-n", "1e3"], "-n"),
    (["generate", "--max-attempts", "0"], "--max-attempts"),
    (["sample", "--seed", "-5"], "--seed"),
    (["sample", "--temperature", "-inf"], "--temperature"),
    (["evaluate", "-n", "x"], "-n"),
    (["train", "--train", "a", "--valid", "b", "--out", "o", "--seed", "-1"], "--seed"),
    (["train", "--train", "a", "--valid", "b", "--out", "o", "--epochs", "-2"], "--epochs"),
    (["train", "--train", "a", "--valid", "b", "--out", "o", "--max-minutes", "nan"],
     "--max-minutes"),
    (["train", "--train", "a", "--valid", "b", "--out", "o", "--max-minutes", "0"],
     "--max-minutes"),
]


@pytest.mark.parametrize(("argv", "option"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_option_values_are_usage_errors(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    last = usage_error(argv, capsys)
    assert f"argument {option}" in last


def test_good_values_still_parse() -> None:
    a = make_parser().parse_args(
        ["generate", "--seed", str(2**32 - 1), "--temperature", "0", "--top-p", "1",
         "--top-k", "0", "-n", "0", "--max-chars", "1", "--similarity", "1"]
    )
    assert (a.seed, a.temperature, a.top_p, a.n) == (2**32 - 1, 0.0, 1.0, 0)


def test_sample_refuses_a_batch_too_big_to_hold(capsys: pytest.CaptureFixture[str]) -> None:
    args = make_parser().parse_args(["sample", "-n", "100000", "--max-chars", "100000"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-chars" in err


@pytest.mark.parametrize(
    "config",
    ['{"lstm_units":[1000000000]}', '{"lstm_units":[4096,4096,4096,4096]}',
     '{"batch_size": 1000000000}', '{"max_len": 1e400}', '{"embedding_dim": ' + "7" * 5000 + "}"],
)
def test_train_config_sizes_are_bounded_before_tensorflow(
    config: str, tmp_path: Path, corpus_files: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    tr, va = corpus_files
    args = make_parser().parse_args(
        ["train", "--train", str(tr), "--valid", str(va), "--out", str(tmp_path / "m"),
         "--config", config]
    )
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("abcparse: error: --config:") and err.count("\n") == 1
    assert len(err) < 450


def test_train_summary_says_what_happened() -> None:
    metrics = {"valid_bpc": 2.5, "train_bpc": 2.25, "best_epoch": 1, "epochs": 1,
               "stopped": "epochs", "train_seconds": 10.2}
    line = cli.train_summary(Path("m"), metrics, 85.4)
    assert "1 epoch (" in line and "1 epochs" not in line and "(epochs)" not in line
    assert "reached the epoch limit" in line
    assert "85 s in all" in line and "10 s of it training" in line
    early = cli.train_summary(Path("m"), {**metrics, "epochs": 7, "stopped": "early"}, 9)
    assert "7 epochs" in early and "stopped early" in early


@pytest.mark.parametrize("verbose", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_train_is_quiet_unless_verbose(
    tmp_path: Path, corpus_files: tuple[Path, Path], verbose: bool
) -> None:
    """A real (tiny) training run: standard error holds the summary line and nothing from
    TensorFlow's start-up; with -v TensorFlow's lines are not hidden."""
    tr, va = corpus_files
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}

    def train(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "abcparse", "train", "--train", str(tr), "--valid", str(va),
             "--out", str(tmp_path / f"m{len(extra)}"), "--epochs", "1", "--config",
             '{"lstm_units": [8], "embedding_dim": 4, "fit_cache": false}', *extra],
            capture_output=True, text=True, timeout=600, env=env,
        )

    done = train("-v") if verbose else train()
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("wrote ") and "1 epoch (" in lines[-1], done.stderr[-2000:]
    assert "s in all" in lines[-1]
    if not verbose:
        assert len(lines) == 1, done.stderr[-2000:]


def test_a_reader_that_goes_away_is_no_error() -> None:
    """``abcparse generate | head -1``: the closed pipe ends the command quietly (exit 1,
    as every command ends), not with "error: None: Broken pipe"."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "abcparse", "generate", "-n", "2", "--seed", "2", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads what it writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1
    assert "error" not in err and "Traceback" not in err, err
