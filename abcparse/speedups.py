"""The optional compiled note loops (``abcparse/_speedups.c``, issue 16).

``setup.py`` builds the extension when a C compiler is there; without one the install
goes on and the parser runs in pure Python, with the same results. The environment
variable ``ABCPARSE_PURE=1`` (read at import) turns the compiled loops off, for
comparisons and for the tests that hold the two paths to the same model
(``tests/core/test_speedups.py``).

What the module does, and why only that: half of a tunebook's tokens are notes, and in
pure Python each costs a regex match object and a trip through the builder's loop to read
it back. The compiled ``scan`` reads a music line's notes without the regex (every other
token through the same regex as before) and ``take_notes`` makes their Note objects. On
the Nottingham and Irish files that is about a fifth of a full parse.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

scan: Callable[..., int] | None = None
take_run: Callable[..., tuple[int, int]] | None = None
token_end: Callable[[str, int, int], int] | None = None
read_token: Callable[[str, int, bytes], int] | None = None
tune_block_end: Callable[[str], int] | None = None
has_empty_line: Callable[[str, int, int], bool] | None = None
Maker: Callable[..., Callable[..., object]] | None = None

if not os.environ.get("ABCPARSE_PURE"):
    # Not built (no C compiler at install): the pure-Python path.
    with contextlib.suppress(ImportError):
        from ._speedups import (
            Maker,
            has_empty_line,
            read_token,
            scan,
            take_run,
            token_end,
            tune_block_end,
        )


def active() -> bool:
    """Whether the compiled loops are in use."""
    return scan is not None


__all__ = ["Maker", "active", "has_empty_line", "read_token", "scan", "take_run",
           "token_end", "tune_block_end"]

