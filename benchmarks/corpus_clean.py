"""How fast ``abcparse corpus clean`` cleans a large collection, and that its memory is flat.

    python benchmarks/corpus_clean.py [--tunes 100000] [--jobs 2] [--ratio-tunes 4000]

1. Builds a collection of ``--tunes`` tunes in a temporary folder (10 files): the tunes
   of ``corpus/irish.abc`` repeated with seeded variations, as real collections repeat
   tunes: an exact copy under a new title (a duplicate after normalization), a copy
   transposed by 1 to 11 semitones (a transposed duplicate), or a copy with a few notes
   changed and a new title (a new tune). Broken originals stay broken.
2. Cleans it with ``--jobs`` processes, printing tunes/s and the memory at checkpoints
   (10k, 50k, 100k tunes read by default): the main process's peak resident memory
   (``resource.getrusage``) and its current one. Streaming means the peak stops growing
   once the pipeline is full; what still grows is the de-duplicator's 16 bytes of keys
   (plus dictionary overhead) per kept tune.
3. Cleans the first ``--ratio-tunes`` tunes with ``--jobs 1`` and ``--jobs 2`` and prints
   the speed ratio (and, where abc2abc is installed, abc2abc's time to merely re-print
   the same files, as a reference point: it validates, repairs and de-duplicates nothing).

The machine is usually shared: the load average is printed with the results.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_NOTE = re.compile(r"[A-Ga-g]")


def _rss_mb() -> float:
    """Current resident memory of this process in MB (Linux), else NaN."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return float("nan")


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1e3 if sys.platform != "darwin" else kb / 1e6


def build_corpus(folder: Path, count: int, seed: int, files: int = 10) -> list[Path]:
    """Write ``count`` tunes into ``files`` files (see the module docstring)."""
    import abcparse
    from abcparse.format import TransposeError, transpose_str

    base = [t.text.rstrip("\n") + "\n" for t in abcparse.parse_file(
        ROOT / "corpus" / "irish.abc", mode="loose").tunes]
    rng = random.Random(seed)
    transposed: dict[tuple[int, int], str] = {}
    paths = [folder / f"part{i:02d}.abc" for i in range(files)]
    per_file = -(-count // files)
    written = 0
    for path in paths:
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(min(per_file, count - written)):
                written += 1
                i = rng.randrange(len(base))
                text = base[i]
                kind = rng.random()
                if kind < 0.25:  # the same tune under another title
                    pass
                elif kind < 0.5:  # transposed
                    shift = rng.randrange(1, 12)
                    if (i, shift) not in transposed:
                        try:
                            transposed[(i, shift)] = transpose_str(text, shift)
                        except TransposeError:
                            transposed[(i, shift)] = text
                    text = transposed[(i, shift)]
                else:  # a few notes changed: a new tune
                    head, sep, body = text.partition("\nK:")
                    line_end = body.find("\n") + 1
                    music = list(body[line_end:])
                    spots = [m.start() for m in _NOTE.finditer(body[line_end:])]
                    for pos in rng.sample(spots, min(len(spots), rng.randint(1, 4))):
                        music[pos] = rng.choice("ABCDEFGabcdefg")
                    text = head + sep + body[:line_end] + "".join(music)
                text = re.sub(r"^X:.*$", f"X:{written}", text, count=1, flags=re.M)
                text = re.sub(r"^T:(.*)$", rf"T:\1 ({written})", text, count=1, flags=re.M)
                f.write(text + "\n")
    return [p for p in paths if p.stat().st_size]


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_clean(inputs: list[Path], out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one clean."""
    from abcparse.corpus import clean

    c0, t0 = _cpu(), time.perf_counter()
    clean(inputs, out, jobs=jobs)
    return time.perf_counter() - t0, _cpu() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tunes", type=int, default=100_000, help="size of the collection")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the main run")
    ap.add_argument("--ratio-tunes", type=int, default=4000,
                    help="size of the collection for the --jobs 2 / --jobs 1 ratio")
    ap.add_argument("--checkpoints", default="10000,50000,100000",
                    help="tunes read at which memory is reported")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    from abcparse.corpus import clean
    from abcparse.corpus.pipeline import CleanReport

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start,"
          f" Python {sys.version.split()[0]}")
    tmp = Path(tempfile.mkdtemp(prefix="abc-corpus-bench-"))
    try:
        t0 = time.perf_counter()
        (tmp / "in").mkdir()
        inputs = build_corpus(tmp / "in", args.tunes, args.seed)
        size = sum(p.stat().st_size for p in inputs)
        print(f"built {args.tunes:,} tunes ({size / 1e6:.1f} MB, {len(inputs)} files)"
              f" in {time.perf_counter() - t0:.1f} s")

        checkpoints = sorted(int(c) for c in args.checkpoints.split(",") if c.strip())
        samples: list[tuple[int, float, float, float]] = []
        start = time.perf_counter()

        def sample(report: CleanReport) -> None:
            if checkpoints and report.read >= checkpoints[0]:
                checkpoints.pop(0)
                samples.append(
                    (report.read, time.perf_counter() - start, _peak_mb(), _rss_mb())
                )

        print(f"memory before cleaning: peak {_peak_mb():.0f} MB, current {_rss_mb():.0f} MB")
        cpu0 = _cpu()
        report = clean(inputs, tmp / "out", jobs=args.jobs, callback=sample)
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu0
        print(f"\nclean --jobs {args.jobs}: {report.read:,} tunes in {seconds:.1f} s,"
              f" {report.read / seconds:,.0f} tunes/s; {cpu:.0f} CPU s in all,"
              f" {1000 * cpu / max(report.read, 1):.1f} CPU ms per tune")
        print(f"  kept {report.kept:,}, dropped {report.dropped:,}: "
              + ", ".join(f"{r} {n:,}" for r, n in report.reasons.most_common()))
        print("  tunes read | seconds | peak RSS (main) MB | current RSS MB")
        for read, secs, peak, now in samples:
            print(f"  {read:>10,} | {secs:7.1f} | {peak:18.0f} | {now:14.0f}")
        if args.jobs > 1:
            print(f"  worker processes' peak RSS: {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")

        # The jobs ratio, on a smaller collection.
        small = tmp / "small"
        small.mkdir()
        few = build_corpus(small, min(args.ratio_tunes, args.tunes), args.seed + 1, files=2)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        t1, c1 = timed_clean(few, tmp / "r1", 1)
        t2, c2 = timed_clean(few, tmp / "r2", 2)
        n = min(args.ratio_tunes, args.tunes)
        print(f"\n{n:,} tunes (load average {load:.1f} before):"
              f" --jobs 1 {t1:.1f} s ({n / t1:,.0f} tunes/s, {c1:.0f} CPU s),"
              f" --jobs 2 {t2:.1f} s ({n / t2:,.0f} tunes/s, {c2:.0f} CPU s);"
              f" speed ratio jobs2/jobs1 = {t1 / t2:.2f}x")
        same = all(
            (tmp / "r1" / name).read_bytes() == (tmp / "r2" / name).read_bytes()
            for name in ("train.abc", "valid.abc", "test.abc", "manifest.json")
        )
        print(f"  outputs byte-identical: {same}")
        abc2abc = shutil.which("abc2abc")
        if abc2abc:
            t0 = time.perf_counter()
            for p in few:
                subprocess.run([abc2abc, str(p)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
            ta = time.perf_counter() - t0
            print(f"  reference: abc2abc re-prints the same files in {ta:.2f} s"
                  f" ({t1 / ta:.0f}x faster than clean --jobs 1; it only re-prints)")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average at the end: {load:.1f}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
