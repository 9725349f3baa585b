"""abc-lint streams (issue 16): one tune at a time, output identical to the whole book's.

The oracle is what abc-lint did before it streamed: parse the whole file, run
``check_book`` on it (the whole book as one window), render every report at once. The
streamed run (a window per tune, findings handed out as soon as no later window can
precede them, output written as it comes) and the ``--jobs`` run (stretches of tunes in
worker processes, merged in order) must write the same bytes, in every format.
"""

from __future__ import annotations

import argparse
import io
import random
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

import abcparse
from abcparse.cli import jobs as jobs_module
from abcparse.cli.check import run
from abcparse.cli.lint import build_parser
from abcparse.cli.report import FORMATS, FileReport, render, statistics_text, summary
from abcparse.split import text_lines
from abcparse.validate import check_book, select_rules
from abcparse.validate.check import check_stream
from tests.core.corpora import ROOT, all_files

FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.abc"))
FILES = all_files() + FIXTURES
# The default run: the shipped corpus, two Nottingham files and the fixtures; the whole
# corpora with ``-m slow``.
SOME = all_files()[:3] + FIXTURES


def _reports(paths: list[Path], mode: str = "auto", select: str | None = None
             ) -> list[FileReport]:
    """What the whole-book abc-lint found: each file parsed whole, checked whole."""
    reports = []
    rules = select_rules(select)
    for p in paths:
        book = abcparse.parse_file(p, mode=mode)
        diags = check_book(book, mode=mode, rules=rules)
        assert book.source is not None
        wanted = {d.line for d in diags}
        lines = {i: t for i, t in enumerate(text_lines(book.source.text), 1) if i in wanted}
        reports.append(FileReport(str(p), diags, lines, len(book.tunes)))
    return reports


def _oracle(paths: list[Path], fmt: str, mode: str = "auto", select: str | None = None,
            stats: bool = False) -> tuple[str, str]:
    """stdout and the summary line of the whole-book abc-lint."""
    reports = _reports(paths, mode, select)
    counts = Counter((d.code, d.rule) for r in reports for d in r.diagnostics)
    out = statistics_text(counts, "concise") if stats else render(fmt, reports)
    return out, summary(reports)


@pytest.fixture(scope="module")
def every_file_all_rules() -> list[FileReport]:
    return _reports(FILES, select="ALL")


def _lint(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str, int]:
    args = build_parser().parse_args(["--no-config", "--exit-zero", *argv])
    out = io.StringIO()
    status = run(args, out=out)
    return out.getvalue(), capsys.readouterr().err, status


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_lint_writes_what_the_whole_book_lint_wrote(
    fmt: str, every_file_all_rules: list[FileReport], capsys: pytest.CaptureFixture[str]
) -> None:
    got, err, _ = _lint(["--format", fmt, "--select", "ALL", *map(str, FILES)], capsys)
    assert got == render(fmt, every_file_all_rules)
    if fmt in ("concise", "full"):
        assert err == summary(every_file_all_rules)


