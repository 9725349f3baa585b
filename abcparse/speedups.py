"""The optional compiled loops of the parser (``abcparse/_speedups.c``, issue 16).

``setup.py`` builds the extension when a C compiler is there; without one the install
goes on and the parser runs in pure Python, with the same results. The environment
variable ``ABCPARSE_PURE=1`` (read at import) turns the compiled loops off, for
comparisons and for the tests that hold the two paths to the same model
(``tests/core/test_speedups.py``). This module is the one place that imports the
extension; the parser, builder, model and splitter read its names here, each None on the
pure path.

What it does, and why only that: half of a tunebook's tokens are notes, and in pure
Python each costs a regex match object and a trip through the builder's loop to read it
back. ``scan`` and ``read_token`` read a music line's notes, spaces, quoted texts and bar
lines without the regex (every other token through the same regex as before);
``take_run`` makes their Note objects, chord symbols and closing bar lines; ``Maker`` is
the constructor of the model's slotted classes (``model.fast_constructor``), one call
where the Python one calls each slot's descriptor; ``block_cuts`` and
``tune_piece`` are the splitter's passes over every line of a tunebook, which
``read_headers`` pays in full, and ``header_line`` reads a line of a tune's header, most
of what ``read_headers`` reads; ``token_end`` serves the tests. A full parse takes about
half the time (README, Speed).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

scan: Callable[..., int] | None = None
take_run: Callable[..., tuple[int, int]] | None = None
token_end: Callable[[str, int, int], int] | None = None
read_token: Callable[[str, int, bytes], int] | None = None
block_cuts: Callable[
    [str, bool, bool], tuple[list[tuple[int, bool, int, bool]], int, bool, bool, bool]
] | None = None
tune_piece: Callable[[str], tuple[int, int]] | None = None
header_line: Callable[[str, int], tuple[int, int, int, int, int] | None] | None = None
Maker: Callable[..., Callable[..., Any]] | None = None

if not os.environ.get("ABCPARSE_PURE"):
    # Not built (no C compiler at install): the pure-Python path.
    with contextlib.suppress(ImportError):
        from ._speedups import (
            Maker,
            block_cuts,
            header_line,
            read_token,
            scan,
            take_run,
            token_end,
            tune_piece,
        )


def active() -> bool:
    """Whether the compiled loops are in use."""
    return scan is not None


__all__ = ["Maker", "active", "block_cuts", "header_line", "read_token", "scan",
           "take_run", "token_end", "tune_piece"]
