"""Repair on hostile shapes (issue 15) stays linear: no whole-tune parse per fix or per
element, no pass over every finding per finding, and a tune too big to repair is said to
be so. Counts of the expensive calls, not timings (the project's rule)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import abcparse.api
from abcparse import fileio
from abcparse.diagnostics import Diagnostic, Severity, Span
from abcparse.format import music_fixers, repair
from abcparse.format.fixers import Edit, FixContext
from abcparse.format.repair import fix_text, repair_text
from abcparse.music.timeline import read_bar

HEAD = "X:1\nT:Hostile\nM:4/4\nL:1/8\nK:C\n"


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = abcparse.api.parse

    def counting(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(abcparse.api, "parse", counting)
    monkeypatch.setattr(repair, "parse", counting)
    return calls


def test_withdrawn_fixes_are_found_by_halving_not_one_parse_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 unterminated annotations: every safe fix changes the music. The guard once
    parsed the tune once per fix (2,000 parses); now a bounded number."""
    text = HEAD + "\n".join('A "unterminated B c' for _ in range(2000)) + "\n"
    calls = _count_parses(monkeypatch)
    r = fix_text(text)
    assert r.text == text
    assert r.repair.withdrawn()
    assert calls[0] <= 2 * repair.GUARD_CHECKS + 20 + repair.GUARD_CHARS // len(text)


def _one_by_one(self: repair._Guard, full: str, groups: list[list[Edit]], rnd: int,
                base: int, withdrawn: list[repair.Withdrawn]) -> list[list[Edit]]:
    """The guard as it was: each group tried alone when the round's fail together."""
    def key(g: list[Edit]) -> tuple[tuple[int, int, str], ...]:
        return tuple((e.start, e.end, e.new) for e in g)

    groups = [g for g in groups if key(g) not in self.refused]
    if not groups:
        return []
    together, _ = repair._apply(full, [e for g in groups for e in g])
    if self.same(together, base) is None:
        return groups
    kept = []
    for g in groups:
        alone, _ = repair._apply(full, list(g))
        reason = self.same(alone, base)
        if reason is None:
            kept.append(g)
        else:
            self.refused.add(key(g))
            withdrawn.append(repair.Withdrawn(g[0].code, g[0].why, g[0].start - base, reason,
                                              rnd))
    if kept:
        together, _ = repair._apply(full, [e for g in kept for e in g])
        if self.same(together, base) is not None:
            return []
    return kept


