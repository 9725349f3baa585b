"""Shrink a crash input to a small one that fails the same way.

    python fuzz/minimize.py check WORKDIR/crashes/check/crash-... [-o min.abc]

Runs the harness's ``test_one_input`` in this process (no fuzzing) and removes lines, then
ever smaller runs of bytes, keeping each removal after which the input still raises the
same exception at the same place (type and innermost frame). Prints the minimal input
(``repr`` and as text) and writes it with ``-o``: the input for a regression test.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def signature(test: Callable[[bytes], None], data: bytes) -> str | None:
    """Exception type, message's first words and innermost frame, or None if it passes."""
    try:
        test(data)
    except Exception as e:  # the harness's own assertion errors included
        frame = traceback.extract_tb(e.__traceback__)[-1]
        words = " ".join(str(e).split()[:4])
        if isinstance(e, AssertionError):  # the harness quotes the inner failure
            words = " ".join(str(e).split(" at ")[0].split()[-6:])
        return f"{type(e).__name__}: {words} @ {Path(frame.filename).name}:{frame.lineno}"
    return None


def shrink(test: Callable[[bytes], None], data: bytes) -> bytes:
    want = signature(test, data)
    if want is None:
        raise SystemExit("the input does not fail")
    print(f"failure: {want}", file=sys.stderr)

    def still(candidate: bytes) -> bool:
        return signature(test, candidate) == want

    # Whole lines first (keeping the first byte: the control byte of some harnesses).
    lines = data.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        candidate = b"".join(lines[:i] + lines[i + 1 :])
        if len(lines) > 1 and still(candidate):
            lines.pop(i)
        else:
            i += 1
    data = b"".join(lines)
    size = max(1, len(data) // 2)
    while size >= 1:
        start = 0
        while start < len(data):
            candidate = data[:start] + data[start + size :]
            if candidate and still(candidate):
                data = candidate
            else:
                start += size
        size //= 2
    return data


def main() -> int:
    parser = argparse.ArgumentParser(prog="fuzz/minimize.py")
    parser.add_argument("harness", help="parse, parse_bytes, check, format, repair, events,"
                        " midi or model")
    parser.add_argument("input", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(f"fuzz_{args.harness}")
    small = shrink(module.test_one_input, args.input.read_bytes())
    print(repr(small))
    print(small.decode("utf-8", errors="backslashreplace"))
    if args.output:
        args.output.write_bytes(small)
    return 0


if __name__ == "__main__":
    sys.exit(main())
