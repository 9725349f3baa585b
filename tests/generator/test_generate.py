"""The generate → validate → repair loop and the shipped model, as a user runs them.

These tests use the shipped default model (NumPy only, no TensorFlow): what
``abcparse generate`` prints must pass ``abc-lint --strict``, be the same on every run, and
say how it got there on standard error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The novelty check compares with rapidfuzz (the generate extra); without it these tests
# cannot run, and ``abcparse generate`` says what to install (tests/generator/test_cli.py).
pytest.importorskip("rapidfuzz")

from abcparse.generator.cli import DEFAULT_MODEL_DIR
from abcparse.generator.generate import (
    CLEAN,
    R_FORM,
    R_LENGTH,
    R_SIMILAR,
    REJECTED,
    REPAIRED,
    VALID,
    Novelty,
    Stats,
    TuneGenerator,
    examine,
    renumber,
    tune_body,
)
from abcparse.generator.sampler import NumpyLSTM, Sample
from abcparse.generator.store import load_model_dir

import abcparse

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "corpus" / "train.abc"


def generate_cmd(*args: str) -> list[str]:
    """``abcparse generate ...``: the installed command, else the plugin's own entry."""
    exe = shutil.which("abcparse")
    if exe is not None:
        return [exe, "generate", *args]
    return [sys.executable, "-m", "abcparse.generator.cli", "generate", *args]


def run_cmd(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env,
                          timeout=300, cwd=str(ROOT))


@pytest.fixture(scope="module")
def generated() -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    first = run_cmd(generate_cmd("-n", "20", "--seed", "1"))
    second = run_cmd(generate_cmd("-n", "20", "--seed", "1"))
    return first, second


def test_generate_prints_20_tunes_that_pass_abc_lint_strict(
    generated: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]],
) -> None:
    res = generated[0]
    assert res.returncode == 0, res.stderr
    book = abcparse.parse(res.stdout)
    assert [t.reference for t in book.tunes] == list(range(1, 21))
    # Every tune, and the whole output, is strictly valid with no finding at all.
    assert abcparse.check(res.stdout, mode="strict") == []
    lint = shutil.which("abc-lint")
    argv = [lint] if lint else [sys.executable, "-m", "abcparse.cli.lint"]
    out = run_cmd([*argv, "--strict", "-"], stdin=res.stdout)
    assert out.returncode == 0, out.stdout + out.stderr


def test_generate_prints_the_counts_and_is_identical_across_runs(
    generated: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]],
) -> None:
    first, second = generated
    assert first.stdout == second.stdout
    err = first.stderr
    assert "20 accepted of" in err and "sampled" in err
    assert "valid as sampled" in err and "repaired" in err and "rejected" in err


def test_seed_changes_the_tunes(
    generated: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]],
) -> None:
    other = run_cmd(generate_cmd("-n", "3", "--seed", "2", "--report"))
    assert other.returncode == 0, other.stderr
    assert other.stdout != generated[0].stdout
    assert "codes found in sampled tunes" in other.stderr


def test_generate_writes_out_file_and_midi(tmp_path: Path) -> None:
    out = tmp_path / "tunes.abc"
    res = run_cmd(generate_cmd("-n", "2", "--seed", "3", "--out", str(out),
                               "--midi", str(tmp_path / "midi")))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert len(abcparse.parse(out.read_text(encoding="utf-8")).tunes) == 2
    mids = sorted(p.name for p in (tmp_path / "midi").iterdir())
    assert mids == ["tune-1.mid", "tune-2.mid"]
    assert all((tmp_path / "midi" / m).read_bytes().startswith(b"MThd") for m in mids)


def test_bound_reached_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "tunes.abc"
    res = run_cmd(generate_cmd("-n", "3", "--max-attempts", "1", "--out", str(out)))
    assert res.returncode == 1
    assert "--max-attempts" in res.stderr and "nothing was written" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_generate_does_not_import_tensorflow(run_python: Callable[..., Any]) -> None:
    code = (
        "import io, contextlib\n"
        "from abcparse.generator.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):\n"
        "    rc = main(['generate', '-n', '2', '--seed', '4'])\n"
        "print(rc, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    res = run_python(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["0", "False", "False"]


def test_default_model_loads_verifies_and_is_small() -> None:
    loaded = load_model_dir(DEFAULT_MODEL_DIR)  # raises if a sha256 does not match
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"config.json", "vocab.json", "weights.npz", "train.abc"}
    total = sum((DEFAULT_MODEL_DIR / f).stat().st_size for f in manifest["files"])
    assert total <= 20 * 1024 * 1024
    m = loaded.metrics
    for key in ("test_bpc_whole", "test_bpc_body", "baseline_5gram_test_bpc", "command",
                "train_sha256"):
        assert key in m
    assert m["test_bpc_whole"] < m["baseline_5gram_test_bpc"]
    # The shipped training corpus is the one the model says it was trained on.
    assert loaded.train_corpus is not None
    assert loaded.train_corpus.read_bytes() == TRAIN.read_bytes()


# --- the loop's pieces, in process ---------------------------------------------------------

