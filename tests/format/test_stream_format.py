"""abcparse format and transpose stream (issue 16): a tune at a time, the same output.

``abcparse.rewrite`` drives the formatter's printer over a file's chunks as
``Printer.format`` does over its whole text, checks each tune's formatting alone (read
after the file's version line and header), and diffs segment by segment. These tests
hold it to the whole-text functions: the same text, the same verdict (safe or not,
with the finding at the same place), the same diff, the same transposition.
"""

from __future__ import annotations

import difflib
import gc
import io
import random
import tracemalloc
from pathlib import Path

import pytest

import abcparse
from abcparse import rewrite
from abcparse.api import iter_tunes
from abcparse.format import FormatOptions, TransposeError, format_text, transpose_text
from abcparse.format.printer import Printer
from abcparse.rewrite import StreamDiff, format_stream, transpose_stream
from abcparse.split import text_lines
from tests.core.corpora import ROOT, all_files

FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.abc"))
FILES = all_files() + FIXTURES
# The default run: the shipped corpus, two Nottingham files and the fixtures; the whole
# corpora with ``-m slow``.
SOME = {str(f) for f in all_files()[:3]} | {str(f) for f in FIXTURES}
CASES = [pytest.param(f, id=f.name, marks=() if str(f) in SOME else pytest.mark.slow)
         for f in FILES]
OPTIONS = [
    FormatOptions(renumber=True),
    FormatOptions(target="2.1"),
    FormatOptions(line_ending="crlf", decorations="long", bar_spacing="space"),
    FormatOptions(mode="loose", target="2.1", renumber=True),
]


def _streamed(path: Path, opts: FormatOptions) -> tuple[str, rewrite.FormatOutcome, str]:
    out, diff, _ = _streamed_segments(path, opts)
    return out, diff[0], diff[1]


def _streamed_segments(path: Path, opts: FormatOptions
                       ) -> tuple[str, tuple[rewrite.FormatOutcome, str], list[tuple[str, str]]]:
    """The formatted text, the outcome and the diff, and the segments the diff was given."""
    out: list[str] = []
    diff: list[str] = []
    segs: list[tuple[str, str]] = []
    d = StreamDiff("a", "b", diff.append)

    def segment(a: str, b: str) -> None:
        segs.append((a, b))
        d.segment(a, b)

    outcome = format_stream(iter_tunes(path, mode=opts.mode), opts, out.append, segment)
    d.close()
    return "".join(out), (outcome, "".join(diff)), segs


def _same(path: Path, opts: FormatOptions) -> None:
    """The streamed file is the printer's whole-text output (``format_text(safe=False)``,
    ``Printer.format``) wherever every tune passes, and ``format_text`` (the same code
    over the text in memory) agrees with it tune for tune."""
    book = abcparse.parse_file(path)
    assert book.source is not None
    text = book.source.text
    want = format_text(text, opts)
    got, (outcome, diff), segs = _streamed_segments(path, opts)
    assert outcome.ok == want.ok
    assert got == want.text
    assert [(d.code, d.line) for d in outcome.diagnostics] == [
        (d.code, d.line) for d in want.diagnostics]
    if want.ok:
        assert outcome.changed == want.changed
        assert got == format_text(text, opts, safe=False).text
        # The diff: each tune matched alone, hunks grouped as difflib groups them; it
        # turns the file into the formatted text.
        assert "".join(a for a, _ in segs) == text and "".join(b for _, b in segs) == got
        assert diff == _reference(segs, 3, "a", "b")
        assert _apply(text, diff) == got


@pytest.mark.parametrize("path", CASES)
def test_streamed_formatting_equals_format_text(path: Path) -> None:
    _same(path, FormatOptions())


@pytest.mark.parametrize("opts", OPTIONS, ids=["renumber", "target", "crlf-long-space",
                                                "loose-target-renumber"])
def test_streamed_formatting_with_options(opts: FormatOptions) -> None:
    for path in all_files()[1:2] + FIXTURES[-12:]:
        _same(path, opts)


