"""abcparse.format_str(text): the canonical text, or UnsafeFormattingError (documented:
the result would change the music, not be stable, or add a diagnostic); nothing else.
What it returns must be a fixed point (formatting it again changes nothing)."""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    import abcparse
    from abcparse.format.safety import UnsafeFormattingError

from _harness import main, text_of

EXPECTED: tuple[type[BaseException], ...] = (UnsafeFormattingError,)


def test_one_input(data: bytes) -> None:
    text = text_of(data)
    try:
        out = abcparse.format_str(text)
    except EXPECTED:
        return
    try:
        again = abcparse.format_str(out)
    except EXPECTED as e:
        raise AssertionError(f"formatted text refused when formatted again: {e}") from None
    if again != out:
        raise AssertionError("format_str is not idempotent on its own output")


if __name__ == "__main__":
    main(test_one_input)