@pytest.mark.parametrize("mode", ["strict", "loose"])
def test_streamed_lint_in_each_mode(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    paths = all_files()[1:3] + FIXTURES
    want, _ = _oracle(paths, "json", mode=mode)
    got, _, _ = _lint(["--format", "json", f"--{mode}", *map(str, paths)], capsys)
    assert got == want
    want, _ = _oracle(paths, "concise", mode=mode, stats=True)
    got, _, _ = _lint(["--statistics", f"--{mode}", *map(str, paths)], capsys)
    assert got == want


@pytest.mark.parametrize("batch", [1, 4])
def test_jobs_write_what_one_process_writes(
    batch: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tiny batches put every kind of window at a batch edge: the tune before or after
    in another batch, a suppression comment or a duplicate X: across batches."""
    monkeypatch.setattr(jobs_module, "BATCH_TUNES", batch)
    paths = [str(p) for p in (FILES[:2] if batch == 1 else SOME)]
    for fmt in ("full", "json"):
        one, err1, s1 = _lint(["--format", fmt, "--select", "ALL", *paths], capsys)
        two, err2, s2 = _lint(["--format", fmt, "--select", "ALL", "--jobs", "2", *paths],
                              capsys)
        assert (two, err2, s2) == (one, err1, s1)


_PARTS = [
    "\n", "\r\n", "free text\n", "%%begintext\nX:0\n\n%%endtext\n", "% comment\n",
    "% abc-lint: disable=ABC301\n", "T:orphan\nK:C\nabc|\n", "X:1\nT:dup\n",
    "\n\nM:4/4\nK:C\nabc|\n", "X:7\nT:t\n\nK:D\nabc|\n", "X:3\nT:no key\n", "  \n",
    "abc|  % abc-lint: disable=ABC3\n", "M:6/8\nL:1/8\n", "%abc-2.1\n", "\x00",
    "I:abc-version 2.1\n", "X:2\r\nT:crlf\r\nK:C\r\nabc|\r\n", "abc | \n",
    "X:9\nK:C\n% abc-lint: disable=all\n", "X:4\nT:a\nM:3/4\nK:G\nGAB c2|d|\n",
]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    tunes = [t.text for t in abcparse.parse_file(FILES[0]).tunes[:40]]
    out = []
    while len(out) < n:
        parts = [rng.choice(tunes) if rng.random() < 0.5 else rng.choice(_PARTS)
                 for _ in range(rng.randint(1, 14))]
        text = "".join(parts)
        if "\n" in text or "\r" in text or text.startswith("X:"):
            out.append(text)
    return out


def test_streamed_check_on_random_files() -> None:
    """Suppression comments next to tune edges, tunes cut by an empty line in the
    header, missing empty lines, duplicate numbers, NUL and mixed line ends."""
    for i, text in enumerate(_random_texts(16, 150)):
        mode = ("auto", "strict", "loose")[i % 3]
        sel = None if i % 2 else "ALL"
        want = check_book(abcparse.parse(text, mode=mode), mode=mode, rules=select_rules(sel))
        assert list(check_stream(text, mode=mode, select=sel)) == want, repr(text)
        data = text.encode("utf-8", "surrogateescape")
        want = check_book(abcparse.parse_bytes(data, mode=mode), mode=mode,
                          rules=select_rules(sel))
        assert list(check_stream(data, mode=mode, select=sel)) == want, repr(text)


def test_jobs_on_random_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(jobs_module, "BATCH_TUNES", 2)
    paths = []
    for i, text in enumerate(_random_texts(61, 12)):
        p = tmp_path / f"r{i:02}.abc"
        p.write_bytes(text.encode("utf-8", "surrogateescape"))
        paths.append(str(p))
    # Files with no chunk to read: a batch of nothing (it crashed the --jobs run).
    for name, content in (("empty.abc", b""), ("spaces.abc", b"  ")):
        (tmp_path / name).write_bytes(content)
        paths.insert(len(paths) // 2, str(tmp_path / name))
    one = _lint(["--format", "full", "--select", "ALL", *paths], capsys)
    two = _lint(["--format", "full", "--select", "ALL", "--jobs", "2", *paths], capsys)
    assert two == one


def test_standard_input_streams_too(capsys: pytest.CaptureFixture[str]) -> None:
    data = FILES[0].read_bytes()
    args = build_parser().parse_args(["--no-config", "--format", "json", "-"])
    out = io.StringIO()
    run(args, stdin=data, out=out)
    want, _ = _oracle([FILES[0]], "json")
    assert out.getvalue() == want.replace(f'"{FILES[0]}"', '"-"')
    capsys.readouterr()


def test_unreadable_files_are_reported_in_order(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "a.abc"
    good.write_text("X:1\nT:t\nK:C\n(abc|\n", encoding="utf-8")
    for jobs in ("1", "2"):
        out, err, status = _lint(["--jobs", jobs, str(good), str(tmp_path / "missing.abc"),
                                  str(good)], capsys)
        assert status == 2
        # A file named twice is checked once (.inputs.collect: --fix would fix it twice).
        assert out.count("ABC310") == 1
        assert "missing.abc: no such file" in err


def test_check_stream_memory_stays_flat() -> None:
    """What a streamed check keeps does not grow with the file: after 400 and after
    2,000 tunes (each with a finding, every second one a duplicate number), the traced
    memory differs by little; only the X: numbers seen grow (ABC206), a few dozen bytes
    a tune (the parsed book of these tunes takes about 9 MB)."""
    tune = "X:{n}\nT:Tune {n}\nM:4/4\nL:1/8\nK:G\nGABc d2e|fga (b|\n\nX:{n}\nT:again\nK:D\nd|\n\n"
    text = "".join(tune.format(n=n) for n in range(1, 1001))
    tracemalloc.start()
    try:
        seen = {}
        count = 0
        for _d in check_stream(text):
            count += 1
            if count in (400, 2000):
                seen[count] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert count == 2000  # an unclosed slur and a duplicate number in each pair
    assert seen[2000] - seen[400] < 200_000, seen


def test_parse_arguments_still_take_jobs() -> None:
    args = build_parser().parse_args(["--jobs", "3", "x.abc"])
    assert isinstance(args, argparse.Namespace) and args.jobs == 3
