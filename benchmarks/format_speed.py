"""How fast ``abcparse format`` normalizes a collection, against abc2abc.

    python benchmarks/format_speed.py [--corpus DIR] [--repeat N]

Measures, on the same files in the same run (best of N, wall clock), in tunes per second:

- ``abcparse format --check`` as a user runs it (a fresh process: start-up included);
- ``abcparse.format.format_text`` in one process, with the safety checks (format, parse
  the output, format it again, compare the music, validate both) and without them
  (``safe=False``: the printer alone);
- ``abc2abc FILE`` (abcMIDI's normalizer, compiled C) on each file, the peer, and the
  ratio of each of ours to it.

abc2abc re-prints what it parsed and checks nothing afterwards; most of our time is the
safety checks, which is the price of the guarantee that the music did not change.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import abcparse
from abcparse.format import format_text, read_source

DEFAULT_CORPUS = Path("/work/shared/corpus/nottingham/ABC_original")


def best_of(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = sorted(args.corpus.glob("*.abc"))
    if not files:
        sys.exit(f"no .abc files in {args.corpus}")
    texts = [read_source(f).text for f in files]
    tunes = sum(len(abcparse.parse(t).tunes) for t in texts)
    print(f"{len(files)} files, {tunes} tunes ({args.corpus})")

    def checked() -> None:
        for t in texts:
            format_text(t)

    def unchecked() -> None:
        for t in texts:
            format_text(t, safe=False)

    cmd = [sys.executable, "-m", "abcparse.cli.main", "format", "--check", "-q", *map(str, files)]

    def command() -> None:
        subprocess.run(cmd, capture_output=True, check=False)

    rows: list[tuple[str, float]] = [
        ("format_text, safety checks", best_of(args.repeat, checked)),
        ("format_text(safe=False)", best_of(args.repeat, unchecked)),
        ("abcparse format --check", best_of(args.repeat, command)),
    ]
    peer = shutil.which("abc2abc")
    peer_time = None
    if peer:

        def abc2abc() -> None:
            for f in files:
                subprocess.run([peer, str(f)], capture_output=True, check=False)

        peer_time = best_of(args.repeat, abc2abc)
        rows.append(("abc2abc (peer)", peer_time))
    for name, seconds in rows:
        ratio = f"  {seconds / peer_time:6.1f}x abc2abc's time" if peer_time else ""
        print(f"{name:32} {seconds:7.2f} s  {tunes / seconds:8.0f} tunes/s{ratio}")


if __name__ == "__main__":
    main()