@pytest.mark.parametrize("body", [
    'A "open B c|\nd e f g|\n' * 3 + "abc d!!ef|\n",
    "A !trill B c +fermata d\n" * 5 + 'A "unterminated B c\n' * 5,
    'ab "C" c|(3abc d2 e|\n"G d e|f>g a2 b2 c|\n' * 4,
])
def test_withdrawn_fixes_are_the_same_as_one_by_one(
        body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Halving keeps and withdraws the same fixes as trying each alone."""
    text = HEAD + body
    new = fix_text(text)
    monkeypatch.setattr(repair._Guard, "keep", _one_by_one)
    old = fix_text(text)
    assert new.text == old.text
    assert new.repair.withdrawn() == old.repair.withdrawn()


def test_a_bar_of_tuplets_is_not_read_once_per_tuplet(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    real = read_bar

    def counting(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(music_fixers, "read_bar", counting)
    text = HEAD + "(3abc" * 1000 + "|\n"
    r = fix_text(text)
    assert r.text == text  # no safe fix for it
    assert calls[0] <= 60


def test_blocked_agrees_with_a_pass_over_every_finding() -> None:
    book = abcparse.api.parse(HEAD + "abc|\n" * 50)
    tune = book.tunes[0]
    rng = random.Random(13)
    codes = ["ABC102", "ABC204", "ABC301", "ABC312"]
    diags = []
    for _ in range(200):
        line = rng.randint(1, 60)
        start = rng.randint(0, tune.span.end + 20)
        diags.append(Diagnostic(rng.choice(codes), "m", Span(line, 1, line, 2, start,
                                                               start + 1), Severity.ERROR))
    ctx = FixContext(book.text if hasattr(book, "text") else "", book, 0, True)
    ctx.diagnostics = diags
    for _ in range(300):
        wanted = frozenset(rng.sample(codes, rng.randint(1, 3)))
        lo = rng.randint(0, 60)
        lines = None if rng.random() < 0.3 else (lo, lo + rng.randint(0, 2))
        end = max(tune.span.end, tune.span.start + 1)
        naive = any(d.code in wanted and tune.span.start <= d.span.start < end
                    and (lines is None or lines[0] <= d.span.line <= lines[1])
                    for d in diags)
        assert ctx.blocked(tune, wanted, lines) == naive


def test_a_tune_too_long_to_repair_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "A !trill B c +fermata d\n" * 10
    assert fix_text(text).changed
    monkeypatch.setattr(repair, "REPAIR_CHARS", len(text) - 1)
    r = repair_text(text, warnings=True)
    assert r.text == text
    [(_, _, w)] = r.withdrawn()
    assert "too long to repair" in w.reason and f"{len(text):,}" in w.reason


def test_a_long_tune_gets_fewer_rounds_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """One line of 700 notes and no bar line: one bar line a round; with the rounds cut
    to one by the tune's length, one bar line, and the reason."""
    text = HEAD + ("abcd efga " * 70) + "\n"
    full = fix_text(text)
    monkeypatch.setattr(repair, "REPAIR_CHARS", len(text) + 1)
    r = fix_text(text)
    assert len(r.repair.edits) == 1 < len(full.repair.edits)
    assert r.repair.edits[0] == full.repair.edits[0]
    assert any("repair stopped after 1 round" in w.reason for _, _, w in r.repair.withdrawn())


def test_an_x_number_of_5000_digits_gets_a_fresh_number() -> None:
    text = "X:" + "9" * 5000 + "\nT:Big X\nK:C\nabc|\n"
    r = fix_text(text)
    assert r.text.startswith("X:1\n") and not r.repair.failures


def test_many_writes_fsync_each_file_once_and_the_folder_rarely(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    real = os.fsync

    def counting(fd: int) -> None:
        calls[0] += 1
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    fileio.sync_folders()
    calls[0] = 0
    for i in range(40):
        fileio.atomic_write_bytes(tmp_path / f"{i}.mid", b"x%d" % i)
        assert (tmp_path / f"{i}.mid").read_bytes() == b"x%d" % i
    assert 40 <= calls[0] <= 45
    fileio.sync_folders()  # what exit does: the folder's rename made durable
    assert not fileio._UNSYNCED
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(fileio.TEMP_SUFFIX)]


def test_tunes_not_parted_by_empty_lines_are_repaired_one_by_one() -> None:
    """A file whose tunes follow each other with no empty line (common in scraped and
    generated collections) was repaired as one part the size of the file: one tune whose
    fix changes the music failed the whole round, and the guard's budget, spread over
    thousands of fixes, withdrew every fix of every tune ("too many to check each
    alone"). Now the empty lines come first (ABC211), then each tune is its own part:
    only the one bad fix is withdrawn."""
    good = "X:{n}\nT:Reel {n}\nM:4/4\nL:1/8\nK:D\nABcd efga|[2 bagf e4|]\n"
    # Deleting this tune's stray ending mark would change what plays (the guard says so).
    bad = ("X:{n}\nT:Reel {n}\nM:4/4\nL:1/8\nK:D\n"
           "d2e2 f2g2||d2c2 B2A2|B2A2 e2e2:||2 B2c2 d2B2|A2B2 d2e2:|\n")
    tunes = [(bad if n == 150 else good).format(n=n) for n in range(1, 301)]
    text = "".join(tunes)
    r = fix_text(text)
    withdrawn = [w for _, _, w in r.repair.withdrawn()]
    assert [w.code for w in withdrawn] == ["ABC303"], withdrawn
    assert "too many" not in withdrawn[0].reason
    after = abcparse.api.parse(r.text)
    assert len(after.tunes) == 300
    codes = {d.code for d in after.diagnostics}
    assert "ABC211" not in codes  # every tune now ends with an empty line
    # Every good tune lost its stray [2 (a safe fix: it plays the same).
    assert r.text.count("[2") == 0
    assert r.text.count(":||2") == 1


def _walk_back(done: list[Edit], pos: int, left: bool) -> int:
    """The reference: walk the edits of a round in order (what input_span did per edit,
    quadratic over a round of thousands of edits)."""
    shift = 0
    for e in done:
        new_start = e.start + shift
        new_end = new_start + len(e.new)
        if pos < new_start or (pos == new_start and left):
            return pos - shift
        if pos < new_end or (pos == new_end and not left and e.new):
            return e.start if left else e.end
        shift += len(e.new) - (e.end - e.start)
    return pos - shift


def test_positions_map_back_through_a_round_as_the_walk_does() -> None:
    """Edits of later rounds are placed in the input through each earlier round's edits;
    the map bisects instead of walking them (``|:A|[1 B|[2 c`` x 20,000 under ``--fix``
    took over a minute, most of it there). Same answers as the walk, on random rounds."""
    rng = random.Random(12)
    for _ in range(2000):
        edits, at = [], 0
        for _ in range(rng.randint(0, 8)):
            at += rng.randint(0, 3)
            width = rng.randint(0, 3)
            edits.append(Edit(at, at + width, "x" * width, "y" * rng.randint(0, 3),
                              "ABC000", "", 1))
            at += width
        rng.shuffle(edits)
        mapped = repair._BackMap(edits)
        done = sorted(edits, key=lambda e: (e.start, e.end))
        for pos in range(at + 8):
            for left in (True, False):
                assert mapped.back(pos, left) == _walk_back(done, pos, left)
