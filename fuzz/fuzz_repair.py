"""abcparse.repair(tune): a RepairResult for any tune ("Never raises for bad ABC"), strict
and loose; the repaired text parses again."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse

from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = ()  # repair documents AbcUsageError only for a
# bad ``target``, which the harness never passes


def test_one_input(data: bytes) -> None:
    if not data:
        return
    target = ("strict", "loose", "auto")[data[0] % 3]
    book = abcparse.parse(text_of(data[1:]))
    for tune in book.tunes[:3]:
        result = abcparse.repair(tune, target=target, warnings=bool(data[0] & 4))
        abcparse.parse(result.text)


if __name__ == "__main__":
    main(test_one_input)
