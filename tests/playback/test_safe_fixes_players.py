"""Safe fixes judged by an outside player: ``abc-lint --fix`` on every corpus tune never
moves abcjs 6.7.2 away from the music as the engine reads it.

A safe fix keeps the music as the engine reads it (the repair checks that itself). That
alone would let a fix change what people hear in a player that reads the original text the
engine's way. So for every tune whose text a safe fix changed, abcjs plays the text before
and after: where its (onset, pitch) list changes, the fix must bring abcjs to the engine's
reading or closer to it (its first departure from the engine later than before), or leave
its first departure where it was, never move it earlier. ``benchmarks/fix_corpus.py``
makes the same check with abc2midi as well, and on any collection (``--files``).

Skipped where Node or ``node_modules/abcjs`` is missing (``npm ci`` installs it).
"""

from __future__ import annotations

import pytest

import abcparse
from abcparse.format import read_source
from abcparse.format.repair import fix_text

from . import abcjs_peer, peer

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(not abcjs_peer.available(), reason="node or node_modules/abcjs missing"),
]


def _changed_tunes(step: int) -> list[tuple[str, str, str, list[abcjs_peer.Note]]]:
    """(id, abcjs text before, abcjs text after, engine notes) of every ``step``-th
    single-voice corpus tune, fixed as abcjs reads it (the file header, then the tune),
    where a safe fix changed its text while the engine hears it the same."""
    out = []
    k = 0
    for label, path in peer.corpus_files(debian=True):
        book = abcparse.parse(read_source(path).text)
        for i, tune in enumerate(book.tunes, 1):
            if len(tune.voices) != 1:
                continue
            k += 1
            if k % step:
                continue
            text = abcjs_peer.abcjs_input(book.header.text, tune.text)
            fixed = fix_text(text).text
            if fixed == text:
                continue
            old, new = abcparse.parse(text).tunes, abcparse.parse(fixed).tunes
            assert len(old) == len(new) == 1, f"{label}#{i}"
            ours = abcjs_peer.our_notes(old[0])[0]
            assert abcjs_peer.our_notes(new[0])[0] == ours, f"{label}#{i}: the engine hears it"
            out.append((f"{label}#{i}", text, fixed, ours))
    return out


# The default run fixes and plays every third tune; `-m slow` all of them.
@pytest.mark.parametrize("step", [pytest.param(1, marks=pytest.mark.slow, id="every-tune"),
                                  pytest.param(3, id="every-third-tune")])
def test_no_safe_fix_moves_abcjs_away_from_the_engine(step: int) -> None:
    changed = _changed_tunes(step)
    # irish.abc alone: every tune gets its 2.0 line breaks fixed
    assert len(changed) > 1000 // step
    played = abcjs_peer.run_abcjs([t for _, old, new, _ in changed for t in (old, new)])
    brought = 0
    away = []
    for k, (tid, _, _, ours) in enumerate(changed):
        was_played, now_played = played[2 * k], played[2 * k + 1]
        if now_played.error:
            assert was_played.error, f"{tid}: abcjs fails on the fixed text only"
            continue
        if was_played.error:
            continue  # abcjs failed on the text as written, and plays the fixed one
        was = abcjs_peer.their_notes(was_played)[0]
        now = abcjs_peer.their_notes(now_played)[0]
        if abcjs_peer.first_difference(was, now) is None:
            continue
        was_at = abcjs_peer.first_difference(ours, was)
        now_at = abcjs_peer.first_difference(ours, now)
        verdict = peer.departure_verdict(was_at, now_at)
        if verdict in ("to", "closer"):
            brought += 1
        elif verdict == "away":
            away.append(f"{tid}: first departure from the engine {was_at} -> {now_at}")
    assert away == []
    # The check can fail: the fixes do change what abcjs plays, always toward the engine.
    assert brought > 100 // step
