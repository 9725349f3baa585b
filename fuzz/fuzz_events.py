"""abcparse.events.perform(tune) and Tune.events(): timed notes for any tune that parses,
with both grace modes and with and without repeats unrolled."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse
    from abcparse.events import perform

from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = ()  # perform documents AbcUsageError only for
# a bad ``grace`` or ``voice``, which the harness never passes


def test_one_input(data: bytes) -> None:
    if not data:
        return
    grace = ("steal", "ignore")[data[0] & 1]
    unroll = not data[0] & 2
    book = abcparse.parse(text_of(data[1:]))
    for tune in book.tunes[:3]:
        performance = perform(tune, grace=grace, unroll_repeats=unroll)
        for note in performance.notes:
            if not 0 <= note.pitch <= 127 or note.duration < 0:
                raise AssertionError(f"note out of range: {note.pitch}, {note.duration}")


if __name__ == "__main__":
    main(test_one_input)
