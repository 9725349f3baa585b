"""Atomic writes: the file is the old bytes or the new bytes, never anything else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from abcparse.errors import AbcIOError
from abcparse.fileio import TEMP_SUFFIX, atomic_write_bytes, read_bytes


def test_replaces_the_content(tmp_path: Path) -> None:
    path = tmp_path / "tune.abc"
    path.write_bytes(b"old")
    atomic_write_bytes(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["tune.abc"]  # no temporary file left


def test_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "new.abc"
    atomic_write_bytes(path, b"X:1\n")
    assert path.read_bytes() == b"X:1\n"


def test_keeps_the_permission_bits(tmp_path: Path) -> None:
    path = tmp_path / "tune.abc"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    atomic_write_bytes(path, b"new")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_symbolic_link_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.abc"
    target.write_bytes(b"old")
    link = tmp_path / "link.abc"
    link.symlink_to(target)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tune.abc"
    path.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(AbcIOError, match="No space left on device"):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(TEMP_SUFFIX)]


def test_a_folder_that_cannot_be_written_is_one_message(tmp_path: Path) -> None:
    with pytest.raises(AbcIOError, match="cannot write"):
        atomic_write_bytes(tmp_path / "missing" / "tune.abc", b"x")


def test_a_read_only_file_is_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tune.abc"
    path.write_bytes(b"old")
    os.chmod(path, 0o444)
    if os.geteuid() == 0:  # root may write anything: ask as a user would be answered
        monkeypatch.setattr(os, "access", lambda p, mode: False)
    with pytest.raises(AbcIOError, match="read-only"):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"


def test_read_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(AbcIOError, match="no such file"):
        read_bytes(tmp_path / "nope.abc")
    with pytest.raises(AbcIOError, match="is a folder"):
        read_bytes(tmp_path)


def test_a_named_pipe_or_device_is_written_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/null`` or ``-o FIFO`` (a player reading the tunes): the rename put a
    regular file in the device's place, for root ``/dev/null`` itself, and a FIFO's reader
    waited for good. Such a target is written directly, and stays what it was."""
    import threading

    fifo = tmp_path / "pipe.abc"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic_write_bytes(fifo, b"X:1\nK:C\nC|\n")
    reader.join(10)
    assert got == [b"X:1\nK:C\nC|\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe.abc"]  # no temporary file beside it
    if os.geteuid() == 0:  # a copy of /dev/null (making a device needs root)
        dev = tmp_path / "null"
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        atomic_write_bytes(dev, b"X:1\n")
        assert stat.S_ISCHR(os.stat(dev).st_mode)
