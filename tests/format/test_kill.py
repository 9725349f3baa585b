"""A formatter killed (SIGKILL) at a random moment leaves every file wholly old or new.

A subprocess formats a folder of tunebooks in place and is killed after a random delay,
20 times; after each kill every file must hold exactly its old bytes or exactly the bytes
the formatter would write, never a mixture or a truncated file. A killed run may leave
its temporary file behind (``.NAME.*.abcparse-tmp``); it never replaces a tunebook.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from abcparse.fileio import TEMP_SUFFIX
from abcparse.format import format_text

ROOT = Path(__file__).resolve().parents[2]
IRISH = ROOT / "corpus" / "irish.abc"


def _make_books(folder: Path, tunes_per_file: int, files: int) -> dict[str, tuple[bytes, bytes]]:
    """Tunebooks cut from the shipped corpus: name → (old bytes, formatted bytes)."""
    text = IRISH.read_text(encoding="utf-8")
    tunes = [t for t in text.split("\n\n") if t.strip()]
    books: dict[str, tuple[bytes, bytes]] = {}
    for i in range(files):
        chunk = tunes[(i * tunes_per_file) % len(tunes) :][:tunes_per_file]
        old = "\n\n".join(chunk) + "\n"
        new = format_text(old).text
        assert new != old
        name = f"book{i:03}.abc"
        (folder / name).write_bytes(old.encode())
        books[name] = (old.encode(), new.encode())
    return books


def _start(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "abcparse.cli.main", "format", "-q", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_runs(tmp_path: Path, runs: int, tunes_per_file: int, files: int, seed: int) -> None:
    master = tmp_path / "master"
    master.mkdir()
    books = _make_books(master, tunes_per_file, files)
    # How long a whole run takes here, to spread the kills over it.
    probe = tmp_path / "probe"
    shutil.copytree(master, probe)
    t0 = time.monotonic()
    assert _start(probe).wait(timeout=600) == 0
    duration = time.monotonic() - t0
    for name, (_, new) in books.items():
        assert (probe / name).read_bytes() == new
    rng = random.Random(seed)
    outcomes = {"old": 0, "new": 0}
    mixed = 0  # runs killed with some files done and others not
    for run in range(runs):
        work = tmp_path / f"run{run}"
        shutil.copytree(master, work)
        proc = _start(work)
        time.sleep(rng.uniform(0.0, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        seen = set()
        for entry in os.listdir(work):
            if entry.endswith(TEMP_SUFFIX):
                continue  # a killed run's temporary file: never a tunebook
            old, new = books[entry]
            data = (work / entry).read_bytes()
            assert data in (old, new), f"run {run}: {entry} is neither old nor new"
            outcomes["old" if data == old else "new"] += 1
            seen.add(data == new)
        assert len([e for e in os.listdir(work) if e.endswith(".abc")]) == len(books)
        mixed += len(seen) == 2
        shutil.rmtree(work)
    print(f"\n{runs} kills: every file old or new; {mixed} runs killed between files,"
          f" {outcomes['new']} files found new and {outcomes['old']} old")
    # The kills must have landed at different moments: some files done, some not.
    assert outcomes["old"] and outcomes["new"], outcomes


def test_killed_midway_leaves_old_or_new_quick(tmp_path: Path) -> None:
    _kill_runs(tmp_path, runs=3, tunes_per_file=8, files=12, seed=1)


@pytest.mark.slow
def test_killed_midway_leaves_old_or_new_20_runs(tmp_path: Path) -> None:
    _kill_runs(tmp_path, runs=20, tunes_per_file=20, files=40, seed=20240601)


_WRITER = """
import sys
from abcparse.fileio import atomic_write_bytes
path, size = sys.argv[1], int(sys.argv[2])
contents = [bytes([65 + i]) * size for i in range(4)]
i = 0
while True:
    atomic_write_bytes(path, contents[i % 4])
    i += 1
"""


def test_killed_inside_the_write_itself(tmp_path: Path) -> None:
    """Most of a formatting run is parsing; this one only writes (8 MB files, over and
    over), so the kills land inside ``atomic_write_bytes``: 20 out of 20 must leave one
    whole version."""
    size = 8 * 1024 * 1024
    path = tmp_path / "big.abc"
    path.write_bytes(b"Z" * size)
    versions = {b"Z" * size, *(bytes([65 + i]) * size for i in range(4))}
    rng = random.Random(7)
    mid_write = 0
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(size)])
        time.sleep(rng.uniform(0.2, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert path.read_bytes() in versions
        strays = list(tmp_path.glob("*" + TEMP_SUFFIX))
        mid_write += bool(strays)  # killed between creating the temporary and the rename
        for stray in strays:
            stray.unlink()
    print(f"\n20 kills inside atomic writes: file always whole; {mid_write} left a temporary")
    assert mid_write > 0  # the kills did land inside a write
