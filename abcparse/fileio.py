"""Atomic file writes, used by every command that rewrites a file in place.

A formatter, a ``--fix`` or a corpus cleaner that is killed half-way (Ctrl-C, SIGKILL, a
full disk, a power cut) must never leave a file holding half of the new text: the user's
tunebook would be silently truncated. So nothing is ever written over the file itself.
The new bytes go to a temporary file *in the same folder* (``os.replace`` is atomic only
within one file system), are flushed and ``fsync``-ed, get the old file's permission
bits, and only then replace the old file in one ``rename(2)``. Killed at any moment, the
path holds either the old bytes or the new ones. A killed process may leave its temporary
file (``.NAME.*.abcparse-tmp``) behind; it never replaces anything.

The folder itself is ``fsync``-ed too, so that the rename survives a power cut. That makes
the rename *durable*, not atomic (before it, a power cut leaves the old file, which is
whole), so it is done once for many writes: a folder a file was renamed into is
``fsync``-ed when a second has passed since the last folder ``fsync``, at
:func:`sync_folders`, and when the process exits. Writing 20,000 MIDI files then costs
one ``fsync`` per file instead of two (the file's own, which the data needs, stays).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO

from .errors import AbcIOError

TEMP_SUFFIX = ".abcparse-tmp"


def _target(path: str) -> str:
    """The file to replace: a symbolic link is followed, so the link itself survives and
    the file it points to gets the new content (as an editor saving through it would)."""
    return os.path.realpath(path) if os.path.islink(path) else path


def _is_special(path: str) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder: a character or
    block device, a named pipe or a socket."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def file_mode_for(path: str) -> int:
    """Permission bits for the new file: the old file's, or what ``open`` would give a new
    file under the current umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the content of ``path`` with ``data`` atomically (see the module docstring).

    Raises :class:`~abcparse.errors.AbcIOError` with a one-line message when the folder
    cannot be written; the original file is then untouched and no temporary file is left.
    """
    with atomic_writer(path) as f:
        f.write(data)


def new_temp_file(folder: str, name: str, suffix: str, made: list[str]) -> str:
    """An empty new file ``.NAME.RANDOM SUFFIX`` in ``folder`` (mode 0600), its path put
    in ``made`` *before* it exists: SIGTERM is an exception in the commands (see
    :class:`abcparse.cli.Terminated`) and may land between any two steps, so the caller's
    clean-up must know every file that may have been made; ``tempfile.mkstemp`` gives the
    name only once the file exists. Removing what ``made`` holds is the caller's."""
    for _ in range(100):
        path = os.path.join(folder, f".{name}.{secrets.token_hex(6)}{suffix}")
        made.append(path)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            made.pop()  # someone else's file: not ours to remove
            continue
        return path
    raise AbcIOError(f"{folder}: cannot make a temporary file for {name}")


def remove_temp_files(made: list[str]) -> None:
    """Remove the temporary files of :func:`new_temp_file` that still exist (one that was
    renamed into place is gone already); errors are ignored, as there is nothing more to
    do about a file that cannot be removed."""
    for path in made:
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write the new content of ``path`` piece by piece, atomically: a binary file to
    write into (the temporary file in the same folder); when the ``with`` block ends
    normally it is flushed, fsync-ed, given the old file's permission bits and renamed
    over ``path`` (the folder's fsync follows within a second or at exit). If the block
    raises (or the process dies), ``path`` is untouched and the temporary file is removed
    (a killed process may leave it behind). So a rewrite of a big file never holds the
    new text whole, and is as atomic as :func:`atomic_write_bytes`. Failures to write are
    :class:`AbcIOError` (one line)."""
    name = os.fspath(path)
    target = _target(name)
    if _is_special(target):
        # A device or a named pipe (``-o /dev/null``, a FIFO a player reads): the rename
        # would put a regular file in its place (for root, ``/dev/null`` for the whole
        # machine). Such a target is a stream, not content to replace: written directly.
        try:
            with open(target, "wb") as f:
                yield f
        except OSError as e:
            if isinstance(e, AbcIOError):
                raise
            raise AbcIOError(f"{name}: cannot write: {e.strerror or e}") from None
        return
    folder = os.path.dirname(os.path.abspath(target))
    mode = file_mode_for(target)
    if os.path.exists(target) and not os.access(target, os.W_OK):
        # The rename would succeed on a read-only file; the user asked for it to stay.
        raise AbcIOError(f"{name}: cannot write: the file is read-only")
    made: list[str] = []
    try:
        tmp = new_temp_file(folder, os.path.basename(target), TEMP_SUFFIX, made)
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, target)
    except BaseException as e:
        remove_temp_files(made)
        if isinstance(e, OSError) and not isinstance(e, AbcIOError):
            raise AbcIOError(f"{name}: cannot write: {e.strerror or e}") from None
        raise
    _renamed_into(folder)


#: Folders a file was renamed into whose own fsync is still to come, and when the last
#: folder fsync ran (see the module docstring).
_UNSYNCED: set[str] = set()
_LOCK = threading.Lock()
_SYNC_EVERY = 1.0  # seconds
_last_sync = time.monotonic()


def _renamed_into(folder: str) -> None:
    with _LOCK:
        _UNSYNCED.add(folder)
        due = time.monotonic() - _last_sync >= _SYNC_EVERY
    if due:
        sync_folders()


def sync_folders() -> None:
    """Make every rename done so far durable: ``fsync`` each folder a file was renamed
    into since the last call (also run every second of writing, and at exit)."""
    global _last_sync
    with _LOCK:
        folders = sorted(_UNSYNCED)
        _UNSYNCED.clear()
        _last_sync = time.monotonic()
    for folder in folders:
        _fsync_folder(folder)


atexit.register(sync_folders)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    flags = getattr(os, "O_DIRECTORY", 0) | os.O_RDONLY
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def user_cache_folder(*parts: str) -> str | None:
    """A folder of the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``, then
    ``abcparse/PARTS``), made if missing; None when ``ABCPARSE_NO_CACHE`` is set, when it
    cannot be made, or when it is not safely the user's own.

    What is cached there is read back as code would be (the parser tables are a pickle),
    so a folder that another user could write to is never used: each folder from
    ``abcparse`` down must belong to the current user and be writable by no one else.
    """
    if os.environ.get("ABCPARSE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "abcparse")
    try:
        for depth in range(len(parts) + 1):
            folder = os.path.join(base, "abcparse", *parts[:depth])
            os.makedirs(folder, mode=0o700, exist_ok=True)
            info = os.lstat(folder)
            if (not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022
                    or (hasattr(os, "getuid") and info.st_uid != os.getuid())):
                return None
    except OSError:
        return None
    return folder


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a whole file; failures become one-line :class:`AbcIOError` messages."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise AbcIOError(f"{name}: is a folder, not an ABC file") from None
    except FileNotFoundError:
        raise AbcIOError(f"{name}: no such file") from None
    except OSError as e:
        raise AbcIOError(f"{name}: cannot read: {e.strerror or e}") from None
