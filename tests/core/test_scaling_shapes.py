"""Hostile shapes (issue 15, item 4; timed by benchmarks/scaling.py, never here): big
inputs give the right results, a huge tune's tokens are released as it is built, and the
cyclic garbage collector does not walk the heap while one tune is built or read.

No timing thresholds: the checks count collections and compare peak with retained memory
(tracemalloc, deterministic for a given Python)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import pytest

import abcparse
from abcparse.events import perform
from abcparse.gcpause import paused_gc
from abcparse.limits import MAX_FINDINGS_PER_CODE
from abcparse.midi import midi_bytes

HEADER = "X:1\nT:big\nM:4/4\nL:1/8\nK:D\n"
BARS = 2000  # 8 notes a bar: a 16,000-note line (§4: a music line may be any length)
LINE = HEADER + "GABc dedB|" * BARS + "\n"


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that starts while the test runs. The heap is
    collected first: what earlier tests of the worker left would otherwise make a full
    collection due at the test's first allocation, before any tune is read (a collection
    the parse's pause cannot be asked to prevent)."""
    gc.collect()
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_one_huge_line_has_every_note_and_round_trips() -> None:
    tune = abcparse.parse(LINE).tunes[0]
    bars = tune.voices[0].bars
    assert len(bars) == BARS
    assert sum(isinstance(e, abcparse.Note) for b in bars for e in b.elements) == 8 * BARS
    assert bars[-1].elements[-1].span.end == len(LINE) - 2  # the last B, before "|\n"
    assert len(perform(tune).notes) == 8 * BARS


def test_long_runs_and_open_groups_parse_whole() -> None:
    """Tie, tuplet and broken-rhythm runs and a chord of 1,200 notes: each element kept."""
    runs = {
        "a-" * 3000 + "a": 3001,
        "(3abc " * 1000: 3000,
        "a>b>" * 1000 + "c": 2001,
        "[" + "CEGcegc'e'g'" * 133 + "]": 1,
    }
    for body, notes in runs.items():
        tune = abcparse.parse(HEADER + body + "\n").tunes[0]
        elements = [e for b in tune.voices[0].bars for e in b.elements]
        assert sum(isinstance(e, abcparse.Note | abcparse.Chord) for e in elements) == notes
    chord = next(e for e in elements if isinstance(e, abcparse.Chord))
    assert len(chord.notes) == 9 * 133


def _parse_traced(text: str) -> tuple[abcparse.Tunebook, int, int]:
    """The parse of ``text``, and the memory it retains and its peak (tracemalloc)."""
    abcparse.parse(HEADER + "abc|\n")  # the parser built outside the measure
    tracemalloc.start()
    try:
        book = abcparse.parse(text)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return book, retained, peak


def test_huge_line_tokens_are_released_as_it_is_built() -> None:
    """The line's tokens are never all alive at once: past its first kilobyte a line's
    tokens are kept as one int each (parser.TokenRun) and made into match objects a few
    at a time as the builder reads them. The parse's peak is about the model it returns,
    not the model plus every token (it was 1.8x; a match object costs about 200 bytes, a
    note about 110)."""
    book, retained, peak = _parse_traced(LINE)
    assert book.tunes[0].voices[0].bars
    assert peak < 1.3 * retained, (peak, retained)


def test_a_long_tune_of_short_lines_does_not_hold_all_its_tokens() -> None:
    """A tune is tokenized whole before it is built; past parser.TUNE_KEEP characters
    each further line keeps only its first token as a match object. A tune of short lines
    with an open quote on each (a token per character) peaked at 207 bytes per input byte
    with a model of 24; the test's 570 kB tune now peaks at about 61 (the tokens of the
    tune's first 16 kB, and a TokenRun per line)."""
    line = 'ab"open annotation cde fga\n'
    text = HEADER + line * 21000
    book, retained, peak = _parse_traced(text)
    assert len(book.tunes[0].diagnostics) == MAX_FINDINGS_PER_CODE + 1  # one code, counted
    assert retained < 30 * len(text), retained / len(text)
    assert peak < 70 * len(text), peak / len(text)


