"""What every command that reads ABC accepts as input (docs/cli.md, "Inputs").

A path is a file, a folder (every ``*.abc`` below it, any case of the suffix: ``*.ABC``
too, sorted; hidden names (``.git``, ``.cache``), tool folders such as ``node_modules``
and names matching ``--exclude`` are skipped) or ``-`` for standard input. When nothing
is read (no path names a file, the folders hold no ABC file, ``--exclude`` left none,
standard input is empty)
the command says so on standard error and exits 2: a run that checked nothing must not
look like a clean run.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from ..errors import AbcUsageError

DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                   ".tox", "build", "dist")
ABC_SUFFIX = ".abc"


class NothingRead(AbcUsageError):
    """Nothing was read: the command's warning, and exit 2 (see the module docstring)."""


def is_abc_name(name: str) -> bool:
    """``tune.abc``, ``TUNE.ABC``, ``Tune.Abc``: an ABC file's name, any case."""
    return name.lower().endswith(ABC_SUFFIX)


def collect(paths: Sequence[str], exclude: Sequence[str] = ()
            ) -> Iterator[tuple[str, str | None]]:
    """(path, error) for each input, in order: ``-`` as it is, a file as it is, a folder's
    ABC files (sorted; hidden names, ``exclude`` patterns and :data:`DEFAULT_EXCLUDE`
    folders skipped),
    a missing path with the error "no such file or folder".

    A file is given once, however many paths name it (the same path twice, a folder and
    a file in it, a link to it): a command that rewrites its inputs (``transpose``,
    ``format``, ``--fix``) would otherwise change it twice. In a folder, what is not a
    regular file (a named pipe, a socket, a link to nothing) is reported, not opened: a
    pipe would wait for a writer forever."""
    patterns = list(DEFAULT_EXCLUDE) + list(exclude)
    given: set[str] = set()

    def skipped(name: str) -> bool:
        return name.startswith(".") or any(fnmatch.fnmatch(name, p) for p in patterns)

    def first_time(path: str) -> bool:
        key = file_key(path)
        if key in given:
            return False
        given.add(key)
        return True

    for p in paths:
        if p == "-":
            yield p, None
            continue
        if os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not skipped(d))
                for f in files:
                    if is_abc_name(f) and not skipped(f):
                        found.append(os.path.join(root, f))
            for f in sorted(found):
                if not os.path.isfile(f):
                    yield f, ("no such file (a link to nothing)" if not os.path.exists(f)
                              else "not a regular file")
                elif first_time(f):
                    yield f, None
        elif os.path.exists(p):
            if first_time(p):
                yield p, None
        else:
            yield p, "no such file or folder"


def file_key(path: str) -> str:
    """One name per file, whatever path or link names it: to read a file once, and to
    tell an output that is an input, or lies inside a folder."""
    return os.path.normcase(os.path.realpath(path))


def clip_path(path: str, width: int = 80) -> str:
    """A path for a one-line message: its end (the file's name) when it is long."""
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _shown(paths: Sequence[str]) -> str:
    names = [p for p in paths if p != "-"][:3]
    text = ", ".join(clip_path(n) for n in names)
    more = len([p for p in paths if p != "-"]) - len(names)
    return text + (f" and {more} more" if more > 0 else "")


def nothing_found(paths: Sequence[str], exclude: Sequence[str] = ()) -> NothingRead:
    """The warning for inputs that named no file: folders without ABC files, or all
    left out by ``--exclude``."""
    why = " (all left out by --exclude)" if exclude else ""
    where = _shown(paths) or "the input"
    return NothingRead(f"warning: no ABC files (*.abc) found in {where}{why};"
                       " nothing was read")


def empty_stdin() -> NothingRead:
    return NothingRead("warning: standard input (-) is empty; nothing was read")


def files_or_nothing(paths: Sequence[str], exclude: Sequence[str] = ()
                     ) -> list[tuple[str, str | None]]:
    """:func:`collect` as a list; :class:`NothingRead` when it names nothing."""
    found = list(collect(paths, exclude))
    if not found:
        raise nothing_found(paths, exclude)
    return found


def is_blank(data: bytes) -> bool:
    """Empty, or white space only (what ``echo | abc-lint -`` sends)."""
    return not data.strip()


def spool_stdin(stream: BinaryIO | None = None) -> BinaryIO:
    """Standard input copied to a temporary file (on disk, so memory stays flat), at its
    start; :class:`NothingRead` when it is empty or white space only."""
    source = stream if stream is not None else sys.stdin.buffer
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    try:
        shutil.copyfileobj(source, spool)
        spool.seek(0)
        if _blank_file(spool):
            raise empty_stdin()
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _blank_file(f: BinaryIO) -> bool:
    while block := f.read(1 << 16):
        if not is_blank(block):
            return False
    return True


def stdin_to_file(folder: str, name: str = "stdin.abc") -> str:
    """Standard input copied to ``folder/name`` (for commands that need a path);
    :class:`NothingRead` when it is empty."""
    path = os.path.join(folder, name)
    with spool_stdin() as spool, open(path, "wb") as out:
        shutil.copyfileobj(spool, out)
    return path


__all__ = ["DEFAULT_EXCLUDE", "NothingRead", "clip_path", "collect", "empty_stdin",
           "files_or_nothing", "is_abc_name", "is_blank", "nothing_found", "spool_stdin",
           "stdin_to_file"]