GOOD = "X:1\nT:Good\nM:6/8\nL:1/8\nK:D\n|:dAF dAF|GBd gfe|dAF dAF|GEF D3:|\n"


def test_examine_verdicts() -> None:
    novelty = Novelty.from_file(TRAIN)
    assert examine(Sample(GOOD, True), novelty).status == CLEAN
    # A valid tune with a warning (ABC302, a :| without |: after an earlier :|) is valid
    # as sampled and comes out without the warning.
    warn = "X:1\nT:W\nM:6/8\nL:1/8\nK:D\ndAF dAF|GBd gfe:|\ndAF dAF|GEF D3:|\n"
    v = examine(Sample(warn, True), novelty)
    assert v.status == VALID and "ABC302" in v.codes and v.text is not None
    assert abcparse.check(v.text, mode="strict") == []
    # An error (a bar one eighth short) is repaired.
    bad = "X:1\nT:B\nM:6/8\nL:1/8\nK:D\n|:dAF dAF|GBd ge|dAF dAF|GEF D3:|\n"
    v = examine(Sample(bad, True), novelty)
    assert v.status == REPAIRED and v.had_error and "ABC301" in v.codes
    assert v.text is not None and abcparse.check(v.text, mode="strict") == []
    # A tune that hit the length cap is rejected without being checked.
    assert examine(Sample(GOOD[:40], False), novelty).reason == R_LENGTH
    # A training tune under a new title is no new tune.
    train_tune = abcparse.parse(TRAIN.read_text(encoding="utf-8")).tunes[5].text
    copy = "X:1\nT:New name\n" + train_tune.split("\n", 2)[2]
    v = examine(Sample(copy, True), novelty)
    assert v.status == REJECTED and v.reason == R_SIMILAR
    assert v.similarity is not None and v.similarity >= 0.8


def test_a_repaired_tune_without_the_form_is_drawn_again(default_net: NumpyLSTM) -> None:
    """With form-aware decoding every emitted tune is AABB: a sample the repair mended into
    something else (one part, no repeat) is rejected, not emitted; without the form
    checker it is kept (the repair's tune is valid ABC)."""
    stats = Stats()
    one_part = "X:1\nT:B\nM:6/8\nL:1/8\nK:D\n|:dAF dAF|GBd ge|dAF dAF|GEF D3:|\n"
    for form, want in ((True, R_FORM), (False, None)):
        gen = TuneGenerator(default_net, None, constrained=True, form=form)
        v = gen._judge(Sample(one_part, True), set(), stats)
        assert v.reason == want and (v.status == REJECTED) == form


def test_novelty_similarity_bounds() -> None:
    nov = Novelty(["abc def", "xyz"])
    assert nov.nearest("abc def") == 1.0
    assert 0.0 <= nov.nearest("qqq qqq") < 0.5
    assert Novelty([]).nearest("abc") == 0.0


def test_renumber_and_body() -> None:
    assert renumber(GOOD, 7).startswith("X:7\nT:Good\n")
    assert tune_body(GOOD) == "|:dAF dAF|GBd gfe|dAF dAF|GEF D3:|"


@pytest.fixture(scope="module")
def default_net() -> NumpyLSTM:
    return NumpyLSTM.from_dir(DEFAULT_MODEL_DIR)


def test_run_accepts_only_strictly_clean_novel_tunes(default_net: NumpyLSTM) -> None:
    gen = TuneGenerator(default_net, Novelty.from_file(TRAIN), constrained=False, batch_size=16)
    result = gen.run(12, seed=9, keep_verdicts=True)
    assert result.complete and len(result.tunes) == 12
    s = result.stats
    assert s.accepted == 12 and s.sampled == s.accepted + s.rejected_total
    assert s.valid <= s.sampled and s.repaired <= s.accepted
    text = result.text()
    assert abcparse.check(text, mode="strict") == []
    novelty = Novelty.from_file(TRAIN)
    assert all(novelty.nearest(tune_body(t)) < 0.8 for t in result.tunes)
    # Same seed, same tunes.
    again = gen.run(12, seed=9)
    assert again.tunes == result.tunes


def test_the_counts_line_adds_up() -> None:
    """Accepted tunes are those clean as sampled, those whose warnings were repaired and
    those whose errors were repaired: the line said "8 accepted ... (4 with no finding at
    all), 1 repaired", leaving the tunes with warnings repaired out of every count."""
    from abcparse.generator.generate import CLEAN, REPAIRED, VALID, Stats, TuneGenerator, Verdict

    stats = Stats()
    for status, error, codes in ((CLEAN, False, ()), (VALID, False, ("ABC301",)),
                                 (VALID, False, ("ABC302",)), (REPAIRED, True, ("ABC101",))):
        TuneGenerator._tally(stats, Verdict(status, "X:1\n", codes=codes, checked=True,
                                            had_error=error))
    assert stats.summary().startswith(
        "4 accepted of 4 sampled (1 as sampled, 2 with warnings repaired, 1 with errors"
        " repaired), 0 rejected (none); 3 valid as sampled (1 with no finding at all)")
    assert stats.to_dict()["warnings_repaired"] == 2
