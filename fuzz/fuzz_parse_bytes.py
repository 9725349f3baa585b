"""abcparse.api.parse_bytes(data): any bytes (any charset declaration, BOM, line ends,
undecodable bytes) give a Tunebook whose source gives the bytes back exactly."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    from abcparse.api import parse_bytes

from _harness import main

EXPECTED: tuple[type[BaseException], ...] = ()  # parse_bytes documents no exception


def test_one_input(data: bytes) -> None:
    book = parse_bytes(data)
    if book.source is not None and book.source.to_bytes() != data:
        raise AssertionError("source.to_bytes() does not give the bytes back")


if __name__ == "__main__":
    main(test_one_input)
