"""The validator and playback agree because they read one engine (issue 12).

For a tune, the validator judges the bar lengths and the pitches of
:func:`abcparse.music.timeline` (its bar-duration rule and its tie rules read
``TuneContext.timeline``). These properties check that playback sounds exactly those:
in written order (no repeats unrolled), every played note starts where its bar starts,
counted from the validator's bar lengths, plus its place in the bar, and has the pitch the
validator gave it. They run on every tune the generator's constrained decoder accepts
(Hypothesis draws the characters it allows) and on the corpus tunes.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.events import perform
from abcparse.model import Decoration, FileHeader, Overlay, Tune, Tunebook
from abcparse.music import TuneTimeline
from abcparse.validate.context import FileContext, TuneContext
from tests.core.corpora import SHIPPED_IRISH, all_files, needs_shared


def validator_timeline(tune: Tune) -> TuneTimeline:
    """The timeline the validator's rules read for ``tune``."""
    book = Tunebook(FileHeader(), (tune,))
    ctx = TuneContext(tune, 0, FileContext(book, strict=True, mode="strict"), strict=True)
    return ctx.timeline


def comparable(tune: Tune) -> bool:
    """One voice, no overlay, no fermata: then playback lays the notes out exactly as
    written (a fermata lengthens its note in performance, as abc2midi does)."""
    if len(tune.voices) != 1:
        return False
    for bar in tune.voices[0].bars:
        for e in bar.elements:
            if isinstance(e, Overlay):
                return False
            if isinstance(e, Decoration) and e.name in ("fermata", "invertedfermata"):
                return False
    return True


def check_agreement(tune: Tune) -> int:
    """Assert the properties; returns how many notes were compared."""
    tl = validator_timeline(tune)
    vt = tl.voices[0]
    res = tl.resolution
    starts: list[int] = []
    t = 0
    for b in vt.bars:
        starts.append(t)
        t += b.ticks
    expected: dict[int, tuple[int, int]] = {}  # note offset -> (onset ticks, pitch)
    for item in vt.items:
        if item.layer:
            continue
        for note, pitch in zip(item.notes(), item.pitches, strict=True):
            expected[note.span.start] = (starts[item.bar] + item.onset, pitch)
    played = [n for n in perform(tune, unroll_repeats=False).notes if not n.grace]
    for n in played:
        onset, pitch = expected[n.span.start]
        assert n.pitch == max(0, min(127, pitch)), (n, pitch)
        assert n.onset == Fraction(4 * onset, res), (n, Fraction(4 * onset, res))
    return len(played)


def test_known_cases_agree() -> None:
    """Ties across bar lines, accidentals held in the bar, tuplets, broken rhythm,
    chords and an inline key change."""
    text = ("X:1\nT:t\nM:4/4\nL:1/8\nK:D\n"
            "^c2-c2 (3ABc d>e|[c2e2]f2 ^g2 g2|[K:F] B2 b2 B>B (3zBB|c8|]\n")
    tune = abcparse.parse(text).tunes[0]
    assert check_agreement(tune) == 18


@pytest.mark.parametrize("index", range(0, 804, 20))
def test_irish_tunes_agree(index: int) -> None:
    tune = abcparse.parse_file(SHIPPED_IRISH).tunes[index]
    if comparable(tune):
        assert check_agreement(tune) > 0


@pytest.mark.slow
@needs_shared()
def test_every_corpus_tune_agrees() -> None:
    compared = 0
    for path in all_files():
        for tune in abcparse.parse_file(path).tunes:
            if comparable(tune):
                check_agreement(tune)
                compared += 1
    assert compared > 2000


# --- tunes the constrained decoder accepts ---------------------------------------------

constrain = pytest.importorskip("abcparse.generator.constrain")
ALPHABET = sorted(set("ABCDEFGabcdefgz,'/234|:[]()<>\n ^_=") | {"(3"})


@st.composite
def decoder_tunes(draw: st.DrawFn) -> str:
    """A tune written character by character, each drawn among those the constrained
    decoder allows at that point (multi-character draws like "(3" fed one by one)."""
    meter = draw(st.sampled_from(["4/4", "6/8", "3/4", "2/4", "9/8"]))
    key = draw(st.sampled_from(["D", "G", "Ador", "Em", "F"]))
    text = f"X:1\nT:t\nM:{meter}\nL:1/8\nK:{key}\n"
    checker = constrain.TuneConstraint()
    assert checker.accepts(text)
    for _ in range(draw(st.integers(10, 160))):
        options = []
        for token in ALPHABET:
            trial = constrain.TuneConstraint.__new__(constrain.TuneConstraint)
            trial.__dict__.update(checker.__dict__)
            if trial.accepts(token):
                options.append(token)
        if not options:
            break
        token = draw(st.sampled_from(options))
        assert checker.accepts(token)
        text += token
    return text + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decoder_tunes())
def test_tunes_the_decoder_accepts_agree(text: str) -> None:
    book = abcparse.parse(text)
    for tune in book.tunes:
        if comparable(tune):
            check_agreement(tune)
