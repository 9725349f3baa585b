"""Bounds on what a model folder or a ``--config`` may hold, checked before anything is spent.

A model folder is data a user may download from anywhere; a ``--config`` is text typed on a
command line. Either can be hostile or just broken, and neither may cost more than a few
seconds and a few hundred megabytes to refuse, or produce an error message longer than a
line. So: files are read only up to a size cap, JSON is refused before parsing when it nests
deeper than any real file does (Python's parser recurses and raised ``RecursionError`` on
200,000 ``[``) or holds numbers of thousands of digits (``int()`` raised ``ValueError`` past
4,300), model sizes are bounded before shapes are computed or arrays allocated, and every
error message is cut to :data:`MAX_MESSAGE` characters.

NumPy-free and TensorFlow-free: the config and the vocabulary use it too.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

#: Longest error message, in characters; longer ones are cut with "...".
MAX_MESSAGE = 400
#: Deepest JSON nesting accepted (a config is 1 deep, a vocabulary 2, a manifest 3-4).
MAX_JSON_DEPTH = 32
#: Digits of a JSON integer (a 64-bit int has 19).
MAX_JSON_DIGITS = 19

#: Largest LSTM stack, layer and embedding, and the parameters of a whole model (the
#: embedding, every LSTM and the output layer): 50 million, 200 MB in float32. The shipped
#: model has 1.2 million; measured configs go up to 5.4 million.
MAX_LSTM_LAYERS = 8
MAX_UNITS = 8192
MAX_COPY_HEADS = 16
MAX_EMBEDDING_DIM = 8192
MAX_PARAMETERS = 50_000_000
#: Characters in a vocabulary (ABC corpora use about a hundred).
MAX_VOCAB_CHARS = 10_000
#: Training sizes: the batch, the characters per training row, epochs and patience.
MAX_BATCH_SIZE = 4096
MAX_MAX_LEN = 65_536
MAX_EPOCHS = 100_000


class LimitError(ValueError):
    """A value beyond one of these bounds (the message is one short line)."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(message))


def clip(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` on one line and at most ``limit`` characters: error messages echo the
    user's input (a file name, a JSON value), which may be megabytes long or hold line
    breaks."""
    one_line = message if "\n" not in message and "\r" not in message else (
        re.sub(r"[\r\n]+", " ", message)
    )
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def _int_parser(max_digits: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        digits = len(text) - (text[0] == "-")
        if digits > max_digits:
            raise LimitError(f"a number of {digits:,} digits (at most {max_digits})")
        return int(text)

    return parse


def _no_constant(name: str) -> Any:
    raise LimitError(f"{name} is not a number JSON allows")


# A backslash escape, a quote or a bracket: all json_depth needs to see. (A regex that
# matches whole strings instead backtracks quadratically on input such as '"\\"\\"\\"...'.)
_TOKEN_RE = re.compile(r'\\.|["\[\]{}]', re.S)


def json_depth(text: str, stop: int | None = None) -> int:
    """How deep the arrays and objects of ``text`` nest (brackets inside strings do not
    count), in linear time and without recursion; scanning stops once ``stop`` is
    passed."""
    depth = top = 0
    in_string = False
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        if len(token) == 2:  # an escape: skipped, inside a string or (invalid) outside
            continue
        if token == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif token in "[{":
            depth += 1
            if depth > top:
                top = depth
                if stop is not None and top > stop:
                    break
        else:
            depth -= 1
    return top


def loads(
    text: str | bytes, max_depth: int = MAX_JSON_DEPTH, max_digits: int = MAX_JSON_DIGITS
) -> Any:
    """``json.loads`` that refuses, with :class:`LimitError` or ``json.JSONDecodeError``
    (both ``ValueError``), what the standard parser would choke on: nesting deeper than
    ``max_depth``, integers of more than ``max_digits`` digits, and ``NaN`` / ``Infinity``
    (which are not JSON). Bytes must be UTF-8."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LimitError(f"not UTF-8 text (byte {exc.start})") from None
    if json_depth(text, stop=max_depth) > max_depth:
        raise LimitError(f"JSON nested more than {max_depth} deep")
    try:
        return json.loads(
            text, parse_int=_int_parser(max_digits), parse_constant=_no_constant
        )
    except RecursionError:  # not reachable after the depth check; kept as a guard
        raise LimitError("JSON nested too deep") from None


def open_regular(path: str | Path) -> tuple[BinaryIO, int]:
    """Open a regular file for reading and return it with its size. Refuses (``OSError``
    whose message is the reason, without the path) a symbolic link, a folder, a FIFO or a
    device: a model folder holds plain files, and opening a FIFO would block forever.
    ``O_NOFOLLOW`` closes the gap between the check and the open."""
    p = os.fspath(path)
    st = os.lstat(p)
    if stat.S_ISLNK(st.st_mode):
        raise OSError("is a symbolic link; a model folder holds plain files")
    if not stat.S_ISREG(st.st_mode):
        raise OSError("not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(p, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return f, st.st_size


def read_capped(path: str | Path, cap: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes (:class:`LimitError` if it is
    bigger: its size is checked before reading, and reading stops at ``cap + 1`` bytes in
    case it grows meanwhile)."""
    f, size = open_regular(path)
    with f:
        if size > cap:
            raise LimitError(f"{path}: {size:,} bytes, more than a {what} may have ({cap:,})")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise LimitError(f"{path}: more than a {what} may have ({cap:,} bytes)")
    return data
