"""abcparse.parse(text): a Tunebook for any text, never an exception (docs/api.md: "Bad ABC
never raises"), and the lossless promise: ``to_text()`` gives the input back."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse

from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = ()  # parse(text) documents no exception


def test_one_input(data: bytes) -> None:
    text = text_of(data)
    book = abcparse.parse(text)
    if book.to_text() != text:
        raise AssertionError("to_text() does not give the input back")
    for tune in book.tunes:
        tune.reference  # noqa: B018 - the typed header properties must not raise either
        tune.key  # noqa: B018
        tune.meter  # noqa: B018
        tune.unit_length  # noqa: B018
        tune.parts  # noqa: B018


if __name__ == "__main__":
    main(test_one_input)
