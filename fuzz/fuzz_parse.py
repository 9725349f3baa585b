"""abcparse.parse(text): a Tunebook for any text, never an exception (docs/api.md: "Bad ABC
never raises"), and the lossless promise: ``to_text()`` gives the input back. The other
readers of a text agree with it: ``read_headers`` gives each tune's header, ``iter_tunes``
the same tunes (each reads the text its own way: a header reader that stopped at a line
the parse reads on lost a tune's key)."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse
    from abcparse.api import _is_text

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
    if not _is_text(text):
        return  # read_headers and iter_tunes take a string without a line end for a path
    if list(abcparse.read_headers(text, mode="auto")) != [t.header for t in book.tunes]:
        raise AssertionError("read_headers disagrees with parse")
    streamed = list(abcparse.iter_tunes(text))
    if streamed != list(book.tunes) or [t.span for t in streamed] != [t.span for t in book.tunes]:
        raise AssertionError("iter_tunes disagrees with parse")


if __name__ == "__main__":
    main(test_one_input)
