"""How fast the repair engine is, per broken tune and per collection.

    python benchmarks/repair_speed.py [--tunes N] [--seed S] [--repeat R]

Measures, in the same run (best of R, wall clock, one process):

- ``abcparse.check(text, mode="strict")`` on each of N mutated corpus tunes (the floor:
  one parse and one validation, what any repair has to do at least once);
- ``abcparse.repair(text)`` on the same tunes: milliseconds per tune, the ratio to one
  check, how many rounds it took, and the share of valid results;
- ``repair_text`` on ``corpus/irish.abc`` (804 tunes, every one with ABC 2.0 ``!`` line
  breaks to repair when read strictly), in tunes per second;
- the peer: ``abc2abc`` (abcMIDI), the only other program that reads broken ABC and
  writes ABC back, on the same mutated tunes as one file. It repairs nothing (it reports
  errors and re-prints), so its ratio is the price of repairing against re-printing.

The mutated tunes are those of ``tests/repair/mutate.py`` (characters deleted, inserted,
replaced at random, seeded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_of(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tunes", type=int, default=1000, help="mutated tunes (default 1000)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))

    import abcparse
    from abcparse.format.repair import repair_text
    from tests.repair.mutate import mutated_tunes

    tunes = mutated_tunes(args.tunes, args.seed)
    n = len(tunes)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{n} mutated corpus tunes (seed {args.seed}); machine: {os.cpu_count()} CPUs,"
          f" load average {load:.1f}, Python {sys.version.split()[0]}")

    abcparse.repair(tunes[0], unsafe=True)  # build the grammar and load the rules first
    check = best_of(args.repeat, lambda: [abcparse.check(t, mode="strict") for t in tunes])
    results: list[abcparse.RepairResult] = []

    def run() -> None:
        results.clear()
        results.extend(abcparse.repair(t, unsafe=True) for t in tunes)

    rep = best_of(args.repeat, run)
    rounds = Counter(r.rounds for r in results)
    valid = sum(r.valid for r in results)
    print(f"  check (strict), the floor: {1000 * check / n:6.2f} ms per tune")
    print(f"  repair:                    {1000 * rep / n:6.2f} ms per tune"
          f" ({rep / check:.1f}x one check); valid {valid}/{n} ({100 * valid / n:.1f}%)")
    print("  rounds: " + ", ".join(f"{k}: {v}" for k, v in sorted(rounds.items())))

    irish = (ROOT / "corpus" / "irish.abc").read_text(encoding="utf-8")
    whole = best_of(max(1, args.repeat - 1), lambda: repair_text(irish, target="strict",
                                                                 unsafe=True))
    count = len(abcparse.parse(irish).tunes)
    print(f"  repair_text corpus/irish.abc (strict): {whole:.2f} s, {count / whole:.0f}"
          f" tunes/s, {1000 * whole / count:.2f} ms per tune")

    peer = shutil.which("abc2abc")
    if peer is None:
        print("  abc2abc: not installed, no peer ratio")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.abc"
        path.write_text("\n\n".join(t.strip("\n") for t in tunes) + "\n", encoding="utf-8")

        def abc2abc() -> None:
            subprocess.run([peer, str(path)], capture_output=True, check=False)

        p = best_of(args.repeat, abc2abc)
    print(f"  abc2abc (peer, re-prints, repairs nothing): {1000 * p / n:6.2f} ms per tune;"
          f" repair is {rep / p:.1f}x its time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
