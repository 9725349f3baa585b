"""What every harness shares: how fuzz bytes become input, and how an input is judged.

A harness calls one public entry point of abcparse on each input the fuzzer makes. The
project's promise is that bad input never raises: a harness lets through only the
exceptions that the entry point's documentation names (``EXPECTED``), so anything else
(``ValueError``, ``RecursionError``, ``struct.error`` ...) is a crash that libFuzzer
reports, with the input saved as a ``crash-*`` file (see run.py).

Instrumentation: the harness imports abcparse inside ``atheris.instrument_imports`` so the
fuzzer sees which branches of abcparse an input reaches and keeps the inputs that reach
new ones.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def text_of(data: bytes) -> str:
    """Fuzz bytes as the text of an ABC file: UTF-8, with any byte that is not valid UTF-8
    kept as a lone surrogate, exactly as abcparse decodes a file (so the text harnesses
    see what ``parse_file`` would hand on, bad bytes included)."""
    return data.decode("utf-8", errors="surrogateescape")


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Run the fuzzer (libFuzzer flags in ``sys.argv``, see run.py)."""
    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