def test_a_formatting_that_breaks_the_music_is_refused_at_the_same_tune(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A printer bug that drops a note in one tune: format_text and the streamed
    formatter both refuse that tune, at its X: line, leave it as it was and format the
    others (issue 13)."""
    real = Printer.tune

    def broken(self: Printer, text: str) -> list[str]:
        lines = real(self, text)
        if "T:Two" in text:
            lines[-1] = lines[-1].replace("G", "", 1)
        return lines

    monkeypatch.setattr(Printer, "tune", broken)
    text = ("M:6/8\n\nX:1\nT:One\nK:G\nGAB  c2d|\n\nX:2\nT:Two\nK:G\nGAB c2d|\n\n"
            "X:3\nT:Three\nK:D\nd|\n")
    path = tmp_path / "t.abc"
    path.write_text(text, encoding="utf-8")
    want = format_text(text)
    _, outcome, _ = _streamed(path, FormatOptions())
    assert not want.ok and not outcome.ok
    assert [(d.code, d.line, d.col) for d in outcome.diagnostics] == [
        (d.code, d.line, d.col) for d in want.diagnostics] == [("ABC903", 8, 1)]
    from abcparse.cli.main import main

    assert main(["format", "-q", str(path)]) == 1
    kept = text.replace("GAB  c2d|", "GAB c2d|", 1)  # tune 1 formatted, tune 2 as it was
    assert path.read_text(encoding="utf-8") == want.text == kept
    assert [c.music_kept for c in want.checks] == [True, False, True]


def test_unchanged_files_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Formatted text needs no safety check (as format_text skips it)."""
    calls: list[int] = []
    real = rewrite.check_formatting

    def spy(*args: object, **kw: object) -> object:
        calls.append(1)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(rewrite, "check_formatting", spy)
    text = format_text(FILES[0].read_text(encoding="utf-8")).text
    calls.clear()  # format_text runs the same code (and checked what it changed)
    out: list[str] = []
    outcome = format_stream(iter_tunes(text), FormatOptions(), out.append)
    assert not outcome.changed and outcome.ok and "".join(out) == text and not calls


# ---------------------------------------------------------------------------------------
# Diffs


def _reference(segs: list[tuple[str, str]], n: int, a_name: str = "f", b_name: str = "g"
               ) -> str:
    """difflib's hunks over the segments' own matches joined (what StreamDiff
    promises): runs merged across segments, touching changes one change."""
    a_all: list[str] = []
    b_all: list[str] = []
    codes: list[tuple[str, int, int, int, int]] = []
    for a_text, b_text in segs:
        a, b = text_lines(a_text, keepends=True), text_lines(b_text, keepends=True)
        oi, oj = len(a_all), len(b_all)
        ops = ([("equal", 0, len(a), 0, len(b))] if a == b
               else difflib.SequenceMatcher(None, a, b).get_opcodes())
        for tag, i1, i2, j1, j2 in ops:
            if i1 == i2 and j1 == j2:
                continue
            t = "equal" if tag == "equal" else "replace"
            op = (t, i1 + oi, i2 + oi, j1 + oj, j2 + oj)
            if codes and codes[-1][0] == t:
                p = codes[-1]
                codes[-1] = (t, p[1], op[2], p[3], op[4])
            else:
                codes.append(op)
        a_all += a
        b_all += b
    sm = difflib.SequenceMatcher(None, [], [])
    sm.get_opcodes = lambda: codes  # type: ignore[method-assign]
    out: list[str] = []
    for group in sm.get_grouped_opcodes(n):
        if not out:
            out += [f"--- {a_name}\n", f"+++ {b_name}\n"]
        r1 = difflib._format_range_unified(group[0][1], group[-1][2])  # type: ignore[attr-defined]
        r2 = difflib._format_range_unified(group[0][3], group[-1][4])  # type: ignore[attr-defined]
        out.append(f"@@ -{r1} +{r2} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_hunk_line(" ", line) for line in a_all[i1:i2]]
            else:
                out += [_hunk_line("-", line) for line in a_all[i1:i2]]
                out += [_hunk_line("+", line) for line in b_all[j1:j2]]
    return "".join(out)


def _hunk_line(prefix: str, line: str) -> str:
    """difflib's line, marked as patch reads a last line with no line end."""
    return prefix + line + ("" if line.endswith("\n") else "\n\\ No newline at end of file\n")


def test_stream_diff_groups_hunks_as_difflib() -> None:
    rng = random.Random(7)
    words = ["a\n", "b\n", "c\n", "\n", "x\r\n"]
    for _ in range(3000):
        segs = []
        for _ in range(rng.randint(0, 5)):
            a = [rng.choice(words) for _ in range(rng.randint(0, 12))]
            b = list(a)
            for _ in range(rng.randint(0, 3)):
                op = rng.random()
                if op < 0.3 and b:
                    b.pop(rng.randrange(len(b)))
                elif op < 0.6:
                    b.insert(rng.randint(0, len(b)), rng.choice(words))
                elif b:
                    b[rng.randrange(len(b))] = rng.choice(words)
            segs.append(("".join(a), "".join(b)))
        n = rng.choice([0, 1, 3])
        out: list[str] = []
        d = StreamDiff("f", "g", out.append, context=n)
        for a_text, b_text in segs:
            d.segment(a_text, b_text)
        d.close()
        assert "".join(out) == _reference(segs, n), segs


def _apply(text: str, diff: str) -> str:
    """Apply a unified diff to ``text`` (enough of patch(1) for these tests, the ``\\ No
    newline at end of file`` marker included)."""
    old = text_lines(text, keepends=True)
    out: list[str] = []
    i = 0
    lines = diff.split("\n")[2:]  # the marker follows a line with no line end
    pending: list[tuple[str, str]] = []
    for piece in lines:
        if piece.startswith("\\ No newline"):
            tag, line = pending[-1]
            pending[-1] = (tag, line[:-1])
        elif piece:
            pending.append((piece[0], piece[1:] + "\n"))
    k = 0
    while k < len(pending):
        tag, head = pending[k]
        assert tag == "@"
        first, _, length = head.split()[1][1:].partition(",")
        start = int(first) - (0 if length == "0" else 1)
        out += old[i:start]
        i = start
        k += 1
        while k < len(pending) and pending[k][0] != "@":
            tag, line = pending[k]
            if tag in " -":
                assert old[i] == line
                i += 1
            if tag in " +":
                out.append(line)
            k += 1
    return "".join(out + old[i:])


# ---------------------------------------------------------------------------------------
# Transposition and memory


@pytest.mark.parametrize("path", FILES[1:6], ids=[p.name for p in FILES[1:6]])
def test_streamed_transposition_equals_transpose_text(path: Path) -> None:
    text = abcparse.parse_file(path).source.text  # type: ignore[union-attr]
    for n in (2, -5):
        try:
            want: str | None = transpose_text(text, n)
        except TransposeError as e:
            want, error = None, str(e)
        out: list[str] = []
        try:
            transpose_stream(iter_tunes(path), n, out.append)
        except TransposeError as e:
            assert want is None and str(e) == error
            continue
        assert "".join(out) == want


def test_transposition_errors_name_the_tune_line() -> None:
    text = "X:1\nT:a\nK:C\nC|\n\nX:2\nT:b\nK:^f\nC|\n"
    with pytest.raises(TransposeError) as whole:
        transpose_text(text, 1)
    with pytest.raises(TransposeError) as streamed:
        transpose_stream(iter_tunes(text), 1, lambda t: None)
    assert str(streamed.value) == str(whole.value)


def test_formatting_memory_stays_flat() -> None:
    """Formatting holds a tune at a time: memory after 120 tunes and after 600 differs
    by little. Measured after a full collection: what is reachable, not cyclic garbage
    that a big heap (the whole suite in one process) collects later."""
    tune = "X:{n}\nT: Tune {n}\nM: 6/8\nL:1/8\nK: G major\nGAB c2d|e3 d3|\n\n"
    text = "".join(tune.format(n=n) for n in range(1, 601))
    marks: dict[int, int] = {}
    count = [0]

    def write(piece: str) -> None:
        count[0] += 1
        if count[0] in (120, 600):
            gc.collect()
            marks[count[0]] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        outcome = format_stream(iter_tunes(text), FormatOptions(), write)
    finally:
        tracemalloc.stop()
    assert outcome.ok and outcome.changed
    assert marks[600] - marks[120] < 200_000, marks


def test_standard_output_gets_the_file_only_when_safe(monkeypatch: pytest.MonkeyPatch,
                                                      capsysbinary: pytest.CaptureFixture[bytes]
                                                      ) -> None:
    from abcparse.cli.main import main

    data = b"X:1\nT: t\nK: G major\nGAB|\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["format", "-q", "-"]) == 0
    assert capsysbinary.readouterr().out == b"X:1\nT:t\nK:G\nGAB|\n"


@pytest.mark.parametrize("batch", [1, 3])
def test_jobs_format_what_one_process_formats(batch: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments after the first formatted and checked in worker processes, in batches:
    the same text, diff and verdict, in order."""
    monkeypatch.setattr(rewrite, "BATCH_SEGMENTS", batch)
    for path in [*all_files()[1:2], *FIXTURES[:6]]:  # a shared file when there is one
        for opts in (FormatOptions(), FormatOptions(target="2.1", line_ending="crlf")):
            one: list[str] = []
            two: list[str] = []
            d1: list[str] = []
            d2: list[str] = []
            diff1, diff2 = StreamDiff("a", "b", d1.append), StreamDiff("a", "b", d2.append)
            o1 = format_stream(iter_tunes(path), opts, one.append, diff1.segment)
            o2 = format_stream(iter_tunes(path), opts, two.append, diff2.segment, jobs=2)
            diff1.close()
            diff2.close()
            assert (one, d1, o1) == (two, d2, o2)


def test_jobs_report_a_refused_tune_as_one_process_does(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    real = Printer.tune

    def broken(self: Printer, text: str) -> list[str]:
        lines = real(self, text)
        return [ln.replace("G", "", 1) for ln in lines] if "T:Two" in text else lines

    monkeypatch.setattr(Printer, "tune", broken)
    monkeypatch.setattr(rewrite, "BATCH_SEGMENTS", 1)
    text = "".join(f"X:{n}\nT:{t}\nK:G\nGAB c2d|\n\n" for n, t in
                   enumerate(["One", "Two", "Three", "Two"], 1))
    path = tmp_path / "t.abc"
    path.write_text(text, encoding="utf-8")
    o1 = format_stream(iter_tunes(path), FormatOptions())
    o2 = format_stream(iter_tunes(path), FormatOptions(), jobs=2)
    assert o1 == o2 and [(d.code, d.line) for d in o1.diagnostics] == [
        ("ABC903", 6), ("ABC903", 16)]
