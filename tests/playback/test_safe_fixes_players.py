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


def _changed_tunes() -> list[tuple[str, str, str, list[abcjs_peer.Note]]]:
    """(id, abcjs text before, abcjs text after, engine notes) of every single-voice
    corpus tune a safe fix changed while the engine hears it the same."""
    out = []
    for label, path in peer.corpus_files(debian=True):
        text = read_source(path).text
        fixed = fix_text(text).text
        if fixed == text:
            continue
        old_book, new_book = abcparse.parse(text), abcparse.parse(fixed)
        assert len(old_book.tunes) == len(new_book.tunes), label
        for i, (old, new) in enumerate(zip(old_book.tunes, new_book.tunes, strict=True), 1):
            if old.text == new.text or len(old.voices) != 1:
                continue
            ours = abcjs_peer.our_notes(old)[0]
            assert abcjs_peer.our_notes(new)[0] == ours, f"{label}#{i}: the engine hears a change"
            out.append((f"{label}#{i}",
                        abcjs_peer.abcjs_input(old_book.header.text, old.text),
                        abcjs_peer.abcjs_input(new_book.header.text, new.text), ours))
    return out


def test_no_safe_fix_moves_abcjs_away_from_the_engine() -> None:
    changed = _changed_tunes()
    assert len(changed) > 1000  # irish.abc alone: every tune gets its 2.0 line breaks fixed
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
    assert brought > 100
