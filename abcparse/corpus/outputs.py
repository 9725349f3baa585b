"""Streaming, atomic outputs: the split files and the manifest.

The split files are written while tunes stream through, so they cannot be built in
memory and handed to :func:`abcparse.fileio.atomic_write_bytes`. They follow the same
discipline instead: the bytes go to a temporary file in the output folder
(``.NAME.*.abcparse-tmp``, the name :mod:`abcparse.fileio` uses), are flushed and
``fsync``-ed, and replace the old file with one ``os.replace`` only once the whole run
succeeded. A run that fails or is killed leaves every output file as it was (at worst a
stray temporary file beside it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from ..errors import AbcIOError
from ..fileio import TEMP_SUFFIX, file_mode_for, new_temp_file, remove_temp_files

VERSION_LINE = "%abc-2.1\n"


class AtomicWriter:
    """A text file written piece by piece and put in place by :meth:`commit`.

    ``made`` is the caller's list of temporary files: the new file's path goes into it
    before the file exists (:func:`~abcparse.fileio.new_temp_file`), so a caller whose
    clean-up removes what ``made`` holds leaves nothing behind even when SIGTERM lands
    inside this constructor, before the writer is in the caller's hands."""

    def __init__(self, path: str, made: list[str]) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise AbcIOError(f"{path}: cannot write: the file is read-only")
        try:
            self._tmp = new_temp_file(folder, os.path.basename(path), TEMP_SUFFIX, made)
            self._file: IO[bytes] = open(self._tmp, "wb")  # noqa: SIM115 - closed by commit/abort
        except OSError as e:
            raise AbcIOError(f"{path}: cannot write: {e.strerror or e}") from None
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._done = False

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sha256.update(data)
        self.size += len(data)
        try:
            self._file.write(data)
        except OSError as e:
            raise AbcIOError(f"{self.path}: cannot write: {e.strerror or e}") from None

    def commit(self) -> None:
        """Flush, fsync, take the old file's permission bits, replace it."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            os.fchmod(self._file.fileno(), file_mode_for(self.path))
            self._file.close()
            os.replace(self._tmp, self.path)
        except OSError as e:
            self.abort()
            raise AbcIOError(f"{self.path}: cannot write: {e.strerror or e}") from None
        self._done = True

    def abort(self) -> None:
        """Forget the new content; the old file stays."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


class SplitWriter:
    """One split file: ``%abc-2.1`` first (so it is read strictly, §12.3), then the tunes
    numbered X:1, X:2 ... one empty line apart, as the formatter would print the file."""

    def __init__(self, path: str, vocabulary: Counter[str], made: list[str]) -> None:
        self.out = AtomicWriter(path, made)
        self.tunes = 0
        self.characters = 0
        self._vocabulary = vocabulary
        self._put(VERSION_LINE)

    def _put(self, text: str) -> None:
        self.out.write(text)
        self.characters += len(text)
        self._vocabulary.update(text)

    def add(self, tune_rest: str) -> int:
        """Write a tune (its text without the X: line); returns its X: number."""
        self.tunes += 1
        self._put(f"\nX:{self.tunes}\n{tune_rest}")
        return self.tunes

    def summary(self) -> dict[str, Any]:
        return {
            "bytes": self.out.size,
            "characters": self.characters,
            "sha256": self.out.sha256.hexdigest(),
            "tunes": self.tunes,
        }


class Spool:
    """A list of JSON objects kept on disk until the manifest is written (a collection
    with a million dropped tunes must not hold them all in memory)."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        self._file.write(dumps(item) + "\n")
        self.count += 1

    def items(self) -> Iterator[str]:
        """The JSON texts, in the order added."""
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield line.rstrip("\n")

    def close(self) -> None:
        self._file.close()


def dumps(value: Any) -> str:
    """Compact, sorted JSON with non-ASCII kept (titles stay readable)."""
    return _escape_surrogates(
        json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    """A title or message read from undecodable bytes holds lone surrogates, which UTF-8
    cannot encode (writing the manifest raised UnicodeEncodeError): JSON escapes them
    (``\\udce9``), so the manifest stays valid UTF-8 and still says which byte it was."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_manifest(
    path: str, top: dict[str, Any], lists: dict[str, Spool]
) -> None:
    """Write ``manifest.json``: the keys of ``top`` and ``lists`` in sorted order, small
    values indented, one list item per line (streamed from the spools)."""
    made: list[str] = []
    try:
        out = AtomicWriter(path, made)
        names = sorted([*top, *lists])
        out.write("{\n")
        for i, name in enumerate(names):
            comma = "," if i < len(names) - 1 else ""
            out.write(f"  {json.dumps(name)}: ")
            if name in lists:
                spool = lists[name]
                if spool.count == 0:
                    out.write("[]" + comma + "\n")
                    continue
                out.write("[\n")
                for j, item in enumerate(spool.items()):
                    sep = "," if j < spool.count - 1 else ""
                    out.write(f"    {item}{sep}\n")
                out.write(f"  ]{comma}\n")
            else:
                text = _escape_surrogates(
                    json.dumps(top[name], sort_keys=True, ensure_ascii=False, indent=2))
                out.write(text.replace("\n", "\n  ") + comma + "\n")
        out.write("}\n")
        out.commit()
    except BaseException:
        remove_temp_files(made)
        raise
