"""Differential test against abc2midi (see ``peer.py`` for how the two sides are compared).

Every single-voice tune of ``corpus/irish.abc`` and of the Nottingham Music Database (as
published and as cleaned up, the two folders of ``../shared/corpus/nottingham``) must
sound the same as abc2midi's MIDI file (pitch, onset and duration of every note, grace
notes left out), or be listed in ``tests/fixtures/abc2midi_playback_differences.json``
under a kind of difference with the section of ABC 2.1 that decides it. A listed tune that
has become equal fails too, so the list stays true. The default run compares a fixed
sample of about 50 tunes; ``-m slow`` compares all of them and prints the share.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from . import peer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "abc2midi_playback_differences.json"
SAMPLE_SIZE = 50  # tunes compared in the default suite

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(peer.ABC2MIDI is None, reason="abc2midi is not installed"),
]


@cache
def known() -> dict[str, object]:
    data: dict[str, object] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@cache
def corpus() -> tuple[peer.CorpusTune, ...]:
    return tuple(peer.corpus_tunes())


def check(tunes: list[peer.CorpusTune]) -> tuple[int, list[str]]:
    """Compare; (equal count, problems: unexplained differences and stale entries)."""
    listed: dict[str, str] = known()["tunes"]  # type: ignore[assignment]
    kinds: dict[str, dict[str, str]] = known()["kinds"]  # type: ignore[assignment]
    problems = []
    equal = 0
    for r in peer.run(tunes):
        kind = listed.get(r.id)
        if r.equal:
            equal += 1
            if kind is not None:
                problems.append(f"{r.id}: now equal to abc2midi; remove it from {FIXTURE.name}")
        elif kind is None:
            problems.append(f"{r.id}: differs from abc2midi and is not listed: {r.detail}")
        elif kind not in kinds:
            problems.append(f"{r.id}: listed under unknown kind {kind!r}")
    return equal, problems


def test_fixture_lists_kinds_with_their_sections() -> None:
    kinds: dict[str, dict[str, str]] = known()["kinds"]  # type: ignore[assignment]
    listed: dict[str, str] = known()["tunes"]  # type: ignore[assignment]
    for name, kind in kinds.items():
        assert kind["section"].startswith("§"), name
        assert kind["what"] and kind["abcparse"] and kind["abc2midi"], name
    assert set(listed.values()) <= set(kinds)
    assert set(kinds) <= set(listed.values()), "a kind with no tune left: remove it"


def test_sample_of_the_corpus_sounds_like_abc2midi() -> None:
    tunes = list(corpus())
    if not tunes:
        pytest.skip("corpus files not found")
    # About 50 tunes spread over whatever corpus is there (the shipped Irish file alone when
    # the shared Nottingham files are absent).
    sample = tunes[:: max(1, len(tunes) // SAMPLE_SIZE)]
    assert len(sample) >= 40
    equal, problems = check(sample)
    assert not problems, "\n".join(problems)
    assert equal >= 0.9 * len(sample)


@pytest.mark.slow
def test_whole_corpus_sounds_like_abc2midi(record_property: pytest.RecordProperty) -> None:
    tunes = list(corpus())
    if len(tunes) < 1000:
        pytest.skip("the Nottingham files are not there")
    equal, problems = check(tunes)
    share = equal / len(tunes)
    record_property("abc2midi_equal_share", round(share, 4))
    print(f"\nabc2midi: {equal}/{len(tunes)} tunes equal ({100 * share:.2f}%)")
    assert not problems, "\n".join(problems)
    measured = known()["measured"]
    assert equal == measured["equal"], f"{equal}/{len(tunes)}; fixture says {measured}"  # type: ignore[index]
