"""abcparse.check on text and on bytes, strict and loose: a list of diagnostics, never an
exception, and no rule crashing (ABC901 is the validator catching a rule's exception, a
bug it reports instead of raising: the fuzzer treats it as a crash)."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse

from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = ()  # check() documents no exception for input


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode = ("auto", "strict", "loose")[data[0] % 3]
    body = data[1:]
    found = abcparse.check(body, mode=mode) if data[0] & 4 else abcparse.check(
        text_of(body), mode=mode
    )
    crashed = [d for d in found if d.code == "ABC901"]
    if crashed:
        raise AssertionError(f"a validator rule crashed: {crashed[0].message[:300]}")


if __name__ == "__main__":
    main(test_one_input)
