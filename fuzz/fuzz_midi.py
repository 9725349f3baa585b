"""abcparse.to_midi / midi_bytes: a Standard MIDI File for any tune that parses, or
AbcLimitError (documented: a tune beyond what a MIDI file holds, docs/playback.md). The
file is read back with mido, as any other program would."""

from __future__ import annotations

import io

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse
    from abcparse.errors import AbcLimitError
    from abcparse.events import perform
    from abcparse.midi import midi_bytes

import mido
from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = (AbcLimitError,)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    grace = ("steal", "ignore")[data[0] & 1]
    book = abcparse.parse(text_of(data[1:]))
    for tune in book.tunes[:2]:
        performance = perform(tune, grace=grace, unroll_repeats=not data[0] & 2)
        try:
            smf = midi_bytes(performance)
        except EXPECTED:
            continue
        midi = mido.MidiFile(file=io.BytesIO(smf), charset="utf-8")
        if len(midi.tracks) != len(performance.tracks) + 1:
            raise AssertionError("track count does not match the performance")


if __name__ == "__main__":
    main(test_one_input)