def test_diagnostics_in_order_are_not_sorted_again() -> None:
    """A finding on every token (`[A[A[A...`: 131,000 findings in 256 kB) kept a Span of
    six ints per finding and a key tuple per finding while they were sorted: a peak of
    336 bytes per input byte. Findings keep a packed span, as the elements do, and a list
    already in order is checked pairwise instead of sorted. (A tune lists at most
    MAX_FINDINGS_PER_CODE of one code: sixty tunes of that many.)"""
    text = "".join(HEADER.replace("X:1", f"X:{i + 1}") + "[A" * MAX_FINDINGS_PER_CODE + "\n\n"
                   for i in range(60))
    book, retained, peak = _parse_traced(text)
    assert len(book.diagnostics) >= 60 * MAX_FINDINGS_PER_CODE
    assert peak < 1.1 * retained, (peak, retained)
    assert peak < 240 * len(text), peak / len(text)


def test_a_huge_line_keeps_about_a_hundred_bytes_per_input_byte() -> None:
    """Memory of the model of one long line (deterministic under tracemalloc): it was
    about 200 bytes per input byte, a Span tuple and its ints per note (the compact
    model: tests/core/test_compact_model.py)."""
    text = HEADER + "|:GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA:|" * 3000 + "\n"
    book, retained, peak = _parse_traced(text)
    assert len(book.tunes[0].voices[0].bars) == 12000
    assert retained < 130 * len(text), retained / len(text)
    assert peak < 150 * len(text), peak / len(text)


def test_no_full_collection_while_a_big_tune_is_built(collections: list[int]) -> None:
    """Tens of thousands of objects, and the collector stays paused while one tune is
    built, read into its timeline, checked and performed (abcparse.gcpause): no heap walk
    (a generation-2 collection) in the middle of a tune."""
    tune = abcparse.parse(LINE).tunes[0]
    abcparse.check(LINE)
    perform(tune)
    midi_bytes(tune)
    assert 2 not in collections, collections
    assert gc.isenabled()


def test_paused_gc_nests_and_keeps_a_caller_disabled_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one did not turn it back on
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # never enabled behind the caller's back
    finally:
        gc.enable()
    with pytest.raises(ValueError), paused_gc():
        raise ValueError
    assert gc.isenabled()  # back on after an exception


def test_paused_gc_as_a_decorator_pauses_each_call() -> None:
    seen: list[bool] = []

    @paused_gc()
    def work(depth: int) -> int:
        seen.append(gc.isenabled())
        return depth if depth == 0 else work(depth - 1) + 1

    assert work(2) == 2  # nested calls of one decorated function
    assert seen == [False, False, False]
    assert gc.isenabled()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_spans_that_share_their_ends_are_still_exact() -> None:
    """Adjacent tokens' spans share their column and offset objects (build.TuneBuilder.span):
    every element's line and column still follow from its offsets, also for the first
    token of a line, which starts where the last line's end-of-line ended."""
    body = "a-a-(3abc|a>b[CEG]\nd2-d|\"Am\"e!trill!f\\\ng>>a ga|]\nx4|\n"
    text = HEADER + body
    tune = abcparse.parse(text).tunes[0]
    seen = 0
    for bar in tune.voices[0].bars:
        items: list[object] = [*bar.elements, *([bar.closing] if bar.closing else [])]
        for e in items:
            span = e.span  # type: ignore[attr-defined]
            assert (span.line, span.col) == _line_col(text, span.start), e
            if span.end_line == span.line and span.end > span.start:
                line, col = _line_col(text, span.end - 1)
                assert (span.end_line, span.end_col) == (line, col + 1), e
            seen += 1
    assert seen > 20
